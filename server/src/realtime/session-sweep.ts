import type { SessionsService } from '../features/users/sessions.service.ts';
import { rooms } from './rooms.ts';
import type { RealtimeServer } from './types.ts';

const PREFIX = rooms.session('');

/**
 * Closes this node's sockets whose session has expired (idle or past its maximum age): one
 * check per session, whatever its number of sockets. Sign-out and disabling close them at once
 * (revocation.ts); expiry has no moment to announce it, so it is looked for.
 */
export async function closeExpiredSessions(io: RealtimeServer, sessions: Pick<SessionsService, 'isLive'>): Promise<void> {
  const expired: string[] = [];
  for (const room of [...io.of('/').adapter.rooms.keys()]) {
    if (room.startsWith(PREFIX) && !(await sessions.isLive(room.slice(PREFIX.length)))) expired.push(room);
  }
  // This node's sockets only: every node sweeps its own.
  if (expired.length > 0) io.local.in(expired).disconnectSockets(true);
}
