import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, LodestoneEvent } from '@lodestone/shared';
import { append } from '../../server/src/events/event-log.ts';
import { buildTestApp, createCast, createUser, listen, signIn, type TestApp } from '../helpers/app.ts';
import { connectSocket, marker, openSocket, rawSocket, record, subscribe, waitFor, waitForDisconnect } from '../helpers/sockets.ts';

describe('realtime: handshake, subscribe and catch-up', () => {
  let t: TestApp;
  let url: string;
  let cast: Awaited<ReturnType<typeof createCast>>;
  const actor: Actor = { id: 'X', displayName: 'Poster', agency: 'DOE', side: 'US' };
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const post = (n: number) =>
    t.app.lodestone.log.enqueue(async (tx) => {
      for (let i = 0; i < n; i++) await append(tx, 'alerts', 'alert.posted', actor, { title: `alert ${i}` });
    });

  it('refuses a handshake without a session or token with "unauthorized"', async () => {
    await expect(connectSocket(url)).rejects.toThrow('unauthorized');
    await expect(connectSocket(url, { cookie: 'lodestone_session=forged' })).rejects.toThrow('unauthorized');
    await expect(connectSocket(url, { token: 'lsk_forged' })).rejects.toThrow('unauthorized');
  });

  it('refuses a handshake from a foreign Origin even with a valid session, before an Engine.IO session exists', async () => {
    const refused = t.app.socketGuards.gate.refused.origin;
    // Refused by allowRequest: the client sees its transport refused (HTTP 403), not a connect_error from the namespace.
    await expect(connectSocket(url, { cookie: cast.lead.cookie, origin: 'https://evil.example' })).rejects.toThrow('websocket error');
    expect(t.app.socketGuards.gate.refused.origin).toBe(refused + 1);
    const ok = await connectSocket(url, { cookie: cast.lead.cookie, origin: url });
    ok.close();
  });

  it('subscribes without `after` at the head: no events in the ack, then live events once each, in order', async () => {
    await post(3);
    const socket = await connectSocket(url, { cookie: cast.member.cookie });
    const got = record(socket);
    const head = await t.app.lodestone.log.head('alerts');
    const ack = await subscribe(socket, { stream: 'alerts' });
    expect(ack).toEqual({ ok: true, events: [], head, more: false });
    // Subscribing twice must not double the delivery.
    await subscribe(socket, { stream: 'alerts' });
    await post(5);
    // A sixth event marks the end: what came before it is all the five could ever be.
    await post(1);
    await waitFor(() => got.events.some((e) => e.seq === head + 6), 5000, 'the marker event');
    expect(got.events.map((e) => e.seq)).toEqual([head + 1, head + 2, head + 3, head + 4, head + 5, head + 6]);
    socket.close();
  });

  it('returns exactly the missed events when subscribing with `after`', async () => {
    const socket = await connectSocket(url, { cookie: cast.liaison.cookie });
    const after = await t.app.lodestone.log.head('alerts');
    await post(7);
    const ack = await subscribe(socket, { stream: 'alerts', after });
    if (!ack.ok) throw new Error('refused');
    expect(ack.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => after + i));
    expect(ack).toMatchObject({ head: after + 7, more: false });
    expect(ack.events[0]).toMatchObject({ stream: 'alerts', type: 'alert.posted', actor, data: { title: 'alert 0' } });
    socket.close();
  });

  it('sends the same event, byte for byte of its JSON, live, in the ack and from GET /events', async () => {
    const tricky = { title: 'Ga "export" \\ ban\u2028 ガリウム 🚨 </script>', nested: { list: [1, null, true, 'ü'] } };
    const live = await connectSocket(url, { cookie: cast.member.cookie });
    const got = record(live);
    await subscribe(live, { stream: 'alerts' });
    const after = await t.app.lodestone.log.head('alerts');
    await t.app.lodestone.log.enqueue((tx) => append(tx, 'alerts', 'alert.posted', actor, tricky));
    await waitFor(() => got.events.length === 1, 5000, 'the live event');
    const late = await connectSocket(url, { cookie: cast.liaison.cookie });
    const ack = await subscribe(late, { stream: 'alerts', after });
    if (!ack.ok) throw new Error('refused');
    const page = await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=alerts&after=${after}`, headers: { cookie: cast.member.cookie } });
    const [fromPage] = (page.json() as { events: LodestoneEvent[] }).events;
    expect(got.events[0]?.data).toEqual(tricky);
    expect(ack.events).toEqual(got.events);
    expect(fromPage).toEqual(got.events[0]);
    live.close();
    late.close();
  });

  it('sends an ack whose events are the very bytes of GET /events, over WebSocket; the same ack over long-polling', async () => {
    const after = await t.app.lodestone.log.head('alerts');
    await post(3);
    const page = await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=alerts&after=${after}`, headers: { cookie: cast.member.cookie } });
    const pageEvents = /^\{"events":\[(.*)\],"head":(\d+)\}$/s.exec(page.body);
    if (!pageEvents) throw new Error(`unexpected page ${page.body.slice(0, 80)}`);
    // A raw WebSocket speaking Engine.IO 4 / Socket.IO 5: what is on the wire, not what a client library makes of it.
    const { ws, frames } = await rawSocket(url, cast.member.cookie);
    // The server side of this socket: count the packets Engine.IO creates with a pre-encoded frame.
    const server = [...t.app.io.of('/').sockets.values()].at(-1);
    let preEncoded = 0;
    server?.conn.on('packetCreate', (packet: { options?: { wsPreEncodedFrame?: unknown } }) => {
      if (packet.options?.wsPreEncodedFrame !== undefined) preEncoded++;
    });
    ws.send(`4217["subscribe",{"stream":"alerts","after":${after}}]`);
    await waitFor(() => frames.some((f) => f.startsWith('4317[')), 5000, 'the ack frame');
    // It went as a pre-encoded frame (the fast path), not as a string Engine.IO encoded.
    expect(preEncoded).toBe(1);
    ws.close();
    const frame = frames.find((f) => f.startsWith('4317[')) ?? '';
    expect(frame).toBe(`4317[{"ok":true,"events":[${pageEvents[1]}],"head":${pageEvents[2]},"more":false}]`);
    // Long-polling takes the other path (a string built from the same stored JSON): the same ack.
    const polling = await connectSocket(url, { cookie: cast.member.cookie, transports: ['polling'] });
    const viaPolling = await subscribe(polling, { stream: 'alerts', after });
    polling.close();
    expect(viaPolling).toEqual(JSON.parse(frame.slice('4317'.length))[0]);
  });

  it('sends at most 500 in the ack with `more`, the rest come from GET /events, with no gap or duplicate', async () => {
    const after = await t.app.lodestone.log.head('alerts');
    await post(1200);
    const socket = await connectSocket(url, { cookie: cast.staff.cookie });
    const got = record(socket);
    const ack = await subscribe(socket, { stream: 'alerts', after });
    if (!ack.ok) throw new Error('refused');
    expect(ack.events).toHaveLength(500);
    expect(ack.more).toBe(true);
    const all: LodestoneEvent[] = [...ack.events];
    let cursor = all.at(-1)?.seq ?? after;
    while (cursor < ack.head) {
      const page = await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=alerts&after=${cursor}&limit=1000`, headers: { cookie: cast.staff.cookie } });
      const body = page.json() as { events: LodestoneEvent[]; head: number };
      all.push(...body.events);
      cursor = body.events.at(-1)?.seq ?? ack.head;
    }
    await post(1);
    await waitFor(() => got.events.length === 1, 5000, 'the live event');
    all.push(...got.events);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 1201 }, (_, i) => after + i + 1));
    socket.close();
  });

  it('refuses streams the user may not read, and bad requests, in the ack', async () => {
    const socket = await connectSocket(url, { cookie: cast.member.cookie });
    expect(await subscribe(socket, { stream: 'admin' })).toEqual({ ok: false, error: { status: 403, title: 'Not allowed' } });
    expect(await subscribe(socket, { stream: 'incident:NOPE' })).toMatchObject({ ok: false, error: { status: 404 } });
    expect(await subscribe(socket, { stream: 'everything' as 'alerts' })).toMatchObject({ ok: false, error: { status: 400 } });
    socket.close();
    const adminSocket = await connectSocket(url, { cookie: t.admin });
    expect(await subscribe(adminSocket, { stream: 'alerts' })).toMatchObject({ ok: false, error: { status: 403 } });
    expect(await subscribe(adminSocket, { stream: 'admin' })).toMatchObject({ ok: true });
    adminSocket.close();
  });

  it('stops delivery after unsubscribe', async () => {
    const socket = await connectSocket(url, { cookie: cast.lead.cookie });
    const got = record(socket);
    await subscribe(socket, { stream: 'alerts' });
    socket.emit('unsubscribe', { stream: 'alerts' });
    await marker(socket);
    await post(2);
    await marker(socket);
    expect(got.events).toEqual([]);
    socket.close();
  });

  it('closes the sockets of a session when it signs out, and only those', async () => {
    const u = await createUser(t, 'member');
    const second = await signIn(t.app, u.user.username, u.password);
    const a = await connectSocket(url, { cookie: u.cookie });
    const b = await connectSocket(url, { cookie: second });
    const closed = waitForDisconnect(a, 3000);
    await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: u.cookie } });
    expect(await closed).toBe('io server disconnect');
    // The other session's socket still answers, after the sign-out was carried out.
    await marker(b);
    expect(b.connected).toBe(true);
    b.close();
  });

  it("closes a disabled user's sockets at once", async () => {
    const u = await createUser(t, 'liaison');
    const socket = await connectSocket(url, { cookie: u.cookie });
    const closed = waitForDisconnect(socket, 3000);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    expect(await closed).toBe('io server disconnect');
  });

  it('ends the subscription when a role change takes the right to read away', async () => {
    const u = await createUser(t, 'member');
    const socket = await connectSocket(url, { cookie: u.cookie });
    const notices: unknown[] = [];
    socket.on('unsubscribed', (n) => notices.push(n));
    const got = record(socket);
    await subscribe(socket, { stream: 'alerts' });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.user.id}`, headers: { cookie: t.admin }, payload: { role: 'admin' } });
    await waitFor(() => notices.length === 1, 3000, 'the unsubscribed notice');
    expect(notices).toEqual([{ stream: 'alerts', reason: 'access' }]);
    await post(1);
    await marker(socket);
    expect(got.events).toEqual([]);
    socket.close();
  });

  it('closes sockets of a session that expired while connected', async () => {
    let now = Date.now();
    const clocked = await buildTestApp({ clock: () => new Date(now), sessionIdleMinutes: 30 });
    try {
      const base = await listen(clocked.app);
      const socket = await connectSocket(base, { cookie: clocked.admin });
      const closed = waitForDisconnect(socket, 5000);
      now += 31 * 60_000;
      expect(await closed).toBe('io server disconnect');
      expect((await clocked.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: clocked.admin } })).statusCode).toBe(401);
    } finally {
      await clocked.close();
    }
  });

  it('accepts a bearer token in the handshake', async () => {
    const created = (await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: cast.liaison.cookie }, payload: { name: 'feed' } })).json();
    const socket = openSocket(url, { token: created.token });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(await subscribe(socket, { stream: 'alerts' })).toMatchObject({ ok: true });
    socket.close();
  });
});

