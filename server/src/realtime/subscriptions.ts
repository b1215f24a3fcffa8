import { SUBSCRIBE_ACK_LIMIT, SubscribeRequest, UnsubscribeRequest, type StreamName, type SubscribeAck } from '@lodestone/shared';
import type { StreamAccess } from '../auth/stream-access.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Feeds } from './feed.ts';
import type { FrameAcks } from './ack-frame.ts';
import type { Budget } from './budgets.ts';
import type { Presence } from './presence.ts';
import { RawJson } from './raw-json-parser.ts';
import { unsentBytes } from './socket-buffer.ts';
import type { LodestoneSocket } from './types.ts';

export interface SubscriptionDeps {
  log: EventLog;
  feeds: Feeds;
  streamAccess: StreamAccess;
  presence: Presence;
  frameAcks: FrameAcks;
  /** A socket with more unsent bytes than this gets no catch-up until it has read them. */
  socketBufferBytes: number;
}

const TOO_MANY = 'Too many subscriptions: try again shortly';
const TOO_MUCH_CATCH_UP = 'Too many events to catch up on: try again shortly';

/**
 * The subscribe / catch-up protocol of one socket: `subscribe` checks read access, joins the
 * stream's room and acks the events after `after` (500 at most, `more` when others remain);
 * `unsubscribe` leaves it.
 */
export function serveSubscriptions(socket: LodestoneSocket, budget: Budget, deps: SubscriptionDeps): void {
  const { log, feeds, streamAccess, presence, frameAcks, socketBufferBytes } = deps;
  frameAcks.track(socket);
  let turn: Promise<unknown> = Promise.resolve();

  socket.on('subscribe', (raw, ack) => {
    if (typeof ack !== 'function') return;
    const retryAfter = budget.subscribe();
    if (retryAfter > 0) return ack(tooMany(TOO_MANY, retryAfter));
    const frameId = frameAcks.idOf(socket, ack);
    // One at a time per socket, in the order asked: each catch-up sees what the ones before it
    // left unread in the socket's buffer.
    const answered = turn.then(() => subscribe(raw, frameId));
    turn = answered.catch(() => undefined);
    answered.then(
      // The events of an ack are spliced from their stored JSON (the wire format is unchanged);
      // with a frame id, the ack with events has gone already, as one pre-encoded frame.
      (answer) => {
        if (answer !== SENT) ack(answer as unknown as SubscribeAck);
      },
      () => ack({ ok: false, error: { status: 503, title: 'The database did not answer: try again shortly', retryAfter: 1 } } as SubscribeAck),
    );
  });

  socket.on('unsubscribe', (raw) => {
    const parsed = UnsubscribeRequest.safeParse(raw);
    if (!parsed.success) return;
    void socket.leave(parsed.data.stream);
    presence.left(parsed.data.stream, socket);
  });

  /**
   * The catch-up is read up to what this node has delivered of the stream, and the socket joins
   * the room in the same step of the stream's feed: every later event reaches it from the room,
   * none twice.
   */
  async function subscribe(raw: unknown, frameId: number | undefined): Promise<SubscribeAck | RawJson | typeof SENT> {
    const parsed = SubscribeRequest.safeParse(raw);
    if (!parsed.success) return { ok: false, error: { status: 400, title: 'Invalid subscription: give {stream, after?}' } };
    const { stream, after } = parsed.data;
    const decision = await streamAccess.check(socket.data.user, stream);
    if (!decision.ok) return { ok: false, error: { status: decision.status, title: decision.title } };
    if (!socket.connected) return SENT;
    return feeds.subscribe(stream, after ?? 0, async (head) => {
      const missed = after !== undefined && after < head;
      if (missed) {
        // Catch-up is what an amplification attack asks for: bounded per credential, and not
        // piled on a socket that has not read what it was sent.
        const wait = unsentBytes(socket) > socketBufferBytes ? 1 : budget.catchUpWait();
        if (wait > 0) return tooMany(TOO_MUCH_CATCH_UP, wait);
      }
      if (missed && frameId !== undefined) {
        const rows = await log.readBytes(stream, after, SUBSCRIBE_ACK_LIMIT + 1, head);
        join(stream, parsed.data.presence);
        budget.spendCatchUp(rows.slice(0, SUBSCRIBE_ACK_LIMIT).reduce((sum, row) => sum + row.length, 0));
        frameAcks.send(socket, frameId, rows.slice(0, SUBSCRIBE_ACK_LIMIT), head, rows.length > SUBSCRIBE_ACK_LIMIT);
        return SENT;
      }
      const events = missed ? await log.readJson(stream, after, SUBSCRIBE_ACK_LIMIT + 1, head) : [];
      join(stream, parsed.data.presence);
      const more = events.length > SUBSCRIBE_ACK_LIMIT;
      budget.spendCatchUp(events.slice(0, SUBSCRIBE_ACK_LIMIT).reduce((sum, text) => sum + Buffer.byteLength(text), 0));
      return new RawJson(`{"ok":true,"events":[${events.slice(0, SUBSCRIBE_ACK_LIMIT).join(',')}],"head":${head},"more":${more}}`);
    });
  }

  /** Joins the room (synchronously, with the ack): what is broadcast from now on reaches this socket. */
  function join(stream: StreamName, mode: 'list' | 'changes' | undefined): void {
    if (!socket.connected) return;
    void socket.join(stream);
    presence.joined(stream, socket, mode ?? 'list');
  }
}

function tooMany(title: string, retryAfter: number): SubscribeAck {
  return { ok: false, error: { status: 429, title, retryAfter } };
}

/** What `subscribe` answers when it has sent the ack itself. */
const SENT = Symbol('sent');
