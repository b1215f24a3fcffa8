import { and, count as count_, eq, gt, lt } from 'drizzle-orm';
import { hmacHex } from './server-secret.ts';
import type { ServiceContext } from '../services.ts';

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
 *
 * Failures and holds are kept in the database, so every node of several counts the same ones.
 */
export class LoginThrottle {
  constructor(
    private readonly limits: ThrottleLimits,
    private readonly ctx: Pick<ServiceContext, 'db' | 't' | 'write' | 'now'>,
    /** Keys the stored throttle keys: attempted names (perhaps a password typed in the wrong field) are not kept in clear. */
    private readonly secret: Buffer,
  ) {}

  private pair(username: string, address: string): string {
    return hmacHex(this.secret, `a\u0000${username.toLowerCase()}\u0000${address}`);
  }

  private name(username: string): string {
    return hmacHex(this.secret, `n\u0000${username.toLowerCase()}`);
  }

  private wait(over: number): number {
    return Math.min(FIRST_WAIT_S * 2 ** Math.min(over - 1, 20), Math.ceil(this.limits.windowMs / 1000));
  }

  /** Seconds this name is still held from this address (0: check the password). */
  async held(username: string, address: string): Promise<number> {
    const { signInHolds } = this.ctx.t;
    const [hold] = await this.ctx.db.select({ until: signInHolds.until }).from(signInHolds).where(eq(signInHolds.key, this.pair(username, address)));
    if (!hold) return 0;
    const left = Date.parse(hold.until) - this.ctx.now().getTime();
    return left <= 0 ? 0 : Math.ceil(left / 1000);
  }

  /** Records a wrong password; returns the seconds to ask the caller to wait (0: answer 401 as usual). */
  fail(username: string, address: string): Promise<number> {
    const { signInFailures, signInHolds } = this.ctx.t;
    const pair = this.pair(username, address);
    const name = this.name(username);
    return this.ctx.write(async (tx) => {
      const now = this.ctx.now().getTime();
      const at = new Date(now).toISOString();
      const since = new Date(now - this.limits.windowMs).toISOString();
      await tx.db.insert(signInFailures).values([
        { key: pair, at },
        { key: name, at },
      ]);
      const count = async (key: string) =>
        (await tx.db.select({ n: count_() }).from(signInFailures).where(and(eq(signInFailures.key, key), gt(signInFailures.at, since))))[0]?.n ?? 0;
      const fromAddress = (await count(pair)) - this.limits.perAddress;
      const forName = (await count(name)) - this.limits.perName;
      let wait = 0;
      if (fromAddress > 0) {
        wait = this.wait(fromAddress);
        const until = new Date(now + wait * 1000).toISOString();
        await tx.db.insert(signInHolds).values({ key: pair, until }).onConflictDoUpdate({ target: signInHolds.key, set: { until } });
      }
      if (forName > 0) wait = Math.max(wait, this.wait(forName));
      return wait;
    });
  }

  /** The right password from this address: its own failures are forgotten (the name's others stay). */
  async succeed(username: string, address: string): Promise<void> {
    const { signInFailures, signInHolds } = this.ctx.t;
    const pair = this.pair(username, address);
    await this.ctx.write(async (tx) => {
      await tx.db.delete(signInFailures).where(eq(signInFailures.key, pair));
      await tx.db.delete(signInHolds).where(eq(signInHolds.key, pair));
    });
  }

  /** Drops failures past the window and holds that have ended, so the tables do not grow without bound. */
  async sweep(): Promise<void> {
    const { signInFailures, signInHolds } = this.ctx.t;
    const now = this.ctx.now().getTime();
    await this.ctx.write(async (tx) => {
      await tx.db.delete(signInFailures).where(lt(signInFailures.at, new Date(now - this.limits.windowMs).toISOString()));
      await tx.db.delete(signInHolds).where(lt(signInHolds.until, new Date(now).toISOString()));
    });
  }
}
