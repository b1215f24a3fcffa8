import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
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
  /**
   * The time of this transaction: every event it appends is stamped with it, or with its stream's
   * last `at` when that is later (see append).
   */
  readonly at: string;
  /** Whether `at` was set by the caller (ctx.at: the demo, scripts) rather than read from the clock. */
  readonly explicit: boolean;
  readonly pending: LodestoneEvent[];
  readonly log: EventLog;
}

export type Publisher = (events: readonly LodestoneEvent[]) => void;

interface Job {
  work: (tx: Tx) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * An append with an explicitly set time earlier than the last event of its stream: history is
 * written in time order, so the transaction is refused and nothing of it is stored.
 */
export class BackdatedAppend extends Error {
  constructor(
    readonly stream: StreamName,
    readonly at: string,
    readonly headAt: string,
  ) {
    super(`Refused to append to the stream ${stream} at ${at}: its last event is at ${headAt}, and a stream's times never run backwards.`);
    this.name = 'BackdatedAppend';
  }
}

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

const COMMA = Buffer.from(',');

/** An event row's API JSON: the stored text, or for rows from before that column, rebuilt. */
const EVENT_JSON = "coalesce(json, json_object('stream', stream, 'seq', seq, 'type', type, 'at', at, 'actor', json(actor), 'data', json(data), 'prevHash', prev_hash, 'hash', hash))";

/** `open`, the events' stored JSON bytes separated by commas, then `close`, as one Buffer. */
export function spliceEvents(open: string, events: Buffer[], close: string): Buffer {
  const parts: Buffer[] = [Buffer.from(open)];
  events.forEach((event, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(event);
  });
  parts.push(Buffer.from(close));
  return Buffer.concat(parts);
}

/** The API's JSON of an event, written from parts already serialized: `data` is not encoded twice. */
function eventJson(event: LodestoneEvent, data: string): string {
  const actor = event.actor === null ? 'null' : JSON.stringify(event.actor);
  return `{"stream":${JSON.stringify(event.stream)},"seq":${event.seq},"type":${JSON.stringify(event.type)},"at":${JSON.stringify(event.at)},"actor":${actor},"data":${data},"prevHash":"${event.prevHash}","hash":"${event.hash}"}`;
}

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
  /** The JSON text each appended event was stored as, for publishing it without re-encoding. */
  private readonly texts = new WeakMap<LodestoneEvent, string>();
  private queue: Job[] = [];
  private readonly headQuery;
  private readonly readBackQuery;
  private readonly readJsonQuery;
  private readonly readBytesQuery;
  private readonly searchQueries: Map<string, Database.Statement>;
  private readonly insertEvent;
  private readonly moveHead;

