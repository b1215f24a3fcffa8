// Reconnect under faults: clients follow 3 incident rooms while `events` notes are posted;
// meanwhile their sockets are cut (closed, then reopened) and the server is killed and
// restarted. Each client follows the catch-up protocol (subscribe with the last seq applied,
// the ack, GET /events pages to the ack's head, then live events). Every client must receive
// every event of every stream exactly once, in order: no duplicate, no gap.
//   npx tsx test/reliability/reconnect.ts [--events 1000] [--restarts 3] [--clients 6] [--seed N]
// Prints one JSON line of figures and writes test/reliability/results/reconnect.json.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { Client, freePort, PASSWORD, seedCast, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, random, report } from './lib/figures.ts';

type Event = { stream: string; seq: number };
type Ack = { ok: true; events: Event[]; head: number; more: boolean } | { ok: false; error: { status: number; title: string } };

export interface ReconnectResult {
  clients: number;
  events: number;
  streams: number;
  socketCuts: number;
  serverRestarts: number;
  reconnects: number;
  /** Per client and stream: events delivered more than once, and seqs never delivered. */
  duplicates: number;
  gaps: number;
  outOfOrder: number;
  catchUpMs: { median: number; p95: number; max: number };
  seconds: number;
}

/** One client following some streams the way the app's connection store does. */
class Follower {
  readonly socket: Socket;
  /** Every seq the server delivered, per stream, in the order this client applied them. */
  readonly delivered = new Map<string, number[]>();
  readonly last = new Map<string, number>();
  outOfOrder = 0;
  reconnects = -1;
  readonly catchUps: number[] = [];
  private generation = 0;
  private buffers = new Map<string, Event[] | null>();

  constructor(
    private readonly url: string,
    private readonly cookie: string,
    private readonly streams: string[],
  ) {
    this.socket = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      forceNew: true,
      extraHeaders: { cookie },
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    this.socket.on('connect', () => {
      this.reconnects++;
      const generation = ++this.generation;
      const started = performance.now();
      void Promise.all(this.streams.map((stream) => this.follow(stream, generation))).then(
        (done) => {
          if (done.every(Boolean)) this.catchUps.push(performance.now() - started);
        },
        () => undefined,
      );
    });
    this.socket.on('event', (event: Event) => {
      const buffer = this.buffers.get(event.stream);
      if (buffer) buffer.push(event);
      else this.apply(event);
    });
  }

  private apply(event: Event): void {
    const last = this.last.get(event.stream) ?? 0;
    const list = this.delivered.get(event.stream) ?? [];
    list.push(event.seq);
    this.delivered.set(event.stream, list);
    if (event.seq !== last + 1) this.outOfOrder++;
    this.last.set(event.stream, Math.max(last, event.seq));
  }

  /** Subscribe with the last seq applied, take the ack, page to its head, then the buffered live events. Resolves true when caught up. */
  private async follow(stream: string, generation: number): Promise<boolean> {
    this.buffers.set(stream, []);
    const after = this.last.get(stream) ?? 0;
    let ack: Ack;
    try {
      ack = (await this.socket.timeout(5000).emitWithAck('subscribe', { stream, after })) as Ack;
    } catch {
      return false; // the socket went away; the next connect starts again from what was applied
    }
    if (generation !== this.generation) return false;
    if (!ack.ok) throw new Error(`subscribe refused: ${ack.error.title}`);
    for (const event of ack.events) this.apply(event);
    let last = this.last.get(stream) ?? 0;
    while (last < ack.head) {
      let page: { events: Event[] };
      try {
        const res = await fetch(`${this.url}/api/v1/events?stream=${encodeURIComponent(stream)}&after=${last}&limit=1000`, { headers: { cookie: this.cookie } });
        if (!res.ok) return false;
        page = (await res.json()) as { events: Event[] };
      } catch {
        return false;
      }
      if (generation !== this.generation) return false;
      for (const event of page.events) if (event.seq <= ack.head) this.apply(event);
      last = this.last.get(stream) ?? 0;
      if (page.events.length === 0) break;
    }
    const buffered = this.buffers.get(stream) ?? [];
    this.buffers.set(stream, null);
    for (const event of buffered) this.apply(event);
    return true;
  }

  close(): void {
    this.socket.close();
  }
}

