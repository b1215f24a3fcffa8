// Socket amplification (issue 14, finding 1): one liaison session opens 100 sockets and sends 20
// `subscribe` from seq 0 on each, on an `alerts` stream of 634 events of about 2.7 KB (every ack
// with events is up to 500 of them, 1.35 MB). Before the fix: 2,000 acks, 2.69 GB sent in 6.5 s,
// /healthz stalled up to 3.4 s, the server's RSS from 144 MB to 2.23 GB. Then the attacker keeps
// at it for --seconds, re-sending each refused subscribe after the `retryAfter` it was given.
// Meanwhile an honest member catches up from seq 0 and follows the stream while alerts are posted
// at 10 a second. Figures: sockets accepted, acks served and refused, bytes the attacker received,
// the server's RSS before, at its peak and after, /healthz p50/p99 during the flood, the honest
// reader's fan-out p50/p99 and whether it got every alert exactly once.
//   npx tsx test/reliability/socket-amplification.ts [--seconds 10] [--sockets 100] [--subscribes 20]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { Client, freePort, PASSWORD, seedCast, ServerProcess, sleep } from './lib/server-process.ts';
import { numberArg, percentile, report } from './lib/figures.ts';

const ALERTS = 634;
const BODY = 'Exporters must apply for a licence for each shipment; processing times are unknown and the list of controlled items may grow. '.repeat(14);
const MB = 1_000_000;

export interface AmplificationResult {
  stream: { events: number; ackBytes: number };
  attacker: { sockets: number; accepted: number; refusedSockets: number; subscribes: number; served: number; refused: number; bytes: number; mbPerSecond: number; firstWave: { served: number; refused: number; bytes: number; seconds: number } };
  rssMb: { before: number; peak: number; after: number };
  healthz: { answers: number; failed: number; p50: number; p99: number; max: number };
  honest: { catchUp: string; alerts: number; received: number; duplicates: number; p50: number; p99: number };
}

interface Raw {
  ws: WebSocket;
  bytes: number;
  acks: number;
  served: number;
  refused: number;
  outcome: Promise<boolean>;
}

