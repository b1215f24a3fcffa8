// npm run bench            all benchmarks, a table of results; bench/README.md updated
// npm run bench -- NAME     one benchmark (fanout, latency, throughput, catchup, connections, export, pdf-fanout, client,
//                            pg-fanout, pg-throughput)
// BENCH_QUICK=1 npm run bench -- pg-fanout    a smoke run (the PostgreSQL benchmarks shorten themselves): the table is
//                            printed, bench/README.md is left alone, results go to bench/results/<name>.quick.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, table, type BenchResult, type Row } from './lib/report.ts';

const registry: Record<string, () => Promise<{ default: () => Promise<BenchResult> }>> = {
  fanout: () => import('./fanout.bench.ts'),
  latency: () => import('./latency.bench.ts'),
  throughput: () => import('./throughput.bench.ts'),
  catchup: () => import('./catchup.bench.ts'),
  connections: () => import('./connections.bench.ts'),
  export: () => import('./export.bench.ts'),
  'pdf-fanout': () => import('./pdf-fanout.bench.ts'),
  client: () => import('./client.bench.ts'),
  'pg-fanout': () => import('./pg-fanout.bench.ts'),
  'pg-throughput': () => import('./pg-throughput.bench.ts'),
};
const quick = process.env.BENCH_QUICK === '1';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(registry);
for (const name of names) if (!registry[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(registry).join(', ')}`);

const results: BenchResult[] = [];
const runStarted = Date.now();
for (const name of names) {
  const started = Date.now();
  process.stderr.write(`▶ ${name}…\n`);
  const load = registry[name];
  if (!load) continue;
  const result = await (await load()).default();
  results.push(result);
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(new URL(`./results/${name}${quick ? '.quick' : ''}.json`, import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`);
  process.stderr.write(`  done in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

const rows: Row[] = results.flatMap((r) => r.rows);
const minutes = ((Date.now() - runStarted) / 60_000).toFixed(1);
const output = `${quick ? 'SMOKE RUN (BENCH_QUICK=1), not a measurement. ' : ''}Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}, ${minutes} min.\n\n${table(rows)}\n`;
process.stdout.write(`\n${output}`);

// Keep bench/README.md's table of each benchmark's last run (not of a smoke run).
if (quick) process.exit(0);
const readme = fileURLToPath(new URL('./README.md', import.meta.url));
let text = readFileSync(readme, 'utf8');
// A run of every benchmark also replaces the summary table at the top.
const blocks = wanted.length ? results : [{ name: 'all', rows }, ...results];
for (const result of blocks) {
  const start = `<!-- results:${result.name} -->`;
  const end = `<!-- /results:${result.name} -->`;
  const block = `${start}\nLast run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}.\n\n${table(result.rows)}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
}
writeFileSync(readme, text);
