// The load generator, in its own process (never in the server's): connects Socket.IO clients,
// sends HTTP mutations, and measures what a client sees. Prints one JSON line of results.
//   tsx bench/lib/load.ts '<job JSON>'
import { io } from 'socket.io-client';
import WebSocket from 'ws';

interface Target {
  kind: 'lodestone' | 'baseline';
  url: string;
  incidentId?: string;
  /** Lodestone: an API token per distinct subscriber account. */
  readers?: string[];
  /**
   * Several nodes of one database (PostgreSQL): mutations go to these servers instead of `url`
   * (the i-th post, or writer i, to `postUrls[i % length]`), subscriber i connects to
   * `readUrls[i % length]`. Both default to `[url]`.
   */
  postUrls?: string[];
  readUrls?: string[];
}
type Job =
  | { type: 'fanout'; target: Target; clients: number; rate: number; count: number; warmup?: number }
  | { type: 'export-loop'; target: Target; seconds: number }
  | { type: 'latency'; target: Target; clients: number; rate: number; seconds: number }
  | { type: 'throughput'; target: Target; clients: number; concurrency: number; seconds: number; warmupSeconds?: number }
  | { type: 'connections'; target: Target; clients: number; holdMs: number }
  | { type: 'catchup'; target: Target; missed: number[]; repeat: number };

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const { target } = job;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const postUrls = target.postUrls?.length ? target.postUrls : [target.url];
const readUrls = target.readUrls?.length ? target.readUrls : [target.url];

async function signIn(username: string, url = target.url): Promise<string> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'bench-password' }) });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!res.ok || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return cookie;
}

const cookies = target.kind === 'lodestone' ? { reader: await signIn('bench0', readUrls[0]), writer: await signIn('bench1', postUrls[0]) } : { reader: '', writer: '' };
const stream = (kind: 'alerts' | 'room') => (target.kind === 'lodestone' ? (kind === 'alerts' ? 'alerts' : `incident:${target.incidentId}`) : kind);

/** One mutation as each system takes it: an alert or a note (to `postUrls[writer % length]`). */
function post(kind: 'alerts' | 'room', title: string, writer = 0): Promise<Response> {
  // Both systems get the same request body; each answers and broadcasts its own event.
  const body = JSON.stringify(kind === 'alerts' ? { mineral: 'gallium', type: 'price_spike', severity: 'moderate', title, body: 'benchmark' } : { body: title });
  const base = postUrls[writer % postUrls.length] ?? target.url;
  if (target.kind === 'baseline') {
    return fetch(`${base}/streams/${kind}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }
  const url = kind === 'alerts' ? `${base}/api/v1/alerts` : `${base}/api/v1/incidents/${target.incidentId}/messages`;
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookies.writer }, body });
}

/**
 * N subscribed clients, speaking Socket.IO's wire protocol over a plain WebSocket: open, connect
 * the namespace, `subscribe` with an ack, answer pings, and count events without decoding them.
 * The server does exactly the work it does for socket.io-client; this process does far less
 * (decoding 25,000 events a second would make the load generator, not the server, the limit).
 * On Lodestone each client is a person of its own (its own account's token, in the namespace
 * connect) and reads presence as the app does (`presence: 'changes'`).
 * `onEvent` sees each event packet's text.
 */
async function subscribers(n: number, kind: 'alerts' | 'room', onEvent?: (client: number, packet: string) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const wsUrl = (i: number) => `${(readUrls[i % readUrls.length] ?? target.url).replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const subscribe = `420${JSON.stringify(['subscribe', { stream: stream(kind), presence: 'changes' }])}`;
  const readers = target.readers ?? [];
  if (target.kind === 'lodestone' && readers.length < n) throw new Error(`${n} subscribers need ${n} reader accounts; the server has ${readers.length}`);
  const connectOne = (i: number) =>
    new Promise<WebSocket>((resolve, reject) => {
      const token = readers[i];
      const ws = new WebSocket(wsUrl(i), { headers: !token && cookies.reader ? { cookie: cookies.reader } : {}, perMessageDeflate: false });
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const type = data[0];
        const second = data[1];
        if (type === 0x32 && data.length === 1) return ws.send('3'); // engine.io ping → pong
        if (type === 0x30) return ws.send(token ? `40${JSON.stringify({ token })}` : '40'); // engine.io open → connect to the namespace
        if (type !== 0x34) return; // only Socket.IO packets from here
        if (second === 0x30) return ws.send(subscribe); // namespace connected
        if (second === 0x34) return reject(new Error(`connect refused: ${data.toString()}`));
        if (second === 0x33) {
          const ok = data.toString().includes('"ok":true');
          return ok ? resolve(ws) : reject(new Error(`subscribe refused: ${data.toString()}`));
        }
        if (second === 0x32 && onEvent) onEvent(i, data.toString());
      });
    });
  for (let i = 0; i < n; i += 50) sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => connectOne(i + k)))));
  return sockets;
}

/** The title of a fan-out alert in an event packet, without decoding the packet. */
const fanoutTitle = (packet: string) => /fanout-\d+/.exec(packet)?.[0] ?? '';