/** A raw Socket.IO connection by cookie (what a hostile script speaks): accepted or refused, and what it received. */
function rawSocket(url: string, cookie: string, onRefusal: (raw: Raw, id: number, retryAfter: number) => void): Raw {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers: { cookie } });
  let settle: (ok: boolean) => void = () => undefined;
  const raw: Raw = { ws, bytes: 0, acks: 0, served: 0, refused: 0, outcome: new Promise((resolve) => (settle = resolve)) };
  ws.on('message', (data: Buffer) => {
    raw.bytes += data.length;
    const head = data.subarray(0, 40).toString('latin1');
    if (head.startsWith('0{')) ws.send('40');
    else if (head.startsWith('40{')) settle(true);
    else if (head.startsWith('44{')) settle(false);
    else if (head === '2') ws.send('3');
    else if (/^43\d+\[/.test(head)) {
      raw.acks++;
      if (head.includes('"ok":true')) raw.served++;
      else {
        raw.refused++;
        const text = data.toString('utf8');
        const id = Number(/^43(\d+)/.exec(text)?.[1]);
        onRefusal(raw, id, Number(/"retryAfter":(\d+)/.exec(text)?.[1] ?? 1));
      }
    }
  });
  ws.on('error', () => settle(false));
  ws.on('close', () => settle(false));
  return raw;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

export async function socketAmplification(options: { seconds: number; sockets: number; subscribes: number }): Promise<AmplificationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-amplification-'));
  const server = new ServerProcess(await freePort(), join(dir, 'amplification.db'));
  const attackers: Raw[] = [];
  let honest: Socket | undefined;
  try {
    await server.start();
    const pid = server.child?.pid;
    if (!pid) throw new Error('no server process');
    const cast = await seedCast(server.url, 1);
    const poster = cast.liaisons[1] as Client;
    for (let i = 0; i < ALERTS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, ALERTS - i) }, (_, k) => poster.ok('POST', '/alerts', { mineral: 'dysprosium', type: 'export_control', severity: 'high', title: `History ${i + k}`, body: BODY })));
    }
    const page = await poster.ok<{ events: unknown[] }>('GET', '/events?stream=alerts&after=0&limit=500');
    const ackBytes = Buffer.byteLength(JSON.stringify(page.events));
    await sleep(1000);
    const before = rssMb(pid);

    // The honest member follows the alerts and catches up from seq 0 during the flood.
    const member = await Client.signIn(server.url, 'member.us', PASSWORD);
    honest = io(server.url, { path: '/socket.io', transports: ['websocket'], forceNew: true, extraHeaders: { cookie: member.cookie }, reconnection: false });
    const arrivals = new Map<string, number[]>();
    honest.on('event', (e: { data: { title?: string } }) => arrivals.get(e.data.title ?? '')?.push(performance.now()));
    await new Promise<void>((resolve, reject) => {
      honest?.once('connect', () => resolve());
      honest?.once('connect_error', reject);
    });
    await honest.emitWithAck('subscribe', { stream: 'alerts' });

    // Measurements while the flood runs: RSS every 50 ms, /healthz one after another, alerts at 10/s.
    let flooding = true;
    let peak = before;
    const sampler = (async () => {
      while (flooding) {
        peak = Math.max(peak, rssMb(pid));
        await sleep(50);
      }
    })();
    const health: number[] = [];
    let healthFailed = 0;
    const prober = (async () => {
      while (flooding) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/healthz`).catch(() => null);
        if (res?.status === 200) health.push(performance.now() - t0);
        else healthFailed++;
        await res?.text();
      }
    })();
    const posted = new Map<string, number>();
    const posterLoop = (async () => {
      for (let i = 0; flooding; i++) {
        const title = `During the flood ${i}`;
        arrivals.set(title, []);
        posted.set(title, performance.now());
        void cast.liaisons[0]?.ok('POST', '/alerts', { mineral: 'gallium', type: 'price_spike', severity: 'moderate', title, body: 'amplification run' });
        await sleep(100);
      }
    })();

    // The attack: one liaison session, many sockets, 20 subscribes from seq 0 on each.
    const liaison = cast.liaisons[0] as Client;
    let persisting = false;
    let nextId = 0;
    const subscribeFrom0 = (raw: Raw, id: number) => raw.ws.readyState === WebSocket.OPEN && raw.ws.send(`42${id}["subscribe",{"stream":"alerts","after":0}]`);
    const onRefusal = (raw: Raw, _id: number, retryAfter: number) => {
      if (persisting) setTimeout(() => persisting && subscribeFrom0(raw, ++nextId), retryAfter * 1000);
    };
    const started = performance.now();
    for (let i = 0; i < options.sockets; i++) attackers.push(rawSocket(server.url, liaison.cookie, onRefusal));
    const outcomes = await Promise.all(attackers.map((a) => a.outcome));
    const accepted = attackers.filter((_, i) => outcomes[i]);
    for (const a of accepted) for (let k = 0; k < options.subscribes; k++) subscribeFrom0(a, ++nextId);
    const ackCatchUp = await honest.timeout(30_000).emitWithAck('subscribe', { stream: 'alerts', after: 0 });
    const catchUp = ackCatchUp.ok ? `served: ${ackCatchUp.events.length} events, more ${ackCatchUp.more}` : `refused ${ackCatchUp.error.status}`;
    for (const deadline = performance.now() + 60_000; accepted.some((a) => a.acks < options.subscribes) && performance.now() < deadline; ) await sleep(20);
    const firstWave = {
      served: accepted.reduce((s, a) => s + a.served, 0),
      refused: accepted.reduce((s, a) => s + a.refused, 0),
      bytes: attackers.reduce((s, a) => s + a.bytes, 0),
      seconds: (performance.now() - started) / 1000,
    };
    // A persistent attacker: every refused subscribe sent again after its retryAfter.
    persisting = true;
    for (const a of accepted) for (let k = 0; k < options.subscribes; k++) subscribeFrom0(a, ++nextId);
    await sleep(options.seconds * 1000);
    persisting = false;
    const seconds = (performance.now() - started) / 1000;
    flooding = false;
    await Promise.all([sampler, prober, posterLoop]);
    await sleep(500);
    const bytes = attackers.reduce((s, a) => s + a.bytes, 0);
    attackers.forEach((a) => a.ws.close());
    await sleep(3000);
    const after = rssMb(pid);

    const latencies: number[] = [];
    let received = 0;
    let duplicates = 0;
    for (const [title, t0] of posted) {
      const got = arrivals.get(title) ?? [];
      if (got.length > 0) {
        received++;
        latencies.push((got[0] as number) - t0);
      }
      if (got.length > 1) duplicates += got.length - 1;
    }
    return {
      stream: { events: ALERTS, ackBytes },
      attacker: {
        sockets: options.sockets,
        accepted: accepted.length,
        refusedSockets: options.sockets - accepted.length,
        subscribes: nextId,
        served: accepted.reduce((s, a) => s + a.served, 0),
        refused: accepted.reduce((s, a) => s + a.refused, 0),
        bytes,
        mbPerSecond: Number((bytes / MB / seconds).toFixed(2)),
        firstWave,
      },
      rssMb: { before: Math.round(before), peak: Math.round(peak), after: Math.round(after) },
      healthz: { answers: health.length, failed: healthFailed, p50: round(percentile(health, 50)), p99: round(percentile(health, 99)), max: round(Math.max(...health)) },
      honest: { catchUp, alerts: posted.size, received, duplicates, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    };
  } finally {
    attackers.forEach((a) => a.ws.terminate());
    honest?.close();
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await socketAmplification({ seconds: numberArg('seconds') ?? 10, sockets: numberArg('sockets') ?? 100, subscribes: numberArg('subscribes') ?? 20 });
  report('socket-amplification', result);
  const held = result.honest.received === result.honest.alerts && result.honest.duplicates === 0 && result.healthz.failed === 0 && result.attacker.accepted <= 10;
  process.exit(held ? 0 : 1);
}
