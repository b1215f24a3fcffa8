import type { z } from 'zod';
import { check } from '@lodestone/shared';
import { problems } from './problem.ts';

/** Where a value holds U+0000, which no text field may (PostgreSQL cannot store it; on both stores it is refused alike). */
function nulPaths(value: unknown, path: string, found: string[], depth = 0): string[] {
  if (found.length >= 20 || depth > 32) return found;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulPaths(item, path === '' ? String(i) : `${path}.${i}`, found, depth + 1));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) found.push(path === '' ? key : `${path}.${key}`);
      nulPaths(item, path === '' ? key : `${path}.${key}`, found, depth + 1);
    }
  }
  return found;
}

/** Validates with the shared zod schema; a failure is a 400 problem naming each bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const nul = nulPaths(value, '', []);
  if (nul.length > 0) throw problems.invalid(nul.map((path) => ({ path, message: 'must not contain the NUL character (U+0000)', code: 'nul_character' })));
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
