import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { transpileForNode } from './transpile.ts';

export const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

export interface RunningServer {
  kind: 'lodestone' | 'baseline';
  url: string;
  pid: number;
  info: Record<string, unknown>;
  /** Resident memory of the server process now (MB). */
  rssMb(): number;
  /** CPU time the server process has used so far (user + system, ms; 10 ms resolution). */
  cpuMs(): number;
  /** Time the server's main thread has been busy so far (ms, from its event loop utilization; Lodestone only). */
  busyMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a server in its own process on 127.0.0.1 with a fresh database; resolves when it listens. */
export async function startServer(kind: 'lodestone' | 'baseline', extra: string[] = []): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `lodestone-bench-${kind}-`));
  // Both servers run as plain Node (Lodestone's own code as `npm start` runs it: compiled).
  const script = transpileForNode(fileURLToPath(new URL(kind === 'lodestone' ? '../lodestone-server.ts' : '../baseline/server.ts', import.meta.url)));
  return spawnServer(kind, script, [join(dir, 'bench.db'), ...extra], process.env, () => rmSync(dir, { recursive: true, force: true }));
}

/** A benchmark server's process: resolves with its first JSON line once it prints it (it listens). */
async function spawnServer(kind: 'lodestone' | 'baseline', script: string, args: string[], env: NodeJS.ProcessEnv, cleanUp: () => void): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const waiting: ((ms: number) => void)[] = [];
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{"busyMs"')) waiting.shift()?.((JSON.parse(line) as { busyMs: number }).busyMs);
        else if (line.startsWith('{')) resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    child.on('exit', (code) => {
      cleanUp();
      reject(new Error(`${kind} server exited with ${code}`));
    });
  });
  const pid = Number(info.pid ?? child.pid ?? 0);
  return {
    kind,
    url: `http://127.0.0.1:${String(info.port)}`,
    pid,
    info,
    rssMb: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    cpuMs: () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second here).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    busyMs: () =>
      new Promise<number>((resolve) => {
        waiting.push(resolve);
        child.stdin?.write('busy\n');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          cleanUp();
          return resolve();
        }
        child.once('exit', () => {
          cleanUp();
          resolve();
        });
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/**
 * Runs the load generator in its own process with a job; resolves with its JSON result. When the
 * job prints "ready", `onReady` runs and its answer lets the job go on (to time a window of it).
 */
export function runLoad<T>(job: Record<string, unknown>, onReady?: () => unknown): Promise<T> {
  const script = fileURLToPath(new URL('./load.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [script, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n') && !out.includes('\u0000')) {
        out = `${out.replace('ready\n', '')}\u0000`;
        void Promise.resolve(onReady?.()).then(() => child.stdin.write('go\n'));
      }
    });
    child.on('exit', (code) => {
      const line = out.replace('\u0000', '').trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as T);
      else reject(new Error(`load generator exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

/** The PostgreSQL server the PostgreSQL baseline's databases are created on (its own database is only used to connect). */
export const benchPostgresAdminUrl = process.env.LODESTONE_BENCH_POSTGRES ?? process.env.LODESTONE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  url: string;
  name: string;
  /** Drops it, with any connection still open to it. */
  drop(): Promise<void>;
}

/** A new, empty PostgreSQL database of its own on `benchPostgresAdminUrl`'s server. */
export async function freshBenchPostgresDatabase(): Promise<BenchDatabase> {
  const name = `lodestone_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: benchPostgresAdminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(benchPostgresAdminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Starts one node of the PostgreSQL baseline (bench/baseline/server-pg.ts) in its own process on
 * 127.0.0.1, on `databaseUrl` as `nodeId`; resolves when it listens and its adapter LISTENs.
 * `kind` is 'baseline' (the load generator drives it as the SQLite baseline); `info.nodeId` names it.
 */
export async function startPostgresBaseline(databaseUrl: string, nodeId: string): Promise<RunningServer> {
  const script = transpileForNode(fileURLToPath(new URL('../baseline/server-pg.ts', import.meta.url)));
  const child: ChildProcess = spawn(process.execPath, [script, databaseUrl, nodeId], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => reject(new Error(`PostgreSQL baseline ${nodeId} exited with ${code}`)));
  });
  const pid = Number(info.pid ?? child.pid ?? 0);
  return {
    kind: 'baseline',
    url: `http://127.0.0.1:${String(info.port)}`,
    pid,
    info,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    cpuMs: () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    busyMs: () => Promise.reject(new Error('busyMs: Lodestone only')),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export interface PostgresBaselineCluster {
  database: BenchDatabase;
  /** Node `a`, `b`, … in that order, all on `database`. */
  nodes: RunningServer[];
  /** Stops every node, then drops the database. */
  stop(): Promise<void>;
}

/** A fresh PostgreSQL database and `count` baseline nodes on it (ids a, b, …): post on one, read on another. */
export async function startPostgresBaselineCluster(count = 2): Promise<PostgresBaselineCluster> {
  const database = await freshBenchPostgresDatabase();
  const ids = Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i));
  const started = await Promise.allSettled(ids.map((id) => startPostgresBaseline(database.url, id)));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await database.drop();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { database, nodes, stop };
}

/** Resolves once a process whose application_name is `applicationName` LISTENs on `databaseUrl` (its Socket.IO adapter). */
async function untilListening(databaseUrl: string, applicationName: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let waited = 0; ; waited += 20) {
      const listening = await client.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", [applicationName]);
      if (listening.rowCount) return;
      if (waited > 10_000) throw new Error(`${applicationName}: the adapter did not LISTEN within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}

/**
 * Starts one Lodestone node (bench/lodestone-server.ts) in its own process on 127.0.0.1, on the
 * PostgreSQL database `databaseUrl` as a real node runs (DATABASE_URL, LODESTONE_SECRET,
 * LODESTONE_NODE_ID); resolves when it listens and its adapter LISTENs. Without `seeded` it seeds
 * the database first (accounts, incident, `--readers` tokens); with it (the path of a file holding
 * another node's seeding, `{incidentId, readers}`) it starts on that node's data.
 */
export async function startLodestonePostgres(databaseUrl: string, nodeId: string, secret: string, options: { seeded?: string; extra?: string[] } = {}): Promise<RunningServer> {
  const script = transpileForNode(fileURLToPath(new URL('../lodestone-server.ts', import.meta.url)));
  const env = { ...process.env, DATABASE_URL: databaseUrl, LODESTONE_SECRET: secret, LODESTONE_NODE_ID: nodeId };
  const args = ['unused.db', ...(options.extra ?? []), ...(options.seeded ? ['--seeded', options.seeded] : [])];
  const server = await spawnServer('lodestone', script, args, env, () => undefined);
  try {
    await untilListening(databaseUrl, `lodestone:${nodeId}`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  server.info.nodeId = nodeId;
  return server;
}

export interface LodestonePostgresCluster {
  database: BenchDatabase;
  /** Node `a`, `b`, … in that order, all on `database`. */
  nodes: RunningServer[];
  /** Their URLs, in the same order. */
  urls: string[];
  /** Stops every node, then drops the database. */
  stop(): Promise<void>;
}

/**
 * A fresh PostgreSQL database and `count` Lodestone nodes on it (ids a, b, …, one LODESTONE_SECRET
 * of 48 characters for all): node a seeds it, then the others start, one after the other, on
 * what it seeded (each node's `info` carries the same incident and reader tokens).
 */
export async function startLodestonePostgresCluster(count = 1, extra: string[] = []): Promise<LodestonePostgresCluster> {
  const database = await freshBenchPostgresDatabase();
  const secret = randomBytes(36).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-pg-'));
  const nodes: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  };
  try {
    const seeded = join(dir, 'seeded.json');
    for (let i = 0; i < count; i++) {
      const node = await startLodestonePostgres(database.url, String.fromCharCode(97 + i), secret, { extra, seeded: i === 0 ? undefined : seeded });
      nodes.push(node);
      if (i === 0) writeFileSync(seeded, `${JSON.stringify({ incidentId: node.info.incidentId, readers: node.info.readers })}\n`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { database, nodes, urls: nodes.map((n) => n.url), stop };
}
