import type { z } from 'zod';
import { check } from '@lodestone/shared';
import { problems } from './problem.ts';

/** Validates with the shared zod schema; a failure is a 400 problem naming each bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = check(schema, value);
  if (!result.ok) throw problems.invalid(result.errors);
  return result.value;
}

/** A query string: a parameter given empty (`?status=`) is a filter not set, as a form sends it. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const given = typeof query === 'object' && query !== null ? Object.entries(query).filter(([, v]) => v !== '') : [];
  return parse(schema, Object.fromEntries(given));
}

const ID = /^[0-9A-Za-z_-]{1,64}$/;

/** A path id: one that cannot exist is simply not found (404), not invalid input. */
export function pathId(params: unknown, what: string, key = 'id'): string {
  const value = (params as Record<string, unknown> | null)?.[key];
  if (typeof value !== 'string' || !ID.test(value)) throw problems.notFound(what);
  return value;
}
