import type { Role, StreamName } from '@lodestone/shared';
import type { LodestoneSocket, RealtimeServer } from './types.ts';

/**
 * Besides the rooms of the streams it follows, every socket is in rooms named after who it is:
 * its user, its user's role, and its session or token. Notices, revocations and access changes
 * address those rooms instead of walking every socket, which is also how they will reach the
 * sockets of other nodes through an adapter.
 */
export const rooms = {
  user: (id: string) => `user:${id}`,
  role: (role: Role) => `role:${role}`,
  session: (id: string) => `session:${id}`,
  token: (id: string) => `token:${id}`,
  /** The sockets of a stream that read presence as the whole list on every change (the default). */
  presenceList: (stream: StreamName) => `presence-list:${stream}`,
};

const STREAM_ROOM = /^(alerts|admin|incident:.+)$/;

/** The streams a socket follows (its other rooms say who it is). */
export function streamsOf(socket: LodestoneSocket): StreamName[] {
  return [...socket.rooms].filter((room): room is StreamName => STREAM_ROOM.test(room));
}

/** Puts a socket in the rooms of its identity (after the handshake, and again when its role changes). */
export function joinIdentityRooms(socket: LodestoneSocket): void {
  const { user, sessionId, tokenId } = socket.data;
  const names = [rooms.user(user.id), rooms.role(user.role)];
  if (sessionId) names.push(rooms.session(sessionId));
  if (tokenId) names.push(rooms.token(tokenId));
  void socket.join(names);
}

/** This node's sockets in a room. */
export function localSocketsIn(io: RealtimeServer, room: string): LodestoneSocket[] {
  const namespace = io.of('/');
  const ids = namespace.adapter.rooms.get(room) ?? new Set<string>();
  return [...ids].flatMap((id) => namespace.sockets.get(id) ?? []);
}
