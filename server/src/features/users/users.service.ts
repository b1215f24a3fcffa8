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
import type { users } from '../../db/schema.ts';
import { append, type Tx } from '../../events/event-log.ts';
import type { Db } from '../../store/store.ts';
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

  constructor(private readonly ctx: ServiceContext) {
    const { users } = ctx.t;
    this.byIdQuery = ctx.store.prepare('user-by-id', (db) => db.select().from(users).where(eq(users.id, sql.placeholder('id'))));
  }

  /** An account's row; `db` a transaction's, to read it where it is about to change. */
  async row(id: string, db?: Db): Promise<UserRow | undefined> {
    if (!db) return this.byIdQuery.get({ id });
    const { users } = this.ctx.t;
    return (await db.select().from(users).where(eq(users.id, id)))[0];
  }

  /** Usernames are kept as given and matched regardless of case. */
  async rowByUsername(username: string, db: Db = this.ctx.db): Promise<UserRow | undefined> {
    const { users } = this.ctx.t;
    return (await db.select().from(users).where(this.ctx.store.sameText(users.username, username)))[0];
  }

  /** Every account by id (names and roles for a record that names people by id). */
  async directory(): Promise<Map<string, UserRow>> {
    const rows = await this.ctx.db.select().from(this.ctx.t.users);
    return new Map(rows.map((row) => [row.id, row]));
  }

  async get(id: string): Promise<User | undefined> {
    const row = await this.row(id);
    return row && toUser(row);
  }

  /** Accounts, newest first. */
  async list(page: ListQuery = { limit: 1000 }): Promise<User[]> {
    const { users } = this.ctx.t;
    const rows = await this.ctx.db
      .select()
      .from(users)
      .where(page.before ? lt(users.createdAt, new Date(page.before).toISOString()) : undefined)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(page.limit);
    return rows.map(toUser);
  }

  /** Enabled accounts, newest first, to pick members, co-leads and owners. */
  people(page: ListQuery = { limit: 1000 }): Promise<Person[]> {
    const { users } = this.ctx.t;
    return this.ctx.db
      .select({ id: users.id, displayName: users.displayName, role: users.role, agency: users.agency, side: users.side })
      .from(users)
      .where(and(eq(users.disabled, false), page.before ? lt(users.createdAt, new Date(page.before).toISOString()) : undefined))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(page.limit);
  }

  async create(mutation: Mutation | null, input: UserCreate): Promise<User> {
    const passwordHash = await hashPassword(input.password, this.ctx.options.passwordLog2N);
    const write = async (tx: Tx) => {
      if (await this.rowByUsername(input.username, tx.db)) throw problems.invalid([{ path: 'username', message: 'is taken', code: 'taken' }], `The username "${input.username}" is taken.`);
      await this.assertDisplayNameFree(tx.db, input.displayName, null);
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
      await tx.db.insert(tx.t.users).values(row);
      const user = toUser(row);
      await append(tx, 'admin', 'user.created', mutation?.actor ?? null, user);
      return user;
    };
    return mutation ? this.ctx.commit(mutation, write) : this.ctx.write(write);
  }

  async update(mutation: Mutation, id: string, patch: UserUpdate): Promise<User> {
    const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password, this.ctx.options.passwordLog2N);
    const result = await this.ctx.commit(mutation, async (tx) => {
      const before = await this.row(id, tx.db);
      if (!before) throw problems.notFound('user');
      const demotesAdmin = before.role === 'admin' && !before.disabled && ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
      if (demotesAdmin && (await this.enabledAdminsOtherThan(tx.db, id)) === 0) {
        throw problems.conflict('This is the last enabled admin account; it cannot be disabled or given another role.', toUser(before));
      }
      const enabledAfter = !(patch.disabled ?? before.disabled);
      const nameAfter = patch.displayName ?? before.displayName;
      // A new name, or an account enabled again, must not look like another enabled account's name.
      if (enabledAfter && (nameAfter !== before.displayName || before.disabled)) await this.assertDisplayNameFree(tx.db, nameAfter, id);
      const { password: _password, ...given } = patch;
      // A password the admin sets is for use at once unless they say the user must choose another.
      const fields = passwordHash && given.mustChangePassword === undefined ? { ...given, mustChangePassword: false } : given;
      const changed = [...(passwordHash ? ['password'] : []), ...Object.keys(fields).filter((key) => fields[key as keyof typeof fields] !== before[key as keyof UserRow])];
      const after: UserRow = { ...before, ...fields, ...(passwordHash ? { passwordHash } : {}), updatedAt: tx.at };
      if (changed.length === 0) return { user: toUser(before), before, changed, revokedTokens: [] as string[] };
      await tx.db.update(tx.t.users).set(after).where(eq(tx.t.users.id, id));
      const user = toUser(after);
      await append(tx, 'admin', 'user.updated', mutation.actor, { ...user, changed });
      // A disabled account's sessions stay until next used, to tell that user why they ended
      // (sessions.service.ts); enabling it again ends them, so none comes back to life.
      if (passwordHash || (changed.includes('disabled') && !after.disabled)) await this.deleteSessions(tx, id);
      // A reset is what an admin does when an account may be in the wrong hands: its tokens go too.
      const revokedTokens = passwordHash ? await revokeTokensOf(tx, mutation.actor, id) : [];
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
    return this.ctx.commit(mutation, async (tx) => {
      const before = await this.row(userId, tx.db);
      if (!before) throw problems.notFound('user');
      const changed = (Object.keys(patch) as (keyof ProfileUpdate)[]).filter((k) => patch[k] !== before[k]);
      if (changed.length === 0) return toUser(before);
      if (patch.displayName !== undefined && changed.includes('displayName')) await this.assertDisplayNameFree(tx.db, patch.displayName, userId);
      const after: UserRow = { ...before, ...patch, updatedAt: tx.at };
      await tx.db.update(tx.t.users).set(after).where(eq(tx.t.users.id, userId));
      const user = toUser(after);
      await append(tx, 'admin', 'user.updated', mutation.actor, { ...user, changed });
      return user;
    });
  }

  /**
   * Changes one's own password after checking the current one; ends the user's other sessions,
   * and with `revokeTokens` (the "sign out everywhere" choice) their API tokens too.
   */
  async changePassword(mutation: Mutation, userId: string, current: string, next: string, keepSessionId?: string, revokeTokens = false): Promise<User> {
    const before = await this.row(userId);
    if (!before) throw problems.notFound('user');
    if (!(await verifyPassword(current, before.passwordHash))) {
      throw problems.invalid([{ path: 'currentPassword', message: 'is not your current password', code: 'wrong_password' }], 'The current password is wrong.');
    }
    const passwordHash = await hashPassword(next, this.ctx.options.passwordLog2N);
    // What the transaction returns is the answer an Idempotency-Key replays: the user, nothing else.
    let ended: string[] = [];
    let revokedTokens: string[] = [];
    const user = await this.ctx.commit(mutation, async (tx) => {
      // Choosing one's own password is what an account that must do so was waiting for.
      const after: UserRow = { ...before, passwordHash, mustChangePassword: false, updatedAt: tx.at };
      await tx.db.update(tx.t.users).set({ passwordHash, mustChangePassword: false, updatedAt: tx.at }).where(eq(tx.t.users.id, userId));
      const view = toUser(after);
      await append(tx, 'admin', 'user.updated', mutation.actor, { ...view, changed: before.mustChangePassword ? ['password', 'mustChangePassword'] : ['password'] });
      ended = await this.deleteSessions(tx, userId, keepSessionId);
      if (revokeTokens) revokedTokens = await revokeTokensOf(tx, mutation.actor, userId);
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
  private async assertDisplayNameFree(db: Db, name: string, exceptId: string | null): Promise<void> {
    const key = displayNameKey(name);
    const { users } = this.ctx.t;
    const clash = (await db.select({ id: users.id, displayName: users.displayName }).from(users).where(eq(users.disabled, false))).find((u) => u.id !== exceptId && displayNameKey(u.displayName) === key);
    if (clash) {
      throw problems.invalid(
        [{ path: 'displayName', message: 'is used by another account (or looks the same as its name)', code: 'name_taken' }],
        'Another account already uses this display name, or one that reads the same.',
      );
    }
  }

  /** Ends a user's sessions (all, or all but one); returns the ended session ids. */
  private async deleteSessions(tx: Tx, userId: string, exceptSessionId?: string): Promise<string[]> {
    const { sessions } = tx.t;
    const deleted = await tx.db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), exceptSessionId === undefined ? undefined : ne(sessions.id, exceptSessionId)))
      .returning({ id: sessions.id });
    return deleted.map((row) => row.id);
  }

  private async enabledAdminsOtherThan(db: Db, id: string): Promise<number> {
    const { users } = this.ctx.t;
    const [row] = await db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, id)));
    return row?.n ?? 0;
  }

  /**
   * On a new database, creates the `admin` account with the given password, or a random one
   * that is returned to be printed once.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ generatedPassword?: string } | null> {
    const total = (await this.ctx.db.select({ n: count() }).from(this.ctx.t.users))[0]?.n ?? 0;
    if (total > 0) return null;
    const generated = password === undefined ? randomBytes(18).toString('base64url') : undefined;
    try {
      await this.create(null, {
        username: 'admin',
        displayName: 'Administrator',
        password: password ?? generated ?? '',
        role: 'admin',
        agency: 'RRG',
        side: 'US',
      });
    } catch (error) {
      // Another node starting on the same (PostgreSQL) database created it first.
      if ((await this.rowByUsername('admin')) !== undefined) return null;
      throw error;
    }
    return generated === undefined ? {} : { generatedPassword: generated };
  }
}
