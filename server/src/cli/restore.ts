// Restores a backup into the place of the database DATABASE_URL names. Stop the server first.
//   npm run restore -- FILE
// The backup is checked first (integrity_check and every hash chain) and refused if it fails;
// the current database is kept beside it as <file>.before-restore-<time>, never deleted.
// Exit 0 when restored; 1 when the backup does not verify; 2 on bad usage.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkDatabase, checkPassed, configuredDatabaseFile, describeCheck, restoreDatabase } from './database-file.ts';

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npm run restore -- <backup file>   (stop the server first; the database is DATABASE_URL’s)\n');
    return 2;
  }
  const backup = resolve(file);
  if (!existsSync(backup)) {
    process.stderr.write(`no such backup: ${backup}\n`);
    return 2;
  }
  const target = configuredDatabaseFile();
  if ('error' in target) {
    process.stderr.write(`${target.error}\n`);
    return 2;
  }
  let check;
  try {
    check = await checkDatabase(backup);
  } catch (error) {
    process.stdout.write(`NOT RESTORED: ${backup} is not a Lodestone database (${(error as Error).message})\n`);
    return 1;
  }
  if (!checkPassed(check)) {
    process.stdout.write(`NOT RESTORED: ${backup} does not verify (${describeCheck(check)})\n`);
    return 1;
  }
  const { keptAs } = restoreDatabase(backup, target.path);
  process.stdout.write(`RESTORED: ${target.path} from ${backup}; ${describeCheck(check)}${keptAs ? `; the previous database is kept as ${keptAs}` : ''}\n`);
  return 0;
}

process.exitCode = await main();
