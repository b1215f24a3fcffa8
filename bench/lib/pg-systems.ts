import pg from 'pg';
import { fmt, type BenchResult, type Row } from './report.ts';
import { benchPostgresAdminUrl, startLodestonePostgresCluster, startPostgresBaselineCluster, type RunningServer } from './servers.ts';

/**
 * The systems the PostgreSQL benchmarks compare, each on a fresh database of its own: Lodestone and
 * the raw baseline (bench/baseline/server-pg.ts), on one node or on two nodes (a and b) of one
 * database with Socket.IO's PostgreSQL adapter between them.
 */
export type PgSystem = 'lodestone' | 'baseline' | 'lodestone-2' | 'baseline-2';

/**
 * BENCH_QUICK=1: a smoke run of the PostgreSQL benchmarks (one round, N=100 only, a few seconds
 * of load), to check that they work, not to measure; the runner then leaves bench/README.md and
 * bench/results/<name>.json alone.
 */
export const quick = process.env.BENCH_QUICK === '1';

/** Starts `system` (its nodes, in order a, b) on a fresh database, measures, stops it and drops the database. */
export async function onSystem<T>(system: PgSystem, readers: number, measure: (nodes: RunningServer[]) => Promise<T>): Promise<T> {
  const count = system.endsWith('-2') ? 2 : 1;
  const cluster = system.startsWith('lodestone') ? await startLodestonePostgresCluster(count, ['--readers', String(readers)]) : await startPostgresBaselineCluster(count);
  try {
    return await measure(cluster.nodes);
  } finally {
    await cluster.stop();
  }
}

/**
 * The same measurement in `rounds` rounds on every system, the order turning from round to round
 * (forward, then backward): drift on a shared machine falls on all of them alike.
 */
export async function rounds<T>(count: number, systems: PgSystem[], readers: number, measure: (system: PgSystem, nodes: RunningServer[]) => Promise<T>): Promise<Record<PgSystem, T[]>> {
  const out = Object.fromEntries(systems.map((s) => [s, [] as T[]])) as Record<PgSystem, T[]>;
  for (let r = 0; r < count; r++) {
    const order = r % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      process.stderr.write(`  round ${r + 1}: ${system}\n`);
      out[system].push(await onSystem(system, readers, (nodes) => measure(system, nodes)));
    }
  }
  return out;
}

/**
 * Two nodes against one, for Lodestone, with the raw baseline's two-node figure beside it:
 * Lodestone on two nodes ÷ Lodestone on one node, against a bound when there is one.
 */
export function nodesRow(benchmark: string, measure: string, two: number, one: number, baselineTwo: number, baselineOne: number, unit: string, bound?: { value: number; higher?: boolean }): Row {
  const ratio = two / one;
  return {
    benchmark,
    measure,
    lodestone: `${fmt(two)} ${unit}`,
    baseline: `${fmt(one)} ${unit} one node · baseline ${fmt(baselineTwo)} ${unit} two nodes, ${fmt(baselineOne)} ${unit} one`,
    ratio: `${fmt(ratio, 2)}× (baseline ${fmt(baselineTwo / baselineOne, 2)}×)`,
    target: bound ? `${bound.higher ? '≥' : '≤'} ${bound.value}×` : undefined,
    met: bound ? (bound.higher ? ratio >= bound.value : ratio <= bound.value) : undefined,
  };
}

/** Whether the PostgreSQL server the benchmarks create their databases on answers (within 3 s). */
export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: benchPostgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The result of a PostgreSQL benchmark that could not run: no PostgreSQL server answered. */
export function notRun(name: string, benchmark: string): BenchResult {
  const { host } = new URL(benchPostgresAdminUrl);
  return { name, rows: [{ benchmark, measure: `not run: no PostgreSQL server answered at ${host} (LODESTONE_BENCH_POSTGRES)`, lodestone: '—' }] };
}
