import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Alert, AlertCreate, AlertEscalate, AlertsQuery, Incident } from '@lodestone/shared';
import { incidentStream, observedAtError } from '@lodestone/shared';
import type { alertAcknowledgements, alerts } from '../../db/schema.ts';
import type { Db } from '../../store/store.ts';
import { append, type Tx } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import type { ServiceContext } from '../../services.ts';
import type { AuthUser } from '../../auth/policy.ts';
import type { IncidentsService } from '../incidents/incidents.service.ts';

type AlertRow = typeof alerts.$inferSelect;
type AckRow = typeof alertAcknowledgements.$inferSelect;

function toAlert(row: AlertRow, acks: AckRow[]): Alert {
  return {
    id: row.id,
    mineral: row.mineral,
    type: row.type as Alert['type'],
    severity: row.severity,
    title: row.title,
    body: row.body,
    source: row.source,
    originCountry: row.originCountry,
    tlp: row.tlp,
    status: row.status,
    postedBy: row.postedBy,
    poster: { id: row.postedBy, displayName: row.posterName, agency: row.posterAgency, side: row.posterSide },
    postedAt: row.postedAt,
    observedAt: row.observedAt,
    updatedAt: row.updatedAt,
    acknowledgements: acks
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((a) => ({ userId: a.userId, displayName: a.displayName, agency: a.agency, side: a.side, at: a.at })),
    incidentId: row.incidentId,
    dismissal:
      row.dismissedAt && row.dismissedBy
        ? { reason: row.dismissReason ?? '', byId: row.dismissedBy, byName: row.dismissedByName ?? '', at: row.dismissedAt }
        : null,
  };
}

/** `%` and `_` in a search are literal text, not wildcards. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Supply alerts: posting, the feed, acknowledgements by each side, escalation and dismissal. */
export class AlertsService {
  private readonly byIdQuery;
  private readonly acksQuery;
  constructor(
    private readonly ctx: ServiceContext,
    /** Escalation opens incidents; the incidents feature owns that (bound late: each needs the other). */
    private readonly incidents: () => IncidentsService,
  ) {
    const { alerts, alertAcknowledgements } = ctx.t;
    this.byIdQuery = ctx.store.prepare('alert-by-id', (db) => db.select().from(alerts).where(eq(alerts.id, sql.placeholder('id'))));
    this.acksQuery = ctx.store.prepare('alert-acks', (db) => db.select().from(alertAcknowledgements).where(eq(alertAcknowledgements.alertId, sql.placeholder('id'))));
  }

  /** An alert's acknowledgements; `db` a transaction's, to see its own. */
  private acks(id: string, db?: Db): Promise<AckRow[]> {
    if (!db) return this.acksQuery.all({ id });
    const { alertAcknowledgements } = this.ctx.t;
    return db.select().from(alertAcknowledgements).where(eq(alertAcknowledgements.alertId, id));
  }

  async get(id: string): Promise<Alert | undefined> {
    const row = await this.byIdQuery.get({ id });
    return row && toAlert(row, await this.acks(id));
  }

  private async withAcks(rows: AlertRow[], db: Db = this.ctx.db): Promise<Alert[]> {
    if (rows.length === 0) return [];
    const { alertAcknowledgements } = this.ctx.t;
    const acks = await db
      .select()
      .from(alertAcknowledgements)
      .where(inArray(alertAcknowledgements.alertId, rows.map((r) => r.id)));
    const byAlert = new Map<string, AckRow[]>();
    for (const a of acks) byAlert.set(a.alertId, [...(byAlert.get(a.alertId) ?? []), a]);
    return rows.map((r) => toAlert(r, byAlert.get(r.id) ?? []));
  }

