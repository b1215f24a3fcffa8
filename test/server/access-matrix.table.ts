/**
 * The access matrix: every HTTP route and every client → server Socket.IO event, for every
 * kind of caller, with the outcome the specification asks for (shared/spec/product.md
 * "Access", shared/spec/api.md). access-matrix.test.ts runs every cell against a real app
 * and fails when the app has a route this table lacks.
 *
 * Reading the columns. "Own" and "other" are relative to the target incident of the row
 * (for rows that have none, the two give the same answer):
 * - anonymous      no cookie, no token
 * - admin          role admin (sees no incident content)
 * - lead           role lead, US co-lead and member of the target incident (own)
 * - otherLead      role lead, co-lead of another incident only (other): leads act on every incident
 * - coLead         role member, named JP co-lead of the target incident (own, "if co-lead")
 * - member         role member, member of the target incident, not a co-lead (own)
 * - nonMember      role member, member of another incident only (other)
 * - liaison        role liaison, member of the target incident (own)
 * - otherLiaison   role liaison, member of another incident only (other)
 * - staff          role staff, member of no incident (reads every incident)
 * - disabled       role member, member of the target incident, signed in, then disabled by an admin: its cookie
 * - disabledToken  the same disabled user's API token
 * - token          `Authorization: Bearer` API token of `liaison`: acts as its owner, nothing more
 * - newPassword    role member, member of the target incident, signed in, then told by an admin to choose a new
 *                  password: until it does, it may only sign in, read or end its session and change its password
 *
 * HTTP cells are statuses. Socket cells are the subscribe ack (`OK`, or the ack's
 * `error.status`), or `NO_SOCKET` when the handshake itself is refused with `unauthorized`
 * (`PASSWORD_FIRST`: refused with `password change required`).
 */

import type { ClientToServerEvents } from '@lodestone/shared';

export const CALLERS = [
  'anonymous',
  'admin',
  'lead',
  'otherLead',
  'coLead',
  'member',
  'nonMember',
  'liaison',
  'otherLiaison',
  'staff',
  'disabled',
  'disabledToken',
  'token',
  'newPassword',
] as const;
export type Caller = (typeof CALLERS)[number];

/** One outcome per caller, in the order of CALLERS. */
export type Row<T> = readonly [
  anonymous: T,
  admin: T,
  lead: T,
  otherLead: T,
  coLead: T,
  member: T,
  nonMember: T,
  liaison: T,
  otherLiaison: T,
  staff: T,
  disabled: T,
  disabledToken: T,
  token: T,
  newPassword: T,
];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpCase {
  /** Method and path as the route is registered, e.g. `GET /api/v1/incidents/:id`. */
  route: `${Method} /api/v1/${string}`;
  /** Tells apart rows of one route that differ by what is asked (query, body, target). */
  variant?: string;
  /** The rule of the specification the row checks. */
  rule: string;
  expect: Row<number>;
}

/** The name a row is known by in test output and in the request builders of the test. */
export function caseName(c: { route: string; variant?: string }): string {
  return c.variant ? `${c.route} [${c.variant}]` : c.route;
}

const http = (route: HttpCase['route'], rule: string, expect: Row<number>, variant?: string): HttpCase =>
  variant === undefined ? { route, rule, expect } : { route, rule, expect, variant };

