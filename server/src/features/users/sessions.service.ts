import { createHash, randomBytes } from 'node:crypto';
import { eq, lt, or, sql } from 'drizzle-orm';
import { sessions, users } from '../../db/schema.ts';
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
  private readonly remove;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: UsersService,
  ) {
    const db = ctx.handle.db;
    this.lookup = db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sql.placeholder('id')))
      .prepare();
    const touch = db
      .update(sessions)
      .set({ lastSeenAt: sql`${sql.placeholder('now')}` })
      .where(eq(sessions.id, sql.placeholder('id')))
      .prepare();
    this.touches = new TouchBatch(ctx.handle, (id, now) => touch.run({ id, now }));
    this.remove = db.delete(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare();
  }

  /**
   * Checks a username and password. An unknown name costs the same scrypt work as a wrong
   * password, so timing does not tell which it was. Returns null when the name or password is
   * wrong; DISABLED for the right password of a disabled account (only its holder learns that).
   */
  async signIn(username: string, password: string): Promise<{ user: AuthUser; token: string; sessionId: string } | typeof DISABLED | null> {
    const row: UserRow | undefined = this.accounts.rowByUsername(username);
    const stored = row?.passwordHash ?? (await this.dummy());
    const ok = await verifyPassword(password, stored);
    if (!row || !ok) return null;
    if (row.disabled) return DISABLED;
    const token = randomBytes(32).toString('base64url');
    const sessionId = secretHash(token);
    const now = this.ctx.now();
    this.ctx.handle.db
      .insert(sessions)
      .values({
        id: sessionId,
        userId: row.id,
        createdAt: now.toISOString(),
        lastSeenAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + this.ctx.options.sessionMaxMs).toISOString(),
      })
      .run();
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
  resolve(token: string): ResolvedSession | null {
    const found = this.resolveId(secretHash(token), true);
    return found === DISABLED ? null : found;
  }

  /** As resolve, but says DISABLED (once: the session ends) when the account was disabled. */
  check(token: string): ResolvedSession | typeof DISABLED | null {
    return this.resolveId(secretHash(token), true);
  }

  /** Whether a session is still live (used to close sockets of expired sessions). */
  isLive(sessionId: string): boolean {
    const found = this.resolveId(sessionId, false);
    return found !== null && found !== DISABLED;
  }

  private resolveId(sessionId: string, touch: boolean): ResolvedSession | typeof DISABLED | null {
    const found = this.lookup.get({ id: sessionId });
    if (!found) return null;
    const now = this.ctx.now().getTime();
    const { session, user } = found;
    const idleFor = now - Date.parse(this.touches.pendingFor(sessionId) ?? session.lastSeenAt);
    if (user.disabled || now >= Date.parse(session.expiresAt) || idleFor >= this.ctx.options.sessionIdleMs) {
      this.remove.run({ id: sessionId });
      return user.disabled ? DISABLED : null;
    }
    if (touch && idleFor > TOUCH_AFTER_MS) this.touches.touch(sessionId, new Date(now).toISOString());
    return { user: toAuthUser(user), sessionId };
  }

  /** Writes the pending "last seen" times (before the database closes). */
  flushTouches(): void {
    this.touches.flush();
  }

  /** Ends one session (sign-out) and closes its sockets. */
  end(sessionId: string): void {
    this.remove.run({ id: sessionId });
    this.ctx.signals.emit('revoke', { sessionId });
  }

  /** Deletes sessions past their idle or absolute limit. */
  purgeExpired(): number {
    const now = this.ctx.now().getTime();
    const idleCutoff = new Date(now - this.ctx.options.sessionIdleMs).toISOString();
    return this.ctx.handle.db
      .delete(sessions)
      .where(or(lt(sessions.expiresAt, new Date(now).toISOString()), lt(sessions.lastSeenAt, idleCutoff)))
      .run().changes;
  }
}
