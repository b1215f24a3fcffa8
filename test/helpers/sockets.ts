import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type {
  ClientToServerEvents,
  LodestoneEvent,
  PresenceUpdate,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeRequest,
} from '@lodestone/shared';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SocketOptions {
  cookie?: string;
  token?: string;
  origin?: string;
  /** WebSocket only unless told (long-polling exercises the other path of the server). */
  transports?: ('websocket' | 'polling')[];
}

/** A real Socket.IO client over websocket, authenticated by cookie or token. */
export function openSocket(baseUrl: string, options: SocketOptions = {}): ClientSocket {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  return io(baseUrl, {
    path: '/socket.io',
    transports: options.transports ?? ['websocket'],
    extraHeaders: headers,
    auth: options.token ? { token: options.token } : {},
    reconnection: false,
    forceNew: true,
  });
}

/** Connects, or rejects with the connect_error message. */
export function connectSocket(baseUrl: string, options: SocketOptions = {}): Promise<ClientSocket> {
  const socket = openSocket(baseUrl, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export function subscribe(socket: ClientSocket, request: SubscribeRequest): Promise<SubscribeAck> {
  return new Promise((resolve) => socket.emit('subscribe', request, resolve));
}

/**
 * A marker for absence: a subscribe that joins nothing, answered in order after everything the
 * server sent this socket before reading it. Once it resolves, an event published before it
 * was called has arrived, or will never come.
 */
export async function marker(socket: ClientSocket): Promise<void> {
  const ack = await subscribe(socket, { stream: 'not a stream' } as unknown as SubscribeRequest);
  if (ack.ok || ack.error.status !== 400) throw new Error(`the marker was not refused as it should be: ${JSON.stringify(ack)}`);
}

/** Records every `event` and `presence` a socket receives. */
export function record(socket: ClientSocket) {
  const events: LodestoneEvent[] = [];
  const presence: PresenceUpdate[] = [];
  socket.on('event', (e) => events.push(e));
  socket.on('presence', (p) => presence.push(p));
  return { events, presence };
}

/** Resolves when `check` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function waitForDisconnect(socket: ClientSocket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected) return resolve('already');
    const timer = setTimeout(() => reject(new Error('socket was not disconnected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/**
 * A raw Engine.IO 4 / Socket.IO 5 client over WebSocket, connected to the main namespace: what
 * is on the wire (and what a hostile script speaks), not what the client library makes of it.
 */
export async function rawSocket(baseUrl: string, cookie: string): Promise<{ ws: WebSocket; frames: string[]; closed: () => boolean }> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers: { cookie } });
  const frames: string[] = [];
  let closed = false;
  ws.on('message', (data: Buffer, binary: boolean) => frames.push(binary ? '<binary>' : data.toString('utf8')));
  ws.on('close', () => (closed = true));
  await waitFor(() => frames.some((f) => f.startsWith('0{')), 5000, 'the Engine.IO open packet');
  ws.send('40');
  await waitFor(() => frames.some((f) => f.startsWith('40{')), 5000, 'the namespace connect');
  return { ws, frames, closed: () => closed };
}

export interface RawConnection {
  ws: WebSocket;
  frames: string[];
  /** Bytes of every message received so far. */
  bytes(): number;
  closed(): boolean;
  /** 'connected', or the refusal's message and data (the `44` packet: `connect_error`). */
  outcome: 'connected' | { message: string; data?: Record<string, unknown> };
}

/**
 * As rawSocket, but also when the namespace connect is refused (resolving with the refusal), and
 * counting the bytes received: what an attacker opening many sockets sees and costs.
 */
export async function rawConnect(baseUrl: string, options: { cookie?: string; token?: string } = {}): Promise<RawConnection> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers: options.cookie ? { cookie: options.cookie } : {} });
  const frames: string[] = [];
  let bytes = 0;
  let closed = false;
  ws.on('message', (data: Buffer, binary: boolean) => {
    bytes += data.length;
    frames.push(binary ? '<binary>' : data.toString('utf8'));
  });
  ws.on('close', () => (closed = true));
  await waitFor(() => frames.some((f) => f.startsWith('0{')) || closed, 5000, 'the Engine.IO open packet');
  if (closed) throw new Error('the Engine.IO session was refused');
  ws.send(options.token ? `40${JSON.stringify({ token: options.token })}` : '40');
  await waitFor(() => frames.some((f) => f.startsWith('40{') || f.startsWith('44{')), 5000, 'the namespace connect or its refusal');
  const answer = frames.find((f) => f.startsWith('40{') || f.startsWith('44{')) ?? '';
  const outcome = answer.startsWith('40{') ? ('connected' as const) : (JSON.parse(answer.slice(2)) as { message: string; data?: Record<string, unknown> });
  return { ws, frames, bytes: () => bytes, closed: () => closed, outcome };
}