  /** The feed, newest first, with the seq of the alerts stream it reflects. */
  async list(query: AlertsQuery): Promise<{ alerts: Alert[]; head: number }> {
    const { alerts } = this.ctx.t;
    const where: SQL[] = [];
    if (query.status) where.push(eq(alerts.status, query.status));
    if (query.mineral) where.push(eq(alerts.mineral, query.mineral));
    if (query.severity) where.push(eq(alerts.severity, query.severity));
    if (query.side) where.push(eq(alerts.posterSide, query.side));
    if (query.before) where.push(lt(alerts.postedAt, new Date(query.before).toISOString()));
    if (query.q) {
      const pattern = likePattern(query.q);
      where.push(or(this.ctx.store.like(alerts.title, pattern), this.ctx.store.like(alerts.body, pattern)) as SQL);
    }
    // The head first: the list reflects at least every event up to it.
    const head = await this.ctx.log.head('alerts');
    const rows = await this.ctx.db
      .select()
      .from(alerts)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(alerts.postedAt), desc(alerts.id))
      .limit(query.limit);
    return { alerts: await this.withAcks(rows), head };
  }

  async byIncident(incidentId: string, db: Db = this.ctx.db): Promise<Alert[]> {
    const { alerts } = this.ctx.t;
    return this.withAcks(await db.select().from(alerts).where(eq(alerts.incidentId, incidentId)).orderBy(desc(alerts.postedAt)), db);
  }

  /**
   * Posts an alert. `observedAt` (when it was written) is judged by the server's clock; one a
   * little ahead of it (the writer's clock runs fast) is kept as the posting time.
   */
  post(mutation: Mutation, poster: AuthUser, input: AlertCreate): Promise<Alert> {
    return this.ctx.commit(mutation, async (tx) => {
      let observedAt: string | null = null;
      if (input.observedAt !== undefined) {
        const error = observedAtError(input.observedAt, new Date(tx.at));
        if (error) throw problems.invalid([{ path: 'observedAt', ...error }]);
        const at = new Date(input.observedAt).toISOString();
        observedAt = at < tx.at ? at : tx.at;
      }
      const row: AlertRow = {
        id: newId(),
        mineral: input.mineral,
        type: input.type,
        severity: input.severity,
        title: input.title,
        body: input.body ?? '',
        source: input.source ?? null,
        originCountry: input.originCountry ?? null,
        tlp: input.tlp ?? 'AMBER',
        status: 'new',
        postedBy: poster.id,
        posterName: poster.displayName,
        posterAgency: poster.agency,
        posterSide: poster.side,
        postedAt: tx.at,
        observedAt,
        updatedAt: tx.at,
        incidentId: null,
        dismissReason: null,
        dismissedBy: null,
        dismissedByName: null,
        dismissedAt: null,
      };
      await tx.db.insert(tx.t.alerts).values(row);
      const alert = toAlert(row, []);
      await append(tx, 'alerts', 'alert.posted', mutation.actor, alert);
      return alert;
    });
  }

  private async rowOrThrow(tx: Tx, id: string): Promise<AlertRow> {
    const { alerts } = tx.t;
    const [row] = await tx.db.select().from(alerts).where(eq(alerts.id, id));
    if (!row) throw problems.notFound('alert');
    return row;
  }

  /** One acknowledgement per user: a second one changes nothing and emits nothing. */
  acknowledge(mutation: Mutation, user: AuthUser, id: string): Promise<Alert> {
    return this.ctx.commit(mutation, async (tx) => {
      const { alerts, alertAcknowledgements } = tx.t;
      const row = await this.rowOrThrow(tx, id);
      if (row.status === 'dismissed') throw problems.conflict('This alert was dismissed; it can no longer be acknowledged.', toAlert(row, await this.acks(id, tx.db)));
      const inserted = await tx.db
        .insert(alertAcknowledgements)
        .values({ alertId: id, userId: user.id, displayName: user.displayName, agency: user.agency, side: user.side, at: tx.at })
        .onConflictDoNothing()
        .returning({ alertId: alertAcknowledgements.alertId });
      if (inserted.length === 0) return toAlert(row, await this.acks(id, tx.db));
      const status = row.status === 'new' ? 'acknowledged' : row.status;
      await tx.db.update(alerts).set({ status, updatedAt: tx.at }).where(eq(alerts.id, id));
      const alert = toAlert({ ...row, status, updatedAt: tx.at }, await this.acks(id, tx.db));
      await append(tx, 'alerts', 'alert.acknowledged', mutation.actor, alert);
      return alert;
    });
  }

  /**
   * Links an alert to an incident inside the caller's transaction: the alert becomes
   * `escalated` (event in `alerts`) and the incident's timeline gets `alert.linked`.
   */
  async linkInTx(tx: Tx, mutation: Mutation, alertId: string, incident: Pick<Incident, 'id' | 'status'>): Promise<Alert> {
    const { alerts } = tx.t;
    const row = await this.rowOrThrow(tx, alertId);
    const current = async () => toAlert(row, await this.acks(alertId, tx.db));
    if (row.status === 'escalated') throw problems.conflict(`The alert "${row.title}" is already linked to an incident.`, await current());
    if (row.status === 'dismissed') throw problems.conflict(`The alert "${row.title}" was dismissed.`, await current());
    await tx.db.update(alerts).set({ status: 'escalated', incidentId: incident.id, updatedAt: tx.at }).where(eq(alerts.id, alertId));
    const alert = toAlert({ ...row, status: 'escalated', incidentId: incident.id, updatedAt: tx.at }, await this.acks(alertId, tx.db));
    await append(tx, 'alerts', 'alert.escalated', mutation.actor, alert);
    await append(tx, incidentStream(incident.id), 'alert.linked', mutation.actor, alert);
    return alert;
  }

  /** Into a new incident prefilled from the alert, or into an existing open one. */
  escalate(mutation: Mutation, lead: AuthUser, id: string, input: AlertEscalate): Promise<{ alert: Alert; incident: Incident }> {
    return this.ctx.commit(mutation, async (tx) => {
      const row = await this.rowOrThrow(tx, id);
      let incident: Incident;
      if (input.incidentId !== undefined) {
        const existing = await this.incidents().get(input.incidentId, tx.db);
        if (!existing) throw problems.invalid([{ path: 'incidentId', message: 'is not a known incident', code: 'unknown_incident' }]);
        if (existing.status === 'closed') throw problems.conflict(`${existing.code} is closed; reopen it before linking alerts.`, existing);
        incident = existing;
      } else {
        const fields = input.incident ?? {};
        incident = await this.incidents().createInTx(tx, mutation, lead, {
          title: fields.title ?? row.title,
          summary: fields.summary ?? row.body,
          severity: fields.severity ?? row.severity,
          tlp: fields.tlp ?? row.tlp,
          minerals: fields.minerals ?? [row.mineral],
          usLeadId: fields.usLeadId,
          jpLeadId: fields.jpLeadId,
        });
      }
      const alert = await this.linkInTx(tx, mutation, id, incident);
      return { alert, incident: (await this.incidents().get(incident.id, tx.db)) ?? incident };
    });
  }

  dismiss(mutation: Mutation, lead: AuthUser, id: string, reason: string): Promise<Alert> {
    return this.ctx.commit(mutation, async (tx) => {
      const { alerts } = tx.t;
      const row = await this.rowOrThrow(tx, id);
      const current = async () => toAlert(row, await this.acks(id, tx.db));
      if (row.status === 'escalated') throw problems.conflict('This alert was escalated to an incident; it cannot be dismissed.', await current());
      if (row.status === 'dismissed') throw problems.conflict('This alert is already dismissed.', await current());
      const next: AlertRow = { ...row, status: 'dismissed', dismissReason: reason, dismissedBy: lead.id, dismissedByName: lead.displayName, dismissedAt: tx.at, updatedAt: tx.at };
      await tx.db.update(alerts).set(next).where(eq(alerts.id, id));
      const alert = toAlert(next, await this.acks(id, tx.db));
      await append(tx, 'alerts', 'alert.dismissed', mutation.actor, alert);
      return alert;
    });
  }
}
