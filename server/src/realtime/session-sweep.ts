import type { SessionsService } from '../features/users/sessions.service.ts';
import { rooms } from './rooms.ts';
import type { RealtimeServer } from './types.ts';

const PREFIX = rooms.session('');

/**
 * Closes this node's sockets whose session has expired (idle or past its maximum age): one
 * check per session, whatever its number of sockets. Sign-out and disabling close them at once
 * (revocation.ts); expiry has no moment to announce it, so it is looked for.
 */
export function closeExpiredSessions(io: RealtimeServer, sessions: Pick<SessionsService, 'isLive'>): void {
  const expired: string[] = [];
  for (const room of io.of('/').adapter.rooms.keys()) {
    if (room.startsWith(PREFIX) && !sessions.isLive(room.slice(PREFIX.length))) expired.push(room);
  }
  if (expired.length > 0) io.in(expired).disconnectSockets(true);
}
