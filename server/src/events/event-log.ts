import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import {
  GENESIS_HASH,
  chainInput,
  type Actor,
  type EventType,
  type LodestoneEvent,
  type StreamName,
} from '@lodestone/shared';
import type { DatabaseHandle, Db } from '../db/connection.ts';
import { events, streams } from '../db/schema.ts';

/** A write transaction: the drizzle handle to write with, and the events it appended so far. */
export interface Tx {
  readonly db: Db;
  /** The time of this transaction, shared by every event it appends. */
  readonly at: string;
  readonly pending: LodestoneEvent[];
  readonly log: EventLog;
}

export type Publisher = (events: readonly LodestoneEvent[]) => void;

export interface AuditReport {
  ok: boolean;
  streams: number;
  events: number;
  firstBadEvent?: { stream: string; seq: number };
}

export function sha256Hex(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

type EventRow = typeof events.$inferSelect;

function toEvent(row: EventRow): LodestoneEvent {
  return {
    stream: row.stream as StreamName,
    seq: row.seq,
    type: row.type as EventType,
    at: row.at,
    actor: row.actor === null ? null : (JSON.parse(row.actor) as Actor),
    data: JSON.parse(row.data) as unknown,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/** The event log: the only writer of `events` and `streams`, and the only publisher of events. */
export class EventLog {
  private readonly publishers = new Set<Publisher>();
  private readonly headQuery;
  private readonly readQuery;
  private readonly readBackQuery;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly clock: () => Date,
  ) {
    const { db } = handle;
    this.headQuery = db
      .select({ seq: streams.headSeq, hash: streams.headHash })
      .from(streams)
      .where(eq(streams.name, sql.placeholder('stream')))
      .prepare();
    this.readQuery = db
      .select()
      .from(events)
      .where(and(eq(events.stream, sql.placeholder('stream')), gt(events.seq, sql.placeholder('after'))))
      .orderBy(asc(events.seq))
      .limit(sql.placeholder('limit'))
      .prepare();
    this.readBackQuery = db
      .select()
      .from(events)
      .where(and(eq(events.stream, sql.placeholder('stream')), lt(events.seq, sql.placeholder('before'))))
      .orderBy(desc(events.seq))
      .limit(sql.placeholder('limit'))
      .prepare();
  }

  /**
   * Runs `work` in one IMMEDIATE transaction; when it commits, publishes the events it
   * appended, in order. When `work` throws, everything rolls back and nothing is published.
   */
  transaction<T>(work: (tx: Tx) => T): T {
    const { sqlite, db } = this.handle;
    if (sqlite.inTransaction) throw new Error('EventLog.transaction does not nest; pass the open Tx instead');
    const tx: Tx = { db, at: this.clock().toISOString(), pending: [], log: this };
    const result = sqlite.transaction(() => work(tx)).immediate();
    if (tx.pending.length > 0) this.publish(tx.pending);
    return result;
  }

  /** Subscribes to committed events; returns the function that unsubscribes. */
  onPublish(publisher: Publisher): () => void {
    this.publishers.add(publisher);
    return () => this.publishers.delete(publisher);
  }

  private publish(committed: readonly LodestoneEvent[]): void {
    for (const publisher of this.publishers) publisher(committed);
  }

  /** The last seq of a stream; 0 when it has no event yet. */
  head(stream: StreamName): number {
    return this.headQuery.get({ stream })?.seq ?? 0;
  }

  headOf(stream: StreamName): { seq: number; hash: string } {
    return this.headQuery.get({ stream }) ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Events of a stream with seq < before (or the newest), descending, at most `limit`: a timeline page. */
  readBefore(stream: StreamName, before: number | undefined, limit: number): LodestoneEvent[] {
    return this.readBackQuery.all({ stream, before: before ?? Number.MAX_SAFE_INTEGER, limit }).map(toEvent);
  }

  /** Events of a stream with seq > after, ascending, at most `limit`. */
  read(stream: StreamName, after: number, limit: number): LodestoneEvent[] {
    return this.readQuery.all({ stream, after, limit }).map(toEvent);
  }

  /** Re-computes every stream's chain from the stored rows and names the first event that fails. */
  verify(): AuditReport {
    const { sqlite } = this.handle;
    const names = sqlite
      .prepare('SELECT name FROM streams UNION SELECT DISTINCT stream FROM events ORDER BY 1')
      .pluck()
      .all() as string[];
    const rows = sqlite.prepare(
      'SELECT stream, seq, type, at, actor_id AS actorId, actor, data, prev_hash AS prevHash, hash FROM events WHERE stream = ? ORDER BY seq',
    );
    let count = 0;
    for (const name of names) {
      let prevHash = GENESIS_HASH;
      let expected = 1;
      for (const row of rows.iterate(name) as IterableIterator<EventRow>) {
        count++;
        const bad = (): AuditReport => ({ ok: false, streams: names.length, events: count, firstBadEvent: { stream: name, seq: row.seq } });
        let event: LodestoneEvent;
        try {
          event = toEvent(row);
        } catch {
          return bad();
        }
        const actorMatches = (event.actor?.id ?? null) === row.actorId;
        if (row.seq !== expected || row.prevHash !== prevHash || !actorMatches || sha256Hex(chainInput(event)) !== row.hash) {
          return bad();
        }
        prevHash = row.hash;
        expected++;
      }
      const head = this.headOf(name as StreamName);
      if (head.seq !== expected - 1 || head.hash !== prevHash) {
        return { ok: false, streams: names.length, events: count, firstBadEvent: { stream: name, seq: Math.max(head.seq, expected - 1) } };
      }
    }
    return { ok: true, streams: names.length, events: count };
  }

  /** @internal used by append() */
  writeEvent(tx: Tx, event: LodestoneEvent): void {
    tx.db
      .insert(events)
      .values({
        stream: event.stream,
        seq: event.seq,
        type: event.type,
        at: event.at,
        actorId: event.actor?.id ?? null,
        actor: event.actor === null ? null : JSON.stringify(event.actor),
        data: JSON.stringify(event.data),
        prevHash: event.prevHash,
        hash: event.hash,
      })
      .run();
    tx.db
      .insert(streams)
      .values({ name: event.stream, headSeq: event.seq, headHash: event.hash })
      .onConflictDoUpdate({ target: streams.name, set: { headSeq: event.seq, headHash: event.hash } })
      .run();
  }
}

/**
 * Appends an event to `stream` inside the caller's transaction: takes the next seq, chains
 * the hash to the stream's head, and queues the event to be published after commit.
 */
export function append<D>(tx: Tx, stream: StreamName, type: EventType, actor: Actor | null, data: D): LodestoneEvent<D> {
  const head = tx.log.headOf(stream);
  // Round-trip through JSON so the hash covers exactly what is stored and later re-read.
  const stored = JSON.parse(JSON.stringify(data)) as D;
  const partial = { stream, seq: head.seq + 1, type, at: tx.at, actor, data: stored, prevHash: head.hash };
  const event: LodestoneEvent<D> = { ...partial, hash: sha256Hex(chainInput(partial)) };
  tx.log.writeEvent(tx, event);
  tx.pending.push(event);
  return event;
}
