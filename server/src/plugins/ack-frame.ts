import type { Socket } from 'socket.io';
import { spliceEvents } from '../events/event-log.ts';

/**
 * A subscribe ack with up to 500 events is the largest message a socket sends (about 350 KB).
 * Built as a string it costs a join of the stored JSON texts, a copy into the Socket.IO packet
 * and an encoding to UTF-8 by ws: more than the reading of the rows. On a WebSocket the ack can
 * go instead as one frame assembled from the UTF-8 bytes stored with each event — the same text,
 * byte for byte, as the string path sends (`realtime.test.ts` checks it) — by the route Socket.IO
 * itself uses for broadcasts (`wsPreEncodedFrame`).
 *
 * This leans on three internals of Socket.IO 4.8 / Engine.IO 6.6, each checked when used, with
 * the string path as the fallback: `Socket#ack(id)` (to learn the packet id of an ack function),
 * `Client#_packet(data, {preEncoded, wsPreEncodedFrame})` and the WebSocket transport's
 * `_canSendPreEncodedFrame`.
 */

type AckFunction = (...args: unknown[]) => void;
interface SocketInternals {
  ack?: (id: number) => AckFunction;
  client: { _packet?: (data: string, options: Record<string, unknown>) => void };
  conn: { transport: { name: string; _canSendPreEncodedFrame?: (packet: { options: Record<string, unknown> }) => boolean } };
}

const ids = new WeakMap<AckFunction, number>();

/** Makes the packet id of each ack function this socket hands to a handler known to `ackIdOf`. */
export function rememberAckIds(socket: Socket): void {
  const internals = socket as unknown as SocketInternals;
  const make = internals.ack;
  if (typeof make !== 'function') return;
  internals.ack = (id: number) => {
    const ack = make.call(socket, id);
    ids.set(ack, id);
    return ack;
  };
}

/** The packet id of an ack function when it can be answered with a pre-encoded frame. */
export function ackIdOf(socket: Socket, ack: unknown): number | undefined {
  const id = ids.get(ack as AckFunction);
  if (id === undefined) return undefined;
  // The frame is built for the main namespace, whose packets carry no namespace prefix.
  if (socket.nsp.name !== '/') return undefined;
  const internals = socket as unknown as SocketInternals;
  const transport = internals.conn.transport;
  if (transport.name !== 'websocket' || typeof internals.client._packet !== 'function') return undefined;
  if (transport._canSendPreEncodedFrame?.({ options: { wsPreEncodedFrame: [] } }) !== true) return undefined;
  return id;
}

/** The header of an unmasked, final WebSocket text frame of `length` bytes (RFC 6455, 5.2). */
function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65_536) {
    const header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/**
 * Sends `{"ok":true,"events":[…],"head":H,"more":M}` as the ack of packet `id`: Engine.IO message
 * `4`, Socket.IO ACK `3`, the id, and the argument list — assembled from the events' UTF-8 bytes.
 */
export function sendEventsAck(socket: Socket, id: number, events: Buffer[], head: number, more: boolean): void {
  const payload = spliceEvents(`43${id}[{"ok":true,"events":[`, events, `],"head":${head},"more":${more}}]`);
  const internals = socket as unknown as SocketInternals;
  // The data is what Engine.IO would send were the frame not used (ackIdOf makes sure it is):
  // a 429, which the app answers by subscribing again a second later.
  const fallback = `3${id}[{"ok":false,"error":{"status":429,"title":"Try again","retryAfter":1}}]`;
  internals.client._packet?.(fallback, { preEncoded: true, wsPreEncodedFrame: [textFrameHeader(payload.length), payload] });
}
