import { median, type BenchResult } from './lib/report.ts';
import { alternate, ratioRow, runLoad, target } from './lib/compare.ts';

type Throughput = { perSecond: number; done: number; errors: number };

/** Closed-loop HTTP mutations (16 at a time) into an incident with 100 subscribers, until saturation; median of two alternating rounds. */
export default async function throughputBench(): Promise<BenchResult> {
  const result = await alternate(2, (server) => runLoad<Throughput>({ type: 'throughput', target: target(server), clients: 100, concurrency: 16, seconds: 6 }));
  const rate = (runs: Throughput[]) => median(runs.map((r) => r.perSecond));
  const row = ratioRow('throughput', 'mutations/s, 100 subscribers', rate(result.lodestone), rate(result.baseline), 0.7, '/s', true);
  return { name: 'throughput', rows: [row], details: result };
}
