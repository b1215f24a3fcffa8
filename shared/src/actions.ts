import { z } from 'zod';
import { Agency, Id, IsoTime, ListQuery } from './common.ts';
import { LIMITS, Title, text } from './text.ts';
import { provisionsById } from './reference.ts';
import { Actor, onlyIfValid } from './users.ts';

export const ActionStatuses = ['open', 'in_progress', 'blocked', 'done', 'cancelled'] as const;
export const ActionStatus = z.enum(ActionStatuses);
export type ActionStatus = z.infer<typeof ActionStatus>;

export const Priorities = ['p1', 'p2', 'p3', 'p4'] as const;
export const Priority = z.enum(Priorities);
export type Priority = z.infer<typeof Priority>;

export const ProvisionId = z.string().refine((id) => provisionsById.has(id), { message: 'is not a framework provision (see GET /provisions)', params: { code: 'unknown_provision' } });

/**
 * A due time being set or changed: never in the past (field error code `due_in_past`). Forms
 * check it before sending; the server refuses the same against its own clock.
 */
export const UpcomingDueAt = IsoTime.refine((value) => Date.parse(value) >= Date.now(), { message: 'must not be in the past', params: { code: 'due_in_past' } });

export const ActionCreate = z.strictObject({
  title: Title,
  description: text(LIMITS.body).optional(),
  ownerId: Id.optional(),
  agency: Agency.optional(),
  provision: ProvisionId.optional(),
  priority: Priority.optional(),
  dueAt: IsoTime.optional(),
});
export type ActionCreate = z.infer<typeof ActionCreate>;

export const ActionPatch = z
  .strictObject({
    version: z.number().int().min(1),
    title: Title.optional(),
    description: text(LIMITS.body).optional(),
    ownerId: Id.nullable().optional(),
    agency: Agency.nullable().optional(),
    provision: ProvisionId.nullable().optional(),
    priority: Priority.optional(),
    status: ActionStatus.optional(),
    dueAt: IsoTime.nullable().optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), { message: 'names no field to change besides version', params: { code: 'no_change' }, when: onlyIfValid });
export type ActionPatch = z.infer<typeof ActionPatch>;

export const Action = z.object({
  id: z.string(),
  incidentId: z.string(),
  /** The incident's code, for lists across incidents. */
  incidentCode: z.string(),
  title: z.string(),
  description: z.string(),
  ownerId: z.string().nullable(),
  owner: Actor.nullable(),
  agency: z.string().nullable(),
  provision: z.string().nullable(),
  priority: Priority,
  status: ActionStatus,
  dueAt: z.string().nullable(),
  version: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: Actor,
  doneAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
});
export type Action = z.infer<typeof Action>;

export const ActionsQuery = ListQuery.extend({
  owner: z.union([z.literal('me'), Id]).optional(),
  status: ActionStatus.optional(),
  agency: Agency.optional(),
  provision: ProvisionId.optional(),
  overdue: z.enum(['true', 'false']).optional(),
  incident: Id.optional(),
});
export type ActionsQuery = z.infer<typeof ActionsQuery>;

/**
 * How far in the past a new due date may be and still be accepted: a time typed to the minute
 * for "now" is the current minute, not the past.
 */
export const DUE_GRACE_MS = 60_000;

/** Whether a due date given for an item is already past (the server judges by its own clock). */
export function isDueInPast(dueAt: string, now: Date): boolean {
  return Date.parse(dueAt) < now.getTime() - DUE_GRACE_MS;
}

/** An item past its due time that is neither done nor cancelled. */
export function isOverdue(action: Pick<Action, 'dueAt' | 'status'>, now: Date = new Date()): boolean {
  return action.dueAt !== null && action.status !== 'done' && action.status !== 'cancelled' && Date.parse(action.dueAt) < now.getTime();
}
