import { randomBytes } from 'node:crypto';
import { and, count, desc, eq, lt, ne, sql } from 'drizzle-orm';
import {
  defaultLocale,
  defaultTimeZone,
  displayNameKey,
  type Actor,
  type ListQuery,
  type Person,
  type ProfileUpdate,
  type User,
  type UserCreate,
  type UserUpdate,
} from '@lodestone/shared';
import { users } from '../../db/schema.ts';
import { append } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import type { ServiceContext } from '../../services.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { revokeTokensOf } from './tokens.service.ts';
import type { AuthUser } from '../../auth/policy.ts';

export type UserRow = typeof users.$inferSelect;

/** The public shape of an account: everything but the password hash. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    agency: row.agency,
    side: row.side,
    locale: row.locale,
    timeZone: row.timeZone,
    disabled: row.disabled,
    mustChangePassword: row.mustChangePassword,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toAuthUser(row: UserRow): AuthUser {
  const { id, username, displayName, role, agency, side, locale, timeZone, mustChangePassword } = row;
  return { id, username, displayName, role, agency, side, locale, timeZone, mustChangePassword };
}

export function actorOf(user: Pick<AuthUser, 'id' | 'displayName' | 'agency' | 'side' | 'role'>): Actor {
  return { id: user.id, displayName: user.displayName, agency: user.agency, side: user.side, role: user.role };
}

/** Accounts: the admin's user management, the people directory and each user's own profile. */
export class UsersService {
  private readonly byIdQuery;
  private readonly byUsernameQuery;

  constructor(private readonly ctx: ServiceContext) {
    const db = ctx.handle.db;
    this.byIdQuery = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();
    // Usernames are kept as given and matched regardless of case.
    this.byUsernameQuery = db.select().from(users).where(sql`${users.username} = ${sql.placeholder('username')} COLLATE NOCASE`).prepare();
  }

  row(id: string): UserRow | undefined {
    return this.byIdQuery.get({ id });
  }

  rowByUsername(username: string): UserRow | undefined {
    return this.byUsernameQuery.get({ username });
  }

  get(id: string): User | undefined {
    const row = this.row(id);
    return row && toUser(row);
  }

  /** Accounts, newest first. */
  list(page: ListQuery = { limit: 1000 }): User[] {
    return this.ctx.handle.db
      .select()
      .from(users)
      .where(page.before ? lt(users.createdAt, new Date(page.before).toISOString()) : undefined)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(page.limit)
      .all()
      .map(toUser);
  }

  /** Enabled accounts, newest first, to pick members, co-leads and owners. */
  people(page: ListQuery = { limit: 1000 }): Person[] {
    return this.ctx.handle.db
      .select({ id: users.id, displayName: users.displayName, role: users.role, agency: users.agency, side: users.side })
      .from(users)
      .where(and(eq(users.disabled, false), page.before ? lt(users.createdAt, new Date(page.before).toISOString()) : undefined))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(page.limit)
      .all();
  }

  async create(mutation: Mutation | null, input: UserCreate): Promise<User> {
    const passwordHash = await hashPassword(input.password, this.ctx.options.passwordLog2N);
    const write = (tx: Parameters<Parameters<ServiceContext['commit']>[1]>[0]) => {
      if (this.rowByUsername(input.username)) throw problems.invalid([{ path: 'username', message: 'is taken', code: 'taken' }], `The username "${input.username}" is taken.`);
      this.assertDisplayNameFree(input.displayName, null);
      const row: UserRow = {
        id: newId(),
        username: input.username,
        displayName: input.displayName,
        role: input.role,
        agency: input.agency,
        side: input.side,
        locale: input.locale ?? defaultLocale(input.side),
        timeZone: input.timeZone ?? defaultTimeZone(input.side),
        passwordHash,
        disabled: false,
        mustChangePassword: input.mustChangePassword ?? false,
        createdAt: tx.at,
        updatedAt: tx.at,
      };
      tx.db.insert(users).values(row).run();
      const user = toUser(row);
      append(tx, 'admin', 'user.created', mutation?.actor ?? null, user);
      return user;
    };
    return mutation ? this.ctx.commit(mutation, write) : this.ctx.log.transaction(write);
  }

