import type { PresenceUpdate, StreamName } from '@lodestone/shared';
import { rooms } from './rooms.ts';
import type { LodestoneSocket, RealtimeServer } from './types.ts';

export type PresentUser = PresenceUpdate['users'][number];

/** How a subscription reads presence: the whole list on every change (the contract's `presence`), or changes. */
export type PresenceReading = 'list' | 'changes';

/**
 * Who has a socket subscribed to each incident stream. In this process today; with several
 * nodes (issue 15) it lives where every node sees it (the database), behind this interface.
 */
export interface PresenceRegistry {
  /** Counts a socket of `user`; true when the user was not present before. Counting a socket twice is a no-op. */
  join(stream: StreamName, user: PresentUser, socketId: string, reading: PresenceReading): boolean;
  /** Uncounts a socket; true when it was its user's last one there. */
  leave(stream: StreamName, userId: string, socketId: string): boolean;
  /** Everyone present, by display name. */
  users(stream: StreamName): PresentUser[];
  /** Whether any socket of the stream reads the whole list on every change. */
  hasListReaders(stream: StreamName): boolean;
}

interface Entry {
  user: PresentUser;
  sockets: Set<string>;
}

/** The registry in this process's memory: a join or a leave costs the same whatever the room's size. */
export class MemoryPresence implements PresenceRegistry {
  private readonly streams = new Map<StreamName, Map<string, Entry>>();
  private readonly listReaders = new Map<StreamName, Set<string>>();

  join(stream: StreamName, user: PresentUser, socketId: string, reading: PresenceReading): boolean {
    let present = this.streams.get(stream);
    if (!present) this.streams.set(stream, (present = new Map()));
    if (reading === 'list') this.listReaders.set(stream, (this.listReaders.get(stream) ?? new Set()).add(socketId));
    else this.listReaders.get(stream)?.delete(socketId);
    const entry = present.get(user.id);
    if (entry) {
      entry.sockets.add(socketId);
      return false;
    }
    present.set(user.id, { user, sockets: new Set([socketId]) });
    return true;
  }

  leave(stream: StreamName, userId: string, socketId: string): boolean {
    const readers = this.listReaders.get(stream);
    if (readers?.delete(socketId) && readers.size === 0) this.listReaders.delete(stream);
    const present = this.streams.get(stream);
    const entry = present?.get(userId);
    if (!present || !entry?.sockets.delete(socketId) || entry.sockets.size > 0) return false;
    present.delete(userId);
    if (present.size === 0) this.streams.delete(stream);
    return true;
  }

  users(stream: StreamName): PresentUser[] {
    const present = [...(this.streams.get(stream)?.values() ?? [])].map((e) => e.user);
    return present.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  }

  hasListReaders(stream: StreamName): boolean {
    return (this.listReaders.get(stream)?.size ?? 0) > 0;
  }
}

/**
 * Presence of incident rooms, sent in proportion to the change. A socket that joins gets the
 * whole list (`presence`). When the set of users changes, sockets that read changes get one
 * small `presenceChanged` ({stream, joined, left}); sockets that did not ask for changes get
 * the whole list again, as the contract has always said (`presence` whenever the set changes).
 */
export class Presence {
  constructor(
    private readonly io: RealtimeServer,
    private readonly registry: PresenceRegistry,
  ) {}

  /** A socket subscribed to `stream` (again, perhaps). */
  joined(stream: StreamName, socket: LodestoneSocket, reading: PresenceReading): void {
    if (!stream.startsWith('incident:')) return;
    const { id, displayName, agency, side } = socket.data.user;
    const listRoom = rooms.presenceList(stream);
    if (reading === 'list') void socket.join(listRoom);
    else void socket.leave(listRoom);
    const isNew = this.registry.join(stream, { id, displayName, agency, side }, socket.id, reading);
    if (isNew) this.changed(stream, { joined: [{ id, displayName, agency, side }], left: [] }, socket.id);
    // The list for the socket that joined, unless the change just sent it to the list readers.
    if (!(isNew && reading === 'list')) socket.emit('presence', { stream, users: this.registry.users(stream) });
  }

  /** A socket left `stream` (unsubscribed, lost access, or disconnected). */
  left(stream: StreamName, socket: LodestoneSocket): void {
    if (!stream.startsWith('incident:')) return;
    void socket.leave(rooms.presenceList(stream));
    if (this.registry.leave(stream, socket.data.user.id, socket.id)) this.changed(stream, { joined: [], left: [socket.data.user.id] }, socket.id);
  }

  private changed(stream: StreamName, change: { joined: PresentUser[]; left: string[] }, except: string): void {
    const listRoom = rooms.presenceList(stream);
    this.io.to(stream).except([listRoom, except]).emit('presenceChanged', { stream, ...change });
    if (this.registry.hasListReaders(stream)) this.io.to(listRoom).emit('presence', { stream, users: this.registry.users(stream) });
  }
}
