import { and, asc, desc, eq, inArray, lt, max, or, sql, type SQL } from 'drizzle-orm';
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
import type { incidents } from '../../db/schema.ts';
import type { Db } from '../../store/store.ts';
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
    const { incidents, incidentMembers } = ctx.t;
    this.byIdQuery = ctx.store.prepare('incident-by-id', (db) => db.select().from(incidents).where(eq(incidents.id, sql.placeholder('id'))));
    this.memberQuery = ctx.store.prepare('incident-member', (db) =>
      db
        .select({ userId: incidentMembers.userId })
        .from(incidentMembers)
        .where(and(eq(incidentMembers.incidentId, sql.placeholder('incidentId')), eq(incidentMembers.userId, sql.placeholder('userId')))),
    );
  }

  /** An incident's row; `db` a transaction's, to read it where it is about to change. */
  async row(id: string, db?: Db): Promise<IncidentRow | undefined> {
    if (!db) return this.byIdQuery.get({ id });
    const { incidents } = this.ctx.t;
    return (await db.select().from(incidents).where(eq(incidents.id, id)))[0];
  }

  async get(id: string, db?: Db): Promise<Incident | undefined> {
    const row = await this.row(id, db);
    return row && toIncident(row);
  }

  /** undefined when the incident does not exist; used by stream access. */
  async isMember(incidentId: string, userId: string): Promise<boolean | undefined> {
    if (!(await this.row(incidentId))) return undefined;
    return (await this.memberQuery.get({ incidentId, userId })) !== undefined;
  }

  isCoLead(incident: Pick<Incident, 'usLeadId' | 'jpLeadId'>, userId: string): boolean {
    return incident.usLeadId === userId || incident.jpLeadId === userId;
  }

  members(incidentId: string, db: Db = this.ctx.db): Promise<IncidentMember[]> {
    const { incidentMembers, users } = this.ctx.t;
    return db
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
      .orderBy(asc(incidentMembers.addedAt), asc(users.displayName));
  }

  async detail(id: string, db?: Db): Promise<IncidentDetail | undefined> {
    const incident = await this.get(id, db);
    if (!incident) return undefined;
    const linked: Alert[] = await this.alerts().byIncident(id, db);
    return { ...incident, members: await this.members(id, db), alerts: linked };
  }

  /** Incidents the caller may read: all of them for leads and staff, their own for members and liaisons. */
  async list(reader: AuthUser, query: IncidentsQuery): Promise<Incident[]> {
    const { incidents, incidentMembers } = this.ctx.t;
    const { store } = this.ctx;
    const where: SQL[] = [];
    if (query.status) where.push(eq(incidents.status, query.status));
    if (query.before) where.push(lt(incidents.createdAt, new Date(query.before).toISOString()));
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(or(store.like(incidents.title, pattern), store.like(incidents.code, pattern), store.like(incidents.summary, pattern)) as SQL);
    }
    if (reader.role !== 'lead' && reader.role !== 'staff') {
      const mine = this.ctx.db.select({ id: incidentMembers.incidentId }).from(incidentMembers).where(eq(incidentMembers.userId, reader.id));
      where.push(inArray(incidents.id, mine));
    }
    const rows = await this.ctx.db
      .select()
      .from(incidents)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(incidents.createdAt), desc(incidents.id))
      .limit(query.limit);
    return rows.map(toIncident);
  }

  /** A co-lead must be an enabled lead or member of that side. */
  private async checkCoLead(db: Db, id: string | undefined, side: Side, path: string, errors: FieldError[]): Promise<void> {
    if (id === undefined) return;
    const { users } = this.ctx.t;
    const [user] = await db.select().from(users).where(eq(users.id, id));
    if (!user || user.disabled) errors.push({ path, message: 'is not a known, enabled user', code: 'unknown_user' });
    else if (user.side !== side) errors.push({ path, message: `must be a user of the ${side} side`, code: 'wrong_side', params: { side } });
    else if (user.role !== 'lead' && user.role !== 'member') errors.push({ path, message: 'must be a lead or a member', code: 'not_lead_or_member' });
  }

  private async addMemberInTx(tx: Tx, mutation: Mutation, incidentId: string, userId: string): Promise<IncidentMember | null> {
    const { incidentMembers, users } = tx.t;
    const inserted = await tx.db
      .insert(incidentMembers)
      .values({ incidentId, userId, addedAt: tx.at, addedBy: mutation.actor.id })
      .onConflictDoNothing()
      .returning({ userId: incidentMembers.userId });
    if (inserted.length === 0) return null;
    const [user] = await tx.db.select().from(users).where(eq(users.id, userId));
    if (!user) return null;
    const member: IncidentMember = { id: user.id, displayName: user.displayName, role: user.role, agency: user.agency, side: user.side, addedAt: tx.at };
    await append(tx, incidentStream(incidentId), 'member.added', mutation.actor, { incidentId, ...member });
    return member;
  }

  /**
   * Opens an incident inside the caller's transaction: next code of the year, the creating
   * lead as member and (unless named otherwise) co-lead of their side, co-leads as members,
   * and the given alerts linked.
   */
  async createInTx(tx: Tx, mutation: Mutation, creator: AuthUser, input: IncidentCreate): Promise<Incident> {
    const { incidents } = tx.t;
    const usLeadId = input.usLeadId ?? (creator.side === 'US' ? creator.id : undefined);
    const jpLeadId = input.jpLeadId ?? (creator.side === 'JP' ? creator.id : undefined);
    const errors: FieldError[] = [];
    await this.checkCoLead(tx.db, usLeadId, 'US', 'usLeadId', errors);
    await this.checkCoLead(tx.db, jpLeadId, 'JP', 'jpLeadId', errors);
    for (const [i, alertId] of (input.alertIds ?? []).entries()) {
      if (!(await this.alerts().get(alertId))) errors.push({ path: `alertIds.${i}`, message: 'is not a known alert', code: 'unknown_alert' });
    }
    if (errors.length) throw problems.invalid(errors);
    const year = new Date(tx.at).getUTCFullYear();
    const last = (await tx.db.select({ n: max(incidents.number) }).from(incidents).where(eq(incidents.year, year)))[0]?.n ?? 0;
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
    await tx.db.insert(incidents).values(row);
    const incident = toIncident(row);
    await append(tx, incidentStream(incident.id), 'incident.created', mutation.actor, incident);
    for (const userId of new Set([creator.id, usLeadId, jpLeadId].filter((x): x is string => x !== undefined))) {
      await this.addMemberInTx(tx, mutation, incident.id, userId);
    }
    for (const alertId of new Set(input.alertIds ?? [])) await this.alerts().linkInTx(tx, mutation, alertId, incident);
    return incident;
  }

  /** The actor and time of the incident's last change, to explain a 409. */
  async lastChange(incidentId: string): Promise<{ by: Actor | null; at: string } | undefined> {
    const [last] = (await this.ctx.log.readBefore(incidentStream(incidentId), undefined, 50)).filter((e) => e.type === 'incident.updated' || e.type === 'incident.created');
    return last && { by: last.actor, at: last.at };
  }

  /**
   * Applies a PATCH based on `version`: a stale version is refused with 409 and the current
   * incident. Leads change anything; a co-lead (member) the fields of CO_LEAD_FIELDS.
   */
  async update(mutation: Mutation, editor: AuthUser, id: string, patch: IncidentPatch): Promise<Incident> {
    const result = await this.ctx.commit(mutation, async (tx) => {
      const row = await this.row(id, tx.db);
      if (!row) throw problems.notFound('incident');
      const before = toIncident(row);
      if (editor.role !== 'lead') {
        const leadOnly = LEAD_ONLY_FIELDS.filter((f) => patch[f] !== undefined);
        if (leadOnly.length) throw problems.forbidden(`Only leads change ${leadOnly.join(', ')}.`);
      }
      if (patch.version !== before.version) {
        throw problems.stale(before, `This incident is at version ${before.version}; your change was based on version ${patch.version}.`, {
          lastChange: await this.lastChange(id),
        });
      }
      const errors: FieldError[] = [];
      if (patch.status && !canTransition(before.status, patch.status)) {
        errors.push({ path: 'status', message: `cannot change from ${before.status} to ${patch.status}`, code: 'status_transition', params: { from: before.status, to: patch.status } });
      }
      if (patch.usLeadId) await this.checkCoLead(tx.db, patch.usLeadId, 'US', 'usLeadId', errors);
      if (patch.jpLeadId) await this.checkCoLead(tx.db, patch.jpLeadId, 'JP', 'jpLeadId', errors);
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
      await tx.db
        .update(tx.t.incidents)
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
        .where(eq(tx.t.incidents.id, id));
      await append(tx, incidentStream(id), 'incident.updated', mutation.actor, { ...after, changed, previous });
      for (const coLead of [after.usLeadId, after.jpLeadId]) if (coLead) await this.addMemberInTx(tx, mutation, id, coLead);
      return { incident: after, changed };
    });
    return result.incident;
  }

  /** Adds a member (leads); adding one twice changes nothing. */
  async addMember(mutation: Mutation, incidentId: string, userId: string): Promise<void> {
    await this.ctx.commit(mutation, async (tx) => {
      const incident = await this.get(incidentId, tx.db);
      if (!incident) throw problems.notFound('incident');
      const [user] = await tx.db.select().from(tx.t.users).where(eq(tx.t.users.id, userId));
      if (!user) throw problems.notFound('user');
      if (user.disabled) throw problems.conflict('This account is disabled.', incident);
      if (user.role === 'admin') throw problems.conflict('Administrators take no part in incidents.', incident);
      await this.addMemberInTx(tx, mutation, incidentId, userId);
    });
  }

  /** Removes a member (leads); a co-lead must be replaced first. Their sockets stop receiving the room. */
  async removeMember(mutation: Mutation, incidentId: string, userId: string): Promise<void> {
    const removed = await this.ctx.commit(mutation, async (tx) => {
      const { incidentMembers } = tx.t;
      const row = await this.row(incidentId, tx.db);
      if (!row) throw problems.notFound('incident');
      if (row.usLeadId === userId || row.jpLeadId === userId) throw problems.conflict('This member is a co-lead; name another co-lead first.', toIncident(row));
      const member = (await this.members(incidentId, tx.db)).find((m) => m.id === userId);
      if (!member) return false;
      await tx.db.delete(incidentMembers).where(and(eq(incidentMembers.incidentId, incidentId), eq(incidentMembers.userId, userId)));
      await append(tx, incidentStream(incidentId), 'member.removed', mutation.actor, { incidentId, ...member });
      return true;
    });
    if (removed) this.ctx.signals.emit('access-changed', { userId });
  }

  create(mutation: Mutation, creator: AuthUser, input: IncidentCreate): Promise<IncidentDetail> {
    return this.ctx.commit(mutation, async (tx) => {
      const created = await this.createInTx(tx, mutation, creator, input);
      return (await this.detail(created.id, tx.db)) ?? { ...created, members: [], alerts: [] };
    });
  }
}
