import type { StreamName } from '@lodestone/shared';
import { MemoryPresence, type PresenceReading, type PresenceRegistry, type PresentUser } from './presence.ts';

/** What a node tells the others: its node id, and who is present on it in each stream it names. */
export type PresenceAnnouncement = { nodeId: string; streams: [StreamName, PresentUser[]][] };

/** How often a node repeats everyone present on it (so a node that joins late, or missed a message, learns it). */
export const PRESENCE_HEARTBEAT_MS = 5_000;
/** A node not heard of for this long is taken as gone: its people leave every room. */
export const PRESENCE_EXPIRY_MS = 3 * PRESENCE_HEARTBEAT_MS;

interface Remote {
  heardAt: number;
  streams: Map<StreamName, PresentUser[]>;
}

/**
 * Presence across nodes: this node's sockets counted in memory (MemoryPresence), and what every
 * other node last said of its own, through the adapter. A room's presence is the union. A node
 * says what changed in a stream when its people there change, and repeats everything every
 * PRESENCE_HEARTBEAT_MS; a node silent for PRESENCE_EXPIRY_MS (killed, cut off) is dropped.
 */
export class ClusterPresence implements PresenceRegistry {
  private readonly local = new MemoryPresence();
  private readonly remotes = new Map<string, Remote>();
  private readonly dirty = new Set<StreamName>();
  private scheduled = false;

  constructor(
    private readonly nodeId: string,
    /** Sends an announcement to the other nodes: `whole` when it names everyone present on this node. */
    private readonly send: (announcement: PresenceAnnouncement, whole: boolean) => void,
    /** A stream whose presence changed because of another node: its room is to be told. */
    private readonly changed: (stream: StreamName) => void,
    private readonly now: () => number = Date.now,
  ) {}

  join(stream: StreamName, user: PresentUser, socketId: string, reading: PresenceReading): boolean {
    const first = this.local.join(stream, user, socketId, reading);
    if (first) this.announce(stream);
    return first;
  }

  leave(stream: StreamName, userId: string, socketId: string): boolean {
    const last = this.local.leave(stream, userId, socketId);
    if (last) this.announce(stream);
    return last;
  }

  users(stream: StreamName): PresentUser[] {
    const byId = new Map(this.local.users(stream).map((u) => [u.id, u]));
    const cutoff = this.now() - PRESENCE_EXPIRY_MS;
    for (const remote of this.remotes.values()) {
      if (remote.heardAt < cutoff) continue;
      for (const user of remote.streams.get(stream) ?? []) if (!byId.has(user.id)) byId.set(user.id, user);
    }
    return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  }

  hasListReaders(stream: StreamName): boolean {
    return this.local.hasListReaders(stream);
  }

  /** Another node's announcement. */
  receive(announcement: PresenceAnnouncement, whole: boolean): void {
    if (announcement.nodeId === this.nodeId) return;
    let remote = this.remotes.get(announcement.nodeId);
    if (!remote) this.remotes.set(announcement.nodeId, (remote = { heardAt: 0, streams: new Map() }));
    remote.heardAt = this.now();
    const touched = new Set<StreamName>(announcement.streams.map(([stream]) => stream));
    // A heartbeat names every stream the node has people in: any other it had is now empty.
    if (whole) for (const stream of remote.streams.keys()) touched.add(stream);
    const before = new Map([...touched].map((stream) => [stream, ids(remote.streams.get(stream))]));
    if (whole) remote.streams.clear();
    for (const [stream, users] of announcement.streams) {
      if (users.length === 0) remote.streams.delete(stream);
      else remote.streams.set(stream, users);
    }
    for (const stream of touched) if (before.get(stream) !== ids(remote.streams.get(stream))) this.changed(stream);
  }

  /** Everyone present here, to every other node; and the rooms of nodes gone silent are told. */
  heartbeat(): void {
    this.send({ nodeId: this.nodeId, streams: this.local.occupied().map((stream) => [stream, this.local.users(stream)]) }, true);
    const cutoff = this.now() - PRESENCE_EXPIRY_MS;
    for (const [nodeId, remote] of this.remotes) {
      if (remote.heardAt >= cutoff) continue;
      this.remotes.delete(nodeId);
      for (const stream of remote.streams.keys()) this.changed(stream);
    }
  }

  private announce(stream: StreamName): void {
    this.dirty.add(stream);
    if (this.scheduled) return;
    this.scheduled = true;
    // The joins and leaves of one tick in one message.
    setImmediate(() => {
      this.scheduled = false;
      const streams = [...this.dirty].map((s): [StreamName, PresentUser[]] => [s, this.local.users(s)]);
      this.dirty.clear();
      this.send({ nodeId: this.nodeId, streams }, false);
    });
  }
}

function ids(users: PresentUser[] | undefined): string {
  return (users ?? []).map((u) => u.id).sort().join(',');
}
