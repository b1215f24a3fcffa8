import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../server/src/db/connection.ts';

describe('database', () => {
  const opened: DatabaseHandle[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    opened.splice(0).forEach((h) => h.close());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  const open = (path: string) => {
    const handle = openDatabase(`file:${path}`);
    opened.push(handle);
    return handle;
  };

  it('runs in WAL with synchronous=FULL, foreign keys and a busy timeout, also when reopened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-db-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    for (let round = 0; round < 2; round++) {
      const { sqlite } = open(path);
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(Number(sqlite.pragma('busy_timeout', { simple: true }))).toBeGreaterThanOrEqual(1000);
      opened.pop()?.close();
    }
  });

  it('applies the migrations on open and says whether the database is new', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-db-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const first = open(path);
    expect(first.created).toBe(true);
    const tables = first.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['users', 'sessions', 'api_tokens', 'events', 'streams', 'idempotency_keys']));
    first.close();
    expect(open(path).created).toBe(false);
  });

  it('refuses a DATABASE_URL that is not file:', () => {
    expect(() => openDatabase('postgres://x')).toThrow(/file:/);
  });
});
