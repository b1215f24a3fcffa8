import { fmt, type BenchResult } from './lib/report.ts';
import { both, ratioRow, runLoad, target } from './lib/compare.ts';

/** 1,000 signed-in clients connected and subscribed: the server's resident memory and the connect time. */
export default async function connectionsBench(): Promise<BenchResult> {
  const result = await both(['lodestone', 'baseline'], async (server) => {
    const idle = server.rssMb();
    let peak = idle;
    const poll = setInterval(() => (peak = Math.max(peak, server.rssMb())), 100);
    const load = await runLoad<{ connectMs: number }>({ type: 'connections', target: target(server), clients: 1000, holdMs: 2500 });
    clearInterval(poll);
    return { idleMb: idle, peakMb: peak, connectMs: load.connectMs };
  });
  return {
    name: 'connections',
    rows: [
      ratioRow('connections', '1,000 clients: server RSS', result.lodestone.peakMb, result.baseline.peakMb, 1.5, 'MB'),
      {
        benchmark: 'connections',
        measure: '1,000 clients: connect + subscribe',
        lodestone: `${fmt(result.lodestone.connectMs, 0)} ms`,
        baseline: `${fmt(result.baseline.connectMs, 0)} ms`,
        ratio: `${fmt(result.lodestone.connectMs / result.baseline.connectMs, 2)}×`,
      },
    ],
    details: result,
  };
}
