import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, buildTestApp, cookieOf, createUser, signIn, type TestApp } from '../helpers/app.ts';

describe('session routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('signs in with the right password: 200 {user} and an httpOnly, SameSite=Lax cookie', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(res.json().user).not.toHaveProperty('passwordHash');
    const cookie = res.cookies.find((c) => c.name === 'lodestone_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: cookieOf(res) } });
    expect(me.json().user.username).toBe('admin');
  });

  it('refuses a wrong password and an unknown name alike with a 401 problem', async () => {
    for (const payload of [{ username: 'admin', password: 'wrong-password' }, { username: 'nobody', password: 'wrong-password' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 401, title: 'Not signed in' });
      expect(res.cookies).toHaveLength(0);
    }
  });

  it('answers 400 with errors for a malformed sign-in body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'password', message: 'is required', code: 'required' }]);
  });

  it('gives a new session id at every sign-in and ends the one the browser held', async () => {
    const first = await signIn(t.app, 'admin', ADMIN_PASSWORD);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/session', headers: { cookie: first }, payload: { username: 'admin', password: ADMIN_PASSWORD } });
    const second = cookieOf(again);
    expect(second).not.toBe(first);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: first } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: second } })).statusCode).toBe(200);
  });

  it('ends the session on sign-out: the cookie no longer works', async () => {
    const cookie = await signIn(t.app, 'admin', ADMIN_PASSWORD);
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(me.statusCode).toBe(401);
  });

  it('ends a disabled account’s sessions, telling the open page why (401 account-disabled), once', async () => {
    const u = await createUser(t, 'member');
    const disable = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    expect(disable.statusCode).toBe(200);
    const first = await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { cookie: u.cookie } });
    expect(first.statusCode).toBe(401);
    expect(first.json()).toMatchObject({ status: 401, type: 'urn:lodestone:problem:account-disabled', title: 'Account disabled' });
    expect(first.json().detail).toMatch(/disabled/);
    // The session is gone now: what follows is an ordinary 401.
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: u.cookie } });
    expect(again.statusCode).toBe(401);
    expect(again.json().type).toBe('about:blank');
  });

  it('tells the right password of a disabled account so (401 of its own type); a wrong one is the same refusal as an unknown name', async () => {
    const u = await createUser(t, 'member');
    const open = await signIn(t.app, u.user.username, u.password);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    const right = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: u.user.username, password: u.password } });
    expect(right.statusCode).toBe(401);
    expect(right.json()).toMatchObject({ type: 'urn:lodestone:problem:account-disabled', title: 'Account disabled', detail: 'This account is disabled. Ask an administrator to enable it.' });
    expect(right.cookies).toEqual([]);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: u.user.username, password: 'not the password' } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'nobody.at.all', password: 'not the password' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.body).not.toMatch(/disabled/);
    // Enabled again, the account signs in anew; the sessions it had before stay ended.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { disabled: false } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: open } })).statusCode).toBe(401);
    expect(await signIn(t.app, u.user.username, u.password)).toMatch(/^lodestone_session=/);
  });

  it('holds one name from one address after ten wrong passwords, for a time that doubles with each further one; other addresses are not held', async () => {
    let now = Date.parse('2026-06-01T00:00:00.000Z');
    const held = await buildTestApp({ clock: () => new Date(now), sessionIdleMinutes: 60 * 24, sessionMaxHours: 24 * 7 });
    try {
      const u = await createUser(held, 'liaison');
      const attempt = (password: string, remoteAddress = '10.9.9.9') =>
        held.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: u.user.username, password }, remoteAddress });
      for (let i = 0; i < 10; i++) expect((await attempt('not-the-password')).statusCode).toBe(401);
      const eleventh = await attempt('still-not-it');
      expect(eleventh.statusCode).toBe(429);
      expect(eleventh.json()).toMatchObject({ status: 429 });
      const first = Number(eleventh.headers['retry-after']);
      expect(first).toBeGreaterThan(0);
      // While held, not even the right password is checked from that address: each check would be a guess.
      const duringHold = await attempt(u.password);
      expect(duringHold.statusCode).toBe(429);
      expect(Number(duringHold.headers['retry-after'])).toBeLessThanOrEqual(first);
      // Another address is not held: its wrong password is an ordinary 401, its right one signs in.
      expect((await attempt('wrong-again', '10.9.9.10')).statusCode).toBe(401);
      expect((await attempt(u.password, '10.9.9.11')).statusCode).toBe(200);
      // Once the hold is over, the next wrong password holds the pair twice as long.
      now += first * 1000;
      const twelfth = await attempt('nor-this-one');
      expect(twelfth.statusCode).toBe(429);
      expect(Number(twelfth.headers['retry-after'])).toBe(first * 2);
      // And once that is over, the right password signs in from there, and clears the count.
      now += first * 2 * 1000;
      expect((await attempt(u.password)).statusCode).toBe(200);
      expect((await attempt('a-typo')).statusCode).toBe(401);
    } finally {
      await held.close();
    }
  });

  it('lets 20 sign-ins a minute from one address through', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: ADMIN_PASSWORD }, remoteAddress: '10.1.1.1' });
      expect(res.statusCode).toBe(200);
    }
  });
});

describe('session cookie over HTTPS', () => {
  it('is Secure (and named __Host-lodestone_session) when the public origin is https', async () => {
    const t = await buildTestApp({ publicOrigin: 'https://rrg.example.gov' });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: ADMIN_PASSWORD } });
      expect(res.cookies.find((c) => c.name === '__Host-lodestone_session')?.secure).toBe(true);
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    } finally {
      await t.close();
    }
  });
});

describe('session lifetime (LODESTONE_SESSION_IDLE_MINUTES, LODESTONE_SESSION_MAX_HOURS)', () => {
  let now = Date.parse('2026-11-27T09:00:00Z');
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => new Date(now), sessionIdleMinutes: 30, sessionMaxHours: 2 });
  });
  afterAll(() => t.close());
  const who = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } }).then((r) => r.statusCode);

  it('ends a session left idle past the idle limit, and keeps one in use', async () => {
    const idle = await signIn(t.app, 'admin', ADMIN_PASSWORD);
    const busy = await signIn(t.app, 'admin', ADMIN_PASSWORD);
    for (let i = 0; i < 3; i++) {
      now += 20 * 60_000;
      expect(await who(busy)).toBe(200);
    }
    expect(await who(idle)).toBe(401);
  });

  it('ends a session at its absolute limit even while it is in use', async () => {
    const cookie = await signIn(t.app, 'admin', ADMIN_PASSWORD);
    for (let minutes = 20; minutes < 120; minutes += 20) {
      now += 20 * 60_000;
      expect(await who(cookie), `after ${minutes} minutes`).toBe(200);
    }
    now += 20 * 60_000;
    expect(await who(cookie)).toBe(401);
  });
});
