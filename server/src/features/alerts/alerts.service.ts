import { and, desc, eq, getTableColumns, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Alert, AlertCreate, AlertEscalate, AlertsQuery, Incident } from '@lodestone/shared';
import { incidentStream, observedAtError } from '@lodestone/shared';
import { alertAcknowledgements, alerts } from '../../db/schema.ts';
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
  private readonly insertAlert;
  constructor(
    private readonly ctx: ServiceContext,
    /** Escalation opens incidents; the incidents feature owns that (bound late: each needs the other). */
    private readonly incidents: () => IncidentsService,
  ) {
    const db = ctx.handle.db;
    this.byIdQuery = db.select().from(alerts).where(eq(alerts.id, sql.placeholder('id'))).prepare();
    this.acksQuery = db.select().from(alertAcknowledgements).where(eq(alertAcknowledgements.alertId, sql.placeholder('id'))).prepare();
    const placeholders = Object.fromEntries(Object.keys(getTableColumns(alerts)).map((c) => [c, sql.placeholder(c)]));
    this.insertAlert = db
      .insert(alerts)
      .values(placeholders as Record<keyof AlertRow, ReturnType<typeof sql.placeholder>>)
      .prepare();
  }

  get(id: string): Alert | undefined {
    const row = this.byIdQuery.get({ id });
    return row && toAlert(row, this.acksQuery.all({ id }));
  }

  private withAcks(rows: AlertRow[]): Alert[] {
    if (rows.length === 0) return [];
    const acks = this.ctx.handle.db
      .select()
      .from(alertAcknowledgements)
      .where(inArray(alertAcknowledgements.alertId, rows.map((r) => r.id)))
      .all();
    const byAlert = new Map<string, AckRow[]>();
    for (const a of acks) byAlert.set(a.alertId, [...(byAlert.get(a.alertId) ?? []), a]);
    return rows.map((r) => toAlert(r, byAlert.get(r.id) ?? []));
  }

  /** The feed, newest first, with the seq of the alerts stream it reflects. */
  list(query: AlertsQuery): { alerts: Alert[]; head: number } {
    const where: SQL[] = [];
    if (query.status) where.push(eq(alerts.status, query.status));
    if (query.mineral) where.push(eq(alerts.mineral, query.mineral));
    if (query.severity) where.push(eq(alerts.severity, query.severity));
    if (query.side) where.push(eq(alerts.posterSide, query.side));
    if (query.before) where.push(lt(alerts.postedAt, new Date(query.before).toISOString()));
    if (query.q) {
      const pattern = likePattern(query.q);
      where.push(sql`(${alerts.title} LIKE ${pattern} ESCAPE '\\' OR ${alerts.body} LIKE ${pattern} ESCAPE '\\')`);
    }
    const rows = this.ctx.handle.db
      .select()
      .from(alerts)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(alerts.postedAt), desc(alerts.id))
      .limit(query.limit)
      .all();
    return { alerts: this.withAcks(rows), head: this.ctx.log.head('alerts') };
  }

  byIncident(incidentId: string): Alert[] {
    return this.withAcks(this.ctx.handle.db.select().from(alerts).where(eq(alerts.incidentId, incidentId)).orderBy(desc(alerts.postedAt)).all());
  }

  /**
   * Posts an alert. `observedAt` (when it was written) is judged by the server's clock; one a
   * little ahead of it (the writer's clock runs fast) is kept as the posting time.
   */
  post(mutation: Mutation, poster: AuthUser, input: AlertCreate): Promise<Alert> {
    return this.ctx.commit(mutation, (tx) => {
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
      this.insertAlert.run(row);
      const alert = toAlert(row, []);
      append(tx, 'alerts', 'alert.posted', mutation.actor, alert);
      return alert;
    });
  }

  private rowOrThrow(tx: Tx, id: string): AlertRow {
    const row = tx.db.select().from(alerts).where(eq(alerts.id, id)).get();
    if (!row) throw problems.notFound('alert');
    return row;
  }

  /** One acknowledgement per user: a second one changes nothing and emits nothing. */
  acknowledge(mutation: Mutation, user: AuthUser, id: string): Promise<Alert> {
    return this.ctx.commit(mutation, (tx) => {
      const row = this.rowOrThrow(tx, id);
      if (row.status === 'dismissed') throw problems.conflict('This alert was dismissed; it can no longer be acknowledged.', toAlert(row, this.acksQuery.all({ id })));
      const inserted = tx.db
        .insert(alertAcknowledgements)
        .values({ alertId: id, userId: user.id, displayName: user.displayName, agency: user.agency, side: user.side, at: tx.at })
        .onConflictDoNothing()
        .run();
      if (inserted.changes === 0) return toAlert(row, this.acksQuery.all({ id }));
      const status = row.status === 'new' ? 'acknowledged' : row.status;
      tx.db.update(alerts).set({ status, updatedAt: tx.at }).where(eq(alerts.id, id)).run();
      const alert = toAlert({ ...row, status, updatedAt: tx.at }, this.acksQuery.all({ id }));
      append(tx, 'alerts', 'alert.acknowledged', mutation.actor, alert);
      return alert;
    });
  }

  /**
   * Links an alert to an incident inside the caller's transaction: the alert becomes
   * `escalated` (event in `alerts`) and the incident's timeline gets `alert.linked`.
   */
  linkInTx(tx: Tx, mutation: Mutation, alertId: string, incident: Pick<Incident, 'id' | 'status'>): Alert {
    const row = this.rowOrThrow(tx, alertId);
    const current = () => toAlert(row, this.acksQuery.all({ id: alertId }));
    if (row.status === 'escalated') throw problems.conflict(`The alert "${row.title}" is already linked to an incident.`, current());
    if (row.status === 'dismissed') throw problems.conflict(`The alert "${row.title}" was dismissed.`, current());
    tx.db.update(alerts).set({ status: 'escalated', incidentId: incident.id, updatedAt: tx.at }).where(eq(alerts.id, alertId)).run();
    const alert = toAlert({ ...row, status: 'escalated', incidentId: incident.id, updatedAt: tx.at }, this.acksQuery.all({ id: alertId }));
    append(tx, 'alerts', 'alert.escalated', mutation.actor, alert);
    append(tx, incidentStream(incident.id), 'alert.linked', mutation.actor, alert);
    return alert;
  }

  /** Into a new incident prefilled from the alert, or into an existing open one. */
  escalate(mutation: Mutation, lead: AuthUser, id: string, input: AlertEscalate): Promise<{ alert: Alert; incident: Incident }> {
    return this.ctx.commit(mutation, (tx) => {
      const row = this.rowOrThrow(tx, id);
      let incident: Incident;
      if (input.incidentId !== undefined) {
        const existing = this.incidents().get(input.incidentId);
        if (!existing) throw problems.invalid([{ path: 'incidentId', message: 'is not a known incident', code: 'unknown_incident' }]);
        if (existing.status === 'closed') throw problems.conflict(`${existing.code} is closed; reopen it before linking alerts.`, existing);
        incident = existing;
      } else {
        const fields = input.incident ?? {};
        incident = this.incidents().createInTx(tx, mutation, lead, {
          title: fields.title ?? row.title,
          summary: fields.summary ?? row.body,
          severity: fields.severity ?? row.severity,
          tlp: fields.tlp ?? row.tlp,
          minerals: fields.minerals ?? [row.mineral],
          usLeadId: fields.usLeadId,
          jpLeadId: fields.jpLeadId,
        });
      }
      const alert = this.linkInTx(tx, mutation, id, incident);
      return { alert, incident: this.incidents().get(incident.id) ?? incident };
    });
  }

  dismiss(mutation: Mutation, lead: AuthUser, id: string, reason: string): Promise<Alert> {
    return this.ctx.commit(mutation, (tx) => {
      const row = this.rowOrThrow(tx, id);
      const current = () => toAlert(row, this.acksQuery.all({ id }));
      if (row.status === 'escalated') throw problems.conflict('This alert was escalated to an incident; it cannot be dismissed.', current());
      if (row.status === 'dismissed') throw problems.conflict('This alert is already dismissed.', current());
      const next: AlertRow = { ...row, status: 'dismissed', dismissReason: reason, dismissedBy: lead.id, dismissedByName: lead.displayName, dismissedAt: tx.at, updatedAt: tx.at };
      tx.db.update(alerts).set(next).where(eq(alerts.id, id)).run();
      const alert = toAlert(next, this.acksQuery.all({ id }));
      append(tx, 'alerts', 'alert.dismissed', mutation.actor, alert);
      return alert;
    });
  }
}
