import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../config.ts';
import { databasePath, openReader } from '../db/connection.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { EventLog, type AuditReport } from '../events/event-log.ts';

/** The database file DATABASE_URL names (the server's), or null with a message when it names none. */
export function configuredDatabaseFile(): { path: string } | { error: string } {
  let url: string;
  try {
    url = loadConfig(process.env).databaseUrl;
  } catch (error) {
    return { error: error instanceof ConfigError ? error.message : String(error) };
  }
  const path = databasePath(url);
  if (path === ':memory:') return { error: 'DATABASE_URL names an in-memory database: there is no file to back up or restore.' };
  return { path };
}

export interface Check {
  integrity: string;
  audit: AuditReport;
}

/** `PRAGMA integrity_check` and the verification of every hash chain, on a database file. */
export async function checkDatabase(path: string): Promise<Check> {
  const handle = openReader(path);
  try {
    const integrity = (handle.sqlite.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
    const audit = await new EventLog(new SqliteStore(handle, handle), () => new Date()).verify();
    return { integrity, audit };
  } finally {
    handle.close();
  }
}

export const checkPassed = (check: Check) => check.integrity === 'ok' && check.audit.ok;

export function describeCheck(check: Check): string {
  const chain = check.audit.ok
    ? `${check.audit.events} events in ${check.audit.streams} streams verify`
    : `chain broken at ${check.audit.firstBadEvent?.stream} seq ${check.audit.firstBadEvent?.seq}`;
  return `integrity_check: ${check.integrity}; ${chain}`;
}

/**
 * An online backup of a live database with SQLite's backup API: the pages are copied in one
 * step, inside one read transaction, so the copy is one consistent moment even while the
 * server keeps writing (in WAL mode a reader does not stop writers).
 */
export async function backupDatabase(source: string, target: string): Promise<{ pages: number }> {
  if (existsSync(target)) throw new Error(`${target} exists; give a new file name`);
  const db = new Database(source, { fileMustExist: true, readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    const result = await db.backup(target, { progress: () => 0x7fffffff });
    return { pages: result.totalPages };
  } finally {
    db.close();
  }
}

/**
 * Puts a verified backup in the place of the database (the server must be stopped): the
 * current file and its WAL are moved aside, never deleted.
 */
export function restoreDatabase(backup: string, target: string, stamp = new Date().toISOString().replace(/[:.]/g, '-')): { keptAs: string | null } {
  let keptAs: string | null = null;
  if (existsSync(target)) {
    keptAs = `${target}.before-restore-${stamp}`;
    renameSync(target, keptAs);
    for (const suffix of ['-wal', '-shm']) if (existsSync(target + suffix)) renameSync(target + suffix, keptAs + suffix);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(target + suffix, { force: true });
  copyFileSync(backup, target);
  return { keptAs };
}
