import { and, asc, desc, eq, inArray, lt, max, sql, type SQL } from 'drizzle-orm';
import {
  LEAD_ONLY_FIELDS,
  canTransition,
  incidentCode,
  incidentStream,
  type Actor,
  type IncidentPatch,
  type Alert,
  type Incident,
  type IncidentCreate,
  type IncidentDetail,
  type IncidentMember,
  type IncidentsQuery,
  type Side,
} from '@lodestone/shared';
import { incidentMembers, incidents, users } from '../../db/schema.ts';
import { append, type Tx } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems, type FieldError } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import type { ServiceContext } from '../../services.ts';
import type { AuthUser } from '../../auth/policy.ts';
import type { AlertsService } from '../alerts/alerts.service.ts';

export type IncidentRow = typeof incidents.$inferSelect;

/** The fields a PATCH can change, in the order `changed` lists them. */
const INCIDENT_FIELDS = ['title', 'summary', 'status', 'severity', 'tlp', 'minerals', 'usLeadId', 'jpLeadId', 'lessons'] as const;

export function toIncident(row: IncidentRow): Incident {
  const lessons = JSON.parse(row.lessons) as Partial<Incident['lessons']>;
  return {
    id: row.id,
    code: row.code,
    title: row.title,
    summary: row.summary,
    status: row.status,
    severity: row.severity,
    tlp: row.tlp,
    minerals: JSON.parse(row.minerals) as string[],
    usLeadId: row.usLeadId,
    jpLeadId: row.jpLeadId,
    lessons: { summary: lessons.summary ?? '', strengths: lessons.strengths ?? '', improvements: lessons.improvements ?? '' },
    version: row.version,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    closedAt: row.closedAt,
  };
}