// prettier-ignore
export const HTTP_MATRIX: readonly HttpCase[] = [
  //                                                                                                          anon admin lead oLead coLd memb nonM liai oLia staf disa disT tokn newP
  // ── session and profile ─────────────────────────────────────────────────────────────────────────────
  http('POST /api/v1/session', 'api.md Auth: sign in with one\'s own password; a disabled account is told so (401, type account-disabled)', [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 200]),
  http('GET /api/v1/session', 'api.md Auth: the signed-in user; 401 when not signed in',                 [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 200]),
  http('DELETE /api/v1/session', 'api.md Auth: signing out needs no sign-in (ends nothing then)',         [204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204]),
  http('PATCH /api/v1/profile', 'a signed-in user changes their own name, language, time zone',           [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('POST /api/v1/profile/password', 'a signed-in user changes their own password',                    [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 200]),

  // ── accounts (product.md: "manage users" admin only; "see the people directory" everyone) ──────────
  http('GET /api/v1/people', 'see the people directory: every signed-in role',                            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('GET /api/v1/users', 'manage users: admin only, anyone else 403',                                  [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('POST /api/v1/users', 'manage users: admin only, anyone else 403',                                 [401, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('GET /api/v1/users/:id', 'manage users: admin only',                                               [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('PATCH /api/v1/users/:id', 'manage users: admin only',                                             [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('GET /api/v1/users/:id/tokens', "manage users, revoke anyone's tokens: admin only",                [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),

  // ── API tokens (product.md: "create and revoke their own API tokens" everyone) ─────────────────────
  http('POST /api/v1/tokens', 'create their own API tokens: every signed-in role',                        [401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 401, 401, 201, 403]),
  http('GET /api/v1/tokens', 'list their own tokens: every signed-in role',                               [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('DELETE /api/v1/tokens/:id', 'revoke their own tokens: every signed-in role',                      [401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 401, 401, 204, 403], "the caller's own token"),
  http('DELETE /api/v1/tokens/:id', "revoke anyone's tokens: admin only",                                 [401, 204, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403], "another user's token"),

  // ── event log (api.md: "for a stream the caller may read"; admin stream = account and token changes) ─
  http('GET /api/v1/events', 'read the alert feed: lead, member, liaison, staff',                         [401, 403, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403], 'stream=alerts'),
  http('GET /api/v1/events', 'account and token changes: admin only',                                     [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403], 'stream=admin'),
  http('GET /api/v1/events', 'read an incident: lead, staff; member and liaison if member',              [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403], 'stream=incident:<target>'),
  http('GET /api/v1/audit/verify', 'verify the audit chain: admin only',                                  [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('GET /api/v1/audit/events', 'browse account and token changes (the admin stream): admin only',       [401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),

  // ── reference lists: public data, no access rule in the specification ───────────────────────────────
  http('GET /api/v1/minerals', 'reference list of minerals: public (api.md lists no access rule)',        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
  http('GET /api/v1/provisions', 'reference list of framework provisions: public',                        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),

  // ── alerts ────────────────────────────────────────────────────────────────────────────────────────
  http('GET /api/v1/alerts', 'read the alert feed: lead, member, liaison, staff',                         [401, 403, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('GET /api/v1/alerts/:id', 'read the alert feed: lead, member, liaison, staff',                     [401, 403, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('POST /api/v1/alerts', 'post an alert: lead, member, liaison',                                     [401, 403, 201, 201, 201, 201, 201, 201, 201, 403, 401, 401, 201, 403]),
  http('POST /api/v1/alerts/:id/acknowledgements', 'acknowledge an alert: lead, member, liaison',         [401, 403, 200, 200, 200, 200, 200, 200, 200, 403, 401, 401, 200, 403]),
  http('POST /api/v1/alerts/:id/escalation', 'escalate an alert: lead only',                              [401, 403, 200, 200, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('POST /api/v1/alerts/:id/dismissal', 'dismiss an alert: lead only',                                [401, 403, 200, 200, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),

  // ── incidents ─────────────────────────────────────────────────────────────────────────────────────
  http('GET /api/v1/incidents', 'incidents the caller may read (a list; admin sees no incident content)', [401, 403, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('POST /api/v1/incidents', 'create an incident: lead only',                                         [401, 403, 201, 201, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('GET /api/v1/incidents/:id', 'read an incident: lead, staff; member and liaison if member',        [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403]),
  http('PATCH /api/v1/incidents/:id', 'change status, severity, marking: lead; member if co-lead',        [401, 403, 200, 200, 200, 403, 403, 403, 403, 403, 401, 401, 403, 403], 'severity'),
  http('PATCH /api/v1/incidents/:id', 'lessons learned are edited by leads (product.md after-action)',    [401, 403, 200, 200, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403], 'lessons'),
  http('PUT /api/v1/incidents/:id/members/:userId', 'manage its members: lead only',                      [401, 403, 204, 204, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('DELETE /api/v1/incidents/:id/members/:userId', 'manage its members: lead only',                   [401, 403, 204, 204, 403, 403, 403, 403, 403, 403, 401, 401, 403, 403]),
  http('POST /api/v1/incidents/:id/messages', 'post a note: lead; member and liaison if member',          [401, 403, 201, 201, 201, 201, 403, 201, 403, 403, 401, 401, 201, 403], 'kind=note'),
  http('POST /api/v1/incidents/:id/messages', 'record a decision: lead; member if co-lead',               [401, 403, 201, 201, 201, 403, 403, 403, 403, 403, 401, 401, 403, 403], 'kind=decision'),
  http('GET /api/v1/incidents/:id/messages', 'read an incident: lead, staff; member and liaison if member', [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403]),
  http('GET /api/v1/incidents/:id/timeline', 'read an incident: lead, staff; member and liaison if member', [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403]),
  http('GET /api/v1/incidents/:id/export', 'export an after-action record: lead, staff; member if member', [401, 403, 200, 200, 200, 200, 403, 403, 403, 200, 401, 401, 403, 403], 'format=json'),

  // ── action items ──────────────────────────────────────────────────────────────────────────────────
  http('GET /api/v1/incidents/:id/actions', 'read an incident: lead, staff; member and liaison if member', [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403]),
  http('POST /api/v1/incidents/:id/actions', 'create action items: lead; member and liaison if member',   [401, 403, 201, 201, 201, 201, 403, 201, 403, 403, 401, 401, 201, 403]),
  http('GET /api/v1/actions', 'action items of the incidents the caller may read (a list)',               [401, 403, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 200, 403]),
  http('GET /api/v1/actions/:id', 'read an incident: lead, staff; member and liaison if member',          [401, 403, 200, 200, 200, 200, 403, 200, 403, 200, 401, 401, 200, 403]),
  http('PATCH /api/v1/actions/:id', 'update action items: lead; member and liaison if member',            [401, 403, 200, 200, 200, 200, 403, 200, 403, 403, 401, 401, 200, 403]),
];

/**
 * Routes that are not part of the access-controlled API, each with why. Every other route the
 * app registers must have a row above.
 */
export const NOT_IN_MATRIX: readonly { route: RegExp; why: string }[] = [
  { route: /^HEAD \/api\/v1\//, why: "Fastify's automatic HEAD twin of a GET route: the same handler and the same access hooks as its GET row" },
  { route: /^(GET|HEAD) \/healthz$/, why: 'liveness probe (api.md Running): public, reveals nothing' },
  { route: /^(GET|HEAD) \/readyz$/, why: 'readiness probe (api.md Running): public, reveals nothing' },
  { route: /^(GET|HEAD) \/api\/openapi\.json$/, why: 'the published API description (api.md): public documentation' },
  { route: /^(GET|HEAD) \/api\/docs(\/.*)?$/, why: 'the browsable API page and its static files (@fastify/swagger-ui): public documentation' },
  // The built client (and its history-mode fallback) is served only when client/dist exists, and
  // the fallback is the not-found handler, not a route; buildTestApp serves no client.
];

export const OK = 'ok';
export const NO_SOCKET = 'unauthorized';
export const PASSWORD_FIRST = 'password change required';
export type SocketOutcome = typeof OK | typeof NO_SOCKET | typeof PASSWORD_FIRST | number;

export interface SocketCase {
  event: keyof ClientToServerEvents;
  variant?: string;
  rule: string;
  expect: Row<SocketOutcome>;
}

const U = NO_SOCKET;
const P = PASSWORD_FIRST;

// prettier-ignore
export const SOCKET_MATRIX: readonly SocketCase[] = [
  //                                                                                                         anon admin lead oLead coLd memb nonM liai oLia staf disa disT tokn newP
  { event: 'subscribe', variant: 'stream=alerts', rule: 'read the alert feed: lead, member, liaison, staff', expect: [U, 403, OK, OK, OK, OK, OK, OK, OK, OK, U, U, OK, P] },
  { event: 'subscribe', variant: 'stream=admin', rule: 'account and token changes: admin only',             expect: [U, OK, 403, 403, 403, 403, 403, 403, 403, 403, U, U, 403, P] },
  { event: 'subscribe', variant: 'stream=incident:<target>', rule: 'read an incident: lead, staff; member and liaison if member', expect: [U, 403, OK, OK, OK, OK, 403, OK, 403, OK, U, U, OK, P] },
  // No ack: OK means the socket stays connected and is in no room of that stream afterwards.
  { event: 'unsubscribe', variant: 'stream=incident:<target>', rule: 'anyone connected may leave a stream', expect: [U, OK, OK, OK, OK, OK, OK, OK, OK, OK, U, U, OK, P] },
];
