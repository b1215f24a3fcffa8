import { z } from 'zod';
import { Id } from './common.ts';
import type { EventType, LodestoneEvent } from './events.ts';
import type { User } from './users.ts';

/** What the `admin` stream records: account and token changes. */
export const AdminEventTypes = ['user.created', 'user.updated', 'token.created', 'token.revoked'] as const satisfies readonly EventType[];
export type AdminEventType = (typeof AdminEventTypes)[number];

/**
 * A page of the admin stream, newest first: events with seq < `before`, of one `type`, and/or
 * involving one `person` (who did it, or whose account or token it was).
 */
export const AuditEventsQuery = z.object({
  type: z.enum(AdminEventTypes).optional(),
  person: Id.optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .transform((n) => Math.min(n, 500))
    .default(50),
});
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;

/** The user an admin event is about: the account (user.*), or the token's owner (token.*). */
export function subjectOf(event: Pick<LodestoneEvent, 'type' | 'data'>): string | null {
  const data = event.data as Partial<User> & { userId?: unknown };
  if (event.type === 'user.created' || event.type === 'user.updated') return typeof data.id === 'string' ? data.id : null;
  if (event.type === 'token.created' || event.type === 'token.revoked') return typeof data.userId === 'string' ? data.userId : null;
  return null;
}

/** Whether an admin event passes the audit page's filters: the client's live mirror of GET /audit/events. */
export function auditEventMatches(event: Pick<LodestoneEvent, 'type' | 'data' | 'actor'>, filters: { type?: string; person?: string }): boolean {
  if (filters.type && event.type !== filters.type) return false;
  if (filters.person && event.actor?.id !== filters.person && subjectOf(event) !== filters.person) return false;
  return true;
}
