import { and, eq, lt, sql } from 'drizzle-orm';
import { canonicalize } from '@lodestone/shared';
import { hmacHex } from '../auth/server-secret.ts';
import type { DatabaseHandle } from '../db/connection.ts';
import { idempotencyKeys } from '../db/schema.ts';
import type { Tx } from './event-log.ts';

/** How long a key's first response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyScope {
  userId: string;
  method: string;
  path: string;
  key: string;
  requestHash: string;
}

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: string;
}

/** Signals that a request is a replay: the stored answer goes out instead of running it again. */
export class IdempotentReplay extends Error {
  constructor(readonly response: StoredResponse) {
    super('idempotent replay');
  }
}

/** Keeps the first answer to each (user, method, path, key) for 24 h. */
export class IdempotencyStore {
  private readonly findQuery;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly clock: () => Date,
    private readonly secret: Buffer,
  ) {
    const t = idempotencyKeys;
    this.findQuery = handle.db
      .select({ requestHash: t.requestHash, status: t.status, body: t.body, createdAt: t.createdAt })
      .from(t)
      .where(
        and(
          eq(t.userId, sql.placeholder('userId')),
          eq(t.method, sql.placeholder('method')),
          eq(t.path, sql.placeholder('path')),
          eq(t.key, sql.placeholder('key')),
        ),
      )
      .prepare();
  }

  /**
   * What tells a retry from another request under the same key: an HMAC of the canonical body
   * under the server secret (not in the database), so that a body holding a password is not kept
   * as a plain SHA-256 that could be cracked at hash speed from a backup. Throws on a body nested
   * too deeply to walk.
   */
  requestHash(body: unknown): string {
    return hmacHex(this.secret, canonicalize(body ?? null));
  }

  /** The stored answer for this scope, if one was kept in the last 24 h. */
  find(scope: IdempotencyScope): StoredResponse | undefined {
    const { userId, method, path, key } = scope;
    const row = this.findQuery.get({ userId, method, path, key });
    if (!row) return undefined;
    if (Date.parse(row.createdAt) < this.clock().getTime() - IDEMPOTENCY_TTL_MS) return undefined;
    return row;
  }

  /** Inside the change's own transaction: the answer commits with the change or not at all. */
  save(tx: Tx, scope: IdempotencyScope, status: number, body: string): void {
    tx.db
      .insert(idempotencyKeys)
      .values({ ...scope, status, body, createdAt: tx.at })
      .onConflictDoUpdate({
        target: [idempotencyKeys.userId, idempotencyKeys.method, idempotencyKeys.path, idempotencyKeys.key],
        set: { requestHash: scope.requestHash, status, body, createdAt: tx.at },
      })
      .run();
  }

  /** Keeps a refusal (4xx) so that a retry gets the same answer; changes nothing else. */
  saveRefusal(scope: IdempotencyScope, status: number, body: string): void {
    this.handle.db
      .insert(idempotencyKeys)
      .values({ ...scope, status, body, createdAt: this.clock().toISOString() })
      .onConflictDoNothing()
      .run();
  }

  /** Forgets keys older than 24 h. */
  purge(): number {
    const cutoff = new Date(this.clock().getTime() - IDEMPOTENCY_TTL_MS).toISOString();
    return this.handle.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).run().changes;
  }
}
