import type { Tx } from '../events/event-log.ts';

/**
 * "Last used" times written in batches: every touch of a tick goes in one write (joining the group
 * commit) instead of one autocommit each. Such a time only ages a session or shows when a token
 * was last used; losing the last tick's touches in a crash moves them back by at most a minute.
 */
export class TouchBatch {
  private pending = new Map<string, string>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly commit: (work: (tx: Tx) => Promise<void>) => Promise<void>,
    private readonly write: (tx: Tx, id: string, at: string) => Promise<unknown>,
  ) {}

  touch(id: string, at: string): void {
    if (this.closed) return;
    this.pending.set(id, at);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush().catch(() => undefined));
  }

  /** The time touched for `id` and not yet written, if any (newer than what the database holds). */
  pendingFor(id: string): string | undefined {
    return this.pending.get(id);
  }

  /** Writes what is pending now; `close` also refuses later touches (the database is closing). */
  async flush(close = false): Promise<void> {
    this.scheduled = false;
    if (close) this.closed = true;
    const batch = new Map(this.pending);
    if (batch.size === 0) return;
    await this.commit(async (tx) => {
      for (const [id, at] of batch) await this.write(tx, id, at);
    });
    // Later touches of the same ids stay pending.
    for (const [id, at] of batch) if (this.pending.get(id) === at) this.pending.delete(id);
  }
}
