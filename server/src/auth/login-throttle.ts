/** Seconds of the first hold once over the per-address limit; it doubles with each failure past it. */
const FIRST_WAIT_S = 2;

export interface ThrottleLimits {
  /** Failures per (name, address) within the window before that pair is held (429, password not checked). */
  perAddress: number;
  /** Failures per name, all addresses together, before wrong passwords are answered 429 (the ceiling; the right one still signs in). */
  perName: number;
  windowMs: number;
}

/**
 * The defence against password guessing, in two parts that never lock an owner out from
 * elsewhere:
 *
 * - **Per (name, address): a hold.** Past `perAddress` wrong passwords within the window, the pair
 *   is held for 2 s, then 4 s, 8 s … (at most the window) after each further failure; while it is
 *   held, sign-ins of that name from that address are answered 429 with the time left, without
 *   checking the password, so a guesser gets about `perAddress` + 9 tries a window instead of
 *   one per request. The address is the real client behind a trusted proxy (TRUST_PROXY): a
 *   flood from one office machine holds that machine, not the lead at the next desk.
 * - **Per name: a ceiling.** Past `perName` wrong passwords from all addresses together, wrong
 *   passwords are answered 429 with a growing Retry-After, but the password is still checked
 *   and the right one signs in: a distributed guesser cannot lock the owner out.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  /** (name, address) → when its hold ends (ms). */
  private readonly holds = new Map<string, number>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly clock: () => Date,
  ) {}

  private static pair(username: string, address: string): string {
    return `a\u0000${username.toLowerCase()}\u0000${address}`;
  }

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

  private wait(over: number): number {
    return Math.min(FIRST_WAIT_S * 2 ** Math.min(over - 1, 20), Math.ceil(this.limits.windowMs / 1000));
  }

  /** Seconds this name is still held from this address (0: check the password). */
  held(username: string, address: string): number {
    const key = LoginThrottle.pair(username, address);
    const until = this.holds.get(key);
    if (until === undefined) return 0;
    const left = until - this.clock().getTime();
    if (left <= 0) {
      this.holds.delete(key);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** Records a wrong password; returns the seconds to ask the caller to wait (0: answer 401 as usual). */
  fail(username: string, address: string): number {
    const name = username.toLowerCase();
    const now = this.clock().getTime();
    const pair = LoginThrottle.pair(name, address);
    const fromAddress = this.record(pair, now) - this.limits.perAddress;
    const forName = this.record(`n\u0000${name}`, now) - this.limits.perName;
    let wait = 0;
    if (fromAddress > 0) {
      wait = this.wait(fromAddress);
      this.holds.set(pair, now + wait * 1000);
    }
    if (forName > 0) wait = Math.max(wait, this.wait(forName));
    return wait;
  }

  /** The right password from this address: its own failures are forgotten (the name's others stay). */
  succeed(username: string, address: string): void {
    const pair = LoginThrottle.pair(username, address);
    this.failures.delete(pair);
    this.holds.delete(pair);
  }

  /** Drops windows and holds that have passed, so the maps do not grow without bound. */
  sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    const now = this.clock().getTime();
    for (const [key, until] of [...this.holds]) if (until <= now) this.holds.delete(key);
  }
}
