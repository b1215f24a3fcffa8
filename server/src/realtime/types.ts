import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@lodestone/shared';
import type { AuthUser } from '../auth/policy.ts';

/** What the handshake learned of a socket: its user, and the session or token it was opened with. */
export interface SocketData {
  user: AuthUser;
  sessionId?: string;
  tokenId?: string;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type LodestoneSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** The session or token a socket was opened with: what budgets and cut-offs are counted against. */
export function credentialOf(data: Partial<SocketData>): string {
  return data.tokenId ? `token:${data.tokenId}` : data.sessionId ? `session:${data.sessionId}` : '';
}
