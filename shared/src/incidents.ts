import { z } from 'zod';
import { Id, ListQuery, Severity, Tlp } from './common.ts';
import { LIMITS, Title, text } from './text.ts';
import { MineralId, Alert } from './alerts.ts';
import { Actor, onlyIfValid } from './users.ts';

export const IncidentStatuses = ['monitoring', 'active', 'stabilizing', 'closed'] as const;
export const IncidentStatus = z.enum(IncidentStatuses);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/**
 * The status lifecycle monitoring → active → stabilizing → closed: forward (steps may be
 * skipped), back from stabilizing to active when it flares up again, and `closed` reopens
 * only to `active`.
 */
export const STATUS_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  monitoring: ['active', 'stabilizing', 'closed'],
  active: ['stabilizing', 'closed'],
  stabilizing: ['active', 'closed'],
  closed: ['active'],
};

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return from === to || STATUS_TRANSITIONS[from].includes(to);
}

export const Lessons = z.strictObject({
  summary: text(LIMITS.body).optional(),
  strengths: text(LIMITS.body).optional(),
  improvements: text(LIMITS.body).optional(),
});
export type Lessons = z.infer<typeof Lessons>;

export const IncidentCreate = z.strictObject({
  title: Title,
  summary: text(LIMITS.body).optional(),
  severity: Severity,
  tlp: Tlp.optional(),
  minerals: z.array(MineralId).max(LIMITS.list),
  usLeadId: Id.optional(),
  jpLeadId: Id.optional(),
  alertIds: z.array(Id).max(LIMITS.list).optional(),
});
export type IncidentCreate = z.infer<typeof IncidentCreate>;

export const IncidentMember = z.object({
  id: z.string(),
  displayName: z.string(),
  role: z.enum(['admin', 'lead', 'member', 'liaison', 'staff']),
  agency: z.string(),
  side: z.enum(['US', 'JP']),
  addedAt: z.string(),
});
export type IncidentMember = z.infer<typeof IncidentMember>;

export const Incident = z.object({
  id: z.string(),
  code: z.string(),
  title: z.string(),
  summary: z.string(),
  status: IncidentStatus,
  severity: Severity,
  tlp: Tlp,
  minerals: z.array(z.string()),
  usLeadId: z.string().nullable(),
  jpLeadId: z.string().nullable(),
  lessons: z.object({ summary: z.string(), strengths: z.string(), improvements: z.string() }),
  version: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
});
export type Incident = z.infer<typeof Incident>;

export const IncidentDetail = Incident.extend({ members: z.array(IncidentMember), alerts: z.array(Alert) });
export type IncidentDetail = z.infer<typeof IncidentDetail>;

export const IncidentsQuery = ListQuery.extend({
  status: IncidentStatus.optional(),
  q: z.string().max(200).optional(),
});
export type IncidentsQuery = z.infer<typeof IncidentsQuery>;

/** `RRG-2026-007`: the group's prefix, the year, the count within that year. */
export function incidentCode(year: number, n: number): string {
  return `RRG-${year}-${String(n).padStart(3, '0')}`;
}

export const IncidentPatch = z
  .strictObject({
    version: z.number().int().min(1),
    status: IncidentStatus.optional(),
    severity: Severity.optional(),
    title: Title.optional(),
    summary: text(LIMITS.body).optional(),
    tlp: Tlp.optional(),
    minerals: z.array(MineralId).max(LIMITS.list).optional(),
    usLeadId: Id.nullable().optional(),
    jpLeadId: Id.nullable().optional(),
    lessons: Lessons.optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), { message: 'names no field to change besides version', params: { code: 'no_change' }, when: onlyIfValid });
export type IncidentPatch = z.infer<typeof IncidentPatch>;

/** Fields a lead or the incident's co-lead may change; co-leads and lessons are for leads. */
export const CO_LEAD_FIELDS = ['status', 'severity', 'tlp', 'title', 'summary', 'minerals'] as const;
export const LEAD_ONLY_FIELDS = ['usLeadId', 'jpLeadId', 'lessons'] as const;

export const MessageKinds = ['note', 'decision'] as const;
export const MessageCreate = z.strictObject({
  body: text(LIMITS.body, { min: 1, blank: false }),
  kind: z.enum(MessageKinds).optional(),
});
export type MessageCreate = z.infer<typeof MessageCreate>;

/** A note or a decision on an incident's timeline. */
export const Message = z.object({
  id: z.string(),
  incidentId: z.string(),
  kind: z.enum(MessageKinds),
  body: z.string(),
  author: Actor,
  at: z.string(),
  seq: z.number().int(),
});
export type Message = z.infer<typeof Message>;

/** Notes and decisions, newest first like every list. */
export const MessagesQuery = ListQuery.extend({ kind: z.enum(MessageKinds).optional() });

/** Older timeline entries: the stream's events with seq < before, newest first. */
export const TimelineQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .transform((n) => Math.min(n, 500))
    .default(100),
});
export type TimelineQuery = z.infer<typeof TimelineQuery>;
