import { allows, rules, type Facts, type Message } from '@lodestone/shared';
import type { AuthUser } from './policy.ts';

/**
 * Every sentence an access refusal (403) says, once. A rule that depends on an incident has two:
 * `role` when no incident could admit the caller's role, `incident` when this one does not.
 */
export const notAllowed = {
  manageUsers: 'Only an admin manages accounts.',
  verifyAudit: 'Only an admin verifies the audit chain.',
  readAuditLog: 'Only an admin reads the audit log.',
  readAlerts: 'Your role does not read the alert feed.',
  postAlert: 'Staff and administrators do not post alerts.',
  acknowledgeAlert: 'Your role does not acknowledge alerts.',
  escalateAlert: 'Only leads escalate alerts.',
  dismissAlert: 'Only leads dismiss alerts.',
  createIncident: 'Only leads open incidents.',
  manageMembers: 'Only leads manage members.',
  listIncidents: 'Administrators see no incident content.',
  readIncident: { role: 'Administrators see no incident content.', incident: 'Only members of this incident, leads and staff may read it.' },
  changeIncident: 'Leads and the co-leads of this incident change it.',
  leadOnlyFields: (fields: readonly string[]) => `Only leads change ${fields.join(', ')}.`,
  postNote: 'Only members of this incident and leads post to it.',
  recordDecision: 'Decisions are recorded by leads and by the co-leads of this incident.',
  createAction: 'Only members of this incident and leads create action items.',
  changeAction: 'Only members of this incident and leads change its action items.',
  exportRecord: 'Leads, members of this incident and staff export its record.',
  readStream: (stream: string) => `You may not read the stream ${stream}.`,
} as const;

/** A refusal sentence: one for both cases, or one per case of an incident's rule. */
export type Refusal = string | { role: string; incident: string };

/**
 * Who may post a message of `kind` on an incident (a note: contribute; a decision: decide), with
 * the refusal when they may not. One check, run before the body is validated and again inside
 * the transaction that stores the message (membership may change in between).
 */
export function messageRefusal(kind: Message['kind'], user: AuthUser, facts: Facts): string | null {
  if (kind === 'decision') return allows(rules.decide, user, facts) ? null : notAllowed.recordDecision;
  return allows(rules.contribute, user, facts) ? null : notAllowed.postNote;
}
