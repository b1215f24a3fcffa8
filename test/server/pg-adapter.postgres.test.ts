// Socket.IO's PostgreSQL adapter as Lodestone configures it (server/src/realtime/pg-adapter.ts),
// between two plain Socket.IO servers on one database: broadcasts and serverSideEmit cross,
// messages around the 8,000-byte NOTIFY limit arrive, and a LISTEN connection that PostgreSQL
// terminates neither crashes the process nor stops the broadcasts for good.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, openPostgresPool } from '../../server/src/db/postgres.ts';
import { PAYLOAD_THRESHOLD, postgresAdapter } from '../../server/src/realtime/pg-adapter.ts';
import { freshPostgresDatabase, runPostgresTests, type TestDatabase } from '../helpers/postgres.ts';

const ROOM = 'incident:pg-adapter';
const CHANNEL = 'socket.io#/';

interface Node {
  id: string;
  pool: pg.Pool;
  http: HttpServer;
  io: Server;
  client: ClientSocket;
  warnings: { obj: object; msg: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startNode(url: string, id: string): Promise<Node> {
  // max 2: the LISTEN connection and one to publish with, so a LISTEN connection the pool
  // never got back would leave none to publish with.
  const pool = openPostgresPool(url, { max: 2, applicationName: `pg-adapter-${id}` });
  const warnings: Node['warnings'] = [];
  const http = createServer();
  const io = new Server(http);
  io.adapter(postgresAdapter(pool, { nodeId: id, log: { warn: (obj, msg) => warnings.push({ obj, msg }) } }));
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack: () => void) => {
      void socket.join(room);
      ack();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  await client.emitWithAck('join', ROOM);
  return { id, pool, http, io, client, warnings };
}

/** Emits `event` from `from` to the room every 50 ms until `to`'s client hears one (the adapter LISTENs asynchronously). */
async function untilHeard(from: Node, to: Node, timeoutMs = 10_000): Promise<void> {
  let heard = false;
  const mark = () => (heard = true);
  to.client.on('warmup', mark);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!heard) {
      if (Date.now() > deadline) throw new Error(`${to.id} did not hear ${from.id} within ${timeoutMs} ms`);
      from.io.to(ROOM).emit('warmup');
      await sleep(50);
    }
  } finally {
    to.client.off('warmup', mark);
  }
}

