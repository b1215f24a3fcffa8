import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUT_OFF_MS, PACKETS_PER_SECOND, SUBSCRIBES_PER_SECOND } from '../../server/src/plugins/realtime.ts';
import { alertInput, buildTestApp, createCast, listen, signIn, type TestApp } from '../helpers/app.ts';
import { connectSocket, record, subscribe, waitFor, waitForDisconnect } from '../helpers/sockets.ts';

describe('socket abuse: one socket cannot hurt the others', () => {
  let t: TestApp;
  let url: string;
  let cast: Awaited<ReturnType<typeof createCast>>;
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    cast = await createCast(t);
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const postAlert = (title: string) => t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: cast.liaison.cookie }, payload: alertInput({ title }) });

  /** A well-behaved client on the alerts stream, and a check that it still gets what is posted. */
  async function bystander() {
    const socket = await connectSocket(url, { cookie: cast.member.cookie });
    const got = record(socket);
    expect(await subscribe(socket, { stream: 'alerts' })).toMatchObject({ ok: true });
    return {
      socket,
      async stillServed(title: string) {
        expect((await postAlert(title)).statusCode).toBe(201);
        await waitFor(() => got.events.some((e) => (e.data as { title?: string }).title === title), 5000, `the bystander to get "${title}"`);
      },
    };
  }

  it(`refuses subscribes past ${SUBSCRIBES_PER_SECOND} a second with 429, and serves them again a second later`, async () => {
    const other = await bystander();
    const abuser = await connectSocket(url, { cookie: cast.staff.cookie });
    const acks = await Promise.all(Array.from({ length: SUBSCRIBES_PER_SECOND + 20 }, () => subscribe(abuser, { stream: 'alerts', after: 0 })));
    const refused = acks.filter((a) => !a.ok);
    expect(acks.filter((a) => a.ok).length).toBeLessThanOrEqual(SUBSCRIBES_PER_SECOND);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    expect(refused[0]).toEqual({ ok: false, error: { status: 429, title: 'Too many subscriptions: try again in a second' } });
    await other.stillServed('during a subscribe flood');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await subscribe(abuser, { stream: 'alerts' })).toMatchObject({ ok: true });
    abuser.close();
    other.socket.close();
  });

  it(`cuts off a socket that sends more than ${PACKETS_PER_SECOND} packets a second, and its session for ${CUT_OFF_MS / 1000} s`, async () => {
    const other = await bystander();
    const abuser = await connectSocket(url, { cookie: cast.staff.cookie });
    const gone = waitForDisconnect(abuser, 5000);
    for (let i = 0; i < PACKETS_PER_SECOND + 50; i++) abuser.emit('unsubscribe', { stream: 'alerts' });
    expect(await gone).toBe('io server disconnect');
    await other.stillServed('after a packet flood');
    // Coming straight back with the same session buys no fresh budget; another session of the same person may connect.
    await expect(connectSocket(url, { cookie: cast.staff.cookie })).rejects.toThrow('too many requests');
    const fresh = await connectSocket(url, { cookie: await signIn(t.app, cast.staff.user.username, cast.staff.password) });
    expect(fresh.connected).toBe(true);
    fresh.close();
    other.socket.close();
  });

  it('closes a socket that sends a packet over 64 KB, and nobody else notices', async () => {
    const other = await bystander();
    const abuser = await connectSocket(url, { cookie: cast.jpMember.cookie });
    const gone = waitForDisconnect(abuser, 5000);
    abuser.emit('subscribe', { stream: 'alerts', padding: 'x'.repeat(70 * 1024) } as never, () => undefined);
    expect(await gone).toBe('transport close');
    await other.stillServed('after an oversize packet');
    other.socket.close();
  });
});
