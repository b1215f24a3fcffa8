// Backup under load: a database of 100,000 events, the real server running on it, notes posted
// over HTTP all the while, and `npm run backup -- FILE` run beside it exactly as an operator
// would. Then the server is stopped and `npm run restore -- FILE` puts the backup in place of
// another database file. Figures: backup time (wall, the command's own), mutations the server
// acknowledged during the backup, and checks of the restored copy (integrity_check, every
// chain, every note acknowledged before the backup began is in it).
//   npx tsx test/reliability/backup-under-load.ts [--events 100000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../server/src/app.ts';
import { checkDatabase } from '../../server/src/cli/database-file.ts';
import { ADMIN_PASSWORD, Client, freePort, ROOT, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, percentile, report } from './lib/figures.ts';

export interface BackupResult {
  events: number;
  databaseMb: number;
  backup: { wallMs: number; reportedMs: number; output: string };
  acknowledgedDuringBackup: number;
  loadP99Ms: { before: number; during: number };
  restore: { wallMs: number; output: string };
  restored: { integrityCheck: string; chainVerifies: boolean; events: number; missingAcknowledgedBeforeBackup: number };
}

/** Runs an npm script of the project with DATABASE_URL set, as an operator would. */
function npmRun(script: string, file: string, databaseFile: string): Promise<{ code: number | null; output: string; wallMs: number }> {
  const started = performance.now();
  const child = spawn('npm', ['run', '--silent', script, '--', file], { cwd: ROOT, env: { ...process.env, DATABASE_URL: `file:${databaseFile}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: output.trim(), wallMs: Math.round(performance.now() - started) })));
}

/** Fills a new database with `events` events through the app itself (in-process, many requests in flight). */
async function seed(databaseFile: string, events: number): Promise<void> {
  const app = await buildApp({ databaseUrl: `file:${databaseFile}`, adminPassword: ADMIN_PASSWORD, clientDir: null, logger: false, rateLimitPerMinute: 10_000_000 });
  try {
    await app.ready();
    const signIn = async (username: string, password: string) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
      const cookie = res.cookies.find((c) => c.name === 'lodestone_session');
      if (!cookie) throw new Error(`sign-in of ${username}: ${res.statusCode} ${res.body}`);
      return `lodestone_session=${cookie.value}`;
    };
    const admin = await signIn('admin', ADMIN_PASSWORD);
    const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: admin }, payload: { username: 'backup.lead', displayName: 'Backup lead', password: 'backup-password', role: 'lead', agency: 'DOE', side: 'US' } });
    if (created.statusCode !== 201) throw new Error(`creating the lead: ${created.body}`);
    const lead = await signIn('backup.lead', 'backup-password');
    const incident = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { cookie: lead }, payload: { title: 'Backup incident', severity: 'high', minerals: ['gallium'] } });
    const id = (incident.json() as { id: string }).id;
    const head = () => (app.inject({ method: 'GET', url: `/api/v1/events?stream=incident:${id}&after=0&limit=1`, headers: { cookie: lead } }).then((r) => (r.json() as { head: number }).head));
    let n = await head();
    const body = 'A note of ordinary length, as staff write them during an incident: who called whom, what was agreed, what is next. ジスプロシウムの在庫確認。';
    while (n < events) {
      const batch = Math.min(250, events - n);
      await Promise.all(Array.from({ length: batch }, (_, i) => app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/messages`, headers: { cookie: lead }, payload: { body: `${body} #${n + i}` } })));
      n += batch;
    }
  } finally {
    await app.close();
  }
}

export async function backupUnderLoad(options: { events: number }): Promise<BackupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-backup-'));
  const live = join(dir, 'live.db');
  const backupFile = join(dir, 'backup.db');
  const restoredFile = join(dir, 'restored.db');
  const server = new ServerProcess(await freePort(), live);
  try {
    await seed(live, options.events);
    await server.start();
    const lead = await Client.signIn(server.url, 'backup.lead', 'backup-password');
    const incidents = await lead.ok<{ id: string }[]>('GET', '/incidents');
    const incidentId = incidents[0]?.id ?? '';

    // Load: a note every 10 ms (100/s), each with its response time and whether it was acknowledged.
    const acked: { body: string; at: number; ms: number }[] = [];
    let running = true;
    let k = 0;
    const load = (async () => {
      const inFlight = new Set<Promise<void>>();
      const start = performance.now();
      while (running) {
        const wait = start + k * 10 - performance.now();
        if (wait > 0) await sleep(wait);
        const body = `under load ${k++}`;
        const sent = performance.now();
        const p = lead.send('POST', `/incidents/${incidentId}/messages`, { body }).then((res) => {
          if (res.status === 201) acked.push({ body, at: performance.now(), ms: performance.now() - sent });
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await Promise.all(inFlight);
    })();

    await sleep(3000);
    const backupStart = performance.now();
    const ackedBeforeBackup = acked.map((a) => a.body);
    const backup = await npmRun('backup', backupFile, live);
    const backupEnd = performance.now();
    await sleep(1000);
    running = false;
    await load;
    if (backup.code !== 0) throw new Error(`backup failed: ${backup.output}`);
    await server.stop();

    const restore = await npmRun('restore', backupFile, restoredFile);
    if (restore.code !== 0) throw new Error(`restore failed: ${restore.output}`);
    const check = await checkDatabase(restoredFile);
    // Every note acknowledged before the backup began is in the restored database.
    const restoredApp = new ServerProcess(await freePort(), restoredFile);
    await restoredApp.start();
    let missing = 0;
    try {
      const reader = await Client.signIn(restoredApp.url, 'backup.lead', 'backup-password');
      const bodies = new Set<string>();
      let after = 0;
      for (;;) {
        const page = await reader.ok<{ events: { seq: number; data: { body?: string } }[]; head: number }>('GET', `/events?stream=incident:${incidentId}&after=${after}&limit=1000`);
        for (const e of page.events) if (e.data.body?.startsWith('under load ')) bodies.add(e.data.body);
        if (page.events.length === 0) break;
        after = page.events.at(-1)?.seq ?? after;
      }
      missing = ackedBeforeBackup.filter((b) => !bodies.has(b)).length;
    } finally {
      await restoredApp.kill();
    }

    const reported = /in (\d+) ms/.exec(backup.output);
    const before = acked.filter((a) => a.at < backupStart).map((a) => a.ms);
    const during = acked.filter((a) => a.at >= backupStart && a.at <= backupEnd).map((a) => a.ms);
    return {
      events: options.events,
      databaseMb: Math.round((statSync(backupFile).size / 1024 / 1024) * 10) / 10,
      backup: { wallMs: backup.wallMs, reportedMs: reported ? Number(reported[1]) : NaN, output: backup.output },
      acknowledgedDuringBackup: during.length,
      loadP99Ms: { before: percentile(before, 99), during: percentile(during, 99) },
      restore: { wallMs: restore.wallMs, output: restore.output },
      restored: { integrityCheck: check.integrity, chainVerifies: check.audit.ok, events: check.audit.events, missingAcknowledgedBeforeBackup: missing },
    };
  } finally {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await backupUnderLoad({ events: numberArg('events') ?? 100_000 });
  report('backup-under-load', result);
  const ok = result.restored.integrityCheck === 'ok' && result.restored.chainVerifies && result.restored.missingAcknowledgedBeforeBackup === 0;
  process.exit(ok ? 0 : 1);
}
