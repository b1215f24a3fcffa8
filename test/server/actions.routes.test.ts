import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, IncidentDetail } from '@lodestone/shared';
import { buildTestApp, countRows, createCast, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { connectSocket, waitFor } from '../helpers/sockets.ts';
import { openIncident } from '../helpers/incidents.ts';

describe('action items', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let outsider: TestUser;
  let incident: IncidentDetail;
  let other: IncidentDetail;
  /** The app's clock: due dates are judged by it. Sessions outlive the moves of it below. */
  let now = new Date('2026-06-01T00:00:00.000Z');
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => now, sessionIdleMinutes: 60 * 24 * 365, sessionMaxHours: 24 * 365 });
    cast = await createCast(t);
    outsider = await createUser(t, 'member');
    incident = await openIncident(t, cast.lead, { members: [cast.member, cast.jpMember, cast.liaison] });
    other = await openIncident(t, cast.jpLead, { members: [outsider] });
  });
  afterAll(() => t.close());

  const req = (who: TestUser | string | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { cookie: typeof who === 'string' ? who : who.cookie } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  const create = async (who: TestUser, body: Record<string, unknown>, id = incident.id) => {
    const res = await req(who, 'POST', `/incidents/${id}/actions`, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Action;
  };
  const stream = (id: string) => t.app.lodestone.log.read(`incident:${id}`, 0, 100_000);

  describe('POST /incidents/:id/actions', () => {
    it('lets members, liaisons and leads create items: open, version 1, owner agency by default', async () => {
      const action = await create(cast.jpMember, { title: 'JOGMEC在庫の確認', ownerId: cast.jpMember.user.id, provision: 'stockpiling', priority: 'p1', dueAt: '2026-12-01T09:00:00+09:00' });
      expect(action).toMatchObject({ incidentId: incident.id, incidentCode: incident.code, status: 'open', version: 1, agency: 'METI', provision: 'stockpiling', priority: 'p1', dueAt: '2026-12-01T00:00:00.000Z', doneAt: null, owner: { id: cast.jpMember.user.id } });
      expect((await stream(incident.id)).at(-1)).toMatchObject({ type: 'action.created', data: { id: action.id, version: 1 } });
      expect((await req(cast.liaison, 'POST', `/incidents/${incident.id}/actions`, { title: 'Brief State' })).statusCode).toBe(201);
      expect((await req(cast.jpLead, 'POST', `/incidents/${incident.id}/actions`, { title: 'Brief METI minister' })).json().priority).toBe('p3');
    });

    it('refuses staff, non-members and admins with 403, anonymous with 401', async () => {
      expect((await req(cast.staff, 'POST', `/incidents/${incident.id}/actions`, { title: 'x' })).statusCode).toBe(403);
      expect((await req(outsider, 'POST', `/incidents/${incident.id}/actions`, { title: 'x' })).statusCode).toBe(403);
      expect((await req(t.admin, 'POST', `/incidents/${incident.id}/actions`, { title: 'x' })).statusCode).toBe(403);
      expect((await req(outsider, 'POST', `/incidents/${incident.id}/actions`, { bogus: 1 })).statusCode).toBe(403);
      expect((await req(null, 'POST', `/incidents/${incident.id}/actions`, { title: 'x' })).statusCode).toBe(401);
      expect((await req(cast.lead, 'POST', '/incidents/NOPE/actions', { title: 'x' })).statusCode).toBe(404);
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['provision', { provision: 'world_peace' }, 'provision'],
      ['priority', { priority: 'p0' }, 'priority'],
      ['status on create', { status: 'done' }, 'status'],
      ['unknown owner', { ownerId: 'NOBODY' }, 'ownerId'],
      ['owner who cannot read the incident', { ownerId: 'OUTSIDER' }, 'ownerId'],
      ['date without zone', { dueAt: '2026-12-01 09:00' }, 'dueAt'],
      ['date that is not a date', { dueAt: 'tomorrow' }, 'dueAt'],
      ['due date in the past', { dueAt: '2026-05-31T23:58:59Z' }, 'dueAt'],
      ['empty title', { title: '' }, 'title'],
      ['agency with spaces', { agency: 'Dept of Energy' }, 'agency'],
    ];
    for (const [name, body, path] of invalid) {
      it(`answers 400 and stores nothing for an invalid ${name}`, async () => {
        const rows = await countRows(t, 'actions');
        const payload: Record<string, unknown> = { title: 'valid title', ...body };
        if (payload.ownerId === 'OUTSIDER') payload.ownerId = outsider.user.id;
        const res = await req(cast.member, 'POST', `/incidents/${incident.id}/actions`, payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
        expect(await countRows(t, 'actions')).toBe(rows);
      });
    }

    it('refuses a due date in the past by the app’s clock with the code due_in_past; the current minute is not the past', async () => {
      const res = await req(cast.member, 'POST', `/incidents/${incident.id}/actions`, { title: 'Too late', dueAt: '2026-05-30T09:00:00+09:00' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'dueAt', code: 'due_in_past' })]);
      // Typed to the minute, "now" is a few seconds ago: accepted.
      expect((await create(cast.member, { title: 'Due this minute', dueAt: '2026-05-31T23:59:30Z' })).dueAt).toBe('2026-05-31T23:59:30.000Z');
    });
  });

  describe('PATCH /actions/:id', () => {
    it('moves an item through statuses, recording when it was done and cancelled, with changed fields', async () => {
      const action = await create(cast.member, { title: 'Confirm DoD NDS inventory', ownerId: cast.member.user.id });
      const moved = await req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'in_progress' });
      expect(moved.json()).toMatchObject({ status: 'in_progress', version: 2, doneAt: null, updatedBy: { id: cast.member.user.id } });
      expect((await stream(incident.id)).at(-1)).toMatchObject({ type: 'action.updated', data: { changed: ['status'], previous: { status: 'open' } } });
      const done = (await req(cast.jpMember, 'PATCH', `/actions/${action.id}`, { version: 2, status: 'done' })).json() as Action;
      expect(done.doneAt).not.toBeNull();
      const reopened = (await req(cast.jpMember, 'PATCH', `/actions/${action.id}`, { version: 3, status: 'open' })).json() as Action;
      expect(reopened.doneAt).toBeNull();
      const cancelled = (await req(cast.lead, 'PATCH', `/actions/${action.id}`, { version: 4, status: 'cancelled' })).json() as Action;
      expect(cancelled.cancelledAt).not.toBeNull();
    });

    it('edits owner, agency, provision, priority and due date; null clears', async () => {
      const action = await create(cast.member, { title: 'Line up JBIC financing', dueAt: '2026-12-10T17:00:00-05:00' });
      const res = await req(cast.liaison, 'PATCH', `/actions/${action.id}`, { version: 1, ownerId: cast.jpMember.user.id, agency: 'JBIC', provision: 'financial_support', priority: 'p2', dueAt: null });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ownerId: cast.jpMember.user.id, owner: { displayName: cast.jpMember.user.displayName }, agency: 'JBIC', provision: 'financial_support', priority: 'p2', dueAt: null, version: 2 });
      const cleared = await req(cast.liaison, 'PATCH', `/actions/${action.id}`, { version: 2, ownerId: null });
      expect(cleared.json()).toMatchObject({ ownerId: null, owner: null });
    });

    it('refuses a PATCH that moves the due date into the past (due_in_past), but still updates an item already overdue', async () => {
      const action = await create(cast.member, { title: 'Falls overdue', dueAt: '2026-06-10T00:00:00Z' });
      now = new Date('2026-06-20T00:00:00.000Z');
      try {
        const moved = await req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 1, dueAt: '2026-06-15T00:00:00Z' });
        expect(moved.statusCode).toBe(400);
        expect(moved.json().errors).toEqual([expect.objectContaining({ path: 'dueAt', code: 'due_in_past' })]);
        expect((await req(cast.lead, 'GET', `/actions/${action.id}`)).json()).toMatchObject({ version: 1, dueAt: '2026-06-10T00:00:00.000Z' });
        // The overdue item itself can still change: its status, and its due date sent unchanged (another spelling).
        const status = await req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'in_progress', dueAt: '2026-06-10T09:00:00+09:00' });
        expect(status.statusCode, status.body).toBe(200);
        // A new due date in the future, or none, is fine.
        expect((await req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 2, dueAt: '2026-07-01T00:00:00Z' })).statusCode).toBe(200);
        expect((await req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 3, dueAt: null })).statusCode).toBe(200);
      } finally {
        now = new Date('2026-06-01T00:00:00.000Z');
      }
    });

    it('lets exactly one of two concurrent updates from one version win; the other gets 409 with the winner', async () => {
      const action = await create(cast.member, { title: 'Contested' });
      const [a, b] = await Promise.all([
        req(cast.member, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'in_progress' }),
        req(cast.jpMember, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'blocked' }),
      ]);
      const statuses = [a?.statusCode, b?.statusCode].sort();
      expect(statuses).toEqual([200, 409]);
      const winner = [a, b].find((r) => r?.statusCode === 200)?.json() as Action;
      const loser = [a, b].find((r) => r?.statusCode === 409)?.json();
      expect(loser.current).toMatchObject({ id: action.id, version: 2, status: winner.status, updatedBy: { id: winner.updatedBy.id } });
    });

    it('refuses invalid patches with 400 and outsiders with 403, changing nothing', async () => {
      const action = await create(cast.member, { title: 'Untouched' });
      for (const body of [{ status: 'done' }, { version: 1, status: 'finished' }, { version: 1, priority: 'urgent' }, { version: 1, provision: 'x' }, { version: 1, dueAt: '31/12/2026' }, { version: 1 }, { version: 1, ownerId: outsider.user.id }]) {
        expect((await req(cast.member, 'PATCH', `/actions/${action.id}`, body)).statusCode, JSON.stringify(body)).toBe(400);
      }
      expect((await req(outsider, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'done' })).statusCode).toBe(403);
      expect((await req(cast.staff, 'PATCH', `/actions/${action.id}`, { version: 1, status: 'done' })).statusCode).toBe(403);
      expect((await req(cast.member, 'PATCH', '/actions/NOPE', { version: 1, status: 'done' })).statusCode).toBe(404);
      expect((await req(cast.lead, 'GET', `/actions/${action.id}`)).json()).toMatchObject({ version: 1, status: 'open' });
    });
  });

  it('tells the owner (and a previous owner) over their socket that their actions changed', async () => {
    const url = await listen(t.app);
    const [a, b] = await Promise.all([connectSocket(url, { cookie: cast.member.cookie }), connectSocket(url, { cookie: cast.jpMember.cookie })]);
    const got: Record<string, string[]> = { a: [], b: [] };
    a.on('actionChanged', (n) => got.a?.push(n.actionId));
    b.on('actionChanged', (n) => got.b?.push(n.actionId));
    const action = await create(cast.lead, { title: 'Reassigned', ownerId: cast.member.user.id });
    await waitFor(() => got.a?.length === 1, 3000, 'owner told');
    await req(cast.lead, 'PATCH', `/actions/${action.id}`, { version: 1, ownerId: cast.jpMember.user.id });
    await waitFor(() => got.a?.length === 2 && got.b?.length === 1, 3000, 'old and new owner told');
    a.close();
    b.close();
  });

  describe('GET /actions across incidents', () => {
    it('never shows an item of an incident the caller may not read', async () => {
      const secret = await create(cast.jpLead, { title: 'Only for the other room', ownerId: outsider.user.id }, other.id);
      const mine = await create(cast.member, { title: 'Visible to members', ownerId: cast.member.user.id });
      const ids = async (who: TestUser, q = '') => ((await req(who, 'GET', `/actions${q}`)).json() as Action[]).map((a) => a.id);
      expect(await ids(cast.member)).toContain(mine.id);
      expect(await ids(cast.member)).not.toContain(secret.id);
      expect(await ids(cast.member, `?owner=${outsider.user.id}`)).toEqual([]);
      expect(await ids(outsider)).toEqual([secret.id]);
      expect(await ids(outsider, '?owner=me')).toEqual([secret.id]);
      for (const who of [cast.lead, cast.staff]) expect(await ids(who)).toEqual(expect.arrayContaining([secret.id, mine.id]));
      expect((await req(t.admin, 'GET', '/actions')).statusCode).toBe(403);
      expect((await req(outsider, 'GET', `/incidents/${incident.id}/actions`)).statusCode).toBe(403);
    });

    it('filters by owner, status, agency, provision and overdue', async () => {
      const past = await create(cast.member, { title: 'Overdue item', ownerId: cast.member.user.id, dueAt: '2026-06-02T00:00:00Z', provision: 'permitting' });
      const future = await create(cast.member, { title: 'Future item', ownerId: cast.member.user.id, dueAt: '2099-01-01T00:00:00Z', agency: 'State' });
      const doneLate = await create(cast.member, { title: 'Done late', dueAt: '2026-06-02T00:00:00Z' });
      // A month later: two items are past due, one of them done.
      now = new Date('2026-07-01T00:00:00.000Z');
      await req(cast.member, 'PATCH', `/actions/${doneLate.id}`, { version: 1, status: 'done' });
      const ids = async (q: string) => ((await req(cast.member, 'GET', `/actions${q}`)).json() as Action[]).map((a) => a.id);
      expect(await ids('?overdue=true')).toContain(past.id);
      expect(await ids('?overdue=true')).not.toContain(future.id);
      expect(await ids('?overdue=true')).not.toContain(doneLate.id);
      expect(await ids('?owner=me&provision=permitting')).toEqual([past.id]);
      expect(await ids('?agency=State')).toEqual([future.id]);
      expect(await ids('?status=done')).toContain(doneLate.id);
      expect((await req(cast.member, 'GET', '/actions?status=finished')).statusCode).toBe(400);
      expect((await req(cast.member, 'GET', '/actions?overdue=yes')).statusCode).toBe(400);
    });
  });
});
