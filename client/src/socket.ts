import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@lodestone/shared';

export type LodestoneSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The app's one Socket.IO connection, same origin, authenticated by the session cookie. */
export function createSocket(): LodestoneSocket {
  return io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    withCredentials: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    autoConnect: true,
  });
}
