import { startServer, runLoad, type RunningServer } from './servers.ts';
import { fmt, type Row } from './report.ts';

/** Runs one measurement against a fresh server of each kind, in the given order. */
export async function both<T>(order: ('lodestone' | 'baseline')[], measure: (server: RunningServer) => Promise<T>, extra: string[] = []): Promise<Record<'lodestone' | 'baseline', T>> {
  const out: Partial<Record<'lodestone' | 'baseline', T>> = {};
  for (const kind of order) {
    const server = await startServer(kind, kind === 'lodestone' ? extra : []);
    try {
      out[kind] = await measure(server);
    } finally {
      await server.stop();
    }
  }
  return out as Record<'lodestone' | 'baseline', T>;
}

/**
 * The same measurement in `rounds` rounds, each against a fresh server of each kind, the order
 * alternating (L B, B L, L B…): drift on a shared machine falls on both sides alike.
 */
export async function alternate<T>(rounds: number, measure: (server: RunningServer) => Promise<T>, extra: string[] = []): Promise<Record<'lodestone' | 'baseline', T[]>> {
  const out: Record<'lodestone' | 'baseline', T[]> = { lodestone: [], baseline: [] };
  for (let r = 0; r < rounds; r++) {
    const order: ('lodestone' | 'baseline')[] = r % 2 === 0 ? ['lodestone', 'baseline'] : ['baseline', 'lodestone'];
    const result = await both(order, measure, extra);
    out.lodestone.push(result.lodestone);
    out.baseline.push(result.baseline);
  }
  return out;
}

/** What the load generator needs of a server: where it is, its room, and (Lodestone) a token per distinct subscriber. */
export const target = (server: RunningServer) => ({ kind: server.kind, url: server.url, incidentId: server.info.incidentId, readers: server.info.readers });
export { runLoad };

/** A comparison row: Lodestone ÷ baseline against a bound (lower is better unless `higher`). */
export function ratioRow(benchmark: string, measure: string, lodestone: number, baseline: number, bound: number, unit: string, higher = false): Row {
  const ratio = lodestone / baseline;
  return {
    benchmark,
    measure,
    lodestone: `${fmt(lodestone)} ${unit}`,
    baseline: `${fmt(baseline)} ${unit}`,
    ratio: `${fmt(ratio, 2)}×`,
    target: `${higher ? '≥' : '≤'} ${bound}×`,
    met: higher ? ratio >= bound : ratio <= bound,
  };
}
