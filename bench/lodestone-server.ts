// Lodestone as benchmarks run it: the real app (buildApp), compiled as `npm start` runs it, on a
// fresh database, with accounts for the load generators and no rate limit (HTTP or socket) in the
// way (an import script or a benchmark must not be throttled). Prints {"port": N, "incidentId": …,
// "readers": [token…]} when listening: one API token for each of `--readers` distinct staff
// accounts (1,000 unless told), for subscribers. The database is seeded by a process of its own
// first (`--seed-only`), so that the server starts on it as a real server starts on its database,
// without the memory that creating a thousand accounts leaves behind.
// On PostgreSQL (DATABASE_URL=postgres://…, with LODESTONE_SECRET and LODESTONE_NODE_ID, as a real
// node runs; the db file argument is then unused) several nodes share one database: the first seeds
// it, the others start on it with `--seeded <file>`, a file holding the first one's JSON line
// (the incident and the readers' tokens, which are good on every node of the database).
//   node bench/lodestone-server.js <db file> [--entries N] [--actions N] [--readers N] [--client] [--seeded FILE]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type * as AppModule from '../server/src/app.ts';
import { serverModule } from './lib/compiled.ts';
import { seedLargeIncident, seedPeople, seedReaders } from './lib/seed.ts';

const { buildApp } = await serverModule<typeof AppModule>('app.js');

const path = process.argv[2] ?? '';
const entriesArg = process.argv.indexOf('--entries');
const entries = entriesArg > 0 ? Number(process.argv[entriesArg + 1]) : 0;
const actionsArg = process.argv.indexOf('--actions');
const actions = actionsArg > 0 ? Number(process.argv[actionsArg + 1]) : 0;
const readersArg = process.argv.indexOf('--readers');
const readerCount = readersArg > 0 ? Number(process.argv[readersArg + 1]) : 1000;
const seedOnly = process.argv.includes('--seed-only');
const seededArg = process.argv.indexOf('--seeded');
const seededFile = seededArg > 0 ? process.argv[seededArg + 1] : undefined;
const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

interface Seeded {
  incidentId: string;
  readers: string[];
}

/** The app on the benchmark's database (created and migrated by whichever process opens it first). */
function open() {
  return buildApp({
    databaseUrl: postgresUrl ?? `file:${path}`,
    ...(postgresUrl ? { secret: process.env.LODESTONE_SECRET, nodeId: process.env.LODESTONE_NODE_ID } : {}),
    adminPassword: 'bench-admin-password',
    passwordLog2N: 10,
    clientDir: process.argv.includes('--client') && !seedOnly ? undefined : null,
    rateLimitPerMinute: 100_000_000,
    // The catch-up benchmark re-subscribes in a loop, as no app does, and a thousand readers connect
    // at once from one address: no socket budget or cap in the way either.
    socketLimits: {
      subscribeBurst: 1_000_000_000,
      subscribesPerSecond: 1_000_000_000,
      packetsPerSecond: 1_000_000_000,
      catchUpBurstBytes: Number.MAX_SAFE_INTEGER,
      catchUpBytesPerSecond: Number.MAX_SAFE_INTEGER,
      socketBufferBytes: Number.MAX_SAFE_INTEGER,
      socketsPerToken: 1_000_000,
      socketsPerSession: 1_000_000,
    },
    anonymousSocketsPerAddress: 1_000_000,
    connectionsPerAddress: 1_000_000,
    logger: false,
  });
}

/** The accounts, the incident and the readers' tokens, written through the services as the app would. */
async function seed(services: Awaited<ReturnType<typeof open>>['lodestone']): Promise<Seeded> {
  let incidentId: string;
  if (entries > 0) incidentId = await seedLargeIncident(services, entries, actions);
  else {
    const [lead, ...members] = await seedPeople(services, 4);
    if (!lead) throw new Error('no lead');
    const incident = await services.incidents.create({ actor: { id: lead.id, displayName: lead.displayName, agency: lead.agency, side: lead.side } }, lead, { title: 'Benchmark room', severity: 'high', minerals: ['gallium'] });
    for (const m of members) await services.incidents.addMember({ actor: { id: lead.id, displayName: lead.displayName, agency: lead.agency, side: lead.side } }, incident.id, m.id);
    incidentId = incident.id;
  }
  return { incidentId, readers: await seedReaders(services, readerCount) };
}

if (seedOnly) {
  const seeding = await open();
  process.stdout.write(`${JSON.stringify(await seed(seeding.lodestone))}\n`);
  await seeding.close();
  process.exit(0);
}

// The server starts on the database the seeding process (this script, --seed-only) has just made,
// or (another node of a PostgreSQL database) on the one the first node seeded.
const seedOutput = seededFile
  ? readFileSync(seededFile, 'utf8')
  : execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--seed-only'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const { incidentId, readers } = JSON.parse(seedOutput.trim().split('\n').at(-1) ?? '{}') as Seeded;
const app = await open();
await app.listen({ port: 0, host: '127.0.0.1' });
// BENCH_PROFILE=file.cpuprofile records a CPU profile of the serving (not the start) until SIGTERM.
const profile = process.env.BENCH_PROFILE ? await startProfile() : null;
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port, incidentId, pid: process.pid, readers })}\n`);
// A line "busy" on stdin is answered with the main thread's busy time so far: the time its event
// loop spent running (JavaScript, SQLite, socket writes), not waiting. Other threads (GC, JIT) are
// not in it; the process's CPU time (from /proc) is.
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  for (const line of chunk.split('\n')) {
    if (line.trim() === 'busy') process.stdout.write(`${JSON.stringify({ busyMs: performance.eventLoopUtilization().active })}\n`);
  }
});
process.on('SIGTERM', () => {
  void (profile ? profile() : Promise.resolve()).then(() => app.close()).then(() => process.exit(0));
});

async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.env.BENCH_PROFILE ?? 'bench.cpuprofile', JSON.stringify(profile));
  };
}
