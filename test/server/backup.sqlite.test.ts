import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/src/app.ts';
import { countRows, alertInput, buildTestApp, createUser, signIn, TEST_PASSWORD, type TestApp, type TestUser } from '../helpers/app.ts';

const run = promisify(execFile);
const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
const cli = (name: string) => new URL(`../../server/src/cli/${name}.ts`, import.meta.url).pathname;

/** Runs `npm run backup|restore -- FILE` as the README says, against the database at `dbPath`. */
async function npmRun(name: 'backup' | 'restore', file: string, dbPath: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [cli(name), file], { env: { ...process.env, DATABASE_URL: `file:${dbPath}` } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('backup and restore', () => {
  let t: TestApp;
  let liaison: TestUser;
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    liaison = await createUser(t, 'liaison');
  });
  afterAll(() => t.close());

  const post = (title: string) => t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ title }) });

  it('backs up the live database while it is written to; the copy passes integrity_check and every chain', async () => {
    for (let i = 0; i < 50; i++) expect((await post(`before ${i}`)).statusCode).toBe(201);
    const file = join(t.dir, 'backup-1.db');
    // Writes keep coming while the backup runs in another process (at most 900, so that the
    // restore test below can list every alert in one page of 1,000 on a fast machine).
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing && written < 900) {
        expect((await post(`during ${written}`)).statusCode).toBe(201);
        written++;
      }
    })();
    const backup = await npmRun('backup', file, t.dbPath);
    writing = false;
    await writer;
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toMatch(/^BACKED UP: .* integrity_check: ok; \d+ events in \d+ streams verify/);
    const copy = new Database(file, { readonly: true });
    const alerts = (copy.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
    const head = (copy.prepare("SELECT head_seq AS seq FROM streams WHERE name = 'alerts'").get() as { seq: number }).seq;
    copy.close();
    // One consistent moment: every alert in the copy has its event, and nothing after it.
    expect(alerts).toBeGreaterThanOrEqual(50);
    expect(alerts).toBeLessThanOrEqual(50 + written);
    expect(head).toBe(alerts);
    // Refuses to overwrite a file.
    expect((await npmRun('backup', file, t.dbPath)).code).toBe(2);
  });

  it('restores a backup in place of a database (kept aside, not deleted); the server then serves it', async () => {
    const file = join(t.dir, 'backup-2.db');
    expect((await npmRun('backup', file, t.dbPath)).code).toBe(0);
    const count = await countRows(t, 'alerts');
    // A different installation, with other data, gets the backup.
    const other = await buildTestApp();
    const otherDir = other.dir;
    const otherDb = other.dbPath;
    await other.app.close();
    const restored = await npmRun('restore', file, otherDb);
    expect(restored.code, restored.out).toBe(0);
    expect(restored.out).toMatch(/^RESTORED: .*integrity_check: ok; .* verify; the previous database is kept as /);
    expect(readdirSync(otherDir).some((f) => f.startsWith('test.db.before-restore-'))).toBe(true);
    const app = await buildApp({ databaseUrl: `file:${otherDb}`, clientDir: null, passwordLog2N: 10 });
    try {
      const cookie = await signIn(app, liaison.user.username, TEST_PASSWORD);
      const list = await app.inject({ method: 'GET', url: '/api/v1/alerts?limit=1000', headers: { cookie } });
      expect(list.statusCode).toBe(200);
      expect(list.json()).toHaveLength(count);
      const audit = await app.lodestone.log.verify();
      expect(audit.ok).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('refuses to restore a backup whose chain does not verify, and leaves the database as it was', async () => {
    const file = join(t.dir, 'backup-3.db');
    expect((await npmRun('backup', file, t.dbPath)).code).toBe(0);
    const tampered = new Database(file);
    tampered.prepare("UPDATE events SET data = json_set(data, '$.title', 'forged') WHERE stream = 'alerts' AND seq = 3").run();
    tampered.close();
    const target = join(t.dir, 'untouched.db');
    const restore = await npmRun('restore', file, target);
    expect(restore.code).toBe(1);
    expect(restore.out).toMatch(/^NOT RESTORED: .*chain broken at alerts seq 3/);
    expect(existsSync(target)).toBe(false);
    expect((await npmRun('restore', join(t.dir, 'missing.db'), target)).code).toBe(2);
  });
});
