// Socket abuse: 100 well-behaved clients follow the alerts stream while alerts are posted at
// 20 a second; then hostile clients in another process flood subscribe (each asking for 500
// events), spam packets and send oversize packets, reconnecting whenever they are cut off.
// Figures: the well-behaved clients' fan-out p50/p99 before and during the flood, and what the
// abusers got (acks, 429 refusals, disconnections).
//   npx tsx test/reliability/socket-abuse.ts [--seconds 8] [--abusers 4]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { Client, freePort, PASSWORD, ROOT, seedCast, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, percentile, report } from './lib/figures.ts';

export interface AbuseResult {
  bystanders: number;
  idle: { p50: number; p99: number; alerts: number; incomplete: number };
  flood: { p50: number; p99: number; alerts: number; incomplete: number };
    /** Subscribe acks and 429s; cut off by the server (packet budget); transport closed (oversize packet); handshakes refused. */
  abusers: { sockets: number; acks: number; refused: number; cutOff: number; closed: number; refusedHandshakes: number };
}

export async function socketAbuse(options: { seconds: number; abusers: number; bystanders?: number }): Promise<AbuseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-abuse-'));
  const server = new ServerProcess(await freePort(), join(dir, 'abuse.db'));
  const sockets: Socket[] = [];
  try {
    await server.start();
    const cast = await seedCast(server.url, 1);
    const incident = `incident:${cast.incidentIds[0]}`;
    // A stream worth flooding: every subscribe from 0 reads 500 of its events.
    const lead = cast.leads[0] as Client;
    for (let i = 0; i < 1500; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => lead.ok('POST', `/incidents/${cast.incidentIds[0]}/messages`, { body: `history ${i + k}` })));

    // One session per ten readers: a session may hold ten sockets (issue 14).
    const readers = await Promise.all(Array.from({ length: Math.ceil((options.bystanders ?? 100) / 10) }, () => Client.signIn(server.url, 'member.us', PASSWORD)));
    const seen = new Map<string, { t0: number; count: number; last: number }>();
    const n = options.bystanders ?? 100;
    for (let i = 0; i < n; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, n - i) }, (_, k) => {
          const reader = readers[Math.floor((i + k) / 10)] as Client;
          const socket = io(server.url, { path: '/socket.io', transports: ['websocket'], forceNew: true, extraHeaders: { cookie: reader.cookie }, reconnection: false });
          sockets.push(socket);
          socket.on('event', (e: { data: { title?: string } }) => {
            const entry = seen.get(e.data.title ?? '');
            if (entry) {
              entry.count++;
              entry.last = performance.now();
            }
          });
          return new Promise<void>((resolve, reject) => {
            socket.once('connect_error', reject);
            socket.once('connect', () => socket.emit('subscribe', { stream: 'alerts' }, () => resolve()));
          });
        }),
      );
    }

    const poster = cast.liaisons[0] as Client;
    async function phase(name: string): Promise<AbuseResult['idle']> {
      const titles: string[] = [];
      const start = performance.now();
      for (let i = 0; i < options.seconds * 20; i++) {
        const wait = start + i * 50 - performance.now();
        if (wait > 0) await sleep(wait);
        const title = `${name} ${i}`;
        titles.push(title);
        seen.set(title, { t0: performance.now(), count: 0, last: 0 });
        void poster.ok('POST', '/alerts', { mineral: 'gallium', type: 'price_spike', severity: 'moderate', title, body: 'abuse run' });
      }
      // Wait until every reader has every alert, or give up after 15 s (those count as incomplete).
      const complete = () => titles.every((t) => (seen.get(t)?.count ?? 0) >= n);
      for (const deadline = performance.now() + 15_000; !complete() && performance.now() < deadline; ) await sleep(50);
      const done = titles.map((t) => seen.get(t)).filter((e): e is { t0: number; count: number; last: number } => e !== undefined && e.count >= n);
      const latencies = done.map((e) => e.last - e.t0);
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), alerts: titles.length, incomplete: titles.length - done.length };
    }

    const idle = await phase('idle');
    const abuser = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/lib/abuser.ts', server.url, lead.cookie, incident, String(options.abusers)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      abuser.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      abuser.once('exit', (code) => reject(new Error(`the abuser exited (${code}) before it was ready`)));
      setTimeout(() => reject(new Error('the abuser was not ready within 30 s')), 30_000).unref();
    });
    await ready;
    const flood = await phase('flood');
    abuser.stdin.end();
    await new Promise((resolve) => abuser.once('exit', resolve));
    const got = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { acks: number; refused: number; cutOff: number; closed: number; refusedHandshakes: number };
    return { bystanders: n, idle, flood, abusers: { sockets: options.abusers, ...got } };
  } finally {
    sockets.forEach((s) => s.close());
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await socketAbuse({ seconds: numberArg('seconds') ?? 8, abusers: numberArg('abusers') ?? 4 });
  report('socket-abuse', result);
  process.exit(result.flood.incomplete === 0 ? 0 : 1);
}
