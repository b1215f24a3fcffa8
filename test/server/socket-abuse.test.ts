import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET_LIMITS } from '../../server/src/plugins/realtime.ts';

const { subscribeBurst, subscribesPerSecond, packetsPerSecond, cutOffsToBlock, blockMs } = SOCKET_LIMITS;
import { alertInput, buildTestApp, createCast, listen, signIn, type TestApp } from '../helpers/app.ts';
import { connectSocket, rawSocket, record, subscribe, waitFor, waitForDisconnect } from '../helpers/sockets.ts';

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

  it(`refuses subscribes past a burst of ${subscribeBurst} (then ${subscribesPerSecond} a second) with 429 and retryAfter, and serves them again after it`, async () => {
    const other = await bystander();
    const abuser = await connectSocket(url, { cookie: cast.staff.cookie });
    const acks = await Promise.all(Array.from({ length: subscribeBurst + 20 }, () => subscribe(abuser, { stream: 'alerts', after: 0 })));
    const refused = acks.filter((a) => !a.ok);
    // A few may refill while the burst is served; most of the extra 20 are refused.
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(subscribeBurst);
    expect(acks.filter((a) => a.ok).length).toBeLessThanOrEqual(subscribeBurst + 5);
    expect(refused.length).toBeGreaterThanOrEqual(15);
    expect(refused[0]).toEqual({ ok: false, error: { status: 429, title: 'Too many subscriptions: try again shortly', retryAfter: 1 } });
    await other.stillServed('during a subscribe flood');
    await new Promise((r) => setTimeout(r, 1000 * (refused[0]?.ok === false ? (refused[0].error.retryAfter ?? 1) : 1)));
    expect(await subscribe(abuser, { stream: 'alerts' })).toMatchObject({ ok: true });
    abuser.close();
    other.socket.close();
  });

  it(`cuts off a socket that sends more than ${packetsPerSecond} packets a second; after ${cutOffsToBlock} cut-offs its session waits ${blockMs / 1000} s`, async () => {
    const other = await bystander();
    const cookie = await signIn(t.app, cast.staff.user.username, cast.staff.password);
    // Another socket of the same session, already open: it is not cut off with the flooder.
    const sibling = await connectSocket(url, { cookie });
    const flood = async () => {
      const abuser = await connectSocket(url, { cookie });
      const gone = waitForDisconnect(abuser, 5000);
      for (let i = 0; i < packetsPerSecond + 50; i++) abuser.emit('unsubscribe', { stream: 'alerts' });
      expect(await gone).toBe('io server disconnect');
    };
    // One slip: the session may come straight back.
    for (let i = 0; i < cutOffsToBlock; i++) await flood();
    await other.stillServed('after a packet flood');
    // Cut off again and again: new sockets of that session are refused for a while, with how long.
    const refusal = await connectSocket(url, { cookie }).then(
      () => null,
      (error: Error & { data?: { retryAfter?: number } }) => error,
    );
    expect(refusal?.message).toBe('too many requests');
    expect(refusal?.data?.retryAfter).toBeGreaterThan(0);
    expect(refusal?.data?.retryAfter).toBeLessThanOrEqual(blockMs / 1000);
    expect(sibling.connected).toBe(true);
    expect(await subscribe(sibling, { stream: 'alerts' })).toMatchObject({ ok: true });
    // Another session of the same person is not refused.
    const fresh = await connectSocket(url, { cookie: await signIn(t.app, cast.staff.user.username, cast.staff.password) });
    expect(fresh.connected).toBe(true);
    fresh.close();
    sibling.close();
    other.socket.close();
  });

  it('keeps the budget of a connection when it leaves the namespace and joins again', async () => {
    const raw = await rawSocket(url, cast.jpLead.cookie);
    let id = 0;
    const subscribeRaw = () => raw.ws.send(`42${++id}["subscribe",{"stream":"alerts","after":0}]`);
    for (let i = 0; i < subscribeBurst; i++) subscribeRaw();
    await waitFor(() => raw.frames.filter((f) => /^43\d+\[/.test(f)).length === subscribeBurst, 5000, 'the burst of acks');
    raw.ws.send('41');
    // Socket.IO handles a disconnect on the next tick; a connect in the same tick would be refused.
    await new Promise((r) => setTimeout(r, 50));
    raw.ws.send('40');
    await waitFor(() => raw.frames.filter((f) => f.startsWith('40{')).length === 2, 5000, `the second namespace connect: ${raw.frames.filter((f) => !f.startsWith('43')).join(' | ').slice(0, 400)}`);
    // A fresh budget would serve a whole burst again; the kept one has refilled only what the time since allows.
    for (let i = 0; i < subscribeBurst; i++) subscribeRaw();
    await waitFor(() => raw.frames.filter((f) => /^43\d+\[/.test(f)).length === 2 * subscribeBurst, 5000, 'the acks after rejoining');
    const afterRejoin = raw.frames.filter((f) => /^43\d+\[/.test(f)).slice(subscribeBurst);
    expect(afterRejoin.filter((f) => f.includes('"status":429')).length).toBeGreaterThanOrEqual(subscribeBurst / 2);
    raw.ws.close();
  });

  it('counts every packet a connection sends, acks included, and cuts off a flood of them', async () => {
    const other = await bystander();
    const raw = await rawSocket(url, cast.jpLead.cookie);
    for (let i = 0; i < packetsPerSecond + 50; i++) raw.ws.send(`43${i}[]`);
    await waitFor(raw.closed, 5000, 'the connection to be closed');
    expect(raw.frames).toContain('41');
    await other.stillServed('after an ack flood');
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
