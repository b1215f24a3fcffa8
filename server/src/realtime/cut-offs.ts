/**
 * Sockets cut off for flooding, counted per session or token: one cut off too often is refused
 * at the handshake for a while. Kept in this process today; with several nodes (issue 15) a
 * flooder reconnecting to another node must meet the same count, so it sits behind this.
 */
export interface CutOffLedger {
  record(credential: string): void;
  /** Seconds this credential must still wait before a new socket, or 0. */
  wait(credential: string): number;
  /** Forgets what no longer counts. */
  sweep(): void;
}

/** The ledger in this process's memory. Times are `performance.now()`. */
export class MemoryCutOffs implements CutOffLedger {
  private readonly recent = new Map<string, number[]>();
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly limits: { cutOffsToBlock: number; blockMs: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(credential: string): void {
    const now = this.now();
    const times = (this.recent.get(credential) ?? []).filter((t) => t > now - 60_000);
    times.push(now);
    this.recent.set(credential, times);
    if (times.length >= this.limits.cutOffsToBlock) this.blocked.set(credential, now + this.limits.blockMs);
  }

  wait(credential: string): number {
    const now = this.now();
    const until = this.blocked.get(credential);
    if (until === undefined || until <= now) return 0;
    return Math.ceil((until - now) / 1000);
  }

  sweep(): void {
    const now = this.now();
    for (const [credential, until] of this.blocked) if (until <= now) this.blocked.delete(credential);
    for (const [credential, times] of this.recent) if ((times.at(-1) ?? 0) <= now - 60_000) this.recent.delete(credential);
  }
}
