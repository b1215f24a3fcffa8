import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, Alert, IncidentDetail, User } from '@lodestone/shared';
import { alertInput, buildTestApp, createCast, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, subscribe } from '../helpers/sockets.ts';

/** The contract's general rules, as a client nobody on the team wrote would drive them. */
describe('contract conventions', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let incident: IncidentDetail;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
    incident = await openIncident(t, cast.lead, { members: [cast.member] });
  });
  afterAll(() => t.close());

  const req = (who: TestUser | string | null, method: 'GET' | 'POST' | 'PATCH', url: string, options: { payload?: unknown; headers?: Record<string, string>; raw?: string } = {}) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...(who ? { cookie: typeof who === 'string' ? who : who.cookie } : {}), ...(options.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.raw !== undefined ? { payload: options.raw } : options.payload === undefined ? {} : { payload: options.payload as object }),
    });

  describe('lists', () => {
    it('read an empty filter value as no filter', async () => {
      expect((await req(cast.lead, 'GET', '/alerts?status=&mineral=&severity=')).statusCode).toBe(200);
      expect((await req(cast.lead, 'GET', '/incidents?status=')).statusCode).toBe(200);
    });

    it('read a limit over 1000 as 1000 and ignore parameters they do not know', async () => {
      expect((await req(cast.lead, 'GET', '/alerts?limit=5000')).statusCode).toBe(200);
      expect((await req(cast.lead, 'GET', '/alerts?utm_source=mail')).statusCode).toBe(200);
      expect((await req(cast.lead, 'GET', '/alerts?limit=0')).statusCode).toBe(400);
    });

    it('answer newest first, at most limit items, paging back with before', async () => {
      const users = (await req(t.admin, 'GET', '/users?limit=2')).json() as User[];
      expect(users).toHaveLength(2);
      expect((users[0]?.createdAt ?? '') >= (users[1]?.createdAt ?? '')).toBe(true);
      const all = (await req(t.admin, 'GET', '/users')).json() as User[];
      expect(all[0]?.username).toBe(cast.staff.user.username); // the last account created
      const older = (await req(t.admin, 'GET', `/users?before=${encodeURIComponent(all[1]?.createdAt ?? '')}`)).json() as User[];
      for (const u of older) expect(u.createdAt < (all[1]?.createdAt ?? '')).toBe(true);
      for (const title of ['first', 'second', 'third']) await req(cast.member, 'POST', `/incidents/${incident.id}/actions`, { payload: { title } });
      const actions = (await req(cast.member, 'GET', `/incidents/${incident.id}/actions?limit=2`)).json() as Action[];
      expect(actions.map((a) => a.title)).toEqual(['third', 'second']);
      expect((await req(cast.member, 'GET', '/people?limit=3')).json()).toHaveLength(3);
    });
  });

  describe('who may act is decided before the body is read', () => {
    it('answers 401 to a signed-out caller and 403 to a role that may not, even for malformed JSON', async () => {
      expect((await req(null, 'POST', '/alerts', { raw: '{bad' })).statusCode).toBe(401);
      expect((await req(cast.staff, 'POST', '/alerts', { raw: '{bad' })).statusCode).toBe(403);
      expect((await req(cast.staff, 'POST', '/alerts/X/acknowledgements', { raw: '' })).statusCode).toBe(403);
      expect((await req(cast.staff, 'POST', '/alerts', { payload: alertInput(), headers: { 'idempotency-key': 'k'.repeat(200) } })).statusCode).toBe(403);
      expect((await req(cast.liaison, 'POST', '/alerts', { raw: '{bad' })).statusCode).toBe(400);
    });

    it('treats an id that cannot exist as not found, after sign-in is checked', async () => {
      expect((await req(null, 'GET', '/incidents/bad.id')).statusCode).toBe(401);
      expect((await req(cast.lead, 'GET', '/incidents/bad.id')).statusCode).toBe(404);
      expect((await req(cast.member, 'PATCH', '/actions/bad.id', { payload: { version: 1 } })).statusCode).toBe(404);
    });
  });

  it('applies the 64 KiB limit first', async () => {
    const big = JSON.stringify({ title: 'x'.repeat(70_000) });
    expect((await req(cast.liaison, 'POST', '/alerts', { raw: big, headers: { origin: 'https://evil.example' } })).statusCode).toBe(413);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: cast.liaison.cookie, 'content-type': 'text/plain' }, payload: big })).statusCode).toBe(413);
  });

  it('answers a malformed URL with a problem naming what is wrong', async () => {
    const res = await req(cast.lead, 'GET', '/alerts/%E0%A4%A');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: 'url' })] });
  });

  it('puts the current resource in every 409', async () => {
    const alert = (await req(cast.liaison, 'POST', '/alerts', { payload: alertInput() })).json() as Alert;
    await req(cast.lead, 'POST', `/alerts/${alert.id}/escalation`, { payload: { incidentId: incident.id } });
    const again = await req(cast.lead, 'POST', `/alerts/${alert.id}/escalation`, { payload: { incidentId: incident.id } });
    expect(again.statusCode).toBe(409);
    expect(again.json().current).toMatchObject({ id: alert.id, status: 'escalated', incidentId: incident.id });
  });

  it('takes any Idempotency-Key of 1–128 characters', async () => {
    const first = await req(cast.liaison, 'POST', '/alerts', { payload: alertInput({ title: 'keyed' }), headers: { 'idempotency-key': 'my key 42' } });
    const again = await req(cast.liaison, 'POST', '/alerts', { payload: alertInput({ title: 'keyed' }), headers: { 'idempotency-key': 'my key 42' } });
    expect(first.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
  });

  it('raises the version by one on every accepted PATCH', async () => {
    const current = (await req(cast.lead, 'GET', `/incidents/${incident.id}`)).json() as IncidentDetail;
    const res = await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { payload: { version: current.version, status: current.status } });
    expect(res.json().version).toBe(current.version + 1);
    const action = (await req(cast.member, 'POST', `/incidents/${incident.id}/actions`, { payload: { title: 'same' } })).json() as Action;
    expect((await req(cast.member, 'PATCH', `/actions/${action.id}`, { payload: { version: 1, status: 'open' } })).json().version).toBe(2);
  });

  it('subscribes with after: null as from the head', async () => {
    const url = await listen(t.app);
    const socket = await connectSocket(url, { cookie: cast.member.cookie });
    const ack = await subscribe(socket, { stream: 'alerts', after: null });
    expect(ack).toMatchObject({ ok: true, events: [], more: false });
    socket.close();
  });
});
