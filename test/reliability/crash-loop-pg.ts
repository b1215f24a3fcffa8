// Crash loop on PostgreSQL with two nodes: the write load of crash-loop.ts goes to two real
// server processes sharing one PostgreSQL database; a mutation whose request fails (connection
// refused or reset, or a 5xx) is sent again, same Idempotency-Key and body, to the other node.
// One node at a time is killed with SIGKILL at a random moment and restarted. With
// `--restart-postgres N`, PostgreSQL itself is then stopped (fast shutdown: every session ended)
// and started again N times under the same load: both nodes' /readyz must answer 503 while it is
// down and 200 again on their own once it is back. At the end, by SQL on the database: every
// acknowledged mutation there once, none applied twice, every stream's seqs contiguous, and every
// hash chain verifies (through GET /audit/verify on a node and through the EventLog on a PgStore).
//   npx tsx test/reliability/crash-loop-pg.ts [--kills 20] [--seed N] [--restart-postgres 3] [--simulate]
// Without --restart-postgres the database is a fresh one on the PostgreSQL of the tests
// (LODESTONE_TEST_POSTGRES, dropped at the end). With it, the script runs its own PostgreSQL
// server (initdb in a temp folder, its own port; as root it runs as the `postgres` user) and
// stops and starts that, not the machine's shared cluster. With --simulate as well, the restart
// is simulated on the shared server instead: ALTER DATABASE … ALLOW_CONNECTIONS false and
// pg_terminate_backend of the database's sessions, then connections allowed again.
// Prints one JSON line of figures and writes test/reliability/results/crash-loop-pg.json.
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { io } from 'socket.io-client';
import { PgStore } from '../../server/src/store/postgres.ts';
import { EventLog } from '../../server/src/events/event-log.ts';
import { freshPostgresDatabase, postgresAdminUrl } from '../helpers/postgres.ts';
import { Client, freePort, seedCast, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, random, report } from './lib/figures.ts';
import { PrivatePostgres } from './lib/private-postgres.ts';
import { startWriteLoad } from './lib/write-load.ts';

export interface CrashLoopPgResult {
  nodes: number;
  kills: number;
  seed: number;
  /** Where the database was, and how PostgreSQL was restarted. */
  postgres: 'shared server, fresh database' | 'own server, stopped and started' | 'shared server, restart simulated';
  acknowledged: { alerts: number; notes: number; actionUpdates: number; total: number };
  attempted: number;
  conflicts: number;
  /** Mutations that needed more than one request (sent again, same key, to the other node). */
  retried: number;
  /** Mutations given up after 600 requests without an answer below 500. */
  gaveUp: number;
  /**
   * Failed requests: connection errors (refused, reset, timed out) and 5xx answers by status,
   * with the first answer of each status, and 5xx answers by phase ('kills': nodes killed
   * one at a time, PostgreSQL up; 'postgres down'; 'postgres back': from its start until
   * the next stop, or the end).
   */
  failedRequests: { connection: number; byStatus: Record<string, number>; firstAnswer: Record<string, string>; fiveHundredsByPhase: Record<string, number> };
  /** Mutations acknowledged while one node was down (between its kill and its ready again). */
  acknowledgedWhileANodeWasDown: number;
  postgresRestarts: {
    restarts: number;
    downMs: number;
    /** Per restart and node: whether /readyz answered 503 while PostgreSQL was down, and ms from PostgreSQL's start to /readyz 200. */
    nodes: { node: string; saw503: boolean; readyAgainMs: number | null }[][];
    acknowledgedDuring: number;
  } | null;
  /** Node processes that exited on their own (they must not). */
  nodeDeaths: number;
  /** At the end (after the kills and PostgreSQL's restarts): ms from a note posted on one node to its event on a socket of the other; null if not within 5 s. */
  crossNodeDeliveryMsAfter: { node1ToNode2: number | null; node2ToNode1: number | null };
  /** The same under the same load before the first kill, to compare. */
  crossNodeDeliveryMsBefore: { node1ToNode2: number | null; node2ToNode1: number | null };
  missingAfterRestart: number;
  duplicated: number;
  nonContiguousStreams: string[];
  chainVerifies: boolean;
  chainVerifiesByApi: boolean;
  events: number;
  readyAfterRestartMs: { median: number; max: number };
  seconds: number;
}

