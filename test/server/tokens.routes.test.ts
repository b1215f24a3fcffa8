import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, buildTestApp, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { connectSocket, waitForDisconnect } from '../helpers/sockets.ts';

describe('API tokens', () => {
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;
  let url: string;
  beforeAll(async () => {
    t = await buildTestApp();
    owner = await createUser(t, 'liaison');
    other = await createUser(t, 'member');
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const create = (cookie: string, name = 'import script') =>
    t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie }, payload: { name } });

  it('shows the secret once, stores only its hash, and acts as its owner', async () => {
    const res = await create(owner.cookie);
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ name: 'import script', userId: owner.user.id });
    expect(created.token).toMatch(/^lsk_/);
    const stored = await queryRows(t, sql`SELECT * FROM api_tokens WHERE id = ${created.id}`);
    expect(JSON.stringify(stored)).not.toContain(created.token);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { cookie: owner.cookie } });
    expect(list.json()).toEqual([expect.objectContaining({ id: created.id, revokedAt: null })]);
    expect(list.body).not.toContain(created.token);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${created.token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(owner.user.id);
  });

  it('refuses a token name that is empty or too long', async () => {
    expect((await create(owner.cookie, '')).statusCode).toBe(400);
    expect((await create(owner.cookie, 'n'.repeat(101))).statusCode).toBe(400);
  });

  it('is revocable by its owner: the token stops working and its sockets close', async () => {
    const created = (await create(owner.cookie)).json();
    const socket = await connectSocket(url, { token: created.token });
    const closed = waitForDisconnect(socket);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: { cookie: owner.cookie } });
    expect(res.statusCode).toBe(204);
    expect(await closed).toBe('io server disconnect');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${created.token}` } });
    expect(me.statusCode).toBe(401);
    await expect(connectSocket(url, { token: created.token })).rejects.toThrow('unauthorized');
  });

  it("refuses another user's revocation with 403 but lets an admin revoke it", async () => {
    const created = (await create(owner.cookie)).json();
    const refused = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: { cookie: other.cookie } });
    expect(refused.statusCode).toBe(403);
    const byAdmin = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: { cookie: t.admin } });
    expect(byAdmin.statusCode).toBe(204);
    const listed = await t.app.inject({ method: 'GET', url: `/api/v1/users/${owner.user.id}/tokens`, headers: { cookie: t.admin } });
    expect(listed.json().find((x: { id: string }) => x.id === created.id).revokedAt).not.toBeNull();
  });

  it('answers 404 for an unknown token and 401 without a session', async () => {
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/UNKNOWN', headers: { cookie: owner.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x' } })).statusCode).toBe(401);
  });

  it('stops working when its owner is disabled', async () => {
    const u = await createUser(t, 'member');
    const created = (await create(u.cookie)).json();
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${created.token}` } });
    expect(me.statusCode).toBe(401);
  });

  it('records token.created and token.revoked in the admin stream, never the secret', async () => {
    const created = (await create(owner.cookie, 'audited')).json();
    await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: { cookie: owner.cookie } });
    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/events?stream=admin&limit=1000', headers: { cookie: t.admin } })).json().events;
    const mine = events.filter((e: { data: { id: string } }) => e.data.id === created.id);
    expect(mine.map((e: { type: string }) => e.type)).toEqual(['token.created', 'token.revoked']);
    expect(JSON.stringify(events)).not.toContain(created.token);
  });
});
