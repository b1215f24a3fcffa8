import { and, eq, lt, sql, type Placeholder } from 'drizzle-orm';
import { canonicalize } from '@lodestone/shared';
import { hmacHex } from '../auth/server-secret.ts';
import type { Db, Store } from '../store/store.ts';
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
    private readonly store: Store,
    private readonly write: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
    private readonly clock: () => Date,
    private readonly secret: Buffer,
  ) {
    this.findQuery = store.prepare('idempotency-find', (db) => this.select(db, sql.placeholder));
  }

  /** The stored answer of one scope: its parts given as values, or as placeholders of a prepared query. */
  private select(db: Db, part: (name: 'userId' | 'method' | 'path' | 'key') => string | Placeholder) {
    const t = this.store.t.idempotencyKeys;
    return db
      .select({ requestHash: t.requestHash, status: t.status, body: t.body, createdAt: t.createdAt })
      .from(t)
      .where(and(eq(t.userId, part('userId')), eq(t.method, part('method')), eq(t.path, part('path')), eq(t.key, part('key'))));
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

  /** The stored answer for this scope, if one was kept in the last 24 h; `db` a transaction's. */
  async find(scope: IdempotencyScope, db?: Db): Promise<StoredResponse | undefined> {
    const { userId, method, path, key } = scope;
    const row = db ? (await this.select(db, (name) => scope[name]))[0] : await this.findQuery.get({ userId, method, path, key });
    if (!row) return undefined;
    if (Date.parse(row.createdAt) < this.clock().getTime() - IDEMPOTENCY_TTL_MS) return undefined;
    return row;
  }

  /** Inside the change's own transaction: the answer commits with the change or not at all. */
  async save(tx: Tx, scope: IdempotencyScope, status: number, body: string): Promise<void> {
    const t = this.store.t.idempotencyKeys;
    await tx.db
      .insert(t)
      .values({ ...scope, status, body, createdAt: tx.at })
      .onConflictDoUpdate({
        target: [t.userId, t.method, t.path, t.key],
        set: { requestHash: scope.requestHash, status, body, createdAt: tx.at },
      });
  }

  /** Keeps a refusal (4xx) so that a retry gets the same answer; changes nothing else. */
  saveRefusal(scope: IdempotencyScope, status: number, body: string): Promise<void> {
    return this.write(async (tx) => {
      await tx.db
        .insert(this.store.t.idempotencyKeys)
        .values({ ...scope, status, body, createdAt: this.clock().toISOString() })
        .onConflictDoNothing();
    });
  }

  /** Forgets keys older than 24 h. */
  purge(): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - IDEMPOTENCY_TTL_MS).toISOString();
    const t = this.store.t.idempotencyKeys;
    return this.write(async (tx) => (await tx.db.delete(t).where(lt(t.createdAt, cutoff)).returning({ key: t.key })).length);
  }
}
