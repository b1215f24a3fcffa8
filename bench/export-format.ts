// One format of one record, measured in its own process so that its peak memory is its own:
//   tsx bench/export-format.ts <db file> <incident id> <markdown|pdf|csv|json>
import { SqliteStore } from '../server/src/store/sqlite.ts';
import { createServices } from '../server/src/services.ts';
import { buildRecord } from '../server/src/features/export/record.model.ts';
import { renderMarkdown } from '../server/src/features/export/markdown.ts';
import { renderCsv } from '../server/src/features/export/csv.ts';
import { renderJson } from '../server/src/features/export/json.ts';
import { renderPdf } from '../server/src/features/export/pdf.ts';

const [path, incidentId, format] = process.argv.slice(2);
const store = SqliteStore.open(`file:${path}`);
const services = createServices(store, { clock: () => new Date(), passwordLog2N: 10, sessionIdleMs: 1e9, sessionMaxMs: 1e9 });
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const baseRss = process.memoryUsage().rss;
const render = async () => {
  const start = performance.now();
  const record = await buildRecord(services, incidentId ?? '', 'en', 'bench');
  if (!record) throw new Error('no incident');
  const modelMs = performance.now() - start;
  const output =
    format === 'markdown' ? renderMarkdown(record) : format === 'csv' ? renderCsv(record) : format === 'json' ? renderJson(record) : await renderPdf(record);
  return { ms: performance.now() - start, modelMs, bytes: typeof output === 'string' ? Buffer.byteLength(output) : output.length };
};
// The first export in a fresh process (code not yet compiled by the JIT), then three more as a
// running server makes them.
const cold = await render();
const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
const warm: number[] = [];
for (let i = 0; i < 3; i++) warm.push((await render()).ms);
warm.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({ format, ms: Math.round(cold.ms), warmMs: Math.round(warm[1] ?? 0), modelMs: Math.round(cold.modelMs), bytes: cold.bytes, peakRssMb, baseRssMb: mb(baseRss) }),
);
await store.close();
