import type { Socket } from 'socket.io';

interface PacketInternals {
  data?: unknown;
  options?: { wsPreEncodedFrame?: unknown };
}
interface ConnInternals {
  writeBuffer?: PacketInternals[];
  transport?: { socket?: { bufferedAmount?: unknown } };
}

/**
 * Bytes a socket has been given but not yet sent: the Engine.IO packets waiting for the transport
 * (every packet while long-polling waits for the next poll) and, on a WebSocket, what `ws` and
 * the TCP socket still hold. Engine.IO has no public measure of this; where its internals are not
 * as expected the count is 0 (nothing refused for it), never an error.
 */
export function unsentBytes(socket: Socket): number {
  const conn = socket.conn as unknown as ConnInternals;
  let bytes = 0;
  const buffered = conn.transport?.socket?.bufferedAmount;
  if (typeof buffered === 'number') bytes += buffered;
  for (const packet of conn.writeBuffer ?? []) bytes += sizeOf(packet);
  return bytes;
}

function sizeOf(packet: PacketInternals): number {
  const frame = packet.options?.wsPreEncodedFrame;
  if (Array.isArray(frame)) return frame.reduce((sum: number, part: unknown) => sum + (Buffer.isBuffer(part) ? part.length : 0), 0);
  if (typeof packet.data === 'string') return packet.data.length;
  if (Buffer.isBuffer(packet.data)) return packet.data.length;
  return 0;
}
