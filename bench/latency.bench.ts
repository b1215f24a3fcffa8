import { median, percentile, type BenchResult } from './lib/report.ts';
import { alternate, ratioRow, runLoad, target } from './lib/compare.ts';

type Latency = { times: number[]; errors: number; achievedRate: number };
const ROUNDS = 5;

/**
 * Notes posted over HTTP at 250 a second into an incident with 100 subscribers: response time.
 * Five alternating rounds; the table gives the median of each round's p50 and p99.
 */
export default async function latencyBench(): Promise<BenchResult> {
  const result = await alternate(ROUNDS, (server) => runLoad<Latency>({ type: 'latency', target: target(server), clients: 100, rate: 250, seconds: 5 }));
  const q = (runs: Latency[], p: number) => median(runs.map((r) => percentile(r.times, p)));
  return {
    name: 'latency',
    rows: [
      ratioRow('mutation latency', 'p50 at 250/s, 100 subscribers', q(result.lodestone, 50), q(result.baseline, 50), 1.5, 'ms'),
      ratioRow('mutation latency', 'p99 at 250/s, 100 subscribers', q(result.lodestone, 99), q(result.baseline, 99), 1.5, 'ms'),
    ],
    details: Object.fromEntries(
      Object.entries(result).map(([k, runs]) => [k, runs.map((r) => ({ p50: percentile(r.times, 50), p99: percentile(r.times, 99), errors: r.errors, achievedRate: r.achievedRate, samples: r.times.length }))]),
    ),
  };
}
