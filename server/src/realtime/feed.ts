import type { StreamName } from '@lodestone/shared';
import type { EventLog } from '../events/event-log.ts';

/** An event as it reaches a node: its seq, and its JSON text when it came with it. */
export interface Offered {
  seq: number;
  text?: string;
}

/** Broadcasts one event's JSON text to this node's sockets in the stream's room. */
export type Broadcast = (stream: StreamName, text: string) => void;

/** Events read per page when this node catches up on a stream. */
const PAGE = 500;

class StreamFeed {
  /** The last seq broadcast to this node's sockets of the stream. */
  delivered = 0;
  /** Work waiting or running; while any, offers queue behind it to keep the order. */
  busy = 0;
  chain: Promise<void> = Promise.resolve();
}

/**
 * What makes delivery exactly once and in order, per node and stream, whatever way an event
 * arrives: committed on this node, announced by another node through the adapter (with its
 * text, or without when too large), or found by the poll that backs the adapter up (it loses
 * what is published while it re-LISTENs). Each stream this node's sockets follow has a
 * watermark, the last seq broadcast here; an event at the watermark + 1 goes out at once, one
 * already sent is dropped, one past a gap waits while the gap is read from the database.
 * Subscribing runs in the same order: the catch-up is read up to the watermark and the socket
 * joins the room in the same step, so it gets every later event from the room, and none twice.
 */
export class Feeds {
  private readonly feeds = new Map<StreamName, StreamFeed>();

  constructor(
    private readonly log: EventLog,
    private readonly broadcast: Broadcast,
    private readonly onError: (error: unknown, stream: StreamName) => void,
  ) {}

  /** Events of a stream, in seq order, that committed here or elsewhere. */
  offer(stream: StreamName, events: readonly Offered[]): void {
    const feed = this.feeds.get(stream);
    // No socket here follows the stream: nothing to deliver (a subscriber reads its catch-up).
    if (!feed || events.length === 0) return;
    if (feed.busy === 0) {
      // The usual case, synchronous: the next events, in order, with their text.
      let i = 0;
      for (; i < events.length; i++) {
        const event = events[i] as Offered;
        if (event.seq <= feed.delivered) continue;
        if (event.seq !== feed.delivered + 1 || event.text === undefined) break;
        this.broadcast(stream, event.text);
        feed.delivered = event.seq;
      }
      if (i === events.length) return;
      events = events.slice(i);
    }
    const last = events[events.length - 1]?.seq ?? 0;
    this.run(stream, feed, async () => {
      if (last > feed.delivered) await this.fill(stream, feed, last);
    });
  }

  /**
   * Runs `join` in this stream's order, once this node has delivered every event up to at least
   * `atLeast` (a client that saw more elsewhere): `join(delivered)` reads the catch-up up to that
   * seq and joins the room before anything else is broadcast.
   */
  subscribe<T>(stream: StreamName, atLeast: number, join: (delivered: number) => Promise<T> | T): Promise<T> {
    let feed = this.feeds.get(stream);
    const created = !feed;
    if (!feed) {
      feed = new StreamFeed();
      this.feeds.set(stream, feed);
    }
    const current = feed;
    return new Promise<T>((resolve, reject) => {
      this.run(stream, current, async () => {
        try {
          // The first subscriber here: every event up to the head is in its catch-up.
          if (created) current.delivered = await this.log.head(stream);
          else if (atLeast > current.delivered) await this.fill(stream, current, atLeast);
          resolve(await join(current.delivered));
        } catch (error) {
          if (created && current.busy <= 1) this.feeds.delete(stream);
          reject(error as Error);
        }
      });
    });
  }

  /** Streams this node delivers, with their watermarks (for the poll). */
  watermarks(): Map<StreamName, number> {
    return new Map([...this.feeds].map(([stream, feed]) => [stream, feed.delivered]));
  }

  /** Stops delivering a stream no socket here follows any more. */
  forget(stream: StreamName): void {
    const feed = this.feeds.get(stream);
    if (feed && feed.busy === 0) this.feeds.delete(stream);
  }

  /** Catches up with what the database holds: `heads` from one query for every stream delivered here. */
  caughtUp(heads: Map<string, number>): void {
    for (const [stream, feed] of this.feeds) {
      const head = heads.get(stream) ?? 0;
      if (head > feed.delivered) this.run(stream, feed, () => this.fill(stream, feed, head));
    }
  }

  private run(stream: StreamName, feed: StreamFeed, work: () => Promise<void>): void {
    feed.busy++;
    feed.chain = feed.chain
      .then(work)
      .catch((error: unknown) => this.onError(error, stream))
      .finally(() => {
        feed.busy--;
      });
  }

  /** Reads and broadcasts what this node has not delivered, up to `upTo`. */
  private async fill(stream: StreamName, feed: StreamFeed, upTo: number): Promise<void> {
    while (feed.delivered < upTo) {
      const texts = await this.log.readJson(stream, feed.delivered, PAGE, upTo);
      if (texts.length === 0) return;
      for (const text of texts) {
        feed.delivered++;
        this.broadcast(stream, text);
      }
    }
  }
}
