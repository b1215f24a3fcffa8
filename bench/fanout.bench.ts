import { median, percentile, type BenchResult, type Row } from './lib/report.ts';
import { alternate, ratioRow, runLoad, target } from './lib/compare.ts';

type Fanout = { latencies: number[]; incomplete: number };

/**
 * POST an alert → received by the last of N subscribed clients (N = 100, 500, 1,000), at 20
 * alerts a second, 200 alerts: Lodestone beside the raw baseline, two alternating rounds per N
 * (the table gives the median of the rounds' p50 and p99).
 */
export default async function fanoutBench(): Promise<BenchResult> {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  for (const clients of [100, 500, 1000]) {
    const result = await alternate(2, (server) => runLoad<Fanout>({ type: 'fanout', target: target(server), clients, rate: 20, count: 200 }));
    const q = (runs: Fanout[], p: number) => median(runs.map((r) => percentile(r.latencies, p)));
    details[clients] = Object.fromEntries(Object.entries(result).map(([k, runs]) => [k, runs.map((r) => ({ p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), samples: r.latencies.length, incomplete: r.incomplete }))]));
    rows.push(ratioRow('fan-out', `N=${clients} p50`, q(result.lodestone, 50), q(result.baseline, 50), 1.3, 'ms'));
    rows.push(ratioRow('fan-out', `N=${clients} p99`, q(result.lodestone, 99), q(result.baseline, 99), 1.5, 'ms'));
  }
  return { name: 'fanout', rows, details };
}
