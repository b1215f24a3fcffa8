import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      // Listening, and the line main.ts logs right after it (which may come in a later chunk).
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] && out.includes('Lodestone is serving')) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`exited ${code}: ${out}`));
    });
  });
  listening.catch(() => undefined); // awaited only by the tests that expect a start
  return { child, exited, listening, output: () => out };
}

describe('npm start', () => {
  it('serves the sign-in page and the API on one port, then drains and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-start-'));
    try {
      const server = start({ PORT: '0', DATABASE_URL: `file:${join(dir, 'db.sqlite')}` });
      const url = await server.listening;
      expect(server.output()).toMatch(/Username: admin {2}Password: \S+/);
      // npm start runs the server compiled to JavaScript, not its TypeScript through tsx.
      expect(server.output()).toContain('(compiled JavaScript)');
      const page = await fetch(`${url}/sign-in`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app"></div>');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/session`)).status).toBe(401);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders a PDF from the compiled server: its PDF process runs from the build too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-start-'));
    try {
      const server = start({ PORT: '0', DATABASE_URL: `file:${join(dir, 'db.sqlite')}`, LODESTONE_DEMO: '1', LODESTONE_ADMIN_PASSWORD: 'a long admin password' });
      const url = await server.listening;
      const signIn = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'doe.lead', password: 'rrg-demo-2026' }) });
      const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
      const [incident] = (await (await fetch(`${url}/api/v1/incidents`, { headers: { cookie } })).json()) as { id: string }[];
      const pdf = await fetch(`${url}/api/v1/incidents/${incident?.id}/export?format=pdf`, { headers: { cookie } });
      expect(pdf.status).toBe(200);
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with a clear message and exit 1 on a bad setting', async () => {
    const server = start({ PORT: 'http', DATABASE_URL: 'file::memory:' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/Invalid configuration:\n {2}PORT="http": must be a number/);
  });
});
