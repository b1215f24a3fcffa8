import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { LodestoneEvent, SubscribeAck } from '@lodestone/shared';
import { useConnectionStore } from '../../client/src/stores/connection.ts';
import type { LodestoneSocket } from '../../client/src/socket.ts';

/**
 * A stand-in for the Socket.IO connection that records what the store asks and lets the test
 * play the server: the ordering, dedup and gap logic is what is under test here; the real
 * protocol is covered by the server and browser tests.
 */
class FakeServerSocket {
  connected = false;
  handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  subscribes: { stream: string; after?: number; presence?: string }[] = [];
  answer: (request: { stream: string; after?: number }) => SubscribeAck = () => ({ ok: true, events: [], head: 0, more: false });

  on(name: string, handler: (...args: unknown[]) => void) {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
    return this;
  }
  fire(name: string, ...args: unknown[]) {
    for (const h of this.handlers.get(name) ?? []) h(...args);
  }
  timeout() {
    return this;
  }
  async emitWithAck(_name: string, request: { stream: string; after?: number }) {
    this.subscribes.push(request);
    return this.answer(request);
  }
  emit() {
    return this;
  }
  connect() {
    this.connected = true;
    this.fire('connect');
  }
  drop() {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }
  removeAllListeners() {
    this.handlers.clear();
  }
  disconnect() {
    this.connected = false;
  }
}

