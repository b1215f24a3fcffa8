import type { DatabaseHandle } from './connection.ts';

/**
 * "Last used" times written in batches: every touch of a tick goes in one transaction (one fsync)
 * instead of one autocommit each. Such a time only ages a session or shows when a token was last
 * used; losing the last tick's touches in a crash moves them back by at most a minute.
 */
export class TouchBatch {
  private pending = new Map<string, string>();
  private scheduled = false;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly write: (id: string, at: string) => void,
  ) {}

  touch(id: string, at: string): void {
    this.pending.set(id, at);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** The time touched for `id` and not yet written, if any (newer than what the database holds). */
  pendingFor(id: string): string | undefined {
    return this.pending.get(id);
  }

  /** Writes what is pending now (also called before the database closes). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0 || !this.handle.sqlite.open) return;
    this.handle.sqlite
      .transaction(() => {
        for (const [id, at] of batch) this.write(id, at);
      })
      .immediate();
  }
}
