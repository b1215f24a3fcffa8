import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { WebSocket } from 'ws';
import { FrameAcks } from './ack-frame.ts';
import { rawJsonParser } from './raw-json-parser.ts';

/** Events of the probe: multi-byte text, and sizes that need each of the three frame-length encodings. */
const PROBES: readonly Buffer[][] = [
  [Buffer.from('{"seq":1,"text":"ガリウム \\u2028 🚨"}')],
  [Buffer.from(JSON.stringify({ seq: 2, text: 'é'.repeat(300) })), Buffer.from('{"seq":3}')],
  [Buffer.from(JSON.stringify({ seq: 4, text: 'レアアース'.repeat(5_000) }))],
];
const HEAD = 7;
const TIMEOUT_MS = 3_000;

/** What a client must receive for probe `i` (its packet id is i + 1), were the ack a plain string. */
function expectedFrame(i: number): string {
  const events = (PROBES[i] ?? []).map((e) => e.toString('utf8')).join(',');
  return `43${i + 1}[{"ok":true,"events":[${events}],"head":${HEAD},"more":true}]`;
}

/**
 * Whether pre-encoded acks work with the Socket.IO and Engine.IO installed: a throwaway server
 * on a loopback port answers three subscribes the fast way, and a plain WebSocket client (ws)
 * must receive exactly the text an ordinary ack would carry. Returns null when they do, or what
 * went wrong.
 */
export async function checkFrameAcks(): Promise<string | null> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, parser: rawJsonParser });
  const acks = new FrameAcks(true);
  io.on('connection', (socket) => {
    acks.track(socket);
    socket.on('probe', (index: unknown, ack: unknown) => {
      const id = acks.idOf(socket, ack);
      const events = PROBES[Number(index)];
      if (id === undefined || !events) return typeof ack === 'function' ? ack('no pre-encoded frame on this transport') : undefined;
      acks.send(socket, id, events, HEAD, true);
    });
  });
  let client: WebSocket | undefined;
  try {
    await new Promise<void>((resolve, reject) => http.listen(0, '127.0.0.1', resolve).once('error', reject));
    const { port } = http.address() as AddressInfo;
    client = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    const frames = await exchange(client);
    for (const [i, frame] of frames.entries()) {
      if (frame !== expectedFrame(i)) return `probe ${i + 1} came back as ${JSON.stringify(frame.slice(0, 80))}…`;
    }
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client?.terminate();
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  }
}

/** Connects to the main namespace, sends the probes, and collects their acks in order. */
function exchange(client: WebSocket): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const acks: string[] = [];
    client.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    client.on('message', (data: Buffer, binary: boolean) => {
      const text = binary ? '' : data.toString('utf8');
      if (text.startsWith('0{')) return client.send('40');
      if (text.startsWith('40{')) return PROBES.forEach((_, i) => client.send(`42${i + 1}["probe",${i}]`));
      if (!text.startsWith('43')) return;
      acks.push(text);
      if (acks.length === PROBES.length) {
        clearTimeout(timer);
        resolve(acks);
      }
    });
  });
}
