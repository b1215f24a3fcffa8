import type { Problem } from '@lodestone/shared';
import { n, tOr, type Named } from './index.ts';

/** A field error as the API sends it (`code` and `params` since field errors carry codes). */
export type ProblemFieldError = NonNullable<Problem['errors']>[number];

/** Params in the UI language: numbers as it writes them, codes (a side, a status) as it names them. */
function localParams(code: string, params: Record<string, string | number>): Named {
  const out: Named = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, typeof value === 'number' ? n(value) : value]));
  if (code === 'wrong_side' && typeof params.side === 'string') out.side = tOr(`sides.${params.side}`, params.side);
  if (code === 'status_transition') {
    for (const name of ['from', 'to'] as const) {
      const status = params[name];
      if (typeof status === 'string') out[name] = tOr(`statuses.${status}`, status);
    }
  }
  return out;
}

/**
 * One field error in the UI language, by its code: `fieldErrors.<path>.<code>` when that field has
 * its own wording (the username's format), else `fieldErrors.<code>`; the server's English
 * message only for a code this client does not know.
 */
export function describeFieldError(error: ProblemFieldError): string {
  if (error.code === undefined) return error.message;
  const params = localParams(error.code, error.params ?? {});
  const general = tOr(`fieldErrors.${error.code}`, error.message, params);
  return error.path ? tOr(`fieldErrors.${error.path}.${error.code}`, general, params) : general;
}

/** Field path → its first error in the UI language, to show next to the inputs. */
export function describeFieldErrors(errors: readonly ProblemFieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errors) out[error.path] ??= describeFieldError(error);
  return out;
}
