import { z } from 'zod';
import { Id, IsoTime, ListQuery, Severity, Tlp } from './common.ts';
import { LIMITS, Title, text } from './text.ts';
import { mineralsById } from './reference.ts';
import { onlyIfValid } from './users.ts';

export const AlertTypes = [
  'export_control',
  'price_spike',
  'shipment_delay',
  'facility_outage',
  'logistics',
  'policy',
  'demand_surge',
  'quality',
] as const;
export const AlertType = z.enum(AlertTypes);
export type AlertType = z.infer<typeof AlertType>;

export const AlertStatuses = ['new', 'acknowledged', 'escalated', 'dismissed'] as const;
export const AlertStatus = z.enum(AlertStatuses);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const MineralId = z.string().refine((id) => mineralsById.has(id), { message: 'is not a known mineral id (see GET /minerals)', params: { code: 'unknown_mineral' } });

/** ISO 3166-1 alpha-2 code of the country the disruption comes from. */
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as CN');

export const AlertCreate = z.strictObject({
  mineral: MineralId,
  type: AlertType,
  severity: Severity,
  title: Title,
  body: text(LIMITS.body).optional(),
  source: text(LIMITS.short).optional(),
  originCountry: CountryCode.optional(),
  tlp: Tlp.optional(),
  /** When the alert was written, if before it is sent (the offline outbox); see observedAtError. */
  observedAt: IsoTime.optional(),
});
export type AlertCreate = z.infer<typeof AlertCreate>;

/** How far ahead of the server's clock an observedAt may be: the writer's device clock may run a little fast. */
export const OBSERVED_MAX_SKEW_MS = 5 * 60_000;
/** How old an observedAt may be: a field report kept offline for a month is still news; older is a wrong clock. */
export const OBSERVED_MAX_AGE_DAYS = 30;

/** What is wrong with an observedAt, judged by the server's clock `now`; null when it is acceptable. */
export function observedAtError(observedAt: string, now: Date): { message: string; code: 'in_future' | 'too_old'; params: Record<string, number> } | null {
  const at = Date.parse(observedAt);
  const maxSkewMinutes = OBSERVED_MAX_SKEW_MS / 60_000;
  if (at > now.getTime() + OBSERVED_MAX_SKEW_MS) return { message: `is in the future (more than ${maxSkewMinutes} minutes after the server's clock)`, code: 'in_future', params: { maxSkewMinutes } };
  if (at < now.getTime() - OBSERVED_MAX_AGE_DAYS * 86_400_000) return { message: `is more than ${OBSERVED_MAX_AGE_DAYS} days ago`, code: 'too_old', params: { maxDays: OBSERVED_MAX_AGE_DAYS } };
  return null;
}

/** The acknowledgement body is empty: who acknowledges is the caller. */
export const AlertAcknowledge = z.strictObject({});

export const AlertDismiss = z.strictObject({ reason: text(2000, { min: 1, blank: false }) });
export type AlertDismiss = z.infer<typeof AlertDismiss>;

/** What a new incident opened from an alert may set; the rest is taken from the alert. */
export const EscalationIncident = z.strictObject({
  title: Title.optional(),
  summary: text(LIMITS.body).optional(),
  severity: Severity.optional(),
  tlp: Tlp.optional(),
  minerals: z.array(MineralId).max(LIMITS.list).optional(),
  usLeadId: Id.optional(),
  jpLeadId: Id.optional(),
});

export const AlertEscalate = z
  .strictObject({ incidentId: Id.optional(), incident: EscalationIncident.optional() })
  .refine((v) => (v.incidentId === undefined) !== (v.incident === undefined), {
    message: 'give either incidentId (an existing incident) or incident (a new one)',
    params: { code: 'escalation_target' },
    when: onlyIfValid,
  });
export type AlertEscalate = z.infer<typeof AlertEscalate>;

export const AlertAcknowledgement = z.object({
  userId: z.string(),
  displayName: z.string(),
  agency: z.string(),
  side: z.enum(['US', 'JP']),
  at: z.string(),
});
export type AlertAcknowledgement = z.infer<typeof AlertAcknowledgement>;

export const Alert = z.object({
  id: z.string(),
  mineral: z.string(),
  type: AlertType,
  severity: Severity,
  title: z.string(),
  body: z.string(),
  source: z.string().nullable(),
  originCountry: z.string().nullable(),
  tlp: Tlp,
  status: AlertStatus,
  /** The id of the user who posted it. */
  postedBy: z.string(),
  poster: z.object({ id: z.string(), displayName: z.string(), agency: z.string(), side: z.enum(['US', 'JP']) }),
  postedAt: z.string(),
  /** When it was written, when the poster said so (null: at posting); never after postedAt. */
  observedAt: z.string().nullable(),
  updatedAt: z.string(),
  acknowledgements: z.array(AlertAcknowledgement),
  incidentId: z.string().nullable(),
  dismissal: z.object({ reason: z.string(), byId: z.string(), byName: z.string(), at: z.string() }).nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const AlertsQuery = ListQuery.extend({
  status: AlertStatus.optional(),
  mineral: MineralId.optional(),
  severity: Severity.optional(),
  side: z.enum(['US', 'JP']).optional(),
  q: z.string().max(200).optional(),
});
export type AlertsQuery = z.infer<typeof AlertsQuery>;

/** Whether an alert passes the feed's filters: the client's live mirror of GET /alerts. */
export function alertMatches(alert: Alert, filters: Partial<Pick<AlertsQuery, 'status' | 'mineral' | 'severity' | 'side' | 'q'>>): boolean {
  if (filters.status && alert.status !== filters.status) return false;
  if (filters.mineral && alert.mineral !== filters.mineral) return false;
  if (filters.severity && alert.severity !== filters.severity) return false;
  if (filters.side && alert.poster.side !== filters.side) return false;
  if (filters.q) {
    const q = filters.q.toLowerCase();
    if (!alert.title.toLowerCase().includes(q) && !alert.body.toLowerCase().includes(q)) return false;
  }
  return true;
}

/** The sides that have acknowledged an alert, with who and when. */
export function acknowledgementsBySide(alert: Pick<Alert, 'acknowledgements'>) {
  return {
    US: alert.acknowledgements.filter((a) => a.side === 'US'),
    JP: alert.acknowledgements.filter((a) => a.side === 'JP'),
  };
}
