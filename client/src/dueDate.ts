import { UpcomingDueAt } from '@lodestone/shared';
import { utcToZonedWallTime, zonedWallTimeToUtc } from './format.ts';

/** A due date as typed: a date and a time in the user's time zone; `incomplete` when the browser holds a half-typed value. */
export interface DueInput {
  date: string;
  time: string;
  incomplete: boolean;
}

/** What a date typed without a time gets (visibly, in the time box): the end of a working day. */
export const DEFAULT_DUE_TIME = '17:00';

export type DueProblem = 'incomplete' | 'noDate' | 'noTime' | 'past';
export type DueResult = { ok: true; dueAt: string | null } | { ok: false; problem: DueProblem };

export function emptyDue(): DueInput {
  return { date: '', time: '', incomplete: false };
}

/** The form value of a stored due time, as the wall clock of `timeZone`. */
export function dueInputOf(dueAt: string | null, timeZone: string): DueInput {
  if (!dueAt) return emptyDue();
  const [date = '', time = ''] = utcToZonedWallTime(dueAt, timeZone).split('T');
  return { date, time, incomplete: false };
}

/**
 * Reads a typed due date: nothing is no due date; a half-typed value, a time without a date or
 * a date without a time is a problem to show, never dropped silently; a new time in the past is
 * refused (by the shared rule the server applies). `unchangedFrom`: the stored value, which may
 * stay as it is even when it has passed.
 */
export function readDue(input: DueInput, timeZone: string, unchangedFrom: string | null = null): DueResult {
  if (input.incomplete) return { ok: false, problem: 'incomplete' };
  if (!input.date && !input.time) return { ok: true, dueAt: null };
  if (!input.date) return { ok: false, problem: 'noDate' };
  if (!input.time) return { ok: false, problem: 'noTime' };
  const dueAt = zonedWallTimeToUtc(`${input.date}T${input.time}`, timeZone);
  if (!dueAt) return { ok: false, problem: 'incomplete' };
  if (unchangedFrom && utcToZonedWallTime(unchangedFrom, timeZone) === `${input.date}T${input.time}`) return { ok: true, dueAt: unchangedFrom };
  if (!UpcomingDueAt.safeParse(dueAt).success) return { ok: false, problem: 'past' };
  return { ok: true, dueAt };
}
