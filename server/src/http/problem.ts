import { STATUS_CODES } from 'node:http';
import type { FieldError, Problem } from '@lodestone/shared';

export type { FieldError };

/** A refusal that leaves the server as an RFC 9457 problem; thrown anywhere, rendered by one handler. */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extras: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    options: { type?: string; title?: string; detail?: string; extras?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    const title = options.title ?? STATUS_CODES[status] ?? 'Error';
    super(options.detail ?? title);
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.title = title;
    this.detail = options.detail;
    this.extras = options.extras ?? {};
    this.headers = options.headers ?? {};
  }

  toProblem(): Problem {
    const problem: Problem = { type: this.type, title: this.title, status: this.status, ...this.extras };
    if (this.detail !== undefined) problem.detail = this.detail;
    return problem;
  }
}

const TYPE = 'urn:lodestone:problem:';

export const problems = {
  invalid: (errors: FieldError[], detail = 'The request is not valid; see errors.') =>
    new ProblemError(400, { type: `${TYPE}invalid-request`, title: 'Invalid request', detail, extras: { errors } }),
  unauthorized: (detail = 'Sign in to continue.') => new ProblemError(401, { title: 'Not signed in', detail }),
  forbidden: (detail = 'Your role does not allow this.') => new ProblemError(403, { title: 'Not allowed', detail }),
  notFound: (what = 'resource') => new ProblemError(404, { title: 'Not found', detail: `No such ${what}.` }),
  stale: (current: unknown, detail = 'Someone changed this since you loaded it.', extras: Record<string, unknown> = {}) =>
    new ProblemError(409, { type: `${TYPE}stale-version`, title: 'Changed by someone else', detail, extras: { current, ...extras } }),
  /** A change the resource's present state does not allow; `current` is that state. */
  conflict: (detail: string, current?: unknown) =>
    new ProblemError(409, { type: `${TYPE}conflict`, title: 'Conflict', detail, extras: current === undefined ? {} : { current } }),
  idempotencyMismatch: () =>
    new ProblemError(422, {
      type: `${TYPE}idempotency-key-reused`,
      title: 'Idempotency key reused',
      detail: 'This Idempotency-Key was already used with a different request body.',
    }),
  /** The account was disabled: 401 for a session it ended (the request is not signed in), 403 for a sign-in. */
  /** 401 like any refused sign-in, of a type of its own: at sign-in (the right password) or for a session it ended. */
  accountDisabled: (when: 'sign-in' | 'session') =>
    new ProblemError(401, {
      type: `${TYPE}account-disabled`,
      title: 'Account disabled',
      detail: when === 'session' ? 'This account has been disabled, which ended your session. Ask an administrator to enable it.' : 'This account is disabled. Ask an administrator to enable it.',
    }),
  /** The account must choose a new password before anything else. */
  passwordChangeRequired: () =>
    new ProblemError(403, {
      type: `${TYPE}password-change-required`,
      title: 'New password required',
      detail: 'Choose a new password first (POST /api/v1/profile/password); until then this account may only read or end its session.',
    }),
  unavailable: (retryAfterSeconds: number, detail: string) =>
    new ProblemError(503, { title: 'Temporarily unavailable', detail, headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } }),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests; try again later.') =>
    new ProblemError(429, {
      title: 'Too many requests',
      detail,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    }),
};
