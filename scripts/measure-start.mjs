// Measures `npm start` (node scripts/start.mjs) on an existing database: process start → first
// 200 from /readyz, and the process's resident memory 1 s later. Prints the runs and medians.
//   node scripts/measure-start.mjs [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'lodestone-start-'));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function once() {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), DATABASE_URL: `file:${join(dir, 'start.db')}`, LODESTONE_ADMIN_PASSWORD: 'measure-start-password', LOG_LEVEL: 'warn' };
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await sleep(5);
  }
  const ms = performance.now() - started;
  await sleep(1000);
  const rss = rssMiB(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { ms, rss };
}

try {
  await once(); // creates the database (and builds what is stale): not measured
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({ runs: results.map((r) => [Math.round(r.ms), Math.round(r.rss)]), medianMs: Math.round(median(results.map((r) => r.ms))), medianRssMiB: Math.round(median(results.map((r) => r.rss))) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
