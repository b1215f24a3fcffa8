// Sign-in timing: does a failed sign-in tell an attacker whether the name exists? Against the
// real server, alternates a sign-in with an unknown name and one with a real name and a wrong
// password (after a few of each to warm up), and compares the median response times.
// Figure: |median(unknown) − median(wrong password)| ÷ median(wrong password), which must be
// ≤ 10 %. Each real name gets at most 8 failures (the throttle allows 10 per name and address)
// and the whole run stays under the 100 sign-ins a minute an address may make.
//   npx tsx test/reliability/sign-in-timing.ts [--pairs 40]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, Client, freePort, ServerProcess } from './lib/server-process.ts';
import { numberArg, report } from './lib/figures.ts';

export interface SignInTimingResult {
  pairs: number;
  unknownName: { p50: number; min: number; max: number };
  wrongPassword: { p50: number; min: number; max: number };
  /** |p50 unknown − p50 wrong| ÷ p50 wrong, in percent. */
  differencePercent: number;
  within10Percent: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;
const summary = (values: number[]) => ({ p50: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) });

export async function signInTiming(options: { pairs: number }): Promise<SignInTimingResult> {
  const PER_NAME = 8;
  const WARM_UP = 3;
  const names = Math.ceil((options.pairs + WARM_UP) / PER_NAME);
  if (2 * (options.pairs + WARM_UP) + names + 1 > 100) throw new Error('too many pairs for the 100 sign-ins a minute an address may make');
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-sign-in-'));
  const server = new ServerProcess(await freePort(), join(dir, 'sign-in.db'));
  try {
    await server.start();
    const admin = await Client.signIn(server.url, 'admin', ADMIN_PASSWORD);
    const real: string[] = [];
    for (let i = 0; i < names; i++) {
      const username = `timing.user${i}`;
      await admin.ok('POST', '/users', { username, displayName: `Timing ${i}`, password: 'the-right-password', role: 'member', agency: 'DOE', side: 'US' });
      real.push(username);
    }
    const attempt = async (username: string): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'not-the-password' }) });
      await res.arrayBuffer();
      const took = performance.now() - started;
      if (res.status !== 401) throw new Error(`sign-in as ${username}: expected 401, got ${res.status}`);
      return took;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < options.pairs + WARM_UP; i++) {
      const realName = real[Math.floor(i / PER_NAME)] ?? '';
      const unknownName = `nobody.${i}.${Date.now().toString(36)}`;
      // Alternate which goes first, so neither always follows the other.
      let u: number;
      let w: number;
      if (i % 2) {
        u = await attempt(unknownName);
        w = await attempt(realName);
      } else {
        w = await attempt(realName);
        u = await attempt(unknownName);
      }
      if (i < WARM_UP) continue;
      unknown.push(u);
      wrong.push(w);
    }
    const differencePercent = round((Math.abs(median(unknown) - median(wrong)) / median(wrong)) * 100);
    return { pairs: options.pairs, unknownName: summary(unknown), wrongPassword: summary(wrong), differencePercent, within10Percent: differencePercent <= 10 };
  } finally {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await signInTiming({ pairs: numberArg('pairs') ?? 40 });
  report('sign-in-timing', result);
  process.exit(result.within10Percent ? 0 : 1);
}
