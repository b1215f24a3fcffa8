import { afterEach, describe, expect, it, vi } from 'vitest';
import { transports } from 'engine.io';
import type { Actor, LodestoneEvent, StreamName, SubscribeAck } from '@lodestone/shared';
import { append } from '../../server/src/events/event-log.ts';
import { buildTestApp, createCast, listen, type TestApp } from '../helpers/app.ts';
import { connectSocket, rawSocket, subscribe, waitFor } from '../helpers/sockets.ts';

/**
 * Catch-up acks go as pre-encoded WebSocket frames only when Socket.IO's and Engine.IO's
 * internals behave: checked by a real round trip at start-up, and where each is used. These
 * tests break those internals and show catch-up stays exact through the ordinary path.
 */

const actor: Actor = { id: 'X', displayName: 'Poster', agency: 'DOE', side: 'US' };
type WebSocketTransport = { _canSendPreEncodedFrame(packet: unknown): boolean; send(packets: { options?: Record<string, unknown> }[]): void };
const transport = transports.websocket.prototype as unknown as WebSocketTransport;

/** An app whose log lines are kept, to read which path catch-up takes. */
async function appWithLog(): Promise<{ t: TestApp; lines: string[] }> {
  const lines: string[] = [];
  const t = await buildTestApp({ logger: { level: 'info', stream: { write: (line: string) => void lines.push(line) } } });
  return { t, lines };
}
const saidPath = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => m.startsWith('catch-up acks:'));

/** 1,200 events in the alerts stream after the current head; returns that head. */
async function postMany(t: TestApp, n = 1200): Promise<number> {
  const after = await t.app.lodestone.log.head('alerts');
  await t.app.lodestone.log.enqueue(async (tx) => {
    for (let i = 0; i < n; i++) await append(tx, 'alerts', 'alert.posted', actor, { title: `alert ${i}`, text: i % 2 ? 'ガリウム' : 'gallium' });
  });
  return after;
}

/** The rest of a catch-up after an ack, as a client does it: pages of GET /events up to the ack's head. */
async function catchUp(t: TestApp, cookie: string, stream: StreamName, after: number, ack: SubscribeAck): Promise<number[]> {
  if (!ack.ok) throw new Error(`refused: ${JSON.stringify(ack)}`);
  const seqs = ack.events.map((e) => e.seq);
  let cursor = seqs.at(-1) ?? after;
  while (cursor < ack.head) {
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=${stream}&after=${cursor}&limit=1000`, headers: { cookie } })).json() as { events: LodestoneEvent[] };
    seqs.push(...page.events.map((e) => e.seq));
    cursor = page.events.at(-1)?.seq ?? ack.head;
  }
  return seqs;
}

const range = (after: number, n: number) => Array.from({ length: n }, (_, i) => after + i + 1);

describe('pre-encoded catch-up acks and their fallback', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  it('takes pre-encoded frames when the start-up self-check passes, and says so in the log', async () => {
    const started = await appWithLog();
    t = started.t;
    expect(saidPath(started.lines)).toEqual(['catch-up acks: pre-encoded WebSocket frames (start-up self-check passed)']);
  });

  it('with the probe of Engine.IO broken before start, says so, takes ordinary acks, and catch-up is exact', async () => {
    vi.spyOn(transport, '_canSendPreEncodedFrame').mockReturnValue(false);
    const started = await appWithLog();
    t = started.t;
    expect(saidPath(started.lines)).toEqual(['catch-up acks: ordinary Socket.IO acks (the start-up self-check of pre-encoded frames failed)']);
    const cast = await createCast(t);
    const url = await listen(t.app);
    const after = await postMany(t);
    const { ws, frames } = await rawSocket(url, cast.member.cookie);
    let preEncoded = 0;
    [...t.app.io.of('/').sockets.values()].at(-1)?.conn.on('packetCreate', (packet: { options?: { wsPreEncodedFrame?: unknown } }) => {
      if (packet.options?.wsPreEncodedFrame !== undefined) preEncoded++;
    });
    ws.send(`4217["subscribe",{"stream":"alerts","after":${after}}]`);
    await waitFor(() => frames.some((f) => f.startsWith('4317[')), 5000, 'the ack');
    ws.close();
    const ack = (JSON.parse(frames.find((f) => f.startsWith('4317['))?.slice(4) ?? '[]') as SubscribeAck[])[0];
    expect(preEncoded).toBe(0);
    expect(ack).toMatchObject({ ok: true, more: true, head: after + 1200 });
    expect(ack?.ok && ack.events.length).toBe(500);
    if (!ack) throw new Error('no ack');
    expect(await catchUp(t, cast.member.cookie, 'alerts', after, ack)).toEqual(range(after, 1200));
  });

  it('with Engine.IO no longer taking the frame after start, the ack it sends instead is true and catch-up is exact', async () => {
    t = await buildTestApp();
    const cast = await createCast(t);
    const url = await listen(t.app);
    // Engine.IO sends the packet's data instead of its pre-encoded frame, as a changed internal might.
    const send = transport.send;
    vi.spyOn(transport, 'send').mockImplementation(function (this: WebSocketTransport, packets) {
      send.call(
        this,
        packets.map((p) => ({ ...p, options: { ...p.options, wsPreEncodedFrame: undefined } })),
      );
    });
    const after = await postMany(t);
    const socket = await connectSocket(url, { cookie: cast.staff.cookie });
    try {
      const ack = await subscribe(socket, { stream: 'alerts', after });
      // No events in it, but the head and `more`: the client fetches them all, none lost, none twice.
      expect(ack).toEqual({ ok: true, events: [], head: after + 1200, more: true });
      expect(await catchUp(t, cast.staff.cookie, 'alerts', after, ack)).toEqual(range(after, 1200));
    } finally {
      socket.close();
    }
  });
});
