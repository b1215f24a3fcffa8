import { and, asc, desc, eq, inArray, lt, max, sql, type SQL } from 'drizzle-orm';
import {
  incidentCode,
  incidentStream,
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
    if (!user || user.disabled) errors.push({ path, message: 'is not a known, enabled user' });
    else if (user.side !== side) errors.push({ path, message: `must be a user of the ${side} side` });
    else if (user.role !== 'lead' && user.role !== 'member') errors.push({ path, message: 'must be a lead or a member' });
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

  create(mutation: Mutation, creator: AuthUser, input: IncidentCreate): IncidentDetail {
    return this.ctx.commit(mutation, (tx) => {
      const created = this.createInTx(tx, mutation, creator, input);
      return this.detail(created.id) ?? { ...created, members: [], alerts: [] };
    });
  }
}