  /**
   * `clock` gives the time of each transaction; `explicit` says whether that time was set on
   * purpose by the caller (then a time earlier than a stream's last event is refused, not raised).
   */
  constructor(
    private readonly handle: DatabaseHandle,
    private readonly clock: () => Date,
    private readonly explicit: () => boolean = () => false,
  ) {
    const { db } = handle;
    this.headQuery = db
      .select({ seq: streams.headSeq, hash: streams.headHash, at: streams.headAt })
      .from(streams)
      .where(eq(streams.name, sql.placeholder('stream')))
      .prepare();
    this.insertEvent = db
      .insert(events)
      .values({
        stream: sql.placeholder('stream'),
        seq: sql.placeholder('seq'),
        type: sql.placeholder('type'),
        at: sql.placeholder('at'),
        actorId: sql.placeholder('actorId'),
        actor: sql.placeholder('actor'),
        data: sql.placeholder('data'),
        prevHash: sql.placeholder('prevHash'),
        hash: sql.placeholder('hash'),
        json: sql.placeholder('json'),
      })
      .prepare();
    // The hot path of catch-up reads one text column; rows from before that column are rebuilt.
    this.readJsonQuery = handle.sqlite
      .prepare(
        `SELECT ${EVENT_JSON} FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .pluck();
    // The same as UTF-8 bytes: a page goes to the socket without decoding and re-encoding it.
    this.readBytesQuery = handle.sqlite
      .prepare(
        `SELECT CAST(${EVENT_JSON} AS BLOB) FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .pluck();
    this.searchQueries = new Map();
    this.moveHead = db
      .insert(streams)
      .values({ name: sql.placeholder('stream'), headSeq: sql.placeholder('seq'), headHash: sql.placeholder('hash'), headAt: sql.placeholder('at') })
      .onConflictDoUpdate({ target: streams.name, set: { headSeq: sql`excluded.head_seq`, headHash: sql`excluded.head_hash`, headAt: sql`excluded.head_at` } })
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
    const tx: Tx = { db, at: this.clock().toISOString(), explicit: this.explicit(), pending: [], log: this };
    const result = sqlite.transaction(() => work(tx)).immediate();
    if (tx.pending.length > 0) this.publish(tx.pending);
    return result;
  }

  /**
   * Group commit: changes that arrive in the same tick run in one IMMEDIATE transaction, each
   * in its own savepoint (a change that throws rolls back alone and rejects alone), and share
   * one COMMIT, one fsync. Every promise resolves only after that COMMIT; events are published
   * in order after it. With synchronous=FULL the fsync is most of a change's cost.
   */
  enqueue<T>(work: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const { sqlite, db } = this.handle;
    const at = this.clock().toISOString();
    const explicit = this.explicit();
    const outcomes: { tx: Tx; ok: boolean; value: unknown }[] = [];
    const one = sqlite.transaction((tx: Tx, job: Job) => job.work(tx));
    try {
      sqlite
        .transaction(() => {
          for (const job of batch) {
            const tx: Tx = { db, at, explicit, pending: [], log: this };
            try {
              outcomes.push({ tx, ok: true, value: one(tx, job) }); // nested: a SAVEPOINT of its own
            } catch (error) {
              outcomes.push({ tx, ok: false, value: error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    const committed = outcomes.flatMap((o) => (o.ok ? o.tx.pending : []));
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.value);
    });
    // The answers are on their way first (their callbacks are queued), the events go to the rooms
    // right after them, in order, before anything else runs.
    if (committed.length > 0) queueMicrotask(() => this.publish(committed));
  }

  /** Subscribes to committed events; returns the function that unsubscribes. */
  onPublish(publisher: Publisher): () => void {
    this.publishers.add(publisher);
    return () => this.publishers.delete(publisher);
  }

  private publish(committed: readonly LodestoneEvent[]): void {
    for (const publisher of this.publishers) publisher(committed);
  }

  /** The JSON text an event appended by this log was stored as. */
  jsonOf(event: LodestoneEvent): string {
    return this.texts.get(event) ?? JSON.stringify(event);
  }

  /** The last seq of a stream; 0 when it has no event yet. */
  head(stream: StreamName): number {
    return this.headQuery.get({ stream })?.seq ?? 0;
  }

  /** The last seq, hash and time of a stream (`at` is '' before its first event). */
  headOf(stream: StreamName): { seq: number; hash: string; at: string } {
    return this.headQuery.get({ stream }) ?? { seq: 0, hash: GENESIS_HASH, at: '' };
  }

  /** Events of a stream with seq < before (or the newest), descending, at most `limit`: a timeline page. */
  readBefore(stream: StreamName, before: number | undefined, limit: number): LodestoneEvent[] {
    return this.readBackQuery.all({ stream, before: before ?? Number.MAX_SAFE_INTEGER, limit }).map(toEvent);
  }

  /** Events of a stream with seq > after, ascending, at most `limit`. */
  read(stream: StreamName, after: number, limit: number): LodestoneEvent[] {
    return this.readJson(stream, after, limit).map((text) => JSON.parse(text) as LodestoneEvent);
  }

  /** The same events as the API's JSON text. */
  readJson(stream: StreamName, after: number, limit: number): string[] {
    return this.readJsonQuery.all(stream, after, limit) as string[];
  }

  /** The same events' JSON as UTF-8 bytes, one Buffer each. */
  readBytes(stream: StreamName, after: number, limit: number): Buffer[] {
    return this.readBytesQuery.all(stream, after, limit) as Buffer[];
  }

  /**
   * Events of a stream, newest first, with seq < `before`, of one type and/or involving one user
   * (its actor, or the user it is about: `data.id` of user events, `data.userId` of token
   * events), as UTF-8 bytes of their stored JSON.
   */
  searchBytes(stream: StreamName, filter: { type?: EventType; involving?: string; before?: number; limit: number }): Buffer[] {
    const where = ['stream = @stream', 'seq < @before'];
    if (filter.type) where.push('type = @type');
    if (filter.involving) where.push("(actor_id = @involving OR json_extract(data, '$.id') = @involving OR json_extract(data, '$.userId') = @involving)");
    const key = where.join(' AND ');
    let query = this.searchQueries.get(key);
    if (!query) {
      query = this.handle.sqlite.prepare(`SELECT CAST(${EVENT_JSON} AS BLOB) FROM events WHERE ${key} ORDER BY seq DESC LIMIT @limit`).pluck();
      this.searchQueries.set(key, query);
    }
    const params = { stream, before: filter.before ?? Number.MAX_SAFE_INTEGER, limit: filter.limit, ...(filter.type ? { type: filter.type } : {}), ...(filter.involving ? { involving: filter.involving } : {}) };
    return query.all(params) as Buffer[];
  }

  /** A page of GET /events, `{"events":[…],"head":N}`, as UTF-8 bytes assembled from the stored JSON. */
  pageBytes(stream: StreamName, after: number, limit: number): Buffer {
    return spliceEvents('{"events":[', this.readBytes(stream, after, limit), `],"head":${this.head(stream)}}`);
  }

  /** Re-computes every stream's chain from the stored rows and names the first event that fails. */
  verify(): AuditReport {
    const { sqlite } = this.handle;
    const names = sqlite
      .prepare('SELECT name FROM streams UNION SELECT DISTINCT stream FROM events ORDER BY 1')
      .pluck()
      .all() as string[];
    const rows = sqlite.prepare(
      'SELECT stream, seq, type, at, actor_id AS actorId, actor, data, prev_hash AS prevHash, hash, json FROM events WHERE stream = ? ORDER BY seq',
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
        // What clients are sent (the json column) must be exactly the chained event.
        const sentMatches = row.json === null || row.json === eventJson(event, row.data);
        if (row.seq !== expected || row.prevHash !== prevHash || !actorMatches || !sentMatches || sha256Hex(chainInput(event)) !== row.hash) {
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

  /** @internal used by append(), inside the caller's transaction (the same connection). */
  writeEvent(event: LodestoneEvent, data: string): void {
    const json = eventJson(event, data);
    this.texts.set(event, json);
    this.insertEvent.run({
      json,
      stream: event.stream,
      seq: event.seq,
      type: event.type,
      at: event.at,
      actorId: event.actor?.id ?? null,
      actor: event.actor === null ? null : JSON.stringify(event.actor),
      data,
      prevHash: event.prevHash,
      hash: event.hash,
    });
    this.moveHead.run({ stream: event.stream, seq: event.seq, hash: event.hash, at: event.at });
  }
}

/**
 * Appends an event to `stream` inside the caller's transaction: takes the next seq, chains
 * the hash to the stream's head, and queues the event to be published after commit.
 *
 * `at` never runs backwards along a stream. A clock that reads earlier than the stream's last
 * event (another node's clock, a system clock stepped back) stamps the event with that last
 * time instead; a time set explicitly (ctx.at) that is earlier is refused (BackdatedAppend),
 * which rolls the whole transaction back.
 */
export function append<D>(tx: Tx, stream: StreamName, type: EventType, actor: Actor | null, data: D): LodestoneEvent<D> {
  const head = tx.log.headOf(stream);
  // ISO 8601 UTC times of one length sort as text.
  if (tx.at < head.at && tx.explicit) throw new BackdatedAppend(stream, tx.at, head.at);
  const at = tx.at < head.at ? head.at : tx.at;
  // Round-trip through JSON so the hash covers exactly what is stored and later re-read.
  const text = JSON.stringify(data);
  const stored = JSON.parse(text) as D;
  const partial = { stream, seq: head.seq + 1, type, at, actor, data: stored, prevHash: head.hash };
  const event: LodestoneEvent<D> = { ...partial, hash: sha256Hex(chainInput(partial)) };
  tx.log.writeEvent(event, text);
  tx.pending.push(event);
  return event;
}
