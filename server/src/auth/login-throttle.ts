/** Seconds a refused attempt waits at first once over a limit; it doubles with each failure past it. */
const FIRST_WAIT_S = 2;

export interface ThrottleLimits {
  /** Failures per (name, address) within the window before wrong passwords are answered 429. */
  perAddress: number;
  /** Failures per name, all addresses together, before wrong passwords are answered 429 (the ceiling). */
  perName: number;
  windowMs: number;
}

/**
 * Counts failed sign-ins per (name, address) and per name in a sliding window. The right
 * password is always checked first and always admitted, so no one can lock the owner of a name
 * out, even from the same address (the whole office behind one proxy). Past a limit a wrong
 * password is answered 429 with a Retry-After that doubles with each further failure (2 s, 4 s,
 * … at most the window): a script that respects it is slowed to a handful of guesses per window,
 * and one that ignores it is held to the per-address sign-in rate limit (session.routes.ts).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly clock: () => Date,
  ) {}

  private recent(key: string): number[] {
    const cutoff = this.clock().getTime() - this.limits.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private record(key: string, now: number): number {
    const list = [...this.recent(key), now];
    this.failures.set(key, list);
    return list.length;
  }

  /** Records a wrong password; returns the seconds to ask the caller to wait (0: answer 401 as usual). */
  fail(username: string, address: string): number {
    const name = username.toLowerCase();
    const now = this.clock().getTime();
    const fromAddress = this.record(`a\u0000${name}\u0000${address}`, now);
    const forName = this.record(`n\u0000${name}`, now);
    const over = Math.max(fromAddress - this.limits.perAddress, forName - this.limits.perName);
    if (over <= 0) return 0;
    return Math.min(FIRST_WAIT_S * 2 ** Math.min(over - 1, 20), Math.ceil(this.limits.windowMs / 1000));
  }

  /** The right password from this address: its own failures are forgotten (the name's others stay). */
  succeed(username: string, address: string): void {
    this.failures.delete(`a\u0000${username.toLowerCase()}\u0000${address}`);
  }

  /** Drops windows that have passed, so the map does not grow without bound. */
  sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}