interface Database {
  url: string;
  /** PostgreSQL goes away for every session of the database… */
  down(): Promise<void>;
  /** …and comes back. */
  up(): Promise<void>;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function openDatabase(mode: CrashLoopPgResult['postgres']): Promise<Database> {
  if (mode === 'own server, stopped and started') {
    const server = new PrivatePostgres(await freePort());
    const url = await server.init(`lodestone_crash_${randomBytes(4).toString('hex')}`);
    return { url, down: () => server.stop(), up: () => server.start(), drop: () => server.destroy() };
  }
  const db = await freshPostgresDatabase();
  return {
    url: db.url,
    async down() {
      await adminQuery(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
      await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`);
    },
    up: () => adminQuery(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`),
    drop: () => db.drop(),
  };
}

const connectionError = (error: unknown) => error instanceof TypeError || (error as { name?: string }).name === 'TimeoutError' || (error as { code?: string }).code !== undefined;

async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Ms from a note posted on node `from` until a socket on node `to`, subscribed to the incident's
 * stream, gets its event (through the adapter, or the other node's poll of the stream heads); null
 * when it did not come within 5 s.
 */
async function crossNodeDeliveryMs(from: ServerProcess, to: ServerProcess, client: Client, incidentId: string): Promise<number | null> {
  const socket = io(to.url, { path: '/socket.io', transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie: client.cookie } });
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(undefined));
      socket.once('connect_error', reject);
    });
    const stream = `incident:${incidentId}`;
    const ack = (await socket.timeout(5000).emitWithAck('subscribe', { stream, after: 0 })) as { ok: boolean };
    if (!ack.ok) throw new Error(`subscribe refused on ${to.url}: ${JSON.stringify(ack)}`);
    const body = `cross-node ${randomUUID()}`;
    const started = performance.now();
    const arrived = new Promise<number>((resolve) => socket.on('event', (event: unknown) => JSON.stringify(event).includes(body) && resolve(performance.now() - started)));
    const res = await new Client(from.url, client.cookie).send('POST', `/incidents/${incidentId}/messages`, { body }, randomUUID());
    if (res.status !== 201) throw new Error(`the cross-node note was refused: ${res.status} ${res.text}`);
    const ms = await Promise.race([arrived, sleep(5000).then(() => null)]);
    return ms === null ? null : Math.round(ms);
  } finally {
    socket.close();
  }
}

