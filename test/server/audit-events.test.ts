import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPage } from '@lodestone/shared';
import { buildTestApp, createUser, type TestApp, type TestUser } from '../helpers/app.ts';

describe('GET /audit/events: the admin stream to browse', () => {
  let t: TestApp;
  let priya: TestUser;
  let ken: TestUser;
  beforeAll(async () => {
    t = await buildTestApp();
    priya = await createUser(t, 'member', { displayName: 'Priya Raman' });
    ken = await createUser(t, 'lead', { displayName: '高橋 健', side: 'JP' });
    await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: priya.cookie }, payload: { name: 'priya script' } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${priya.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${ken.user.id}`, headers: { cookie: t.admin }, payload: { role: 'member' } });
  });
  afterAll(() => t.close());

  const get = async (query: string, cookie = t.admin) => t.app.inject({ method: 'GET', url: `/api/v1/audit/events${query}`, headers: { cookie } });
  const page = async (query: string) => (await get(query)).json() as EventPage;

  it('answers newest first with the stream head, the events exactly as the stream holds them', async () => {
    const all = await t.app.lodestone.log.read('admin', 0, 10_000);
    const first = await page('');
    expect(first.head).toBe(all.length);
    expect(first.events).toEqual([...all].reverse());
  });

  it('filters by type, and by person: who acted, or whose account or token it was', async () => {
    expect((await page('?type=user.updated')).events.map((e) => (e.data as { id: string }).id)).toEqual([ken.user.id, priya.user.id]);
    const aboutPriya = await page(`?person=${priya.user.id}`);
    expect(aboutPriya.events.map((e) => e.type)).toEqual(['user.updated', 'token.created', 'user.created']);
    expect((await page(`?person=${priya.user.id}&type=token.created`)).events).toHaveLength(1);
    const admin = await t.app.lodestone.users.rowByUsername('admin');
    // The admin acted in all but one of them (Priya made her own token).
    expect((await page(`?person=${admin?.id}`)).events.filter((e) => e.type === 'token.created')).toEqual([]);
  });

  it('pages back with before (a seq) and limit', async () => {
    const all = (await page('')).events;
    const top = await page('?limit=2');
    expect(top.events).toEqual(all.slice(0, 2));
    const next = await page(`?limit=2&before=${top.events.at(-1)?.seq}`);
    expect(next.events).toEqual(all.slice(2, 4));
  });

  it('is the admin’s alone, and refuses a type or person that cannot be', async () => {
    expect((await get('', priya.cookie)).statusCode).toBe(401);
    expect((await get('', ken.cookie)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit/events' })).statusCode).toBe(401);
    const bad = await get('?type=alert.posted');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'type', code: 'not_one_of' })]);
    expect((await get('?person=not%20an%20id')).statusCode).toBe(400);
  });
});