const ev = (seq: number): LodestoneEvent => ({
  stream: 'alerts',
  seq,
  type: 'alert.posted',
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
  actor: null,
  data: { seq },
  prevHash: '',
  hash: '',
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('connection store', () => {
  let fake: FakeServerSocket;
  let applied: number[];
  let store: ReturnType<typeof useConnectionStore>;

  beforeEach(() => {
    setActivePinia(createPinia());
    fake = new FakeServerSocket();
    applied = [];
    store = useConnectionStore();
    store.start(() => fake as unknown as LodestoneSocket);
  });
  afterEach(() => {
    store.stop();
    vi.unstubAllGlobals();
  });

  it('subscribes from the seq the caller already has and applies the ack events once, in order', async () => {
    fake.answer = () => ({ ok: true, events: range(6, 8), head: 8, more: false });
    store.follow('alerts', 5, { apply: (e) => applied.push(e.seq) });
    fake.connect();
    await flush();
    expect(fake.subscribes).toEqual([{ stream: 'alerts', after: 5, presence: 'changes' }]);
    expect(applied).toEqual([6, 7, 8]);
    expect(store.status).toBe('live');
  });

  it('ignores duplicates and applies live events in order', async () => {
    fake.answer = () => ({ ok: true, events: [], head: 3, more: false });
    store.follow('alerts', 3, { apply: (e) => applied.push(e.seq) });
    fake.connect();
    await flush();
    for (const e of [ev(4), ev(4), ev(3), ev(5)]) fake.fire('event', e);
    expect(applied).toEqual([4, 5]);
  });

  it('sees a gap, asks again from its last seq, and fills it without duplicates', async () => {
    fake.answer = () => ({ ok: true, events: [], head: 1, more: false });
    store.follow('alerts', 1, { apply: (e) => applied.push(e.seq) });
    fake.connect();
    await flush();
    fake.answer = (req) => ({ ok: true, events: range((req.after ?? 0) + 1, 4), head: 4, more: false });
    fake.fire('event', ev(4)); // 2 and 3 were missed
    await flush();
    expect(fake.subscribes.at(-1)).toEqual({ stream: 'alerts', after: 1, presence: 'changes' });
    expect(applied).toEqual([2, 3, 4]);
  });

  it('after a reconnect resubscribes from the last applied seq; catches up through GET /events when the ack says more', async () => {
    fake.answer = () => ({ ok: true, events: [], head: 10, more: false });
    store.follow('alerts', 10, { apply: (e) => applied.push(e.seq) });
    fake.connect();
    await flush();
    fake.fire('event', ev(11));
    fake.drop();
    expect(store.status).toBe('reconnecting');
    // 1,200 happened meanwhile: 500 in the ack, the rest by pages.
    fake.answer = (req) => ({ ok: true, events: range((req.after ?? 0) + 1, (req.after ?? 0) + 500), head: 1211, more: true });
    const pages: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      pages.push(url);
      const after = Number(new URL(url, 'http://x').searchParams.get('after'));
      const events = range(after + 1, Math.min(after + 1000, 1211));
      return new Response(JSON.stringify({ events, head: 1211 }), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    fake.connect();
    fake.fire('event', ev(1212)); // live, while catching up: kept until the history is in
    await vi.waitFor(() => expect(applied.at(-1)).toBe(1212));
    expect(fake.subscribes.at(-1)).toEqual({ stream: 'alerts', after: 11, presence: 'changes' });
    expect(applied).toEqual(range(11, 1212).map((e) => e.seq));
    expect(pages).toEqual(['/api/v1/events?stream=alerts&after=511&limit=1000']);
    expect(store.status).toBe('live');
  });

  it('tells the follower when the server refuses the stream', async () => {
    const refusals: unknown[] = [];
    fake.answer = () => ({ ok: false, error: { status: 403, title: 'Not allowed' } });
    store.follow('alerts', 0, { apply: () => undefined, refused: (e) => refusals.push(e) });
    fake.connect();
    await flush();
    expect(refusals).toEqual([{ status: 403, title: 'Not allowed' }]);
  });

  it('asks again after the retryAfter of a 429 (too many subscriptions), showing it is not live meanwhile, then catches up', async () => {
    vi.useFakeTimers();
    try {
      const refusals: unknown[] = [];
      fake.answer = () => ({ ok: false, error: { status: 429, title: 'Too many subscriptions: try again shortly', retryAfter: 2 } });
      store.follow('alerts', 0, { apply: (e) => applied.push(e.seq), refused: (e) => refusals.push(e) });
      fake.connect();
      await vi.advanceTimersByTimeAsync(0);
      expect(fake.subscribes).toHaveLength(1);
      fake.answer = () => ({ ok: true, events: range(1, 2), head: 2, more: false });
      await vi.advanceTimersByTimeAsync(1_000);
      // Waiting out the server's retryAfter is still catching up, not live.
      expect(fake.subscribes).toHaveLength(1);
      expect(store.status).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(1_000);
      expect(fake.subscribes).toEqual([{ stream: 'alerts', after: 0, presence: 'changes' }, { stream: 'alerts', after: 0, presence: 'changes' }]);
      expect(applied).toEqual([1, 2]);
      expect(refusals).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('comes back by itself after the server cut it off and refused it for a while', async () => {
    vi.useFakeTimers();
    try {
      fake.answer = () => ({ ok: true, events: [], head: 0, more: false });
      store.follow('alerts', 0, { apply: (e) => applied.push(e.seq) });
      fake.connect();
      await vi.advanceTimersByTimeAsync(0);
      // The first attempt to come back is refused for 8 s more; the next one is let in.
      let refusals = 1;
      const connect = fake.connect.bind(fake);
      fake.connect = () => {
        if (refusals-- > 0) fake.fire('connect_error', Object.assign(new Error('too many requests'), { data: { retryAfter: 8 } }));
        else connect();
      };
      fake.connected = false;
      fake.fire('disconnect', 'io server disconnect');
      expect(store.status).toBe('reconnecting');
      fake.answer = () => ({ ok: true, events: range(1, 3), head: 3, more: false });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(refusals).toBe(0);
      expect(fake.connected).toBe(false);
      await vi.advanceTimersByTimeAsync(8_000);
      expect(fake.connected).toBe(false);
      await vi.advanceTimersByTimeAsync(500);
      expect(fake.connected).toBe(true);
      expect(applied).toEqual([1, 2, 3]);
      expect(store.status).toBe('live');
    } finally {
      vi.useRealTimers();
    }
  });
  it("keeps the room's presence from the list at subscribe and each change after it, by name", async () => {
    const stream = 'incident:I1' as const;
    const person = (id: string, displayName: string) => ({ id, displayName, agency: 'DOE', side: 'US' as const });
    store.follow(stream, 0, { apply: () => undefined });
    fake.connect();
    await flush();
    expect(fake.subscribes).toEqual([{ stream, after: 0, presence: 'changes' }]);
    // A change before the list is ignored: there is nothing yet to change.
    fake.fire('presenceChanged', { stream, joined: [person('u9', 'Nobody')], left: [] });
    expect(store.presence.get(stream)).toBeUndefined();
    fake.fire('presence', { stream, users: [person('u1', 'Jordan Hayes'), person('u2', '佐藤 美咲')] });
    fake.fire('presenceChanged', { stream, joined: [person('u3', 'Daniel Brooks')], left: [] });
    fake.fire('presenceChanged', { stream, joined: [], left: ['u1'] });
    // Joining again (a name changed meanwhile) replaces the entry rather than doubling it.
    fake.fire('presenceChanged', { stream, joined: [person('u2', 'Misaki Sato')], left: [] });
    expect(store.presence.get(stream)?.map((u) => [u.id, u.displayName])).toEqual([
      ['u3', 'Daniel Brooks'],
      ['u2', 'Misaki Sato'],
    ]);
  });
});
