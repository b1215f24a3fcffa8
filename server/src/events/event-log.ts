import { createHash } from 'node:crypto';
import {
  GENESIS_HASH,
  chainInput,
  type Actor,
  type EventType,
  type LodestoneEvent,
  type StreamName,
} from '@lodestone/shared';
import type { Db, EventRow, Head, Store, Tables } from '../store/store.ts';

/** A write transaction: the drizzle handle to write (and read what it depends on) with, and the events it appended so far. */
export interface Tx {
  readonly db: Db;
  /** The tables of the store's dialect. */
  readonly t: Tables;
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
  work: (tx: Tx) => Promise<unknown>;
  /** A time fixed when the change was asked for (ctx.at), instead of the batch's. */
  at: string | null;
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

const COMMA = Buffer.from(',');

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
export function eventJson(event: LodestoneEvent, data: string): string {
  const actor = event.actor === null ? 'null' : JSON.stringify(event.actor);
  return `{"stream":${JSON.stringify(event.stream)},"seq":${event.seq},"type":${JSON.stringify(event.type)},"at":${JSON.stringify(event.at)},"actor":${actor},"data":${data},"prevHash":"${event.prevHash}","hash":"${event.hash}"}`;
}

/** An event as the API carries it, from its stored row. */
export function toEvent(row: EventRow): LodestoneEvent {
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
  private flushing = false;

  /**
   * `clock` gives the time of each transaction; `explicit` says whether that time was set on
   * purpose by the caller (then a time earlier than a stream's last event is refused, not raised).
   */
  constructor(
    readonly store: Store,
    private readonly clock: () => Date,
    private readonly explicit: () => boolean = () => false,
  ) {}

  /**
   * Group commit: changes that arrive in the same tick (and, while a batch commits, those that
   * arrive meanwhile) run in one write transaction, each in its own savepoint when there are
   * several (a change that throws rolls back alone and rejects alone), and share one COMMIT, one fsync. Every promise
   * resolves only after that COMMIT; events are published in order after it. With
   * synchronous=FULL the fsync is most of a change's cost. A change awaits only the database
   * inside its transaction: whatever else it needs (hashing a password) it does before.
   */
  enqueue<T>(work: (tx: Tx) => Promise<T> | T): Promise<T> {
    // A time set on purpose (ctx.at) is the one the change was asked for, whenever its batch runs.
    const at = this.explicit() ? this.clock().toISOString() : null;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: async (tx) => work(tx), at, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.flushing = true;
    const at = this.clock().toISOString();
    const outcomes: { tx: Tx; ok: boolean; value: unknown }[] = [];
    // A change alone in its batch needs no savepoint: if it fails, the whole transaction rolls back.
    const alone = batch.length === 1;
    try {
      await this.store.writeBatch(async (db, savepoint) => {
        for (const job of batch) {
          const tx: Tx = { db, t: this.store.t, at: job.at ?? at, explicit: job.at !== null, pending: [], log: this };
          if (alone) {
            outcomes.push({ tx, ok: true, value: await job.work(tx) });
            continue;
          }
          try {
            outcomes.push({ tx, ok: true, value: await savepoint(() => job.work(tx)) });
          } catch (error) {
            outcomes.push({ tx, ok: false, value: error });
          }
        }
      });
    } catch (error) {
      for (const job of batch) job.reject(error);
      this.next();
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
    this.next();
  }

  private next(): void {
    this.flushing = false;
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else for (const idle of this.idle.splice(0)) idle();
  }

  private readonly idle: (() => void)[] = [];

  /** Resolves once every change asked for so far has committed or failed (before the store closes). */
  drain(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
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
  async head(stream: StreamName): Promise<number> {
    return (await this.store.head(stream)).seq;
  }

  /** The last seq, hash and time of a stream (`at` is '' before its first event); `db` a transaction's. */
  headOf(stream: StreamName, db?: Db): Promise<Head> {
    return this.store.head(stream, db);
  }

  /** Events of a stream with seq < before (or the newest), descending, at most `limit`: a timeline page. */
  async readBefore(stream: StreamName, before: number | undefined, limit: number): Promise<LodestoneEvent[]> {
    return (await this.store.readBefore(stream, before ?? Number.MAX_SAFE_INTEGER, limit)).map(toEvent);
  }

  /** Events of a stream with seq > after, ascending, at most `limit`. */
  async read(stream: StreamName, after: number, limit: number): Promise<LodestoneEvent[]> {
    return (await this.readJson(stream, after, limit)).map((text) => JSON.parse(text) as LodestoneEvent);
  }

  /** The same events as the API's JSON text (at most up to seq `upTo`). */
  readJson(stream: StreamName, after: number, limit: number, upTo?: number): Promise<string[]> {
    return this.store.readJson(stream, after, limit, upTo);
  }

  /** The same events' JSON as UTF-8 bytes, one Buffer each. */
  readBytes(stream: StreamName, after: number, limit: number, upTo?: number): Promise<Buffer[]> {
    return this.store.readBytes(stream, after, limit, upTo);
  }

  /**
   * Events of a stream, newest first, with seq < `before`, of one type and/or involving one user
   * (its actor, or the user it is about: `data.id` of user events, `data.userId` of token
   * events), as UTF-8 bytes of their stored JSON.
   */
  searchBytes(stream: StreamName, filter: { type?: EventType; involving?: string; before?: number; limit: number }): Promise<Buffer[]> {
    return this.store.searchBytes(stream, filter);
  }

  /** A page of GET /events, `{"events":[…],"head":N}`, as UTF-8 bytes assembled from the stored JSON. */
  async pageBytes(stream: StreamName, after: number, limit: number): Promise<Buffer> {
    // The head first: the page never ends past it, and `head` is never behind the page.
    const head = await this.head(stream);
    return spliceEvents('{"events":[', await this.readBytes(stream, after, limit, head), `],"head":${head}}`);
  }

  /** Re-computes every stream's chain from the stored rows and names the first event that fails. */
  async verify(): Promise<AuditReport> {
    const names = await this.store.streamNames();
    let count = 0;
    for (const name of names) {
      let prevHash = GENESIS_HASH;
      let expected = 1;
      for await (const row of this.store.eventRows(name)) {
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
      const head = await this.headOf(name as StreamName);
      if (head.seq !== expected - 1 || head.hash !== prevHash) {
        return { ok: false, streams: names.length, events: count, firstBadEvent: { stream: name, seq: Math.max(head.seq, expected - 1) } };
      }
    }
    return { ok: true, streams: names.length, events: count };
  }

  /** @internal used by append(), inside the caller's transaction. */
  async writeEvent(db: Db, event: LodestoneEvent, data: string): Promise<void> {
    const json = eventJson(event, data);
    this.texts.set(event, json);
    await this.store.insertEvent(db, {
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
export async function append<D>(tx: Tx, stream: StreamName, type: EventType, actor: Actor | null, data: D): Promise<LodestoneEvent<D>> {
  // The transaction's own appends to this stream are not read back: the last one is the head.
  const own = tx.pending.findLast((e) => e.stream === stream);
  const head = own ? { seq: own.seq, hash: own.hash, at: own.at } : await tx.log.headOf(stream, tx.db);
  // ISO 8601 UTC times of one length sort as text.
  if (tx.at < head.at && tx.explicit) throw new BackdatedAppend(stream, tx.at, head.at);
  const at = tx.at < head.at ? head.at : tx.at;
  // Round-trip through JSON so the hash covers exactly what is stored and later re-read.
  const text = JSON.stringify(data);
  const stored = JSON.parse(text) as D;
  const partial = { stream, seq: head.seq + 1, type, at, actor, data: stored, prevHash: head.hash };
  const event: LodestoneEvent<D> = { ...partial, hash: sha256Hex(chainInput(partial)) };
  await tx.log.writeEvent(tx.db, event, text);
  tx.pending.push(event);
  return event;
}
