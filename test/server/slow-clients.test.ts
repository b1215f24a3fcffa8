import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertInput, buildTestApp, createUser, listen, type TestApp } from '../helpers/app.ts';
import { connectSocket, record, subscribe, waitFor } from '../helpers/sockets.ts';

const CAP = 20;

interface SlowUpload {
  socket: Socket;
  received(): string;
  closed(): boolean;
  stop(): void;
}

/** A POST whose body comes one byte at a time, every `everyMs`, from `localAddress`. */
function slowUpload(port: number, everyMs: number, localAddress = '127.0.0.1'): Promise<SlowUpload> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let received = '';
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
    socket.on('connect', () => {
      socket.write('POST /api/v1/session HTTP/1.1\r\nHost: lodestone\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      timer = setInterval(() => !closed && socket.write(' '), everyMs);
      resolve({ socket, received: () => received, closed: () => closed, stop: () => clearInterval(timer) });
    });
  });
}

/** GET /healthz from `localAddress`: its status. */
function healthz(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('slow clients (issue 14, finding 5): a request timeout and a connection cap per address', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp({ requestTimeoutMs: 1500, headersTimeoutMs: 1000, connectionsPerAddress: CAP });
    port = Number(new URL(await listen(t.app)).port);
  });
  afterAll(() => t.close());

  it(`refuses connections over ${CAP} from one address at once, cuts slow uploads at the request timeout with 408, and serves other addresses throughout`, async () => {
    const slow = await Promise.all(Array.from({ length: CAP }, () => slowUpload(port, 300)));
    // The excess: closed by the server while the first ones are still open, before any answer.
    const excess = await Promise.all(Array.from({ length: 10 }, () => slowUpload(port, 300)));
    await waitFor(() => excess.every((e) => e.closed()), 5000, 'the connections over the cap to be closed');
    expect(excess.every((e) => e.received() === '')).toBe(true);
    expect(slow.every((s) => !s.closed())).toBe(true);
    // Another address is still served while this one is at its cap.
    expect(await healthz(port, '127.0.0.2')).toBe(200);
    // Still sending, but slower than the request timeout allows: answered 408 and closed.
    await waitFor(() => slow.every((s) => s.closed()), 15_000, 'the slow uploads to be cut by the request timeout');
    for (const s of slow) expect(s.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Their slots are free again.
    expect(await healthz(port, '127.0.0.1')).toBe(200);
    [...slow, ...excess].forEach((s) => s.stop());
  }, 30_000);

  it('cuts a client that never finishes its headers', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    let closed = false;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: lodestone\r\n');
    const drip = setInterval(() => !closed && socket.write('X-Slow: 1\r\n'), 200);
    await waitFor(() => closed, 15_000, 'the connection to be closed');
    clearInterval(drip);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('does not cut a long poll or a WebSocket that outlives the request timeout', async () => {
    const member = await createUser(t, 'member');
    const liaison = await createUser(t, 'liaison');
    const url = `http://127.0.0.1:${port}`;
    const sockets = await Promise.all((['polling', 'websocket'] as const).map((transport) => connectSocket(url, { cookie: member.cookie, transports: [transport] })));
    const seen = sockets.map((socket) => {
      const got = record(socket);
      const drops: string[] = [];
      socket.on('disconnect', (reason) => drops.push(reason));
      return { got, drops };
    });
    for (const socket of sockets) expect(await subscribe(socket, { stream: 'alerts' })).toMatchObject({ ok: true });
    // Twice the request timeout, with a poll held open by the server all along.
    await new Promise((r) => setTimeout(r, 3000));
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ title: 'after the request timeout' }) });
    expect(res.statusCode).toBe(201);
    await waitFor(() => seen.every((s) => s.got.events.length === 1), 5000, 'the alert on both transports');
    expect(seen.map((s) => s.drops)).toEqual([[], []]);
    sockets.forEach((socket) => socket.close());
  }, 20_000);
});
