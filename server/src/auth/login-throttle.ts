/**
 * Counts failed sign-ins per (username, address) in a sliding window. Successful sign-ins
 * are never counted, so people sharing an office address are not locked out by each other.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly clock: () => Date,
  ) {}

  private key(username: string, address: string): string {
    return `${username.toLowerCase()}\u0000${address}`;
  }

  private recent(key: string): number[] {
    const cutoff = this.clock().getTime() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Seconds to wait before the next attempt, or 0 when one may be made now. */
  retryAfter(username: string, address: string): number {
    const list = this.recent(this.key(username, address));
    if (list.length < this.maxFailures) return 0;
    const oldest = list[list.length - this.maxFailures] ?? 0;
    return Math.ceil((oldest + this.windowMs - this.clock().getTime()) / 1000);
  }

  fail(username: string, address: string): void {
    const key = this.key(username, address);
    this.failures.set(key, [...this.recent(key), this.clock().getTime()]);
  }

  succeed(username: string, address: string): void {
    this.failures.delete(this.key(username, address));
  }

  /** Drops windows that have passed, so the map does not grow without bound. */
  sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}