describe('GET /events', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
    await t.app.lodestone.log.enqueue(async (tx) => {
      for (let i = 0; i < 25; i++) await append(tx, 'alerts', 'alert.posted', null, { i });
    });
  });
  afterAll(() => t.close());
  const get = (q: string, cookie?: string) => t.app.inject({ method: 'GET', url: `/api/v1/events?${q}`, headers: cookie ? { cookie } : {} });

  it('pages a stream in ascending seq with its head', async () => {
    const res = await get('stream=alerts&after=10&limit=5', cast.liaison.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.json().events.map((e: LodestoneEvent) => e.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(res.json().head).toBe(25);
    expect((await get('stream=alerts', cast.liaison.cookie)).json().events).toHaveLength(25);
  });

  it('refuses bad queries with 400, other roles with 403, anonymous with 401', async () => {
    const capped = await get('stream=alerts&limit=5000', cast.lead.cookie);
    expect(capped.statusCode).toBe(200); // more than 1000 reads as 1000
    expect(capped.json().events).toHaveLength(25);
    expect((await get('stream=alerts&limit=0', cast.lead.cookie)).statusCode).toBe(400);
    expect((await get('stream=alerts&after=-1', cast.lead.cookie)).statusCode).toBe(400);
    expect((await get('after=1', cast.lead.cookie)).statusCode).toBe(400);
    expect((await get('stream=admin', cast.lead.cookie)).statusCode).toBe(403);
    expect((await get('stream=alerts', t.admin)).statusCode).toBe(403);
    expect((await get('stream=alerts')).statusCode).toBe(401);
  });
});
