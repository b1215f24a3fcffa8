import * as parser from 'socket.io-parser';

/**
 * A value already serialized as JSON. Events are stored as the JSON text they are sent as, so
 * the broadcast of a committed event and a catch-up ack of 500 events are spliced from that
 * text instead of being parsed and stringified again per packet.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Socket.IO's default encoder, except that top-level arguments that are {@link RawJson} are
 * written as their text. The wire format is the default one: any Socket.IO client decodes it.
 */
class Encoder extends parser.Encoder {
  override encode(packet: parser.Packet): ReturnType<parser.Encoder['encode']> {
    const data: unknown = packet.data;
    if (
      (packet.type === parser.PacketType.EVENT || packet.type === parser.PacketType.ACK) &&
      Array.isArray(data) &&
      data.some((arg) => arg instanceof RawJson)
    ) {
      let text = String(packet.type);
      if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
      if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
      text += `[${data.map((arg) => (arg instanceof RawJson ? arg.text : JSON.stringify(arg))).join(',')}]`;
      return [text];
    }
    return super.encode(packet);
  }
}

/** The `parser` option of the Socket.IO server. */
export const rawJsonParser = { ...parser, Encoder };
