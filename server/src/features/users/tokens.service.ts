import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Actor, ApiToken, CreatedApiToken, ListQuery } from '@lodestone/shared';
import type { apiTokens } from '../../db/schema.ts';
import { append, type Tx } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import { TouchBatch } from '../../db/touches.ts';
import type { ServiceContext } from '../../services.ts';
import { may, type AuthUser } from '../../auth/policy.ts';
import { secretHash } from './sessions.service.ts';
import { toAuthUser, type UsersService } from './users.service.ts';

type TokenRow = typeof apiTokens.$inferSelect;

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    userId: row.userId,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

const TOUCH_AFTER_MS = 60_000;

/**
 * Inside a change's transaction: revokes every live token of a user (a password reset, or a
 * password change that asks for it), one `token.revoked` event each. Returns the revoked ids,
 * whose sockets the caller cuts after the commit.
 */
export async function revokeTokensOf(tx: Tx, actor: Actor, userId: string): Promise<string[]> {
  const { apiTokens } = tx.t;
  const live = await tx.db.select().from(apiTokens).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
  for (const row of live) {
    await tx.db.update(apiTokens).set({ revokedAt: tx.at }).where(eq(apiTokens.id, row.id));
    await append(tx, 'admin', 'token.revoked', actor, toToken({ ...row, revokedAt: tx.at }));
  }
  return live.map((row) => row.id);
}

/** Personal API tokens: shown once, stored hashed, revocable by their owner or an admin. */
export class TokensService {
  private readonly byHash;
  private readonly touches: TouchBatch;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: UsersService,
  ) {
    const { apiTokens, users } = ctx.t;
    this.byHash = ctx.store.prepare('token-by-hash', (db) =>
      db.select({ token: apiTokens, user: users }).from(apiTokens).innerJoin(users, eq(users.id, apiTokens.userId)).where(eq(apiTokens.tokenHash, sql.placeholder('hash'))),
    );
    this.touches = new TouchBatch(ctx.write, (tx, id, now) => tx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, id)));
  }

  /** A new token; its secret is in this answer only (a replay of the request answers `token: null`). */
  create(mutation: Mutation, owner: AuthUser, name: string): Promise<CreatedApiToken & { token: string }> {
    const withoutSecret = (result: unknown): unknown => ({ ...(result as CreatedApiToken), token: null });
    return this.ctx.commit({ ...mutation, replayAs: withoutSecret }, async (tx) => {
      const secret = `lsk_${randomBytes(32).toString('base64url')}`;
      const row: TokenRow = {
        id: newId(),
        userId: owner.id,
        name,
        tokenHash: secretHash(secret),
        createdAt: tx.at,
        lastUsedAt: null,
        revokedAt: null,
      };
      await tx.db.insert(tx.t.apiTokens).values(row);
      await append(tx, 'admin', 'token.created', mutation.actor, toToken(row));
      return { id: row.id, name: row.name, token: secret, userId: row.userId, createdAt: row.createdAt };
    });
  }

  /** Writes the pending "last used" times (before the database closes). */
  flushTouches(close = false): Promise<void> {
    return this.touches.flush(close);
  }

  /** A user's tokens, newest first, revoked ones included. */
  async list(userId: string, page: ListQuery = { limit: 1000 }): Promise<ApiToken[]> {
    const { apiTokens } = this.ctx.t;
    return (
      await this.ctx.db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, userId), page.before ? lt(apiTokens.createdAt, new Date(page.before).toISOString()) : undefined))
      .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
      .limit(page.limit)
    ).map(toToken);
  }

  /** Revokes a token: its owner or an admin may. Revoking twice is harmless. */
  async revoke(mutation: Mutation, requester: AuthUser, tokenId: string): Promise<void> {
    const revoked = await this.ctx.commit(mutation, async (tx) => {
      const { apiTokens } = tx.t;
      const [row] = await tx.db.select().from(apiTokens).where(eq(apiTokens.id, tokenId));
      if (!row) throw problems.notFound('token');
      if (row.userId !== requester.id && !may.manageUsers(requester)) {
        throw problems.forbidden('Only the owner of a token or an admin may revoke it.');
      }
      if (row.revokedAt !== null) return false;
      await tx.db.update(apiTokens).set({ revokedAt: tx.at }).where(eq(apiTokens.id, tokenId));
      await append(tx, 'admin', 'token.revoked', mutation.actor, toToken({ ...row, revokedAt: tx.at }));
      return true;
    });
    if (revoked) this.ctx.signals.emit('revoke', { tokenId });
  }

  /** The owner a bearer secret acts as, when the token is live and the owner enabled. */
  async resolve(secret: string): Promise<{ user: AuthUser; tokenId: string } | null> {
    const found = await this.byHash.get({ hash: secretHash(secret) });
    if (!found || found.token.revokedAt !== null || found.user.disabled) return null;
    const now = this.ctx.now().getTime();
    if (found.token.lastUsedAt === null || now - Date.parse(found.token.lastUsedAt) > TOUCH_AFTER_MS) {
      this.touches.touch(found.token.id, new Date(now).toISOString());
    }
    return { user: toAuthUser(found.user), tokenId: found.token.id };
  }

}
