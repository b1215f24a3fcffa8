import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import type { LodestoneEvent, StreamName } from '@lodestone/shared';
import { buildApp } from '../../server/src/app.ts';
import { ADMIN_PASSWORD, TEST_SECRET, alertInput, createCast, listen, signIn, type TestApp } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, subscribe, type ClientSocket } from '../helpers/sockets.ts';
import { freshPostgresDatabase, postgresAdminUrl, runPostgresTests, type TestDatabase } from '../helpers/postgres.ts';

/**
 * Issue 15: several nodes on one PostgreSQL database. Writers on every node append to one
 * incident at once; every subscriber, on whichever node, gets every event exactly once and in seq
 * order, also while PostgreSQL ends the adapters' LISTEN connections (the adapter then loses what
 * is published until it listens again; each node's poll of the stream heads fills the gap).
 */
const NODES = ['a', 'b', 'c'] as const;
const WRITES_PER_NODE = 25;

describe.runIf(runPostgresTests)('three nodes on one PostgreSQL database', () => {
  let db: TestDatabase;
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    for (const nodeId of NODES) {
      const app = await buildApp({ databaseUrl: db.url, secret: TEST_SECRET, nodeId, adminPassword: ADMIN_PASSWORD, passwordLog2N: 10, clientDir: null, rateLimitPerMinute: 100_000 });
      apps.push(app);
      urls.push(await listen(app));
    }
    const first = apps[0] as FastifyInstance;
    t = { app: first, admin: await signIn(first, 'admin', ADMIN_PASSWORD), databaseUrl: db.url, secret: TEST_SECRET, dbPath: '', dir: '', close: async () => undefined };
    cast = await createCast(t);
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
  });

  /** Two subscribers per node, each recording the events it gets and when. */
  async function subscribers(stream: StreamName) {
    const all: { node: string; socket: ClientSocket; got: { event: LodestoneEvent; at: number }[] }[] = [];
    for (const [i, url] of urls.entries()) {
      for (const who of [cast.member, cast.staff]) {
        const socket = await connectSocket(url, { cookie: who.cookie });
        const got: { event: LodestoneEvent; at: number }[] = [];
        socket.on('event', (event) => {
          if (event.stream === stream) got.push({ event, at: performance.now() });
        });
        const ack = await subscribe(socket, { stream, after: 0 });
        expect(ack).toMatchObject({ ok: true, more: false });
        // What the catch-up carried comes first; live events after it.
        if (ack.ok) got.unshift(...ack.events.map((event) => ({ event, at: performance.now() })));
        all.push({ node: NODES[i] ?? '?', socket, got });
      }
    }
    return all;
  }

  /** Posts notes on every node at once; returns when each was acknowledged (by seq). */
  async function writeEverywhere(incidentId: string, label: string, during?: (round: number) => Promise<void>) {
    const acknowledged = new Map<number, number>();
    for (let round = 0; round < WRITES_PER_NODE; round++) {
      await during?.(round);
      await Promise.all(
        apps.map(async (app, i) => {
          const author = i % 2 === 0 ? cast.lead : cast.member;
          const res = await app.inject({ method: 'POST', url: `/api/v1/incidents/${incidentId}/messages`, headers: { cookie: author.cookie }, payload: { body: `${label} ${NODES[i]} ${round}` } });
          expect(res.statusCode).toBe(201);
          acknowledged.set((res.json() as { seq: number }).seq, performance.now());
        }),
      );
    }
    return acknowledged;
  }

  async function untilEveryoneHas(all: Awaited<ReturnType<typeof subscribers>>, head: number, ms: number) {
    const deadline = performance.now() + ms;
    while (all.some((s) => (s.got.at(-1)?.event.seq ?? 0) < head) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  function expectExactlyOnceInOrder(all: Awaited<ReturnType<typeof subscribers>>, head: number) {
    for (const s of all) {
      const seqs = s.got.map((g) => g.event.seq);
      expect(seqs, `a subscriber on node ${s.node}`).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    }
  }

  it('delivers every event of writers on three nodes to every subscriber on every node, exactly once, in seq order; seqs contiguous; the chain verifies', async () => {
    const incident = await openIncident(t, cast.lead, { members: [cast.member] });
    await t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incident.id}/members/${cast.member.user.id}`, headers: { cookie: cast.lead.cookie } });
    const stream: StreamName = `incident:${incident.id}`;
    const all = await subscribers(stream);
    await writeEverywhere(incident.id, 'note');
    const head = await apps[1]?.lodestone.log.head(stream) ?? 0;
    expect(head).toBeGreaterThanOrEqual(NODES.length * WRITES_PER_NODE);
    await untilEveryoneHas(all, head, 10_000);
    expectExactlyOnceInOrder(all, head);
    const events = await apps[2]?.lodestone.log.read(stream, 0, 100_000);
    expect(events?.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect((await apps[1]?.lodestone.log.verify())?.ok).toBe(true);
    for (const s of all) s.socket.close();
  }, 60_000);

  it('still delivers each event exactly once, in order, within 2 s, while PostgreSQL ends the adapters’ LISTEN connections', async () => {
    const incident = await openIncident(t, cast.lead);
    await t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incident.id}/members/${cast.member.user.id}`, headers: { cookie: cast.lead.cookie } });
    const stream: StreamName = `incident:${incident.id}`;
    const all = await subscribers(stream);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    let killed = 0;
    const acknowledged = await writeEverywhere(incident.id, 'cut', async (round) => {
      if (round !== 5 && round !== 15) return;
      const ended = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
      killed += ended.rowCount ?? 0;
    });
    await admin.end();
    expect(killed, 'LISTEN connections ended').toBeGreaterThanOrEqual(NODES.length);
    const head = (await apps[0]?.lodestone.log.head(stream)) ?? 0;
    await untilEveryoneHas(all, head, 10_000);
    expectExactlyOnceInOrder(all, head);
    // The longest wait of any subscriber for any note, from the moment its writer was answered.
    let worst = 0;
    for (const s of all) {
      for (const { event, at } of s.got) {
        const acked = acknowledged.get(event.seq);
        if (acked !== undefined) worst = Math.max(worst, at - acked);
      }
    }
    console.info(`[cluster] ${killed} LISTEN connections ended during ${head} events; the longest wait of a subscriber: ${worst.toFixed(0)} ms`);
    expect(worst).toBeLessThanOrEqual(2_000);
    for (const s of all) s.socket.close();
  }, 90_000);

  it('closes a signed-out session’s sockets on every node within 5 s', async () => {
    const cookie = await signIn(apps[0] as FastifyInstance, cast.staff.user.username, cast.staff.password);
    const sockets = await Promise.all(urls.map((url) => connectSocket(url, { cookie })));
    const closedAt = sockets.map(() => 0);
    sockets.forEach((socket, i) => socket.on('disconnect', () => (closedAt[i] = performance.now())));
    const start = performance.now();
    const out = await apps[0]?.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(out?.statusCode).toBe(204);
    const deadline = start + 5_000;
    while (closedAt.some((at) => at === 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(closedAt.every((at) => at > 0 && at - start <= 5_000), `closed after ${closedAt.map((at) => (at ? (at - start).toFixed(0) : 'never')).join(', ')} ms`).toBe(true);
  }, 30_000);

  it('shows a room the people present on every node, and drops those who leave on another node', async () => {
    const incident = await openIncident(t, cast.lead);
    await t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incident.id}/members/${cast.member.user.id}`, headers: { cookie: cast.lead.cookie } });
    const stream: StreamName = `incident:${incident.id}`;
    const onA = await connectSocket(urls[0] ?? '', { cookie: cast.member.cookie });
    const onB = await connectSocket(urls[1] ?? '', { cookie: cast.staff.cookie });
    const seenByA: string[][] = [];
    onA.on('presence', (update) => {
      if (update.stream === stream) seenByA.push(update.users.map((u) => u.id).sort());
    });
    const until = async (what: () => boolean, label: string) => {
      const deadline = performance.now() + 8_000;
      while (!what() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(what(), label).toBe(true);
    };
    expect(await subscribe(onA, { stream })).toMatchObject({ ok: true });
    expect(await subscribe(onB, { stream })).toMatchObject({ ok: true });
    const both = [cast.member.user.id, cast.staff.user.id].sort();
    await until(() => JSON.stringify(seenByA.at(-1)) === JSON.stringify(both), 'the member on node a sees the staff member of node b');
    onB.close();
    await until(() => JSON.stringify(seenByA.at(-1)) === JSON.stringify([cast.member.user.id]), 'the member on node a sees them leave');
    onA.close();
  }, 30_000);

  it('counts wrong passwords across nodes: a guesser spreading them over the nodes is held as on one', async () => {
    const guess = (i: number) =>
      (apps[i % apps.length] as FastifyInstance).inject({ method: 'POST', url: '/api/v1/session', payload: { username: cast.jpMember.user.username, password: `wrong guess ${i}` }, remoteAddress: '203.0.113.7' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess(i)).statusCode);
    // Ten wrong passwords from one address (on three nodes) are answered 401; past them, 429 on any node.
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    // Another address is not held.
    const elsewhere = await (apps[1] as FastifyInstance).inject({ method: 'POST', url: '/api/v1/session', payload: { username: cast.jpMember.user.username, password: cast.jpMember.password }, remoteAddress: '198.51.100.9' });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('caps a session’s sockets across nodes: spread over three nodes it still gets 10, and another once one closes', async () => {
    const cookie = await signIn(apps[0] as FastifyInstance, cast.liaison.user.username, cast.liaison.password);
    const settle = () => new Promise((r) => setTimeout(r, 600));
    const open: ClientSocket[] = [];
    const refused: string[] = [];
    for (const url of urls) {
      for (let i = 0; i < 4; i++) {
        try {
          open.push(await connectSocket(url, { cookie }));
        } catch (error) {
          refused.push((error as Error).message);
        }
      }
      await settle();
    }
    expect(open).toHaveLength(10);
    expect(refused).toEqual(['too many requests', 'too many requests']);
    open.shift()?.close();
    await settle();
    open.push(await connectSocket(urls[2] ?? '', { cookie }));
    expect(open.filter((s) => s.connected)).toHaveLength(10);
    for (const socket of open) socket.close();
  }, 30_000);

  // Last: it ends every connection of the nodes to the database.
  it('answers /readyz 503 while the database refuses connections, and 200 again once it takes them, without a restart', async () => {
    const app = apps[2] as FastifyInstance;
    const ready = async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;
    expect(await ready()).toBe(200);
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    const name = db.name;
    try {
      // No new connection, and the existing ones of the nodes ended: as a database gone away.
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      expect(await ready()).toBe(503);
      const problem = await app.inject({ method: 'GET', url: '/readyz' });
      expect(problem.headers['content-type']).toContain('application/problem+json');
      // A change asked for meanwhile is told to come back (503, Retry-After), not "internal error".
      const write = await app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: cast.liaison.cookie, 'idempotency-key': 'while-away' }, payload: alertInput({ title: 'While the database is away' }) });
      expect(write.statusCode).toBe(503);
      expect(write.headers['retry-after']).toBe('1');
      expect(write.headers['content-type']).toContain('application/problem+json');
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const deadline = performance.now() + 10_000;
    while ((await ready()) !== 200 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await ready()).toBe(200);
  }, 30_000);
});