/** Incident rooms: creation, reading what the caller may read, membership. */
export class IncidentsService {
  private readonly byIdQuery;
  private readonly memberQuery;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly alerts: () => AlertsService,
  ) {
    const db = ctx.handle.db;
    this.byIdQuery = db.select().from(incidents).where(eq(incidents.id, sql.placeholder('id'))).prepare();
    this.memberQuery = db
      .select({ userId: incidentMembers.userId })
      .from(incidentMembers)
      .where(and(eq(incidentMembers.incidentId, sql.placeholder('incidentId')), eq(incidentMembers.userId, sql.placeholder('userId'))))
      .prepare();
  }

  row(id: string): IncidentRow | undefined {
    return this.byIdQuery.get({ id });
  }

  get(id: string): Incident | undefined {
    const row = this.row(id);
    return row && toIncident(row);
  }

  /** undefined when the incident does not exist; used by stream access. */
  isMember(incidentId: string, userId: string): boolean | undefined {
    if (!this.row(incidentId)) return undefined;
    return this.memberQuery.get({ incidentId, userId }) !== undefined;
  }

  isCoLead(incident: Pick<Incident, 'usLeadId' | 'jpLeadId'>, userId: string): boolean {
    return incident.usLeadId === userId || incident.jpLeadId === userId;
  }

  members(incidentId: string): IncidentMember[] {
    return this.ctx.handle.db
      .select({
        id: users.id,
        displayName: users.displayName,
        role: users.role,
        agency: users.agency,
        side: users.side,
        addedAt: incidentMembers.addedAt,
      })
      .from(incidentMembers)
      .innerJoin(users, eq(users.id, incidentMembers.userId))
      .where(eq(incidentMembers.incidentId, incidentId))
      .orderBy(asc(incidentMembers.addedAt), asc(users.displayName))
      .all();
  }

  detail(id: string): IncidentDetail | undefined {
    const incident = this.get(id);
    if (!incident) return undefined;
    const linked: Alert[] = this.alerts().byIncident(id);
    return { ...incident, members: this.members(id), alerts: linked };
  }

  /** Incidents the caller may read: all of them for leads and staff, their own for members and liaisons. */
  list(reader: AuthUser, query: IncidentsQuery): Incident[] {
    const where: SQL[] = [];
    if (query.status) where.push(eq(incidents.status, query.status));
    if (query.before) where.push(lt(incidents.createdAt, new Date(query.before).toISOString()));
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(sql`(${incidents.title} LIKE ${pattern} ESCAPE '\\' OR ${incidents.code} LIKE ${pattern} ESCAPE '\\' OR ${incidents.summary} LIKE ${pattern} ESCAPE '\\')`);
    }
    if (reader.role !== 'lead' && reader.role !== 'staff') {
      const mine = this.ctx.handle.db.select({ id: incidentMembers.incidentId }).from(incidentMembers).where(eq(incidentMembers.userId, reader.id));
      where.push(inArray(incidents.id, mine));
    }
    return this.ctx.handle.db
      .select()
      .from(incidents)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(incidents.createdAt), desc(incidents.id))
      .limit(query.limit)
      .all()
      .map(toIncident);
  }

  /** A co-lead must be an enabled lead or member of that side. */
  private checkCoLead(id: string | undefined, side: Side, path: string, errors: FieldError[]): void {
    if (id === undefined) return;
    const user = this.ctx.handle.db.select().from(users).where(eq(users.id, id)).get();
    if (!user || user.disabled) errors.push({ path, message: 'is not a known, enabled user', code: 'unknown_user' });
    else if (user.side !== side) errors.push({ path, message: `must be a user of the ${side} side`, code: 'wrong_side', params: { side } });
    else if (user.role !== 'lead' && user.role !== 'member') errors.push({ path, message: 'must be a lead or a member', code: 'not_lead_or_member' });
  }

  private addMemberInTx(tx: Tx, mutation: Mutation, incidentId: string, userId: string): IncidentMember | null {
    const inserted = tx.db.insert(incidentMembers).values({ incidentId, userId, addedAt: tx.at, addedBy: mutation.actor.id }).onConflictDoNothing().run();
    if (inserted.changes === 0) return null;
    const user = tx.db.select().from(users).where(eq(users.id, userId)).get();
    if (!user) return null;
    const member: IncidentMember = { id: user.id, displayName: user.displayName, role: user.role, agency: user.agency, side: user.side, addedAt: tx.at };
    append(tx, incidentStream(incidentId), 'member.added', mutation.actor, { incidentId, ...member });
    return member;
  }

  /**
   * Opens an incident inside the caller's transaction: next code of the year, the creating
   * lead as member and (unless named otherwise) co-lead of their side, co-leads as members,
   * and the given alerts linked.
   */
  createInTx(tx: Tx, mutation: Mutation, creator: AuthUser, input: IncidentCreate): Incident {
    const usLeadId = input.usLeadId ?? (creator.side === 'US' ? creator.id : undefined);
    const jpLeadId = input.jpLeadId ?? (creator.side === 'JP' ? creator.id : undefined);
    const errors: FieldError[] = [];
    this.checkCoLead(usLeadId, 'US', 'usLeadId', errors);
    this.checkCoLead(jpLeadId, 'JP', 'jpLeadId', errors);
    (input.alertIds ?? []).forEach((alertId, i) => {
      if (!this.alerts().get(alertId)) errors.push({ path: `alertIds.${i}`, message: 'is not a known alert', code: 'unknown_alert' });
    });
    if (errors.length) throw problems.invalid(errors);
    const year = new Date(tx.at).getUTCFullYear();
    const last = tx.db.select({ n: max(incidents.number) }).from(incidents).where(eq(incidents.year, year)).get()?.n ?? 0;
    const row: IncidentRow = {
      id: newId(),
      code: incidentCode(year, last + 1),
      year,
      number: last + 1,
      title: input.title,
      summary: input.summary ?? '',
      status: 'active',
      severity: input.severity,
      tlp: input.tlp ?? 'AMBER',
      minerals: JSON.stringify([...new Set(input.minerals)]),
      usLeadId: usLeadId ?? null,
      jpLeadId: jpLeadId ?? null,
      lessons: JSON.stringify({ summary: '', strengths: '', improvements: '' }),
      version: 1,
      createdBy: creator.id,
      createdAt: tx.at,
      updatedAt: tx.at,
      closedAt: null,
    };
    tx.db.insert(incidents).values(row).run();
    const incident = toIncident(row);
    append(tx, incidentStream(incident.id), 'incident.created', mutation.actor, incident);
    for (const userId of new Set([creator.id, usLeadId, jpLeadId].filter((x): x is string => x !== undefined))) {
      this.addMemberInTx(tx, mutation, incident.id, userId);
    }
    for (const alertId of new Set(input.alertIds ?? [])) this.alerts().linkInTx(tx, mutation, alertId, incident);
    return incident;
  }

  /** The actor and time of the incident's last change, to explain a 409. */
  lastChange(incidentId: string): { by: Actor | null; at: string } | undefined {
    const [last] = this.ctx.log.readBefore(incidentStream(incidentId), undefined, 50).filter((e) => e.type === 'incident.updated' || e.type === 'incident.created');
    return last && { by: last.actor, at: last.at };
  }

  /**
   * Applies a PATCH based on `version`: a stale version is refused with 409 and the current
   * incident. Leads change anything; a co-lead (member) the fields of CO_LEAD_FIELDS.
   */
  async update(mutation: Mutation, editor: AuthUser, id: string, patch: IncidentPatch): Promise<Incident> {
    const result = await this.ctx.commit(mutation, (tx) => {
      const row = this.row(id);
      if (!row) throw problems.notFound('incident');
      const before = toIncident(row);
      if (editor.role !== 'lead') {
        const leadOnly = LEAD_ONLY_FIELDS.filter((f) => patch[f] !== undefined);
        if (leadOnly.length) throw problems.forbidden(`Only leads change ${leadOnly.join(', ')}.`);
      }
      if (patch.version !== before.version) {
        throw problems.stale(before, `This incident is at version ${before.version}; your change was based on version ${patch.version}.`, {
          lastChange: this.lastChange(id),
        });
      }
      const errors: FieldError[] = [];
      if (patch.status && !canTransition(before.status, patch.status)) {
        errors.push({ path: 'status', message: `cannot change from ${before.status} to ${patch.status}`, code: 'status_transition', params: { from: before.status, to: patch.status } });
      }
      if (patch.usLeadId) this.checkCoLead(patch.usLeadId, 'US', 'usLeadId', errors);
      if (patch.jpLeadId) this.checkCoLead(patch.jpLeadId, 'JP', 'jpLeadId', errors);
      if (errors.length) throw problems.invalid(errors);

      const next: Incident = {
        ...before,
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.severity !== undefined ? { severity: patch.severity } : {}),
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.summary !== undefined ? { summary: patch.summary } : {}),
        ...(patch.tlp !== undefined ? { tlp: patch.tlp } : {}),
        ...(patch.minerals !== undefined ? { minerals: [...new Set(patch.minerals)] } : {}),
        ...(patch.usLeadId !== undefined ? { usLeadId: patch.usLeadId } : {}),
        ...(patch.jpLeadId !== undefined ? { jpLeadId: patch.jpLeadId } : {}),
        ...(patch.lessons !== undefined ? { lessons: { ...before.lessons, ...patch.lessons } } : {}),
      };
      // Every accepted PATCH is a new version (the contract answers "version + 1"), even one that changes no value.
      const changed = INCIDENT_FIELDS.filter((f) => JSON.stringify(next[f]) !== JSON.stringify(before[f]));
      const previous = Object.fromEntries(changed.map((f) => [f, before[f]]));
      const after: Incident = {
        ...next,
        version: before.version + 1,
        updatedAt: tx.at,
        closedAt: next.status === 'closed' ? (before.status === 'closed' ? before.closedAt : tx.at) : null,
      };
      tx.db
        .update(incidents)
        .set({
          title: after.title,
          summary: after.summary,
          status: after.status,
          severity: after.severity,
          tlp: after.tlp,
          minerals: JSON.stringify(after.minerals),
          usLeadId: after.usLeadId,
          jpLeadId: after.jpLeadId,
          lessons: JSON.stringify(after.lessons),
          version: after.version,
          updatedAt: after.updatedAt,
          closedAt: after.closedAt,
        })
        .where(eq(incidents.id, id))
        .run();
      append(tx, incidentStream(id), 'incident.updated', mutation.actor, { ...after, changed, previous });
      for (const coLead of [after.usLeadId, after.jpLeadId]) if (coLead) this.addMemberInTx(tx, mutation, id, coLead);
      return { incident: after, changed };
    });
    return result.incident;
  }

  /** Adds a member (leads); adding one twice changes nothing. */
  async addMember(mutation: Mutation, incidentId: string, userId: string): Promise<void> {
    await this.ctx.commit(mutation, (tx) => {
      const incident = this.get(incidentId);
      if (!incident) throw problems.notFound('incident');
      const user = tx.db.select().from(users).where(eq(users.id, userId)).get();
      if (!user) throw problems.notFound('user');
      if (user.disabled) throw problems.conflict('This account is disabled.', incident);
      if (user.role === 'admin') throw problems.conflict('Administrators take no part in incidents.', incident);
      this.addMemberInTx(tx, mutation, incidentId, userId);
    });
  }

  /** Removes a member (leads); a co-lead must be replaced first. Their sockets stop receiving the room. */
  async removeMember(mutation: Mutation, incidentId: string, userId: string): Promise<void> {
    const removed = await this.ctx.commit(mutation, (tx) => {
      const row = this.row(incidentId);
      if (!row) throw problems.notFound('incident');
      if (row.usLeadId === userId || row.jpLeadId === userId) throw problems.conflict('This member is a co-lead; name another co-lead first.', toIncident(row));
      const member = this.members(incidentId).find((m) => m.id === userId);
      if (!member) return false;
      tx.db.delete(incidentMembers).where(and(eq(incidentMembers.incidentId, incidentId), eq(incidentMembers.userId, userId))).run();
      append(tx, incidentStream(incidentId), 'member.removed', mutation.actor, { incidentId, ...member });
      return true;
    });
    if (removed) this.ctx.signals.emit('access-changed', { userId });
  }

  create(mutation: Mutation, creator: AuthUser, input: IncidentCreate): Promise<IncidentDetail> {
    return this.ctx.commit(mutation, (tx) => {
      const created = this.createInTx(tx, mutation, creator, input);
      return this.detail(created.id) ?? { ...created, members: [], alerts: [] };
    });
  }
}
