import { median, percentile, type BenchResult, type Row } from './lib/report.ts';
import { ratioRow, runLoad, target } from './lib/compare.ts';
import { nodesRow, notRun, postgresAnswers, quick, rounds, type PgSystem } from './lib/pg-systems.ts';

type Fanout = { latencies: number[]; incomplete: number };
/** Alerts posted (at the same rate) before the measured ones, on every system: a fresh node's first requests open its pool's connections. */
const WARMUP = 20;

/**
 * Fan-out on PostgreSQL: POST an alert → received by the last of N subscribed clients (N = 100,
 * 500), 20 alerts a second, 200 alerts after 20 not measured, each system on a fresh database of its own. One node:
 * Lodestone beside the raw PostgreSQL baseline. Two nodes of one database: the alerts POSTed to
 * node a, the N clients on node b (every event crosses the adapter), beside Lodestone on one node
 * (and the baseline's two nodes beside its one). Two rounds, the order of the four systems turning;
 * the median of the rounds' p50 and p99. BENCH_QUICK=1: one round, N=100, 40 alerts.
 */
export default async function pgFanoutBench(): Promise<BenchResult> {
  if (!(await postgresAnswers())) return notRun('pg-fanout', 'fan-out (PostgreSQL)');
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const sizes = quick ? [100] : [100, 500];
  const count = quick ? 40 : 200;
  const systems: PgSystem[] = ['lodestone', 'baseline', 'lodestone-2', 'baseline-2'];
  for (const clients of sizes) {
    const result = await rounds(quick ? 1 : 2, systems, clients, (system, nodes) => {
      const [a, b] = nodes;
      if (!a) throw new Error('no node');
      // Two nodes: readers on b (its URL), the poster on a.
      const job = b ? { ...target(b), postUrls: [a.url] } : target(a);
      return runLoad<Fanout>({ type: 'fanout', target: job, clients, rate: 20, count, warmup: WARMUP });
    });
    const q = (system: PgSystem, p: number) => median(result[system].map((r) => percentile(r.latencies, p)));
    details[clients] = Object.fromEntries(
      Object.entries(result).map(([k, runs]) => [k, runs.map((r) => ({ p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), samples: r.latencies.length, incomplete: r.incomplete }))]),
    );
    rows.push(ratioRow('fan-out (PostgreSQL)', `N=${clients} p50, one node`, q('lodestone', 50), q('baseline', 50), 1.3, 'ms'));
    rows.push(ratioRow('fan-out (PostgreSQL)', `N=${clients} p99, one node`, q('lodestone', 99), q('baseline', 99), 1.5, 'ms'));
    rows.push(nodesRow('fan-out (PostgreSQL)', `N=${clients} p50, two nodes (poster on a, readers on b) ÷ one node`, q('lodestone-2', 50), q('lodestone', 50), q('baseline-2', 50), q('baseline', 50), 'ms'));
    rows.push(nodesRow('fan-out (PostgreSQL)', `N=${clients} p99, two nodes (poster on a, readers on b) ÷ one node`, q('lodestone-2', 99), q('lodestone', 99), q('baseline-2', 99), q('baseline', 99), 'ms', { value: 1.5 }));
  }
  return { name: 'pg-fanout', rows, details };
}
