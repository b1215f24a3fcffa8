import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiToken, CreatedApiToken } from '@lodestone/shared';
import { ADMIN_PASSWORD, buildTestApp, createUser, listen, signIn, type TestApp } from '../helpers/app.ts';
import { connectSocket, marker, waitForDisconnect } from '../helpers/sockets.ts';

/** Issue 14, finding 7: API tokens must not outlive a password reset, nor (when asked) a password change. */
describe('tokens and sessions after a password reset or change', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await buildTestApp();
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const newToken = async (cookie: string, name = 'script') => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie }, payload: { name } });
    expect(res.statusCode).toBe(201);
    return res.json<CreatedApiToken>().token ?? '';
  };
  const whoAmI = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/session', headers });

  it("an admin's reset revokes the user's tokens (HTTP 401, open socket cut) and ends their sessions", async () => {
    const user = await createUser(t, 'liaison');
    const token = await newToken(user.cookie);
    expect((await whoAmI({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    const tokenSocket = await connectSocket(url, { token });
    const sessionSocket = await connectSocket(url, { cookie: user.cookie });
    const tokenClosed = waitForDisconnect(tokenSocket);
    const sessionClosed = waitForDisconnect(sessionSocket);

    const reset = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.user.id}`, headers: { cookie: t.admin }, payload: { password: 'reset-by-admin-1' } });
    expect(reset.statusCode).toBe(200);

    expect(await tokenClosed).toBe('io server disconnect');
    expect(await sessionClosed).toBe('io server disconnect');
    expect((await whoAmI({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
    expect((await whoAmI({ cookie: user.cookie })).statusCode).toBe(401);
    await expect(connectSocket(url, { token })).rejects.toThrow('unauthorized');
    // The admin sees them revoked, and the admin stream says so.
    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.user.id}/tokens`, headers: { cookie: t.admin } })).json<ApiToken[]>();
    expect(listed).toEqual([expect.objectContaining({ revokedAt: expect.any(String) })]);
    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/events?stream=admin&after=0&limit=1000', headers: { cookie: t.admin } })).json<{ events: { type: string; data: { id?: string } }[] }>();
    expect(events.events.filter((e) => e.type === 'token.revoked' && e.data.id === listed[0]?.id)).toHaveLength(1);
    // The new password works.
    expect(await signIn(t.app, user.user.username, 'reset-by-admin-1')).toMatch(/lodestone_session=/);
  });

  it('an admin changing anything but the password leaves the tokens alone', async () => {
    const user = await createUser(t, 'liaison');
    const token = await newToken(user.cookie);
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.user.id}`, headers: { cookie: t.admin }, payload: { agency: 'JOGMEC' } });
    expect(patch.statusCode).toBe(200);
    expect((await whoAmI({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
  });

  it('an own password change with signOutEverywhere ends other sessions and tokens, and keeps this session', async () => {
    const user = await createUser(t, 'member');
    const other = await signIn(t.app, user.user.username, user.password);
    const tokens = [await newToken(user.cookie, 'a'), await newToken(user.cookie, 'b')];
    const tokenSocket = await connectSocket(url, { token: tokens[0] });
    const thisSocket = await connectSocket(url, { cookie: user.cookie });
    const tokenClosed = waitForDisconnect(tokenSocket);

    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/profile/password',
      headers: { cookie: user.cookie },
      payload: { currentPassword: user.password, newPassword: 'everywhere-else-out', signOutEverywhere: true },
    });
    expect(res.statusCode).toBe(200);

    expect(await tokenClosed).toBe('io server disconnect');
    for (const token of tokens) expect((await whoAmI({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
    expect((await whoAmI({ cookie: other })).statusCode).toBe(401);
    expect((await whoAmI({ cookie: user.cookie })).statusCode).toBe(200);
    // This session's socket is still open and served (a marker round trip).
    await marker(thisSocket);
    expect(thisSocket.connected).toBe(true);
    thisSocket.close();
  });

  it("an own password change without the option keeps today's behaviour: other sessions end, tokens keep working", async () => {
    const user = await createUser(t, 'member');
    const other = await signIn(t.app, user.user.username, user.password);
    const token = await newToken(user.cookie);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/profile/password',
      headers: { cookie: user.cookie },
      payload: { currentPassword: user.password, newPassword: 'only-sessions-end' },
    });
    expect(res.statusCode).toBe(200);
    expect((await whoAmI({ cookie: other })).statusCode).toBe(401);
    expect((await whoAmI({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await whoAmI({ cookie: user.cookie })).statusCode).toBe(200);
  });

  it('refuses a signOutEverywhere that is not a boolean, changing nothing', async () => {
    const user = await createUser(t, 'member');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/profile/password',
      headers: { cookie: user.cookie },
      payload: { currentPassword: user.password, newPassword: 'never-applied-pw', signOutEverywhere: 'yes' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [expect.objectContaining({ path: 'signOutEverywhere', code: 'wrong_type' })] });
    expect(await signIn(t.app, user.user.username, user.password)).toMatch(/lodestone_session=/);
  });
});

describe('the session cookie name: __Host- under HTTPS', () => {
  it('is __Host-lodestone_session with Secure, Path=/ and no Domain when the origin is https; HTTP and sockets read it', async () => {
    const t = await buildTestApp({ publicOrigin: 'https://rrg.example.gov' });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: ADMIN_PASSWORD } });
      expect(res.statusCode).toBe(200);
      const header = String(res.headers['set-cookie']);
      expect(header).toMatch(/^__Host-lodestone_session=/);
      expect(header).toMatch(/; Path=\//);
      expect(header).toMatch(/; Secure/);
      expect(header).not.toMatch(/Domain=/i);
      const cookie = res.cookies.find((c) => c.name === '__Host-lodestone_session');
      expect(cookie?.value).toBeTruthy();
      const value = cookie?.value ?? '';
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `__Host-lodestone_session=${value}` } })).statusCode).toBe(200);
      // The unprefixed name is not read over HTTPS: a cookie a plain-HTTP page could set does not count.
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `lodestone_session=${value}` } })).statusCode).toBe(401);
      // A state-changing request from the app's own origin with the cookie passes the Origin check.
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: `__Host-lodestone_session=${value}`, origin: 'https://rrg.example.gov' }, payload: { name: 'x' } });
      expect(created.statusCode).toBe(201);
      const base = await listen(t.app);
      const socket = await connectSocket(base, { cookie: `__Host-lodestone_session=${value}`, origin: 'https://rrg.example.gov' });
      expect(socket.connected).toBe(true);
      socket.close();
      await expect(connectSocket(base, { cookie: `lodestone_session=${value}`, origin: 'https://rrg.example.gov' })).rejects.toThrow('unauthorized');
      const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: `__Host-lodestone_session=${value}` } });
      expect(String(out.headers['set-cookie'])).toMatch(/^__Host-lodestone_session=;.*Path=\/.*Secure/);
    } finally {
      await t.close();
    }
  });

  it('keeps the name lodestone_session over plain HTTP (no Secure)', async () => {
    const t = await buildTestApp();
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin', password: ADMIN_PASSWORD } });
      const header = String(res.headers['set-cookie']);
      expect(header).toMatch(/^lodestone_session=/);
      expect(header).not.toMatch(/Secure/);
      const base = await listen(t.app);
      const socket = await connectSocket(base, { cookie: t.admin });
      expect(socket.connected).toBe(true);
      socket.close();
    } finally {
      await t.close();
    }
  });
});