export async function crashLoopPg(options: { kills: number; seed?: number; workers?: number; restartPostgres?: number; simulate?: boolean; downMs?: number }): Promise<CrashLoopPgResult> {
  const seed = options.seed ?? Date.now() % 1_000_000;
  const rand = random(seed);
  const restarts = options.restartPostgres ?? 0;
  const downMs = options.downMs ?? 3000;
  const mode: CrashLoopPgResult['postgres'] = restarts === 0 ? 'shared server, fresh database' : options.simulate ? 'shared server, restart simulated' : 'own server, stopped and started';
  const started = performance.now();
  const db = await openDatabase(mode);
  const secret = randomBytes(32).toString('base64');
  const nodes = [0, 1].map(async (i) => new ServerProcess(await freePort(), db.url, { LODESTONE_SECRET: secret, LODESTONE_NODE_ID: `crash-${i + 1}` }));
  const [a, b] = (await Promise.all(nodes)) as [ServerProcess, ServerProcess];
  const servers = [a, b];
  let nodeDeaths = 0;
  let stopping = false;
  /** A node's exit that is not our kill -9 nor the SIGTERM at the end. */
  const watch = (server: ServerProcess) => server.child?.once('exit', (_code, signal) => signal !== 'SIGKILL' && !stopping && nodeDeaths++);
  try {
    await a.start(); // migrates
    await b.start();
    servers.forEach(watch);
    const cast = await seedCast(a.url, 3);

    const failed = { connection: 0, byStatus: {} as Record<string, number>, firstAnswer: {} as Record<string, string>, fiveHundredsByPhase: {} as Record<string, number> };
    /** What is happening to the cluster, for the count of 5xx answers by phase. */
    let phase: 'kills' | 'postgres down' | 'postgres back' = 'kills';
    let retried = 0;
    let gaveUp = 0;
    let acknowledged = 0;
    /**
     * One mutation: a failed request (no answer, or a 5xx) is sent again, same key and body, to
     * the other node — the proxy's `max_fails` would do the same — until one answers.
     */
    async function mutate(client: Client, method: string, path: string, body: unknown): Promise<{ status: number; body: unknown } | null> {
      const key = randomUUID();
      let node = rand() < 0.5 ? 0 : 1;
      for (let attempt = 0; attempt < 600; attempt++) {
        if (attempt === 1) retried++;
        try {
          const res = await new Client((servers[node] as ServerProcess).url, client.cookie).send(method, path, body, key);
          if (res.status < 500) {
            if (res.status < 300) acknowledged++;
            return res;
          }
          failed.byStatus[res.status] = (failed.byStatus[res.status] ?? 0) + 1;
          failed.firstAnswer[res.status] ??= res.text.slice(0, 300);
          failed.fiveHundredsByPhase[phase] = (failed.fiveHundredsByPhase[phase] ?? 0) + 1;
        } catch (error) {
          if (!connectionError(error)) throw error;
          failed.connection++;
        }
        node = 1 - node;
        await sleep(attempt % 2 === 0 ? 5 : 50);
      }
      gaveUp++;
      return null;
    }

    const load = await startWriteLoad(cast, rand, mutate, options.workers ?? 6);
    const { acked } = load;

    await sleep(500);
    const crossNodeDeliveryMsBefore = {
      node1ToNode2: await crossNodeDeliveryMs(a, b, cast.leads[0] as Client, cast.incidentIds[0] as string),
      node2ToNode1: await crossNodeDeliveryMs(b, a, cast.leads[0] as Client, cast.incidentIds[0] as string),
    };

    const readyTimes: number[] = [];
    let acknowledgedWhileANodeWasDown = 0;
    for (let k = 0; k < options.kills; k++) {
      await sleep(150 + rand() * 900);
      const victim = servers[rand() < 0.5 ? 0 : 1] as ServerProcess;
      const before = acknowledged;
      await victim.kill();
      readyTimes.push(await victim.start());
      watch(victim);
      acknowledgedWhileANodeWasDown += acknowledged - before;
    }

    let postgresRestarts: CrashLoopPgResult['postgresRestarts'] = null;
    if (restarts > 0) {
      const perRestart: { node: string; saw503: boolean; readyAgainMs: number | null }[][] = [];
      const before = acknowledged;
      for (let r = 0; r < restarts; r++) {
        await sleep(300 + rand() * 700);
        const saw503 = [false, false];
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            const answers = await Promise.all(servers.map((s) => readyz(s.url)));
            answers.forEach((status, i) => status === 503 && (saw503[i] = true));
            await sleep(25);
          }
        })();
        phase = 'postgres down';
        await db.down();
        await sleep(downMs);
        watching = false;
        await watcher;
        await db.up();
        phase = 'postgres back';
        const back = performance.now();
        const readyAgain = await Promise.all(
          servers.map(async (s) => {
            while (performance.now() - back < 60_000) {
              if ((await readyz(s.url)) === 200) return Math.round(performance.now() - back);
              await sleep(25);
            }
            return null;
          }),
        );
        perRestart.push(servers.map((s, i) => ({ node: `crash-${i + 1}`, saw503: saw503[i] as boolean, readyAgainMs: readyAgain[i] ?? null })));
      }
      postgresRestarts = { restarts, downMs, nodes: perRestart, acknowledgedDuring: acknowledged - before };
    }

    // Events still cross between the nodes, both ways, after all that.
    const crossNodeDeliveryMsAfter = {
      node1ToNode2: await crossNodeDeliveryMs(a, b, cast.leads[0] as Client, cast.incidentIds[0] as string),
      node2ToNode1: await crossNodeDeliveryMs(b, a, cast.leads[0] as Client, cast.incidentIds[0] as string),
    };

    await sleep(300);
    const stopped = await Promise.race([load.stop().then(() => true), sleep(60_000).then(() => false)]);
    if (!stopped) throw new Error('a writer still waits for an answer 60 s after the load was stopped');
    const audit = await cast.admin.send('GET', '/audit/verify');
    const chainVerifiesByApi = audit.status === 200 && (audit.body as { ok: boolean }).ok === true;
    stopping = true;
    for (const server of servers) {
      const code = await server.stop();
      if (code !== 0) throw new Error(`a node did not drain and exit 0 on SIGTERM (exit ${code})`);
    }

    // What the database holds now, read by SQL.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    let missing = 0;
    let duplicated = 0;
    let gaps: string[] = [];
    try {
      const count = async (query: string, values: unknown[] = []) => Number((await sql.query<{ n: string }>(query, values)).rows[0]?.n ?? 0);
      missing += acked.alerts.size - (await count('SELECT count(*) AS n FROM alerts WHERE id = ANY($1)', [[...acked.alerts]]));
      missing += acked.notes.size - (await count('SELECT count(*) AS n FROM messages WHERE id = ANY($1)', [[...acked.notes]]));
      const versions = new Map((await sql.query<{ id: string; version: number }>('SELECT id, version FROM actions WHERE id = ANY($1)', [[...acked.actions.keys()]])).rows.map((r) => [r.id, r.version]));
      for (const [id, version] of acked.actions) if ((versions.get(id) ?? 0) < version) missing++;
      duplicated =
        (await count("SELECT count(*) AS n FROM (SELECT title FROM alerts WHERE title LIKE 'crash alert %' GROUP BY title HAVING count(*) > 1) d")) +
        (await count("SELECT count(*) AS n FROM (SELECT body FROM messages WHERE body LIKE 'crash note %' GROUP BY body HAVING count(*) > 1) d")) +
        (await count("SELECT count(*) AS n FROM (SELECT data::json->>'title' AS title FROM events WHERE type = 'action.updated' AND data::json->>'title' LIKE 'Updated %' GROUP BY 1 HAVING count(*) > 1) d"));
      gaps = (
        await sql.query<{ stream: string }>(
          'SELECT e.stream FROM events e JOIN streams s ON s.name = e.stream GROUP BY e.stream HAVING count(*) != max(e.seq) OR min(e.seq) != 1 OR max(e.seq) != max(s.head_seq)',
        )
      ).rows.map((r) => r.stream);
    } finally {
      await sql.end();
    }
    const store = await PgStore.open(db.url, { migrate: false });
    const verified = await new EventLog(store, () => new Date()).verify().finally(() => store.close());
    const sorted = [...readyTimes].sort((x, y) => x - y);
    return {
      nodes: servers.length,
      kills: options.kills,
      seed,
      postgres: mode,
      acknowledged: { alerts: acked.alerts.size, notes: acked.notes.size, actionUpdates: load.actionUpdates, total: acked.alerts.size + acked.notes.size + load.actionUpdates },
      attempted: load.attempted,
      conflicts: load.conflicts,
      retried,
      gaveUp,
      failedRequests: failed,
      acknowledgedWhileANodeWasDown,
      postgresRestarts,
      nodeDeaths,
      crossNodeDeliveryMsBefore,
      crossNodeDeliveryMsAfter,
      missingAfterRestart: missing,
      duplicated,
      nonContiguousStreams: gaps,
      chainVerifies: verified.ok,
      chainVerifiesByApi,
      events: verified.events,
      readyAfterRestartMs: { median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) },
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
    await db.drop();
  }
}

/** Whether every promise of the run held. */
export function crashLoopPgHeld(r: CrashLoopPgResult): boolean {
  const restartsHeld = r.postgresRestarts === null || r.postgresRestarts.nodes.every((nodes) => nodes.every((n) => n.saw503 && n.readyAgainMs !== null));
  const delivered = [r.crossNodeDeliveryMsBefore, r.crossNodeDeliveryMsAfter].every((d) => d.node1ToNode2 !== null && d.node2ToNode1 !== null);
  return delivered && r.missingAfterRestart === 0 && r.duplicated === 0 && r.gaveUp === 0 && r.nodeDeaths === 0 && r.nonContiguousStreams.length === 0 && r.chainVerifies && r.chainVerifiesByApi && restartsHeld;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await crashLoopPg({ kills: numberArg('kills') ?? 20, seed: numberArg('seed'), restartPostgres: numberArg('restart-postgres') ?? 0, simulate: process.argv.includes('--simulate') });
  report('crash-loop-pg', result);
  process.exit(crashLoopPgHeld(result) ? 0 : 1);
}
