import { z } from 'zod';
import type { Actor, Person } from './users.ts';
import { canonicalize } from './jcs.ts';
import { ListLimit } from './common.ts';

export const EventTypes = [
  'alert.posted',
  'alert.acknowledged',
  'alert.escalated',
  'alert.dismissed',
  'incident.created',
  'incident.updated',
  'member.added',
  'member.removed',
  'alert.linked',
  'message.posted',
  'decision.recorded',
  'action.created',
  'action.updated',
  'user.created',
  'user.updated',
  'token.created',
  'token.revoked',
] as const;
export type EventType = (typeof EventTypes)[number];

/** `alerts`, `admin`, or `incident:<id>`. */
export type StreamName = 'alerts' | 'admin' | `incident:${string}`;
export const StreamName = z
  .string()
  .regex(/^(alerts|admin|incident:[0-9A-Za-z_-]{1,64})$/, 'is not a stream name (alerts, admin or incident:<id>)')
  .transform((s) => s as StreamName);

export function incidentStream(incidentId: string): StreamName {
  return `incident:${incidentId}`;
}

/** One entry of the append-only, hash-chained event log. */
export interface LodestoneEvent<D = unknown> {
  stream: StreamName;
  seq: number;
  type: EventType;
  at: string;
  actor: Actor | null;
  data: D;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
export const CHAIN_ALGORITHM = 'sha256-jcs';

/** The exact string whose SHA-256 is an event's hash: prevHash + JCS({stream, seq, type, at, actorId, data}). */
export function chainInput(event: Pick<LodestoneEvent, 'stream' | 'seq' | 'type' | 'at' | 'actor' | 'data' | 'prevHash'>): string {
  const body = {
    stream: event.stream,
    seq: event.seq,
    type: event.type,
    at: event.at,
    actorId: event.actor ? event.actor.id : null,
    data: event.data,
  };
  return event.prevHash + canonicalize(body);
}

export interface ChainCheck {
  ok: boolean;
  events: number;
  firstBadEvent?: { stream: string; seq: number; reason: string };
}

/**
 * Re-verifies one stream's events in seq order with the given SHA-256 (hex) function:
 * seqs must run 1, 2, 3…, each prevHash must be the previous hash, each hash must recompute.
 */
export function verifyStreamEvents(events: readonly LodestoneEvent[], sha256Hex: (input: string) => string): ChainCheck {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const event of events) {
    const bad = (reason: string): ChainCheck => ({
      ok: false,
      events: events.length,
      firstBadEvent: { stream: event.stream, seq: event.seq, reason },
    });
    if (event.seq !== expectedSeq) return bad(`expected seq ${expectedSeq}`);
    if (event.prevHash !== prevHash) return bad('prevHash does not match the previous event');
    if (sha256Hex(chainInput(event)) !== event.hash) return bad('hash does not recompute');
    prevHash = event.hash;
    expectedSeq++;
  }
  return { ok: true, events: events.length };
}

export const SubscribeRequest = z.object({
  stream: StreamName,
  /** null reads as absent: subscribe from the head. */
  after: z
    .number()
    .int()
    .min(0)
    .nullish()
    .transform((v) => v ?? undefined),
  /**
   * How an incident stream's presence reaches this socket: 'list' (the default), the whole list
   * in `presence` whenever it changes; 'changes', the list once in `presence`, then each change
   * in `presenceChanged`, which costs the room in proportion to the change. Any other value reads
   * as 'list'.
   */
  presence: z.enum(['list', 'changes']).optional().catch(undefined),
});
export type SubscribeRequest = z.input<typeof SubscribeRequest>;

export const UnsubscribeRequest = z.object({ stream: StreamName });
export type UnsubscribeRequest = z.input<typeof UnsubscribeRequest>;

/** Most events a subscribe ack carries; the rest come from GET /events. */
export const SUBSCRIBE_ACK_LIMIT = 500;

export type SubscribeAck =
  | { ok: true; events: LodestoneEvent[]; head: number; more: boolean }
  /** `retryAfter` (seconds) comes with a 429: too many subscribes or catch-up for this session or token, or unread output on this socket. */
  | { ok: false; error: { status: number; title: string; retryAfter?: number } };

export interface PresenceUpdate {
  stream: StreamName;
  /** `role` (added with issue 14) is shown beside each name. */
  users: Person[];
}

/** Who came into an incident room and who left it (by user id), for sockets that subscribed with `presence: 'changes'`. */
export interface PresenceChange {
  stream: StreamName;
  joined: Person[];
  left: string[];
}

export interface ServerToClientEvents {
  event: (event: LodestoneEvent) => void;
  presence: (update: PresenceUpdate) => void;
  /** A change of presence, to sockets that subscribed with `presence: 'changes'`. */
  presenceChanged: (change: PresenceChange) => void;
  /**
   * Something about an incident the user may read changed (opened, updated, membership):
   * lists of incidents refresh on it without following every incident's stream.
   */
  incidentChanged: (notice: { incidentId: string; type: EventType }) => void;
  /** An action item the user owns (or owned until this change) was created or changed. */
  actionChanged: (notice: { actionId: string; incidentId: string }) => void;
  /** The server ended a subscription: the user may no longer read the stream. */
  unsubscribed: (notice: { stream: StreamName; reason: 'access' }) => void;
  /** Sent just before the server closes the sockets of a session, when the user should be told why. */
  sessionEnded: (notice: { reason: 'disabled' | 'password-change-required' }) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  unsubscribe: (request: UnsubscribeRequest) => void;
}

export interface EventPage {
  events: LodestoneEvent[];
  head: number;
}

export const EventsQuery = z.object({
  stream: StreamName,
  after: z.coerce.number().int().min(0).default(0),
  limit: ListLimit,
});
