import { median, type BenchResult } from './lib/report.ts';
import { ratioRow, runLoad, target } from './lib/compare.ts';
import { nodesRow, notRun, postgresAnswers, quick, rounds, type PgSystem } from './lib/pg-systems.ts';

type Throughput = { perSecond: number; done: number; errors: number };

/**
 * Throughput on PostgreSQL: closed-loop HTTP mutations (16 in flight) into an incident with 100
 * subscribers, 6 s after 1 s not counted, each system on a fresh database of its own. One node: Lodestone beside the raw
 * PostgreSQL baseline. Two nodes of one database: writers on both (8 each) and subscribers on both
 * (50 each), beside Lodestone on one node (and the baseline's two nodes beside its one). Two rounds,
 * the order of the four systems turning; the median. BENCH_QUICK=1: one round of 2 s.
 */
export default async function pgThroughputBench(): Promise<BenchResult> {
  if (!(await postgresAnswers())) return notRun('pg-throughput', 'throughput (PostgreSQL)');
  const systems: PgSystem[] = ['lodestone', 'baseline', 'lodestone-2', 'baseline-2'];
  const result = await rounds(quick ? 1 : 2, systems, 100, (_system, nodes) => {
    const [a] = nodes;
    if (!a) throw new Error('no node');
    const urls = nodes.map((n) => n.url);
    return runLoad<Throughput>({ type: 'throughput', target: { ...target(a), postUrls: urls, readUrls: urls }, clients: 100, concurrency: 16, seconds: quick ? 2 : 6, warmupSeconds: 1 });
  });
  const rate = (system: PgSystem) => median(result[system].map((r) => r.perSecond));
  return {
    name: 'pg-throughput',
    rows: [
      ratioRow('throughput (PostgreSQL)', 'mutations/s, 100 subscribers, one node', rate('lodestone'), rate('baseline'), 0.7, '/s', true),
      nodesRow('throughput (PostgreSQL)', 'mutations/s, 100 subscribers, writers and subscribers on two nodes ÷ one node', rate('lodestone-2'), rate('lodestone'), rate('baseline-2'), rate('baseline'), '/s'),
    ],
    details: result,
  };
}
