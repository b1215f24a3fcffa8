import type { Actor } from '@lodestone/shared';
import { problems } from '../http/problem.ts';
import type { EventLog, Tx } from './event-log.ts';
import { IdempotentReplay, type IdempotencyScope, type IdempotencyStore } from './idempotency.ts';

/** Who is changing something, and the Idempotency-Key scope the answer is kept under. */
export interface Mutation {
  actor: Actor;
  idempotency?: IdempotencyScope & { status: number };
  /**
   * The answer as it is kept for replays, when it differs from the first one: a secret shown
   * once (a new token) must never rest in the idempotency table, nor so in any backup.
   */
  replayAs?: (result: unknown) => unknown;
}

/**
 * Runs a change as one transaction with its events and, when the request carried an
 * Idempotency-Key, the answer to replay: a crash can never apply a retry twice. The change
 * joins the group commit of its tick.
 */
export function commit<T>(log: EventLog, store: IdempotencyStore, mutation: Mutation, work: (tx: Tx) => Promise<T> | T): Promise<T> {
  return log.enqueue(async (tx: Tx) => {
    const scope = mutation.idempotency;
    if (scope) {
      // A concurrent request with the same key may have committed since the pre-check.
      const previous = await store.find(scope, tx.db);
      if (previous) {
        if (previous.requestHash !== scope.requestHash) throw problems.idempotencyMismatch();
        throw new IdempotentReplay(previous);
      }
    }
    const result = await work(tx);
    if (scope) await store.save(tx, scope, scope.status, JSON.stringify(mutation.replayAs ? mutation.replayAs(result) : result));
    return result;
  });
}
