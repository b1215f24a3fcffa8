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

  /** The streams someone is present in. */
  occupied(): StreamName[] {
    return [...this.streams.keys()];
  }
}

/** How long a room's presence changes are gathered before they go out: a burst of joins (a restart's reconnects) is one message per socket, not one per join. */
export const PRESENCE_BATCH_MS = 50;

interface Pending {
  /** Sockets that (re)subscribed in this batch: each gets the whole list. */
  joiners: Set<string>;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Presence of incident rooms, sent in proportion to the change. Changes of a room are gathered
 * for PRESENCE_BATCH_MS, then: each socket that joined meanwhile gets the whole list
 * (`presence`); sockets that read changes get one small `presenceChanged` ({stream, joined,
 * left}, the net change since the room was last told); sockets that did not ask for changes get
 * the whole list again, as the contract has always said (`presence` whenever the set changes).
 */
export class Presence {
  private readonly pending = new Map<StreamName, Pending>();
  /** Who each room was last told is present. */
  private readonly told = new Map<StreamName, Map<string, PresentUser>>();

  constructor(
    private readonly io: RealtimeServer,
    private readonly registry: PresenceRegistry,
    private readonly batchMs = PRESENCE_BATCH_MS,
  ) {}

  /** A socket subscribed to `stream` (again, perhaps). */
  joined(stream: StreamName, socket: LodestoneSocket, reading: PresenceReading): void {
    if (!stream.startsWith('incident:')) return;
    const { id, displayName, agency, side, role } = socket.data.user;
    const listRoom = rooms.presenceList(stream);
    if (reading === 'list') void socket.join(listRoom);
    else void socket.leave(listRoom);
    this.registry.join(stream, { id, displayName, agency, side, role }, socket.id, reading);
    this.batch(stream).joiners.add(socket.id);
  }

  /** A socket left `stream` (unsubscribed, lost access, or disconnected). */
  left(stream: StreamName, socket: LodestoneSocket): void {
    if (!stream.startsWith('incident:')) return;
    void socket.leave(rooms.presenceList(stream));
    this.pending.get(stream)?.joiners.delete(socket.id);
    if (this.registry.leave(stream, socket.data.user.id, socket.id)) this.batch(stream);
  }

  /** Presence of `stream` changed elsewhere (another node): its room is told with the next batch. */
  changed(stream: StreamName): void {
    if (stream.startsWith('incident:')) this.batch(stream);
  }

  /** Stops the batches waiting to go out (the server is closing). */
  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private batch(stream: StreamName): Pending {
    let pending = this.pending.get(stream);
    if (!pending) {
      const timer = setTimeout(() => this.flush(stream), this.batchMs);
      pending = { joiners: new Set(), timer };
      this.pending.set(stream, pending);
    }
    return pending;
  }

  private flush(stream: StreamName): void {
    const joiners = [...(this.pending.get(stream)?.joiners ?? [])];
    this.pending.delete(stream);
    const present = this.registry.users(stream);
    const before = this.told.get(stream) ?? new Map<string, PresentUser>();
    const now = new Map(present.map((u) => [u.id, u]));
    const joined = present.filter((u) => !before.has(u.id));
    const left = [...before.keys()].filter((id) => !now.has(id));
    if (now.size > 0) this.told.set(stream, now);
    else this.told.delete(stream);
    const update = { stream, users: present };
    // This node's sockets, at once: the registry is this node's (a broadcast through the
    // PostgreSQL adapter would also reach other nodes with this node's list, and reach the sockets
    // here only after its NOTIFY, when other sockets may have joined the room meanwhile).
    const local = this.io.local;
    if (joined.length > 0 || left.length > 0) {
      const listRoom = rooms.presenceList(stream);
      local.to(stream).except([listRoom, ...joiners]).emit('presenceChanged', { stream, joined, left });
      if (this.registry.hasListReaders(stream)) local.to(listRoom).except(joiners).emit('presence', update);
    }
    if (joiners.length > 0) local.to(joiners).emit('presence', update);
  }
}