export async function reconnect(options: { events: number; restarts: number; clients?: number; seed?: number }): Promise<ReconnectResult> {
  const rand = random(options.seed ?? Date.now() % 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-reconnect-'));
  const server = new ServerProcess(await freePort(), join(dir, 'reconnect.db'));
  const started = performance.now();
  const followers: Follower[] = [];
  try {
    await server.start();
    const cast = await seedCast(server.url, 3);
    const streams = cast.incidentIds.map((id) => `incident:${id}`);
    const names = ['member.us', 'member.jp', 'liaison.us', 'liaison.jp', 'lead.us', 'lead.jp'];
    for (let i = 0; i < (options.clients ?? 6); i++) {
      const signedIn = await Client.signIn(server.url, names[i % names.length] as string, PASSWORD);
      followers.push(new Follower(server.url, signedIn.cookie, streams));
    }
    const writers = [...cast.leads, ...cast.members];

    // The notes: posted steadily, each retried with its Idempotency-Key while the server is down.
    let posted = 0;
    const poster = (async () => {
      for (let i = 0; i < options.events; i++) {
        const writer = writers[i % writers.length] as Client;
        const incidentId = cast.incidentIds[i % cast.incidentIds.length] as string;
        const key = randomUUID();
        for (;;) {
          try {
            const res = await writer.send('POST', `/incidents/${incidentId}/messages`, { body: `reconnect note ${i}` }, key);
            if (res.status === 201) break;
            throw new Error(`note refused: ${res.status} ${res.text}`);
          } catch (error) {
            if (!(error instanceof TypeError)) throw error;
            await sleep(25);
          }
        }
        posted++;
        await sleep(10);
      }
    })();

    // The faults, while the notes are being posted.
    let cuts = 0;
    let restarts = 0;
    const restartAt = new Set(Array.from({ length: options.restarts }, (_, k) => Math.round(((k + 1) * options.events) / (options.restarts + 1))));
    while (posted < options.events) {
      await sleep(150 + rand() * 350);
      const due = [...restartAt].find((at) => posted >= at);
      if (due !== undefined) {
        restartAt.delete(due);
        await server.kill();
        await sleep(100 + rand() * 400);
        await server.start();
        restarts++;
      } else {
        const follower = followers[Math.floor(rand() * followers.length)] as Follower;
        follower.socket.disconnect();
        cuts++;
        const away = 100 + rand() * 900;
        setTimeout(() => follower.socket.connect(), away);
      }
    }
    await poster;
    // Everyone reconnects and catches up to the heads.
    await sleep(1200);
    for (const f of followers) if (!f.socket.connected) f.socket.connect();
    const heads = new Map<string, number>();
    const reader = cast.leads[0] as Client;
    for (const stream of streams) {
      const page = await reader.ok<{ head: number }>('GET', `/events?stream=${encodeURIComponent(stream)}&after=0&limit=1`);
      heads.set(stream, page.head);
    }
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && followers.some((f) => streams.some((s) => (f.last.get(s) ?? 0) < (heads.get(s) ?? 0)))) await sleep(50);

    let duplicates = 0;
    let gaps = 0;
    let outOfOrder = 0;
    for (const f of followers) {
      outOfOrder += f.outOfOrder;
      for (const stream of streams) {
        const seqs = f.delivered.get(stream) ?? [];
        const seen = new Set(seqs);
        duplicates += seqs.length - seen.size;
        for (let seq = 1; seq <= (heads.get(stream) ?? 0); seq++) if (!seen.has(seq)) gaps++;
      }
    }
    const catchUps = followers.flatMap((f) => f.catchUps.slice(1)).sort((a, b) => a - b);
    const at = (p: number) => Math.round(catchUps[Math.min(catchUps.length - 1, Math.floor(p * catchUps.length))] ?? 0);
    return {
      clients: followers.length,
      events: options.events,
      streams: streams.length,
      socketCuts: cuts,
      serverRestarts: restarts,
      reconnects: followers.reduce((n, f) => n + f.reconnects, 0),
      duplicates,
      gaps,
      outOfOrder,
      catchUpMs: { median: at(0.5), p95: at(0.95), max: at(1) },
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    followers.forEach((f) => f.close());
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await reconnect({ events: numberArg('events') ?? 1000, restarts: numberArg('restarts') ?? 3, clients: numberArg('clients'), seed: numberArg('seed') });
  report('reconnect', result);
  process.exit(result.duplicates === 0 && result.gaps === 0 && result.outOfOrder === 0 ? 0 : 1);
}
