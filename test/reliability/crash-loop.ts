// Crash loop: clients keep mutating (alerts, notes, action-item updates across 3 incidents)
// while the server is killed with SIGKILL at random moments and restarted. Every mutation that
// got a 2xx must be there afterwards; every stream's seqs contiguous; integrity_check ok; every
// hash chain verifies.
//   npx tsx test/reliability/crash-loop.ts [--kills 50] [--seed N]
// Prints one JSON line of figures and writes test/reliability/results/crash-loop.json.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openReader } from '../../server/src/db/connection.ts';
import { SqliteStore } from '../../server/src/store/sqlite.ts';
import { EventLog } from '../../server/src/events/event-log.ts';
import { type Client, freePort, seedCast, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, random, report } from './lib/figures.ts';
import { startWriteLoad } from './lib/write-load.ts';

export interface CrashLoopResult {
  kills: number;
  /** The seed of the random choices and kill moments: `--seed N` repeats the run's choices. */
  seed: number;
  acknowledged: { alerts: number; notes: number; actionUpdates: number; total: number };
  /** Mutations sent; those not acknowledged were refused (409: another worker changed the action item first) or given up. */
  attempted: number;
  conflicts: number;
  missingAfterRestart: number;
  duplicated: number;
  nonContiguousStreams: string[];
  integrityCheck: string;
  chainVerifies: boolean;
  events: number;
  readyAfterRestartMs: { median: number; max: number };
  seconds: number;
}

const transient = (error: unknown) => error instanceof TypeError || (error as { code?: string }).code !== undefined;

export async function crashLoop(options: { kills: number; seed?: number; workers?: number } = { kills: 50 }): Promise<CrashLoopResult> {
  const seed = options.seed ?? Date.now() % 1_000_000;
  const rand = random(seed);
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-crash-'));
  const dbFile = join(dir, 'crash.db');
  const server = new ServerProcess(await freePort(), dbFile);
  const started = performance.now();
  try {
    await server.start();
    const cast = await seedCast(server.url, 3);

    /**
     * One mutation, retried with the same Idempotency-Key and body while the server is down:
     * a client that lost the answer must be able to ask again without doing it twice.
     */
    async function mutate(client: Client, method: string, path: string, body: unknown): Promise<{ status: number; body: unknown } | null> {
      const key = randomUUID();
      for (let attempt = 0; attempt < 400; attempt++) {
        try {
          return await client.send(method, path, body, key);
        } catch (error) {
          if (!transient(error)) throw error;
          await sleep(25);
        }
      }
      return null;
    }

    const load = await startWriteLoad(cast, rand, mutate, options.workers ?? 6);
    const { acked } = load;
    const readyTimes: number[] = [];
    for (let k = 0; k < options.kills; k++) {
      await sleep(150 + rand() * 900);
      await server.kill();
      readyTimes.push(await server.start());
    }
    await sleep(300);
    await load.stop();
    expectExit(await server.stop());

    // What the database holds now, read as the server would after one more restart.
    const handle = openReader(dbFile);
    try {
      const { sqlite } = handle;
      const has = (table: string) => sqlite.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).pluck();
      const alertThere = has('alerts');
      const noteThere = has('messages');
      const actionVersion = sqlite.prepare('SELECT version FROM actions WHERE id = ?').pluck();
      let missing = 0;
      for (const id of acked.alerts) if (!alertThere.get(id)) missing++;
      for (const id of acked.notes) if (!noteThere.get(id)) missing++;
      for (const [id, version] of acked.actions) if (((actionVersion.get(id) as number | undefined) ?? 0) < version) missing++;
      // A retried mutation must not be applied twice: each alert title and each note body at most once,
      // and each acknowledged action-item version once (versions rise by one per applied change).
      const duplicated =
        ((sqlite.prepare("SELECT count(*) FROM (SELECT title FROM alerts WHERE title LIKE 'crash alert %' GROUP BY title HAVING count(*) > 1)").pluck().get() as number) ?? 0) +
        ((sqlite.prepare("SELECT count(*) FROM (SELECT body FROM messages WHERE body LIKE 'crash note %' GROUP BY body HAVING count(*) > 1)").pluck().get() as number) ?? 0) +
        ((sqlite.prepare("SELECT count(*) FROM (SELECT json_extract(data, '$.title') AS title FROM events WHERE type = 'action.updated' AND json_extract(data, '$.title') LIKE 'Updated %' GROUP BY title HAVING count(*) > 1)").pluck().get() as number) ?? 0);
      const gaps = sqlite
        .prepare('SELECT e.stream AS stream FROM events e JOIN streams s ON s.name = e.stream GROUP BY e.stream HAVING count(*) != max(e.seq) OR min(e.seq) != 1 OR max(e.seq) != max(s.head_seq)')
        .pluck()
        .all() as string[];
      const integrity = sqlite.pragma('integrity_check', { simple: true }) as string;
      const audit = await new EventLog(new SqliteStore(handle, handle), () => new Date()).verify();
      const sorted = [...readyTimes].sort((a, b) => a - b);
      return {
        kills: options.kills,
        seed,
        acknowledged: { alerts: acked.alerts.size, notes: acked.notes.size, actionUpdates: load.actionUpdates, total: acked.alerts.size + acked.notes.size + load.actionUpdates },
        attempted: load.attempted,
        conflicts: load.conflicts,
        missingAfterRestart: missing,
        duplicated,
        nonContiguousStreams: gaps,
        integrityCheck: integrity,
        chainVerifies: audit.ok,
        events: audit.events,
        readyAfterRestartMs: { median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) },
        seconds: Math.round((performance.now() - started) / 1000),
      };
    } finally {
      handle.close();
    }
  } finally {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectExit(code: number | null): void {
  if (code !== 0) throw new Error(`the server did not drain and exit 0 on SIGTERM (exit ${code})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await crashLoop({ kills: numberArg('kills') ?? 50, seed: numberArg('seed') });
  report('crash-loop', result);
  const ok = result.missingAfterRestart === 0 && result.duplicated === 0 && result.nonContiguousStreams.length === 0 && result.integrityCheck === 'ok' && result.chainVerifies;
  process.exit(ok ? 0 : 1);
}
