import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

function describe(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_big':
      return issue.origin === 'array' ? `must have at most ${issue.maximum} items` : issue.message;
    case 'too_small':
      return issue.origin === 'array' ? `must have at least ${issue.minimum} items` : issue.message;
    default:
      return issue.message;
  }
}

/** Flattens zod issues into the contract's `errors: [{path, message}]`; the client shows the same. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: base ? `${base}.${key}` : key, message: 'is not a known field' });
    } else {
      out.push({ path: base, message: describe(issue) });
    }
  }
  return out;
}

/** Field path → first message, for forms. */
export function fieldErrorMap(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fieldErrors(error)) out[e.path] ??= e.message;
  return out;
}
