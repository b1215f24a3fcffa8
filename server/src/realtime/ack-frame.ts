import type { Socket } from 'socket.io';
import { spliceEvents } from '../events/event-log.ts';

/**
 * A subscribe ack with up to 500 events is the largest message a socket sends (about 350 KB).
 * Built as a string it costs a decoding of each stored text, a join, and an encoding to UTF-8
 * by ws: more than reading the rows. On a WebSocket the ack can go instead as one frame
 * assembled from the UTF-8 bytes stored with each event, the same text byte for byte, by the
 * route Socket.IO itself takes for broadcasts (an Engine.IO packet with `wsPreEncodedFrame`).
 *
 * Socket.IO has no public way to do this. The path leans on internals of Socket.IO 4.8 and
 * Engine.IO 6.6: `Socket#ack(id)` (to learn the packet id of an ack function), the
 * `wsPreEncodedFrame` option of `Socket#write` on the Engine.IO socket, and the WebSocket
 * transport's `_canSendPreEncodedFrame`. So it is taken only when a self-check at start-up
 * (frame-acks-check.ts: a real round trip on a throwaway server) got exactly the bytes it
 * should, and then only where each internal is there as expected; everywhere else the ack is the
 * ordinary one. Should Engine.IO still send the packet's data instead of the frame, that data
 * is a true ack, `{ok: true, events: [], head, more: true}`: the client fetches the events by
 * GET /events. Never a refusal, never a wrong answer.
 */

type AckFunction = (...args: unknown[]) => void;
interface SocketInternals {
  ack?: (id: number) => AckFunction;
}
interface TransportInternals {
  name: string;
  _canSendPreEncodedFrame?: (packet: { options: Record<string, unknown> }) => boolean;
}

/** Pre-encoded subscribe acks, on when `enabled` (the self-check passed). */
export class FrameAcks {
  private readonly ids = new WeakMap<AckFunction, number>();

  constructor(readonly enabled: boolean) {}

  /** Learns the packet id of each ack function this socket hands to a handler. */
  track(socket: Socket): void {
    if (!this.enabled) return;
    const internals = socket as unknown as SocketInternals;
    const make = internals.ack;
    if (typeof make !== 'function') return;
    internals.ack = (id: number) => {
      const ack = make.call(socket, id);
      if (typeof ack === 'function') this.ids.set(ack, id);
      return ack;
    };
  }

  /** The packet id to answer `ack` with a pre-encoded frame; undefined: answer the ordinary way. */
  idOf(socket: Socket, ack: unknown): number | undefined {
    if (!this.enabled || typeof ack !== 'function') return undefined;
    const id = this.ids.get(ack as AckFunction);
    // The frame is built for the main namespace, whose packets carry no namespace prefix.
    if (id === undefined || socket.nsp.name !== '/') return undefined;
    const transport = socket.conn.transport as unknown as TransportInternals;
    if (transport.name !== 'websocket' || typeof transport._canSendPreEncodedFrame !== 'function') return undefined;
    return transport._canSendPreEncodedFrame({ options: { wsPreEncodedFrame: [] } }) === true ? id : undefined;
  }

  /**
   * Sends `{"ok":true,"events":[…],"head":H,"more":M}` as the ack of packet `id`: Engine.IO message
   * `4`, Socket.IO ACK `3`, the id, and the argument list, assembled from the events' UTF-8 bytes.
   */
  send(socket: Socket, id: number, events: Buffer[], head: number, more: boolean): void {
    const payload = spliceEvents(`43${id}[{"ok":true,"events":[`, events, `],"head":${head},"more":${more}}]`);
    // What Engine.IO sends should it not take the frame: a true ack whose events come by GET /events.
    const data = `3${id}[{"ok":true,"events":[],"head":${head},"more":${events.length > 0 || more}}]`;
    socket.conn.write(data, { wsPreEncodedFrame: [textFrameHeader(payload.length), payload] } as { compress?: boolean });
  }
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
