import { MemoryCredentialBudgets, socketCap, type CredentialBudgets, type CredentialLimits } from './credential-budgets.ts';

/**
 * What a node tells the others of the credentials it serves: the sockets each has open on it (all
 * of them when `whole`, else those that changed), and what each drew on its budgets since the last
 * message.
 */
export interface BudgetAnnouncement {
  nodeId: string;
  sockets: [string, number][];
  spent: [string, number, number][];
}

/** How often a node says what was drawn (and the sockets that changed). */
export const BUDGET_FLUSH_MS = 250;
/** How often a node repeats every socket it holds; one silent three times as long is dropped. */
export const BUDGET_HEARTBEAT_MS = 5_000;
const EXPIRY_MS = 3 * BUDGET_HEARTBEAT_MS;

/**
 * The per-credential budgets across nodes: each node keeps its buckets and socket counts
 * (MemoryCredentialBudgets) and, through the adapter, tells the others what its sockets drew and
 * how many it holds. A credential's socket cap counts its sockets on every node; what it draws on
 * one node is drawn on every node's buckets within BUDGET_FLUSH_MS, so spreading sockets over the
 * nodes does not multiply a budget (a burst may pass the bucket by what one flush interval holds).
 */
export class ClusterCredentialBudgets implements CredentialBudgets {
  private readonly local: MemoryCredentialBudgets;
  private readonly remotes = new Map<string, { heardAt: number; sockets: Map<string, number> }>();
  private readonly spent = new Map<string, { subscribes: number; bytes: number }>();
  private readonly changed = new Set<string>();

  constructor(
    private readonly limits: CredentialLimits,
    private readonly nodeId: string,
    private readonly send: (announcement: BudgetAnnouncement, whole: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new MemoryCredentialBudgets(limits);
  }

  private elsewhere(credential: string): number {
    const cutoff = this.now() - EXPIRY_MS;
    let count = 0;
    for (const remote of this.remotes.values()) if (remote.heardAt >= cutoff) count += remote.sockets.get(credential) ?? 0;
    return count;
  }

  openSocket(credential: string): (() => void) | null {
    if (this.local.sockets(credential) + this.elsewhere(credential) >= socketCap(this.limits, credential)) return null;
    const release = this.local.openSocket(credential);
    if (!release) return null;
    this.changed.add(credential);
    return () => {
      release();
      this.changed.add(credential);
    };
  }

  subscribe(credential: string): number {
    const wait = this.local.subscribe(credential);
    if (wait === 0) this.draw(credential, 1, 0);
    return wait;
  }

  catchUpWait(credential: string): number {
    return this.local.catchUpWait(credential);
  }

  spendCatchUp(credential: string, bytes: number): void {
    this.local.spendCatchUp(credential, bytes);
    this.draw(credential, 0, bytes);
  }

  sockets(credential: string): number {
    return this.local.sockets(credential) + this.elsewhere(credential);
  }

  sweep(): void {
    this.local.sweep();
    const cutoff = this.now() - EXPIRY_MS;
    for (const [nodeId, remote] of this.remotes) if (remote.heardAt < cutoff) this.remotes.delete(nodeId);
  }

  /** Sends what was drawn and the sockets that changed since the last call, if anything. */
  flush(): void {
    if (this.spent.size === 0 && this.changed.size === 0) return;
    const spent = [...this.spent].map(([credential, s]): [string, number, number] => [credential, s.subscribes, s.bytes]);
    const sockets = [...this.changed].map((credential): [string, number] => [credential, this.local.sockets(credential)]);
    this.spent.clear();
    this.changed.clear();
    this.send({ nodeId: this.nodeId, sockets, spent }, false);
  }

  /** Every socket this node holds, to the others. */
  heartbeat(): void {
    this.flush();
    this.send({ nodeId: this.nodeId, sockets: this.local.open(), spent: [] }, true);
  }

  /** Another node's announcement. */
  receive(announcement: BudgetAnnouncement, whole: boolean): void {
    if (announcement.nodeId === this.nodeId) return;
    let remote = this.remotes.get(announcement.nodeId);
    if (!remote) this.remotes.set(announcement.nodeId, (remote = { heardAt: 0, sockets: new Map() }));
    remote.heardAt = this.now();
    if (whole) remote.sockets.clear();
    for (const [credential, count] of announcement.sockets) {
      if (count > 0) remote.sockets.set(credential, count);
      else remote.sockets.delete(credential);
    }
    for (const [credential, subscribes, bytes] of announcement.spent) this.local.charge(credential, subscribes, bytes);
  }

  private draw(credential: string, subscribes: number, bytes: number): void {
    const entry = this.spent.get(credential) ?? { subscribes: 0, bytes: 0 };
    entry.subscribes += subscribes;
    entry.bytes += bytes;
    this.spent.set(credential, entry);
  }
}
