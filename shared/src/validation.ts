import type { z } from 'zod';

/**
 * One bad field of a refused request: `message` is English for people reading the raw API;
 * `code` is stable (snake_case) and, with `params`, what the client shows in the user's language.
 */
export interface FieldError {
  path: string;
  message: string;
  code: FieldErrorCode;
  params?: Record<string, string | number>;
}

/** Every code a field error can carry; the client has a message for each in both languages. */
export const FIELD_ERROR_CODES = [
  // From the shared schemas.
  'required',
  'wrong_type',
  'not_one_of',
  'invalid_format',
  'too_long',
  'too_short',
  'too_many_items',
  'too_small',
  'not_integer',
  'unknown_field',
  'empty',
  'blank',
  'unpaired_surrogate',
  'unknown_time_zone',
  'unknown_mineral',
  'unknown_provision',
  'no_change',
  'escalation_target',
  'invalid',
  'bidi_control',
  'invisible_character',
  // From the server's own checks.
  'taken',
  'wrong_password',
  'unknown_user',
  'wrong_side',
  'not_lead_or_member',
  'unknown_alert',
  'unknown_incident',
  'status_transition',
  'owner_cannot_read',
  'invalid_utf8',
  'nul_character',
  'invalid_json',
  'empty_body',
  'too_deep',
  'invalid_header',
  'due_in_past',
  'in_future',
  'too_old',
  'name_taken',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

type Issue = z.core.$ZodIssue;

/** The code a custom refinement names in its `params: {code}`, when it is one we know. */
function customCode(issue: Issue): FieldErrorCode {
  const code = (issue as { params?: { code?: unknown } }).params?.code;
  return typeof code === 'string' && (FIELD_ERROR_CODES as readonly string[]).includes(code) ? (code as FieldErrorCode) : 'invalid';
}

function paramsOf(issue: Issue): Record<string, string | number> | undefined {
  const params = (issue as { params?: Record<string, unknown> }).params;
  if (!params) return undefined;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'code' && (typeof v === 'string' || typeof v === 'number')) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

function describe(issue: Issue): Omit<FieldError, 'path'> {
  switch (issue.code) {
    case 'invalid_type':
      // Zod 4 leaves `input` out of issues unless asked: a missing value is told by the message.
      if (issue.input === undefined && /received undefined$/.test(issue.message)) return { message: 'is required', code: 'required' };
      if (issue.expected === 'int') return { message: 'must be an integer', code: 'not_integer' };
      return { message: `must be a ${issue.expected}`, code: 'wrong_type', params: { expected: issue.expected } };
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v)).join(', ');
      return { message: `must be one of: ${values}`, code: 'not_one_of', params: { values } };
    }
    // No request schema has a minimum number of items or a numeric maximum (test/server/
    // field-error-codes.test.ts sends every code for real): those would read as `invalid`.
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return { message: `must have at most ${max} items`, code: 'too_many_items', params: { max } };
      if (issue.origin === 'string') return { message: issue.message, code: 'too_long', params: { max } };
      return { message: issue.message, code: 'invalid', params: { max } };
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return { message: issue.message, code: min <= 1 ? 'empty' : 'too_short', params: { min } };
      if (issue.origin === 'array') return { message: `must have at least ${min} items`, code: 'invalid', params: { min } };
      return { message: issue.message, code: 'too_small', params: { min } };
    }
    case 'invalid_format':
      return { message: issue.message, code: 'invalid_format', params: { format: issue.format } };
    case 'custom': {
      const params = paramsOf(issue);
      return { message: issue.message, code: customCode(issue), ...(params ? { params } : {}) };
    }
    default:
      return { message: issue.message, code: 'invalid' };
  }
}

/**
 * Flattens zod issues into the contract's `errors: [{path, message}]`, each with its `code`. The
 * issues must carry their input (parsed with `reportInput`, as `check` does): that is how a value
 * of the wrong type is told from a missing one.
 */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: base ? `${base}.${key}` : key, message: 'is not a known field', code: 'unknown_field' });
    } else {
      out.push({ path: base, ...describe(issue) });
    }
  }
  return out;
}

/** Validates a value with a shared schema: the value it parses to, or the errors of its fields. */
export function check<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; errors: FieldError[] } {
  const result = schema.safeParse(value, { reportInput: true });
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(result.error) };
}
