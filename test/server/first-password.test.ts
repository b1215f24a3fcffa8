import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@lodestone/shared';
import { TEST_PASSWORD, alertInput, buildTestApp, createUser, listen, signIn, type TestApp } from '../helpers/app.ts';
import { connectSocket, subscribe, waitFor } from '../helpers/sockets.ts';

const NEW_PASSWORD = 'my own chosen password';
const PASSWORD_FIRST = 'urn:lodestone:problem:password-change-required';

describe('accounts that must choose a new password, and disabled accounts', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await buildTestApp();
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const req = (cookie: string, method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${path}`, headers: { cookie }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const create = async (username: string, extra: Record<string, unknown> = {}) => {
    const res = await req(t.admin, 'POST', '/users', { username, displayName: username, password: TEST_PASSWORD, role: 'liaison', agency: 'JOGMEC', side: 'JP', ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as User;
  };

  it('creates accounts usable at once over the API unless asked otherwise (the default stays false)', async () => {
    const user = await create('script.made');
    expect(user.mustChangePassword).toBe(false);
    const cookie = await signIn(t.app, 'script.made', TEST_PASSWORD);
    expect((await req(cookie, 'GET', '/alerts')).statusCode).toBe(200);
  });

  it('holds a new account to choosing its password first: only its session and the password change are open', async () => {
    const user = await create('first.signin', { mustChangePassword: true });
    expect(user.mustChangePassword).toBe(true);
    expect((await req(t.admin, 'GET', `/users/${user.id}`)).json()).toMatchObject({ mustChangePassword: true });
    const signedIn = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'first.signin', password: TEST_PASSWORD } });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().user).toMatchObject({ id: user.id, mustChangePassword: true });
    const cookie = await signIn(t.app, 'first.signin', TEST_PASSWORD);
    expect((await req(cookie, 'GET', '/session')).json().user.mustChangePassword).toBe(true);

    for (const [method, path, payload] of [
      ['GET', '/alerts', undefined],
      ['POST', '/alerts', alertInput()],
      ['POST', '/alerts', { nonsense: true }],
      ['GET', '/people', undefined],
      ['PATCH', '/profile', { locale: 'en' }],
      ['POST', '/tokens', { name: 'sneaky script' }],
      ['GET', `/events?stream=alerts`, undefined],
    ] as const) {
      const res = await req(cookie, method, path, payload);
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(res.json(), `${method} ${path}`).toMatchObject({ type: PASSWORD_FIRST, title: 'New password required' });
    }
    await expect(connectSocket(url, { cookie })).rejects.toMatchObject({ message: 'password change required', data: { status: 403, type: PASSWORD_FIRST } });

    const changed = await req(cookie, 'POST', '/profile/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ mustChangePassword: false });
    const event = (await t.app.lodestone.log.read('admin', 0, 100_000)).at(-1);
    expect(event).toMatchObject({ type: 'user.updated', actor: { id: user.id }, data: { id: user.id, mustChangePassword: false, changed: ['password', 'mustChangePassword'] } });
    // The same session goes on, with everything its role allows.
    expect((await req(cookie, 'GET', '/alerts')).statusCode).toBe(200);
    const socket = await connectSocket(url, { cookie });
    expect((await subscribe(socket, { stream: 'alerts' })).ok).toBe(true);
    socket.close();
  });

  it('lets an admin require a new password with a reset, or alone; a reset alone is for use at once', async () => {
    const user = await create('reset.me');
    const reset = await req(t.admin, 'PATCH', `/users/${user.id}`, { password: 'temporary password 1', mustChangePassword: true });
    expect(reset.json()).toMatchObject({ mustChangePassword: true });
    const plain = await req(t.admin, 'PATCH', `/users/${user.id}`, { password: 'temporary password 2' });
    expect(plain.json()).toMatchObject({ mustChangePassword: false });
    const cookie = await signIn(t.app, 'reset.me', 'temporary password 2');
    expect((await req(cookie, 'GET', '/alerts')).statusCode).toBe(200);

    // Required alone, on an account in use: its requests and sockets are held to it at once.
    const socket = await connectSocket(url, { cookie });
    const notices: unknown[] = [];
    socket.on('sessionEnded', (n) => notices.push(n));
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const flagged = await req(t.admin, 'PATCH', `/users/${user.id}`, { mustChangePassword: true });
    expect(flagged.json()).toMatchObject({ mustChangePassword: true });
    expect(await closed).toBe('io server disconnect');
    expect(notices).toEqual([{ reason: 'password-change-required' }]);
    expect((await req(cookie, 'GET', '/alerts')).json()).toMatchObject({ status: 403, type: PASSWORD_FIRST });
    expect((await req(cookie, 'GET', '/session')).statusCode).toBe(200);
  });

  it('refuses the flag from anyone but an admin, and a flag that is not a boolean', async () => {
    const lead = await createUser(t, 'lead');
    const user = await create('not.yours');
    expect((await req(lead.cookie, 'PATCH', `/users/${user.id}`, { mustChangePassword: true })).statusCode).toBe(403);
    const bad = await req(t.admin, 'POST', '/users', { username: 'bad.flag', displayName: 'Bad', password: TEST_PASSWORD, role: 'member', agency: 'DOE', side: 'US', mustChangePassword: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'mustChangePassword', code: 'wrong_type' })]);
    expect(await t.app.lodestone.users.rowByUsername('bad.flag')).toBeUndefined();
  });

  it('tells a disabled user’s open page why its sockets close, before they close', async () => {
    const u = await createUser(t, 'member');
    const socket = await connectSocket(url, { cookie: u.cookie });
    const seen: string[] = [];
    socket.on('sessionEnded', (n) => seen.push(`notice ${n.reason}`));
    socket.once('disconnect', (reason) => seen.push(reason));
    await req(t.admin, 'PATCH', `/users/${u.user.id}`, { disabled: true });
    await waitFor(() => seen.length === 2, 3000, 'the notice and the close');
    expect(seen).toEqual(['notice disabled', 'io server disconnect']);
  });
});
