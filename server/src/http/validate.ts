import type { z } from 'zod';
import { fieldErrors } from '@lodestone/shared';
import { problems } from './problem.ts';

/** Validates with the shared zod schema; a failure is a 400 problem naming each bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw problems.invalid(fieldErrors(result.error));
  return result.data;
}
