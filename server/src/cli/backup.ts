// Online backup of the database the server uses (DATABASE_URL), while it runs:
//   npm run backup -- FILE
// The copy is checked (integrity_check and every hash chain) before this says it is good.
// Exit 0 when the backup is written and verifies; 1 when it does not; 2 on bad usage.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { backupDatabase, checkDatabase, checkPassed, configuredDatabaseFile, describeCheck } from './database-file.ts';

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npm run backup -- <backup file>   (the database is DATABASE_URL’s)\n');
    return 2;
  }
  const source = configuredDatabaseFile();
  if ('error' in source) {
    process.stderr.write(`${source.error}\n`);
    return 2;
  }
  const target = resolve(file);
  const started = performance.now();
  try {
    const { pages } = await backupDatabase(source.path, target);
    const ms = performance.now() - started;
    const check = await checkDatabase(target);
    const mb = statSync(target).size / 1024 / 1024;
    process.stdout.write(`${checkPassed(check) ? 'BACKED UP' : 'BACKUP DOES NOT VERIFY'}: ${target} (${pages} pages, ${mb.toFixed(1)} MB) in ${Math.round(ms)} ms; ${describeCheck(check)}\n`);
    return checkPassed(check) ? 0 : 1;
  } catch (error) {
    process.stderr.write(`backup failed: ${(error as Error).message}\n`);
    return error instanceof TypeError || (error as Error).message.includes('exists') ? 2 : 1;
  }
}

process.exitCode = await main();