async function fanout(j: Extract<Job, { type: 'fanout' }>) {
  const sent = new Map<string, { t0: number; seen: number; last: number }>();
  const sockets = await subscribers(j.clients, 'alerts', (_client, packet) => {
    const entry = sent.get(fanoutTitle(packet));
    if (!entry) return;
    entry.seen++;
    entry.last = performance.now();
  });
  await sleep(300);
  const interval = 1000 / j.rate;
  // `warmup` alerts first at the same rate, not measured (a fresh server's first requests open its
  // database connections and compile its code); their titles are not fan-out titles.
  const warmups: Promise<unknown>[] = [];
  for (let i = 0; i < (j.warmup ?? 0); i++) {
    warmups.push(post('alerts', `warmup ${i}`, i).then((r) => r.arrayBuffer()));
    await sleep(interval);
  }
  await Promise.all(warmups);
  if (warmups.length) await sleep(300);
  const start = performance.now();
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < j.count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const title = `fanout-${i}`;
    sent.set(title, { t0: performance.now(), seen: 0, last: 0 });
    posts.push(post('alerts', title, i).then((r) => r.arrayBuffer()));
  }
  await Promise.all(posts);
  const deadline = performance.now() + 10_000;
  while ([...sent.values()].some((s) => s.seen < j.clients) && performance.now() < deadline) await sleep(20);
  sockets.forEach((s) => s.close());
  const complete = [...sent.values()].filter((s) => s.seen >= j.clients);
  return { latencies: complete.map((s) => s.last - s.t0), incomplete: sent.size - complete.length };
}

async function latency(j: Extract<Job, { type: 'latency' }>) {
  const sockets = await subscribers(j.clients, 'room', () => undefined);
  await sleep(300);
  const times: number[] = [];
  let errors = 0;
  const start = performance.now();
  const total = Math.round(j.rate * j.seconds);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / j.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const t0 = performance.now();
    pending.push(
      post('room', `note ${i}`, i).then(async (r) => {
        await r.arrayBuffer();
        if (r.status >= 300) errors++;
        times.push(performance.now() - t0);
      }),
    );
  }
  await Promise.all(pending);
  const achieved = total / ((performance.now() - start) / 1000);
  sockets.forEach((s) => s.close());
  return { times, errors, achievedRate: achieved };
}

async function throughput(j: Extract<Job, { type: 'throughput' }>) {
  const sockets = await subscribers(j.clients, 'room', () => undefined);
  await sleep(300);
  let done = 0;
  let errors = 0;
  let end = performance.now() + (j.warmupSeconds ?? 0) * 1000;
  let i = 0;
  const worker = async (w: number) => {
    while (performance.now() < end) {
      const r = await post('room', `w${w}-${i++}`, w);
      await r.arrayBuffer();
      if (r.status >= 300) errors++;
      else done++;
    }
  };
  // `warmupSeconds` of the same load first, not counted.
  if (j.warmupSeconds) {
    await Promise.all(Array.from({ length: j.concurrency }, (_, w) => worker(w)));
    done = 0;
    errors = 0;
  }
  end = performance.now() + j.seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: j.concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  sockets.forEach((s) => s.close());
  return { perSecond: done / seconds, done, errors };
}

async function connections(j: Extract<Job, { type: 'connections' }>) {
  const start = performance.now();
  const sockets = await subscribers(j.clients, 'room');
  const connectMs = performance.now() - start;
  await sleep(j.holdMs);
  sockets.forEach((s) => s.close());
  return { connectMs, clients: sockets.length };
}

/**
 * One connected client re-subscribes, again and again, from `missed` events back: the ack's
 * 500, then GET /events pages of 1,000. Returns the client's time per catch-up.
 */
async function catchup(j: Extract<Job, { type: 'catchup' }>) {
  const results: Record<string, number[]> = {};
  const s = stream('room');
  const socket = io(target.url, { path: '/socket.io', transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie: cookies.reader } });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const head = ((await socket.emitWithAck('subscribe', { stream: s })) as { head: number }).head;
  socket.emit('unsubscribe', { stream: s });
  /** One catch-up from `head - missed`: the ack, then GET /events pages until the head. */
  const once = async (missed: number): Promise<number> => {
    const from = head - missed;
    const t0 = performance.now();
    const ack = (await socket.emitWithAck('subscribe', { stream: s, after: from })) as { events: { seq: number }[]; head: number };
    let got = ack.events.length;
    let last = ack.events.at(-1)?.seq ?? from;
    while (last < ack.head) {
      const res = await fetch(`${target.url}/api/v1/events?stream=${encodeURIComponent(s)}&after=${last}&limit=1000`, { headers: { cookie: cookies.reader } });
      const page = (await res.json()) as { events: { seq: number }[] };
      got += page.events.length;
      last = page.events.at(-1)?.seq ?? ack.head;
    }
    const ms = performance.now() - t0;
    if (got !== missed) throw new Error(`caught up ${got} of ${missed}`);
    socket.emit('unsubscribe', { stream: s });
    return ms;
  };
  // Warm both sides up (JIT, statement cache), then tell the orchestrator, which reads the
  // server's CPU time around the measured repetitions, that they start.
  for (const missed of j.missed) for (let r = 0; r < 3; r++) await once(missed);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  for (const missed of j.missed) {
    results[missed] = [];
    for (let r = 0; r < j.repeat; r++) results[missed].push(await once(missed));
  }
  // Let the last unsubscribe land before the orchestrator reads the CPU time.
  await sleep(50);
  socket.close();
  return { results };
}

/** PDF after-action records of the incident, exported one after another for `seconds`. */
async function exportLoop(j: Extract<Job, { type: 'export-loop' }>) {
  const end = performance.now() + j.seconds * 1000;
  const times: number[] = [];
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await fetch(`${target.url}/api/v1/incidents/${target.incidentId}/export?format=pdf`, { headers: { cookie: cookies.reader } });
    const bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok || bytes < 1000) throw new Error(`PDF export failed: ${res.status}`);
    times.push(performance.now() - t0);
  }
  return { times };
}

const run = { 'export-loop': exportLoop, fanout, latency, throughput, connections, catchup }[job.type] as (j: Job) => Promise<unknown>;
const result = await run(job);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
