import { z } from 'zod';
import { Id, Severity, Tlp } from './common.ts';
import { LIMITS, Title, text } from './text.ts';
import { MineralId, Alert } from './alerts.ts';

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

export const IncidentsQuery = z.strictObject({
  status: IncidentStatus.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.iso.datetime({ offset: true }).optional(),
});
export type IncidentsQuery = z.infer<typeof IncidentsQuery>;

/** `RRG-2026-007`: the group's prefix, the year, the count within that year. */
export function incidentCode(year: number, n: number): string {
  return `RRG-${year}-${String(n).padStart(3, '0')}`;
}