  async update(mutation: Mutation, id: string, patch: UserUpdate): Promise<User> {
    const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password, this.ctx.options.passwordLog2N);
    const result = await this.ctx.commit(mutation, (tx) => {
      const before = this.row(id);
      if (!before) throw problems.notFound('user');
      const demotesAdmin = before.role === 'admin' && !before.disabled && ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
      if (demotesAdmin && this.enabledAdminsOtherThan(id) === 0) {
        throw problems.conflict('This is the last enabled admin account; it cannot be disabled or given another role.', toUser(before));
      }
      const enabledAfter = !(patch.disabled ?? before.disabled);
      const nameAfter = patch.displayName ?? before.displayName;
      // A new name, or an account enabled again, must not look like another enabled account's name.
      if (enabledAfter && (nameAfter !== before.displayName || before.disabled)) this.assertDisplayNameFree(nameAfter, id);
      const { password: _password, ...given } = patch;
      // A password the admin sets is for use at once unless they say the user must choose another.
      const fields = passwordHash && given.mustChangePassword === undefined ? { ...given, mustChangePassword: false } : given;
      const changed = [...(passwordHash ? ['password'] : []), ...Object.keys(fields).filter((key) => fields[key as keyof typeof fields] !== before[key as keyof UserRow])];
      const after: UserRow = { ...before, ...fields, ...(passwordHash ? { passwordHash } : {}), updatedAt: tx.at };
      if (changed.length === 0) return { user: toUser(before), before, changed, revokedTokens: [] as string[] };
      tx.db.update(users).set(after).where(eq(users.id, id)).run();
      const user = toUser(after);
      append(tx, 'admin', 'user.updated', mutation.actor, { ...user, changed });
      // A disabled account's sessions stay until next used, to tell that user why they ended
      // (sessions.service.ts); enabling it again ends them, so none comes back to life.
      if (passwordHash || (changed.includes('disabled') && !after.disabled)) this.deleteSessions(id);
      // A reset is what an admin does when an account may be in the wrong hands: its tokens go too.
      const revokedTokens = passwordHash ? revokeTokensOf(tx, mutation.actor, id) : [];
      return { user, before, changed, revokedTokens };
    });
    const { changed, user } = result;
    for (const tokenId of result.revokedTokens) this.ctx.signals.emit('revoke', { tokenId });
    if (changed.includes('disabled') && user.disabled) this.ctx.signals.emit('revoke', { userId: id, reason: 'disabled' });
    else if (changed.includes('password')) this.ctx.signals.emit('revoke', { userId: id });
    if (changed.some((c) => c === 'role' || c === 'disabled' || c === 'mustChangePassword')) this.ctx.signals.emit('access-changed', { userId: id });
    return user;
  }

  /** What a user changes of their own account: name, language, time zone. */
  updateProfile(mutation: Mutation, userId: string, patch: ProfileUpdate): Promise<User> {
    return this.ctx.commit(mutation, (tx) => {
      const before = this.row(userId);
      if (!before) throw problems.notFound('user');
      const changed = (Object.keys(patch) as (keyof ProfileUpdate)[]).filter((k) => patch[k] !== before[k]);
      if (changed.length === 0) return toUser(before);
      if (patch.displayName !== undefined && changed.includes('displayName')) this.assertDisplayNameFree(patch.displayName, userId);
      const after: UserRow = { ...before, ...patch, updatedAt: tx.at };
      tx.db.update(users).set(after).where(eq(users.id, userId)).run();
      const user = toUser(after);
      append(tx, 'admin', 'user.updated', mutation.actor, { ...user, changed });
      return user;
    });
  }

  /**
   * Changes one's own password after checking the current one; ends the user's other sessions,
   * and with `revokeTokens` (the "sign out everywhere" choice) their API tokens too.
   */
  async changePassword(mutation: Mutation, userId: string, current: string, next: string, keepSessionId?: string, revokeTokens = false): Promise<User> {
    const before = this.row(userId);
    if (!before) throw problems.notFound('user');
    if (!(await verifyPassword(current, before.passwordHash))) {
      throw problems.invalid([{ path: 'currentPassword', message: 'is not your current password', code: 'wrong_password' }], 'The current password is wrong.');
    }
    const passwordHash = await hashPassword(next, this.ctx.options.passwordLog2N);
    // What the transaction returns is the answer an Idempotency-Key replays: the user, nothing else.
    let ended: string[] = [];
    let revokedTokens: string[] = [];
    const user = await this.ctx.commit(mutation, (tx) => {
      // Choosing one's own password is what an account that must do so was waiting for.
      const after: UserRow = { ...before, passwordHash, mustChangePassword: false, updatedAt: tx.at };
      tx.db.update(users).set({ passwordHash, mustChangePassword: false, updatedAt: tx.at }).where(eq(users.id, userId)).run();
      const view = toUser(after);
      append(tx, 'admin', 'user.updated', mutation.actor, { ...view, changed: before.mustChangePassword ? ['password', 'mustChangePassword'] : ['password'] });
      ended = this.deleteSessions(userId, keepSessionId);
      if (revokeTokens) revokedTokens = revokeTokensOf(tx, mutation.actor, userId);
      return view;
    });
    for (const sessionId of ended) this.ctx.signals.emit('revoke', { sessionId });
    for (const tokenId of revokedTokens) this.ctx.signals.emit('revoke', { tokenId });
    return user;
  }

  /**
   * Refuses a display name that reads as another enabled account's (displayNameKey: NFKC, case,
   * white space): a member must not be able to pass as the lead. Runs inside the change's
   * transaction, so two accounts cannot take one name at once.
   */
  private assertDisplayNameFree(name: string, exceptId: string | null): void {
    const key = displayNameKey(name);
    const clash = this.ctx.handle.db
      .select({ id: users.id, displayName: users.displayName })
      .from(users)
      .where(eq(users.disabled, false))
      .all()
      .find((u) => u.id !== exceptId && displayNameKey(u.displayName) === key);
    if (clash) {
      throw problems.invalid(
        [{ path: 'displayName', message: 'is used by another account (or looks the same as its name)', code: 'name_taken' }],
        'Another account already uses this display name, or one that reads the same.',
      );
    }
  }

  /** Ends a user's sessions (all, or all but one); returns the ended session ids. */
  private deleteSessions(userId: string, exceptSessionId?: string): string[] {
    const { sqlite } = this.ctx.handle;
    const ids = sqlite
      .prepare('SELECT id FROM sessions WHERE user_id = ? AND id IS NOT ?')
      .pluck()
      .all(userId, exceptSessionId ?? null) as string[];
    sqlite.prepare('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?').run(userId, exceptSessionId ?? null);
    return ids;
  }

  private enabledAdminsOtherThan(id: string): number {
    const row = this.ctx.handle.db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, id)))
      .get();
    return row?.n ?? 0;
  }

  /**
   * On a new database, creates the `admin` account with the given password, or a random one
   * that is returned to be printed once.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ generatedPassword?: string } | null> {
    const total = this.ctx.handle.db.select({ n: count() }).from(users).get()?.n ?? 0;
    if (total > 0) return null;
    const generated = password === undefined ? randomBytes(18).toString('base64url') : undefined;
    await this.create(null, {
      username: 'admin',
      displayName: 'Administrator',
      password: password ?? generated ?? '',
      role: 'admin',
      agency: 'RRG',
      side: 'US',
    });
    return generated === undefined ? {} : { generatedPassword: generated };
  }
}
