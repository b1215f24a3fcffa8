import type { StreamAccess } from '../auth/stream-access.ts';
import { toAuthUser } from '../features/users/users.service.ts';
import type { UsersService } from '../features/users/users.service.ts';
import type { Revocation, Signals } from '../signals.ts';
import type { Presence } from './presence.ts';
import { joinIdentityRooms, localSocketsIn, rooms, streamsOf } from './rooms.ts';
import type { RealtimeServer } from './types.ts';

export interface RevocationDeps {
  signals: Signals;
  users: Pick<UsersService, 'row'>;
  streamAccess: StreamAccess;
  presence: Presence;
}

/**
 * Ends what a service says must end: the sockets of a revoked session, token or user close at
 * once; when a user's role, account or membership changes, their sockets leave every stream
 * they may no longer read (with `unsubscribed`). Returns the function that stops listening.
 */
export function enforceRevocations(io: RealtimeServer, deps: RevocationDeps): () => void {
  const { signals, users, streamAccess, presence } = deps;

  const revoke = (r: Revocation) => {
    const targets = [r.sessionId && rooms.session(r.sessionId), r.tokenId && rooms.token(r.tokenId), r.userId && rooms.user(r.userId)].filter(
      (room): room is string => typeof room === 'string' && room !== '',
    );
    if (targets.length === 0) return;
    // Said before the close (Engine.IO sends what is queued first): the page can tell the user why.
    // This node's sockets at once (a broadcast through the PostgreSQL adapter reaches them only
    // after its NOTIFY, which would be after the close), then every other node's through the adapter.
    if (r.reason) io.local.in(targets).emit('sessionEnded', { reason: r.reason });
    io.local.in(targets).disconnectSockets(true);
    if (r.reason) io.in(targets).emit('sessionEnded', { reason: r.reason });
    io.in(targets).disconnectSockets(true);
  };

  const recheck = async ({ userId }: { userId: string }) => {
    const row = await users.row(userId);
    for (const socket of localSocketsIn(io, rooms.user(userId))) {
      if (!row || row.disabled || row.mustChangePassword) {
        if (row?.mustChangePassword) socket.emit('sessionEnded', { reason: 'password-change-required' });
        socket.disconnect(true);
        continue;
      }
      const before = socket.data.user;
      socket.data.user = toAuthUser(row);
      if (before.role !== socket.data.user.role) void socket.leave(rooms.role(before.role));
      joinIdentityRooms(socket);
      for (const stream of streamsOf(socket)) {
        if ((await streamAccess.check(socket.data.user, stream)).ok) continue;
        void socket.leave(stream);
        socket.emit('unsubscribed', { stream, reason: 'access' });
        presence.left(stream, socket);
      }
    }
  };

  const onAccessChanged = (change: { userId: string }) => void recheck(change).catch(() => undefined);
  signals.on('revoke', revoke);
  signals.on('access-changed', onAccessChanged);
  return () => {
    signals.off('revoke', revoke);
    signals.off('access-changed', onAccessChanged);
  };
}
