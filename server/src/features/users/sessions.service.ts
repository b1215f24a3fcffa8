import { createHash, randomBytes } from 'node:crypto';
import { eq, lt, or, sql } from 'drizzle-orm';
import { TouchBatch } from '../../db/touches.ts';
import type { ServiceContext } from '../../services.ts';
import type { AuthUser } from '../../auth/policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { toAuthUser, type UserRow, type UsersService } from './users.service.ts';

export interface ResolvedSession {
  user: AuthUser;
  sessionId: string;
}

/** A session that ended because its account was disabled: the user is told so, once. */
export const DISABLED = Symbol('account disabled');

/** How stale last_seen_at may get before a request refreshes it (saves a write per request). */
const TOUCH_AFTER_MS = 60_000;

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Server-side sessions: sign-in, lookup with idle and absolute expiry, sign-out. */
export class SessionsService {
  private readonly lookup;
  private readonly touches: TouchBatch;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: UsersService,
  ) {
    const { sessions, users } = ctx.t;
    this.lookup = ctx.store.prepare('session-lookup', (db) =>
      db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, sql.placeholder('id'))),
    );
    this.touches = new TouchBatch(ctx.write, (tx, id, now) => tx.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id)));
  }

  private remove(sessionId: string): Promise<void> {
    const { sessions } = this.ctx.t;
    return this.ctx.write(async (tx) => {
      await tx.db.delete(sessions).where(eq(sessions.id, sessionId));
    });
  }

  /**
   * Checks a username and password. An unknown name costs the same scrypt work as a wrong
   * password, so timing does not tell which it was. Returns null when the name or password is
   * wrong; DISABLED for the right password of a disabled account (only its holder learns that).
   */
  async signIn(username: string, password: string): Promise<{ user: AuthUser; token: string; sessionId: string } | typeof DISABLED | null> {
    const row: UserRow | undefined = await this.accounts.rowByUsername(username);
    const stored = row?.passwordHash ?? (await this.dummy());
    const ok = await verifyPassword(password, stored);
    if (!row || !ok) return null;
    if (row.disabled) return DISABLED;
    const token = randomBytes(32).toString('base64url');
    const sessionId = secretHash(token);
    const now = this.ctx.now();
    await this.ctx.write(async (tx) => {
      await tx.db.insert(tx.t.sessions).values({
        id: sessionId,
        userId: row.id,
        createdAt: now.toISOString(),
        lastSeenAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + this.ctx.options.sessionMaxMs).toISOString(),
      });
    });
    return { user: toAuthUser(row), token, sessionId };
  }

  /** Warms the dummy hash used for unknown usernames, so the first such sign-in is not faster. */
  warm(): Promise<string> {
    return this.dummy();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.ctx.options.passwordLog2N);
    return this.dummyHash;
  }

  /** The session a cookie secret names, if it is live; refreshes its idle clock. */
  async resolve(token: string): Promise<ResolvedSession | null> {
    const found = await this.resolveId(secretHash(token), true);
    return found === DISABLED ? null : found;
  }

  /** As resolve, but says DISABLED (once: the session ends) when the account was disabled. */
  check(token: string): Promise<ResolvedSession | typeof DISABLED | null> {
    return this.resolveId(secretHash(token), true);
  }

  /** Whether a session is still live (used to close sockets of expired sessions). */
  async isLive(sessionId: string): Promise<boolean> {
    const found = await this.resolveId(sessionId, false);
    return found !== null && found !== DISABLED;
  }

  private async resolveId(sessionId: string, touch: boolean): Promise<ResolvedSession | typeof DISABLED | null> {
    const found = await this.lookup.get({ id: sessionId });
    if (!found) return null;
    const now = this.ctx.now().getTime();
    const { session, user } = found;
    const idleFor = now - Date.parse(this.touches.pendingFor(sessionId) ?? session.lastSeenAt);
    if (user.disabled || now >= Date.parse(session.expiresAt) || idleFor >= this.ctx.options.sessionIdleMs) {
      // Gone before the answer: a disabled account's holder is told once, the next request is 401.
      await this.remove(sessionId);
      return user.disabled ? DISABLED : null;
    }
    if (touch && idleFor > TOUCH_AFTER_MS) this.touches.touch(sessionId, new Date(now).toISOString());
    return { user: toAuthUser(user), sessionId };
  }

  /** Writes the pending "last seen" times (before the database closes). */
  flushTouches(close = false): Promise<void> {
    return this.touches.flush(close);
  }

  /** Ends one session (sign-out) and closes its sockets. */
  async end(sessionId: string): Promise<void> {
    await this.remove(sessionId);
    this.ctx.signals.emit('revoke', { sessionId });
  }

  /** Deletes sessions past their idle or absolute limit. */
  purgeExpired(): Promise<number> {
    const now = this.ctx.now().getTime();
    const idleCutoff = new Date(now - this.ctx.options.sessionIdleMs).toISOString();
    const { sessions } = this.ctx.t;
    return this.ctx.write(
      async (tx) =>
        (
          await tx.db
            .delete(sessions)
            .where(or(lt(sessions.expiresAt, new Date(now).toISOString()), lt(sessions.lastSeenAt, idleCutoff)))
            .returning({ id: sessions.id })
        ).length,
    );
  }
}
