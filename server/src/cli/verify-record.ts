// Verifies an after-action record offline — no server, no database:
//   npm run verify-record -- RRG-2026-007-after-action.json
// Exit 0 when the hash chain and every event's digest hold; 1 naming the first bad event; 2 on bad usage.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyRecord } from '@lodestone/shared';

const sha256 = (input: string) => createHash('sha256').update(input, 'utf8').digest('hex');

async function main(): Promise<number> {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: npm run verify-record -- <record.json>\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    process.stderr.write(`cannot read ${path}: ${(error as Error).message}\n`);
    return 2;
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    process.stdout.write(`NOT VERIFIED: ${path} is not valid JSON (${(error as Error).message})\n`);
    return 1;
  }
  const check = await verifyRecord(record, sha256);
  if (check.ok) {
    process.stdout.write(`VERIFIED: ${check.events} events, chain head ${check.head}\n`);
    return 0;
  }
  if (check.firstBadEvent) {
    const bad = check.firstBadEvent;
    process.stdout.write(`NOT VERIFIED: first bad event is ${bad.stream} seq ${bad.seq} (event #${bad.index + 1} of ${check.events}): ${bad.reason}\n`);
  } else {
    process.stdout.write(`NOT VERIFIED: ${check.error}\n`);
  }
  return 1;
}

process.exitCode = await main();