function nextEvent<T>(client: ClientSocket, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    client.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe.runIf(runPostgresTests)('Socket.IO PostgreSQL adapter between two nodes', () => {
  let database: TestDatabase;
  let a: Node;
  let b: Node;
  let listener: pg.Client;
  const notifications: string[] = [];

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const migrator = openPostgresPool(database.url, { max: 1 });
    await migratePostgres(migrator);
    await migrator.end();
    a = await startNode(database.url, 'a');
    b = await startNode(database.url, 'b');
    // Hears the channel the adapter NOTIFYs on, to see what it sends.
    listener = new pg.Client({ connectionString: database.url, application_name: 'pg-adapter-observer' });
    await listener.connect();
    listener.on('notification', (message) => notifications.push(message.payload ?? ''));
    await listener.query(`LISTEN "${CHANNEL}"`);
    await untilHeard(a, b);
    await untilHeard(b, a);
  });

  afterAll(async () => {
    for (const node of [a, b]) {
      if (!node) continue;
      node.client.close();
      await node.io.close();
      await node.pool.end();
    }
    await listener?.end();
    await database?.drop();
  });

  it('carries a room broadcast and a serverSideEmit from node A to node B', async () => {
    const onB = nextEvent<{ text: string }>(b.client, 'hello');
    const onA = nextEvent<{ text: string }>(a.client, 'hello');
    a.io.to(ROOM).emit('hello', { text: 'from a' });
    expect(await onB).toEqual({ text: 'from a' });
    expect(await onA).toEqual({ text: 'from a' });

    const serverSide = new Promise<unknown[]>((resolve) => b.io.on('greeting', (...args: unknown[]) => resolve(args)));
    a.io.serverSideEmit('greeting', 'hi', 42);
    expect(await serverSide).toEqual(['hi', 42]);
  });

  it('delivers messages of 7,999, 8,000, 8,001 and 20,000 bytes (the NOTIFY payload and the event data)', async () => {
    // Why the threshold: PostgreSQL refuses a NOTIFY payload of 8,000 bytes (0.5.0 sends up to 8,000).
    await expect(a.pool.query("SELECT pg_notify('lodestone-limit', repeat('z', 8000))")).rejects.toThrow(/payload string too long/);
    await a.pool.query("SELECT pg_notify('lodestone-limit', repeat('z', 7999))");

    // The adapter's message is JSON around the event data: learn its size for data of 100 ASCII bytes.
    notifications.length = 0;
    const probe = nextEvent<string>(b.client, 'sized');
    a.io.to(ROOM).emit('sized', 'x'.repeat(100));
    await probe;
    // The observer may hear the NOTIFY a moment after node B does.
    for (let i = 0; i < 40 && !notifications.some((payload) => payload.includes('"sized"')); i += 1) await sleep(25);
    const carried = notifications.find((payload) => payload.includes('"sized"'));
    expect(carried, 'the probe went as a plain NOTIFY').toBeDefined();
    const overhead = Buffer.byteLength(carried ?? '') - 100;

    for (const bytes of [7_999, 8_000, 8_001, 20_000]) {
      // `bytes` of serialized adapter message (what the 0.5.0 default sends as NOTIFY up to 8,000),
      // then `bytes` of event data.
      for (const dataBytes of [bytes - overhead, bytes]) {
        notifications.length = 0;
        const data = `${bytes}:`.padEnd(dataBytes, 'y');
        const arrived = nextEvent<string>(b.client, 'sized');
        a.io.to(ROOM).emit('sized', data);
        const received = await arrived;
        expect(received.length, `${dataBytes} bytes of data (${bytes})`).toBe(dataBytes);
        expect(received).toBe(data);
        // Over the threshold, the NOTIFY only names the row in socket_io_attachments.
        // (The adapters' heartbeats go on the same channel: look for the header.)
        const isHeader = (payload: string) => payload.includes('attachmentId');
        for (let i = 0; i < 40 && !notifications.some(isHeader); i += 1) await sleep(25);
        const header = notifications.find(isHeader) ?? '';
        expect(Buffer.byteLength(header)).toBeLessThan(PAYLOAD_THRESHOLD);
        expect(header, 'a NOTIFY naming an attachment').not.toBe('');
      }
    }
  });

  it('survives PostgreSQL terminating the LISTEN connections, and hears broadcasts again within 10 s', async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      for (const round of [1, 2]) {
        // The adapters' two LISTEN connections (the observer's stays out of it); after a round,
        // each adapter LISTENs again 1-3 s after its connection ended.
        type Row = { pid: number; application_name: string; state: string; query: string };
        let adapters: Row[] = [];
        for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
          const listening = await admin.query<Row>(
            "SELECT pid, application_name, state, query FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database() ORDER BY application_name",
          );
          adapters = listening.rows.filter((row) => row.application_name !== 'pg-adapter-observer');
          if (adapters.length === 2) {
            if (round === 1) console.info('LISTEN connections in pg_stat_activity:', listening.rows);
            break;
          }
        }
        expect(adapters.map((row) => row.application_name)).toEqual(['pg-adapter-a', 'pg-adapter-b']);

        // Node A sends a numbered message every 25 ms; node B's client notes what arrives.
        const sentAt = new Map<number, number>();
        const received = new Set<number>();
        const onTick = (n: number) => received.add(n);
        b.client.on('tick', onTick);
        let n = 0;
        const sender = setInterval(() => {
          n += 1;
          sentAt.set(n, Date.now());
          a.io.to(ROOM).emit('tick', n);
        }, 25);
        try {
          await sleep(300);
          const killedAt = Date.now();
          const warningsBefore = a.warnings.length + b.warnings.length;
          const killed = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = ANY($1::int[])', [
            adapters.map((row) => row.pid),
          ]);
          expect(killed.rows.map((row) => row.ok)).toEqual([true, true]);

          // Recovered: after the first message lost, a later one reaches B. (Messages published
          // in the first milliseconds after the termination may still arrive.)
          const deadline = killedAt + 10_000;
          let firstLost: number | undefined;
          let recoveredAt: number | undefined;
          while (recoveredAt === undefined && Date.now() < deadline) {
            await sleep(25);
            const settled = Date.now() - 500; // anything sent before this had time to arrive
            firstLost = [...sentAt].find(([k, at]) => at > killedAt && at < settled && !received.has(k))?.[0];
            if (firstLost === undefined) continue;
            const after = [...received].filter((k) => k > (firstLost ?? Infinity));
            if (after.length > 0) recoveredAt = sentAt.get(Math.min(...after));
          }
          expect(recoveredAt, 'B hears A again within 10 s').toBeDefined();
          await sleep(1_000);
          const settled = Date.now() - 500;

          const lost = [...sentAt].filter(([k, at]) => at < settled && !received.has(k)).map(([k]) => k);
          const lostTimes = lost.map((k) => sentAt.get(k) ?? 0);
          const window = Math.max(...lostTimes) - Math.min(...lostTimes) + 25;
          console.info(
            `round ${round}: terminated both LISTEN connections; ${lost.length} of ${n} messages (one every 25 ms) lost, sent over ${window} ms ` +
              `(from ${Math.min(...lostTimes) - killedAt} ms to ${Math.max(...lostTimes) - killedAt} ms after the termination); ` +
              `the first heard again was sent ${(recoveredAt ?? 0) - killedAt} ms after it`,
          );
          // The losses are one run of messages around the termination, none after the recovery.
          expect(lost.every((k) => (sentAt.get(k) ?? 0) < (recoveredAt ?? 0))).toBe(true);
          // Both nodes logged the ended connection (instead of crashing on it).
          expect(a.warnings.length + b.warnings.length).toBeGreaterThan(warningsBefore);
        } finally {
          clearInterval(sender);
          b.client.off('tick', onTick);
        }
        // The dead connections went back to the pools and were dropped: nothing waits for one.
        for (const node of [a, b]) {
          expect(node.pool.totalCount, `${node.id} pool`).toBeLessThanOrEqual(2);
          expect(node.pool.waitingCount, `${node.id} pool`).toBe(0);
        }
      }
      console.info(
        'warnings logged on node b:',
        b.warnings.map((w) => `${w.msg} ${JSON.stringify(w.obj)}`),
      );
    } finally {
      await admin.end();
    }
  });
});
