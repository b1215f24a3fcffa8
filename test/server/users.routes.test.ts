import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LodestoneEvent, User } from '@lodestone/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRows, countRows, ADMIN_PASSWORD, buildTestApp, createCast, createUser, signIn, type TestApp } from '../helpers/app.ts';
import { hashParameters } from '../../server/src/features/users/passwords.ts';

describe('users routes', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
  });
  afterAll(() => t.close());

  const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
  const adminEvents = () => t.app.inject({ method: 'GET', url: '/api/v1/events?stream=admin&limit=1000', headers: { cookie: t.admin } }).then((r) => r.json().events as LodestoneEvent[]);
  const userCount = () => countRows(t, 'users');

  // Display names are unique among enabled accounts: each new account gets its own.
  const newUser = (username: string) => ({ username, displayName: `New Person ${username}`, password: 'long-enough-pw', role: 'member', agency: 'DOE', side: 'US' });

  describe('admin routes, by role', () => {
    const routes = [
      { method: 'GET', label: '/users', url: () => '/api/v1/users' },
      { method: 'POST', label: '/users', url: () => '/api/v1/users', payload: () => newUser(`r${Math.random().toString(36).slice(2, 8)}`) },
      { method: 'GET', label: '/users/:id', url: () => `/api/v1/users/${cast.member.user.id}` },
      { method: 'PATCH', label: '/users/:id', url: () => `/api/v1/users/${cast.member.user.id}`, payload: () => ({ displayName: 'Renamed Member' }) },
      { method: 'GET', label: '/users/:id/tokens', url: () => `/api/v1/users/${cast.member.user.id}/tokens` },
      { method: 'GET', label: '/audit/verify', url: () => '/api/v1/audit/verify' },
    ] as const;

    for (const route of routes) {
      it(`${route.method} ${route.label} — admin yes, every other role 403, anonymous 401`, async () => {
        const send = (cookie?: string) =>
          t.app.inject({
            method: route.method,
            url: route.url(),
            headers: cookie ? { cookie } : {},
            ...('payload' in route ? { payload: route.payload() } : {}),
          });
        const asAdmin = await send(t.admin);
        expect(asAdmin.statusCode).toBe(route.method === 'POST' ? 201 : 200);
        for (const role of ['lead', 'member', 'liaison', 'staff'] as const) {
          const res = await send(cast[role].cookie);
          expect(res.statusCode, role).toBe(403);
          expect(res.json()).toMatchObject({ status: 403, type: 'about:blank' });
        }
        expect((await send()).statusCode).toBe(401);
      });
    }
  });

  it('creates an account: 201, no password or hash in the answer, event user.created in the admin stream', async () => {
    const before = (await adminEvents()).length;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload: { ...newUser('hanako.sato'), side: 'JP', agency: 'METI', role: 'lead' } });
    expect(res.statusCode).toBe(201);
    const user = res.json() as User;
    expect(user).toMatchObject({ username: 'hanako.sato', role: 'lead', side: 'JP', agency: 'METI', locale: 'ja', timeZone: 'Asia/Tokyo', disabled: false, mustChangePassword: false });
    // Only the flag's name mentions a password: neither the password nor its hash is there.
    expect(res.body.replace('"mustChangePassword":false', '')).not.toMatch(/password|long-enough-pw|scrypt/i);
    const events = await adminEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toMatchObject({ type: 'user.created', data: { id: user.id, username: 'hanako.sato' } });
    expect(JSON.stringify(events)).not.toMatch(/passwordHash|long-enough-pw/);
    expect(await signIn(t.app, 'hanako.sato', 'long-enough-pw')).toMatch(/^lodestone_session=/);
  });

  it('refuses invalid accounts with 400 and errors, storing nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...newUser('Bad Name'), }, 'username'],
      [{ ...newUser('okname1'), password: 'seven77' }, 'password'],
      [{ ...newUser('okname2'), role: 'emperor' }, 'role'],
      [{ ...newUser('okname3'), side: 'EU' }, 'side'],
      [{ ...newUser('okname4'), timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ ...newUser('okname5'), agency: '' }, 'agency'],
      [{ ...newUser('okname6'), displayName: 'x'.repeat(101) }, 'displayName'],
      [{ ...newUser('okname7'), isAdmin: true }, 'isAdmin'],
      [{ ...newUser('okname8'), displayName: 42 }, 'displayName'],
    ];
    const users = await userCount();
    const events = (await adminEvents()).length;
    for (const [payload, path] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload });
      expect(res.statusCode, path).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path), path).toContain(path);
    }
    expect(await userCount()).toBe(users);
    expect((await adminEvents()).length).toBe(events);
  });

  it('refuses a taken username, whatever its case, with 400 naming the field', async () => {
    for (const name of [cast.lead.user.username, cast.lead.user.username.toUpperCase()]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload: newUser(name) });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: 'username', message: 'is taken', code: 'taken' }]);
    }
  });

  it('keeps a username as given and signs in with it in any case', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload: { ...newUser('Alice.Tanaka'), password: 'password' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().username).toBe('Alice.Tanaka');
    expect(await signIn(t.app, 'alice.tanaka', 'password')).toMatch(/^lodestone_session=/);
  });

  it('patches an account and records the changed fields', async () => {
    const u = await createUser(t, 'staff');
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { role: 'lead', timeZone: 'Europe/Brussels' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ role: 'lead', timeZone: 'Europe/Brussels' });
    const last = (await adminEvents()).at(-1);
    expect(last).toMatchObject({ type: 'user.updated', data: { id: u.user.id, role: 'lead', changed: ['role', 'timeZone'] } });
  });

  it('resets a password: the old one stops working, existing sessions end', async () => {
    const u = await createUser(t, 'member');
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { password: 'brand-new-password' } });
    expect(res.statusCode).toBe(200);
    expect((await get('/api/v1/session', u.cookie)).statusCode).toBe(401);
    await expect(signIn(t.app, u.user.username, u.password)).rejects.toThrow();
    await signIn(t.app, u.user.username, 'brand-new-password');
  });

  it('answers 404 for an unknown account and 400 for an empty patch', async () => {
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/users/NOPE', headers: { cookie: t.admin }, payload: { displayName: 'x' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${cast.staff.user.id}`, headers: { cookie: t.admin }, payload: {} })).statusCode).toBe(400);
  });

  it('never disables or demotes the last enabled admin', async () => {
    const admin = (await get('/api/v1/users', t.admin)).json().find((u: User) => u.username === 'admin') as User;
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${admin.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    expect(res.statusCode).toBe(409);
    expect((await get('/api/v1/session', t.admin)).statusCode).toBe(200);
  });

  it('lists enabled people to every signed-in role, without usernames', async () => {
    const disabled = await createUser(t, 'member');
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${disabled.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    for (const who of [t.admin, cast.lead.cookie, cast.member.cookie, cast.liaison.cookie, cast.staff.cookie]) {
      const res = await get('/api/v1/people', who);
      expect(res.statusCode).toBe(200);
      const people = res.json() as Record<string, unknown>[];
      expect(people.map((p) => p.id)).toContain(cast.jpLead.user.id);
      expect(people.map((p) => p.id)).not.toContain(disabled.user.id);
      expect(Object.keys(people[0] ?? {}).sort()).toEqual(['agency', 'displayName', 'id', 'role', 'side']);
    }
    expect((await get('/api/v1/people')).statusCode).toBe(401);
  });

  it("lets a user change their own language and time zone, but not their role", async () => {
    const u = await createUser(t, 'liaison');
    const ok = await t.app.inject({ method: 'PATCH', url: '/api/v1/profile', headers: { cookie: u.cookie }, payload: { locale: 'ja', timeZone: 'Asia/Tokyo' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ locale: 'ja', timeZone: 'Asia/Tokyo', role: 'liaison' });
    const bad = await t.app.inject({ method: 'PATCH', url: '/api/v1/profile', headers: { cookie: u.cookie }, payload: { role: 'admin' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ path: 'role', message: 'is not a known field', code: 'unknown_field' }]);
  });

  it('changes one’s own password only with the current one', async () => {
    const u = await createUser(t, 'member');
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/profile/password', headers: { cookie: u.cookie }, payload: { currentPassword: 'not-it-at-all', newPassword: 'another-long-pw' } });
    expect(wrong.statusCode).toBe(400);
    const other = await signIn(t.app, u.user.username, u.password);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/profile/password', headers: { cookie: u.cookie }, payload: { currentPassword: u.password, newPassword: 'another-long-pw' } });
    expect(ok.statusCode).toBe(200);
    expect((await get('/api/v1/session', u.cookie)).statusCode).toBe(200);
    expect((await get('/api/v1/session', other)).statusCode).toBe(401);
    await signIn(t.app, u.user.username, 'another-long-pw');
  });
});

describe('the admin account', () => {
  it('is created on a new database from LODESTONE_ADMIN_PASSWORD, hashed with scrypt at OWASP parameters', async () => {
    const t = await buildTestApp({ passwordLog2N: undefined });
    try {
      const hash = (await queryRows<{ hash: string }>(t, sql`SELECT password_hash AS hash FROM users WHERE username = 'admin'`))[0]?.hash ?? '';
      expect(hashParameters(hash)).toEqual({ N: 2 ** 17, r: 8, p: 1 });
      expect(hash).not.toContain('admin-password-1');
    } finally {
      await t.close();
    }
  });

  it('gets a random password, announced once, when none is configured: that password signs in, and only it', async () => {
    const messages: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-test-'));
    const { buildApp } = await import('../../server/src/app.ts');
    const app = await buildApp({ databaseUrl: `file:${join(dir, 'test.db')}`, passwordLog2N: 10, clientDir: null, announce: (m) => messages.push(m) });
    try {
      expect(messages).toHaveLength(1);
      const password = /Username: admin {2}Password: (\S{20,}) /.exec(messages[0] ?? '')?.[1];
      if (!password) throw new Error(`no password in ${JSON.stringify(messages)}`);
      expect(await signIn(app, 'admin', password)).toMatch(/^lodestone_session=/);
      for (const wrong of [ADMIN_PASSWORD, '', password.slice(1)]) {
        expect((await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: wrong } })).statusCode).not.toBe(200);
      }
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not created again on an existing database', async () => {
    const messages: string[] = [];
    const t = await buildTestApp();
    const { buildApp } = await import('../../server/src/app.ts');
    const again = await buildApp({ databaseUrl: t.databaseUrl, secret: t.secret, passwordLog2N: 10, clientDir: null, announce: (m) => messages.push(m) });
    try {
      expect(messages).toEqual([]);
      expect((await again.lodestone.users.list()).filter((u) => u.username === 'admin')).toHaveLength(1);
    } finally {
      await again.close();
      await t.close();
    }
  });
});
