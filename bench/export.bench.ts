import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../server/src/store/sqlite.ts';
import { createServices } from '../server/src/services.ts';
import { seedLargeIncident } from './lib/seed.ts';
import { fmt, median, type BenchResult } from './lib/report.ts';

const ENTRIES = 10_000;
const ACTIONS = 500;
const RUNS = 3;

/**
 * After-action record of an incident of 10,000 timeline entries and 500 action items: time
 * and peak memory of each format, each run in a fresh process (median of three runs).
 */
export default async function exportBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-export-'));
  const path = join(dir, 'export.db');
  try {
    const store = SqliteStore.open(`file:${path}`);
    const services = createServices(store, { clock: () => new Date(), passwordLog2N: 10, sessionIdleMs: 1e9, sessionMaxMs: 1e9 });
    const seeded = performance.now();
    const incidentId = await seedLargeIncident(services, ENTRIES, ACTIONS);
    const seedMs = performance.now() - seeded;
    await services.log.drain();
    await store.close();
    const script = fileURLToPath(new URL('./export-format.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const rows = [];
    const details: Record<string, unknown> = { entries: ENTRIES, actions: ACTIONS, seedMs: Math.round(seedMs) };
    for (const format of ['markdown', 'csv', 'json', 'pdf'] as const) {
      const runs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(tsx, [script, path, incidentId, format], { encoding: 'utf8' })) as { ms: number; warmMs: number; modelMs: number; bytes: number; peakRssMb: number; baseRssMb: number });
      const ms = median(runs.map((r) => r.ms));
      const warm = median(runs.map((r) => r.warmMs));
      const peak = Math.max(...runs.map((r) => r.peakRssMb));
      details[format] = runs;
      const target = format === 'markdown' ? 150 : undefined;
      rows.push({
        benchmark: 'export',
        measure: `${format}: time (model + render) in a running server · first in a fresh process · peak RSS · size`,
        lodestone: `${fmt(warm, 0)} ms · ${fmt(ms, 0)} ms · ${fmt(peak, 0)} MB · ${fmt((runs[0]?.bytes ?? 0) / 1024 / 1024, 1)} MB`,
        ...(target ? { target: `≤ ${target} ms`, met: warm <= target } : {}),
      });
    }
    return { name: 'export', rows, details };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
