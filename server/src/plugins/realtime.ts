import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Server, type Socket } from 'socket.io';
import {
  SUBSCRIBE_ACK_LIMIT,
  SubscribeRequest,
  UnsubscribeRequest,
  type ClientToServerEvents,
  type LodestoneEvent,
  type PresenceUpdate,
  type ServerToClientEvents,
  type StreamName,
  type SubscribeAck,
} from '@lodestone/shared';
import type { AuthUser } from '../auth/policy.ts';
import type { Revocation } from '../signals.ts';
import { toAuthUser } from '../features/users/users.service.ts';
import { SESSION_COOKIE } from './auth.ts';
import { RawJson, rawJsonParser } from './raw-json-parser.ts';
import { ackIdOf, rememberAckIds, sendEventsAck } from './ack-frame.ts';
import { problems } from '../http/problem.ts';

/** What `subscribe` answers when it has sent the ack itself. */
const SENT = Symbol('sent');

export interface SocketData {
  user: AuthUser;
  sessionId?: string;
  tokenId?: string;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LodestoneSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

declare module 'fastify' {
  interface FastifyInstance {
    io: RealtimeServer;
  }
}

/** How often sockets of expired sessions are looked for (sign-out and disabling act at once). */
const SESSION_SWEEP_MS = 2_000;

/**
 * What one socket may send. A subscribe can read 500 events, so subscribes draw on a bucket of
 * `subscribeBurst` refilled at `subscribesPerSecond`; past it the ack is a 429 with `retryAfter`
 * (seconds). A socket sending more than `packetsPerSecond` packets of any kind is cut off; a
 * session or token cut off `cutOffsToBlock` times within a minute is refused at the handshake
 * ('too many requests', with `data.retryAfter`) for `blockMs`, so reconnecting does not buy a
 * flooder a fresh budget, while one slip of one tab does not lock out the others.
 */
export interface SocketLimits {
  subscribeBurst: number;
  subscribesPerSecond: number;
  packetsPerSecond: number;
  cutOffsToBlock: number;
  blockMs: number;
}

export const SOCKET_LIMITS: SocketLimits = { subscribeBurst: 20, subscribesPerSecond: 10, packetsPerSecond: 200, cutOffsToBlock: 3, blockMs: 10_000 };

/**
 * A connection's budgets: a token bucket for subscribes, a one-second window for packets. Times
 * are `performance.now()`, which never steps back as the wall clock can.
 */
class SocketBudget {
  private windowStart = 0;
  private packets = 0;
  private tokens: number;
  private refilledAt = 0;

  constructor(private readonly limits: SocketLimits) {
    this.tokens = limits.subscribeBurst;
  }

  /** Counts a packet; false when the socket has sent too many this second. */
  packet(now = performance.now()): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.packets = 0;
    }
    return ++this.packets <= this.limits.packetsPerSecond;
  }

  /** Takes a subscribe from the bucket: 0 when allowed, else the seconds until one is. */
  subscribe(now = performance.now()): number {
    const { subscribeBurst, subscribesPerSecond } = this.limits;
    this.tokens = Math.min(subscribeBurst, this.tokens + ((now - this.refilledAt) / 1000) * subscribesPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / subscribesPerSecond));
  }
}

/** Cut-offs per session or token, and the ones refused at the handshake for a while. */
class CutOffs {
  private readonly recent = new Map<string, number[]>();
  private readonly blocked = new Map<string, number>();

  constructor(private readonly limits: SocketLimits) {}

  record(credential: string, now = performance.now()): void {
    const times = (this.recent.get(credential) ?? []).filter((t) => t > now - 60_000);
    times.push(now);
    this.recent.set(credential, times);
    if (times.length >= this.limits.cutOffsToBlock) this.blocked.set(credential, now + this.limits.blockMs);
  }

  /** Seconds this credential must still wait before a new socket, or 0. */
  wait(credential: string, now = performance.now()): number {
    const until = this.blocked.get(credential);
    if (until === undefined || until <= now) return 0;
    return Math.ceil((until - now) / 1000);
  }

  sweep(now = performance.now()): void {
    for (const [credential, until] of this.blocked) if (until <= now) this.blocked.delete(credential);
    for (const [credential, times] of this.recent) if ((times.at(-1) ?? 0) <= now - 60_000) this.recent.delete(credential);
  }
}

/**
 * Socket.IO on Fastify's HTTP server: authenticates the handshake, runs the subscribe /
 * catch-up protocol, keeps presence for incident rooms, and publishes committed events.
 */
export const realtimePlugin = fp(async (app: FastifyInstance, options: { limits?: Partial<SocketLimits> }) => {
  const limits: SocketLimits = { ...SOCKET_LIMITS, ...options.limits };
  const { log, sessions, tokens, users, streamAccess, signals, origins } = app.lodestone;
  const io: RealtimeServer = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    cors: undefined,
    parser: rawJsonParser,
  });
  app.decorate('io', io);

  const cutOffs = new CutOffs(limits);
  const credentialOf = (data: Partial<SocketData>): string => data.tokenId ?? data.sessionId ?? '';

  io.use((socket, next) => {
    const origin = socket.handshake.headers.origin;
    if (origin !== undefined && !origins.allows(origin)) return next(new Error('forbidden origin'));
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    if (typeof auth?.token === 'string') {
      const found = tokens.resolve(auth.token);
      if (!found) return next(new Error('unauthorized'));
      socket.data = { user: found.user, tokenId: found.tokenId };
      return next(throttled(socket.data));
    }
    const cookies = app.parseCookie(socket.handshake.headers.cookie ?? '');
    const secret = cookies[SESSION_COOKIE];
    const found = secret ? sessions.resolve(secret) : null;
    if (!found) return next(new Error('unauthorized'));
    socket.data = { user: found.user, sessionId: found.sessionId };
    next(throttled(socket.data));
  });

  // An account that must choose a new password gets no socket until it has (as no other route).
  io.use((socket, next) => {
    if (!socket.data.user?.mustChangePassword) return next();
    const problem = problems.passwordChangeRequired();
    next(Object.assign(new Error('password change required'), { data: { status: problem.status, type: problem.type, title: problem.title } }));
  });

  /** The refusal of a handshake whose session or token was cut off too often a moment ago. */
  function throttled(data: Partial<SocketData>): Error | undefined {
    const retryAfter = cutOffs.wait(credentialOf(data));
    if (retryAfter === 0) return undefined;
    return Object.assign(new Error('too many requests'), { data: { retryAfter } });
  }

  const presence = new Presence(io);

  /**
   * The budgets of a socket's Engine.IO connection, counted on every message packet the
   * connection reads (events, acks, namespace connects alike): leaving the namespace and joining
   * it again on the same connection does not reset them.
   */
  const budgets = new WeakMap<object, { budget: SocketBudget; socket: LodestoneSocket }>();
  function budgetOf(socket: LodestoneSocket): SocketBudget {
    const conn = socket.conn;
    const known = budgets.get(conn);
    if (known) {
      known.socket = socket;
      return known.budget;
    }
    const entry = { budget: new SocketBudget(limits), socket };
    budgets.set(conn, entry);
    conn.on('packet', (packet: { type: string }) => {
      if (packet.type !== 'message' || entry.budget.packet()) return;
      // Packets already read from the wire still arrive after the cut-off: count the cut-off once.
      if (conn.readyState !== 'open') return;
      app.log.warn({ user: entry.socket.data.user?.id }, 'socket sent too many packets: disconnected');
      cutOffs.record(credentialOf(entry.socket.data));
      if (entry.socket.connected) entry.socket.disconnect(true);
      else conn.close();
    });
    return entry.budget;
  }

  io.on('connection', (socket: LodestoneSocket) => {
    const budget = budgetOf(socket);
    rememberAckIds(socket);
    socket.on('subscribe', (raw, ack) => {
      if (typeof ack !== 'function') return;
      const retryAfter = budget.subscribe();
      if (retryAfter > 0) return ack({ ok: false, error: { status: 429, title: 'Too many subscriptions: try again shortly', retryAfter } });
      const answer = subscribe(socket, raw, ackIdOf(socket, ack));
      // The events of an ack are spliced from their stored JSON (the wire format is unchanged);
      // on a WebSocket the ack with events has gone already, as one pre-encoded frame.
      if (answer !== SENT) ack(answer as unknown as SubscribeAck);
    });
    socket.on('unsubscribe', (raw) => {
      const parsed = UnsubscribeRequest.safeParse(raw);
      if (!parsed.success) return;
      void socket.leave(parsed.data.stream);
      presence.changed(parsed.data.stream);
    });
    socket.on('disconnecting', () => {
      const rooms = [...socket.rooms].filter((r) => r !== socket.id);
      socket.once('disconnect', () => rooms.forEach((room) => presence.changed(room as StreamName)));
    });
  });

  /**
   * Everything here is synchronous: no event can be published between the read and the join.
   * With `ackId` (a WebSocket that takes pre-encoded frames), an ack with events is sent here.
   */
  function subscribe(socket: LodestoneSocket, raw: unknown, ackId?: number): SubscribeAck | RawJson | typeof SENT {
    const parsed = SubscribeRequest.safeParse(raw);
    if (!parsed.success) return { ok: false, error: { status: 400, title: 'Invalid subscription: give {stream, after?}' } };
    const { stream, after } = parsed.data;
    const decision = streamAccess.check(socket.data.user, stream);
    if (!decision.ok) return { ok: false, error: { status: decision.status, title: decision.title } };
    const head = log.head(stream);
    const missed = after !== undefined && after < head;
    void socket.join(stream);
    presence.changed(stream, socket);
    if (missed && ackId !== undefined) {
      const rows = log.readBytes(stream, after, SUBSCRIBE_ACK_LIMIT + 1);
      sendEventsAck(socket, ackId, rows.slice(0, SUBSCRIBE_ACK_LIMIT), head, rows.length > SUBSCRIBE_ACK_LIMIT);
      return SENT;
    }
    const events = missed ? log.readJson(stream, after, SUBSCRIBE_ACK_LIMIT + 1) : [];
    const more = events.length > SUBSCRIBE_ACK_LIMIT;
    return new RawJson(`{"ok":true,"events":[${events.slice(0, SUBSCRIBE_ACK_LIMIT).join(',')}],"head":${head},"more":${more}}`);
  }

  const LIST_CHANGES = new Set(['incident.created', 'incident.updated', 'member.added', 'member.removed']);
  const unpublish = log.onPublish((committed) => {
    for (const event of committed) {
      // Serialized once per event (stored at append), whatever the number of subscribers.
      io.to(event.stream).emit('event', new RawJson(log.jsonOf(event)) as unknown as LodestoneEvent);
      if (LIST_CHANGES.has(event.type)) noticeIncidentChange(event);
      if (event.type === 'action.created' || event.type === 'action.updated') noticeActionOwners(event);
    }
  });

  /** Tells the owner of an action item (and its previous owner) that their list of actions changed. */
  function noticeActionOwners(event: LodestoneEvent): void {
    const data = event.data as { id: string; incidentId: string; ownerId: string | null; previous?: { ownerId?: string | null } };
    const owners = new Set([data.ownerId, data.previous?.ownerId].filter((id): id is string => typeof id === 'string'));
    if (owners.size === 0) return;
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.user && owners.has(socket.data.user.id)) socket.emit('actionChanged', { actionId: data.id, incidentId: data.incidentId });
    }
  }

  /** Tells every socket whose user may read the incident (and a removed member) that its lists are stale. */
  function noticeIncidentChange(event: LodestoneEvent): void {
    const incidentId = event.stream.slice('incident:'.length);
    const removed = event.type === 'member.removed' ? (event.data as { id?: string }).id : undefined;
    for (const socket of io.of('/').sockets.values()) {
      const user = socket.data.user;
      if (!user) continue;
      if (user.id === removed || streamAccess.check(user, event.stream).ok) socket.emit('incidentChanged', { incidentId, type: event.type });
    }
  }

  function matches(socket: LodestoneSocket, r: Revocation): boolean {
    const d = socket.data;
    return (
      (r.sessionId !== undefined && d.sessionId === r.sessionId) ||
      (r.tokenId !== undefined && d.tokenId === r.tokenId) ||
      (r.userId !== undefined && d.user?.id === r.userId)
    );
  }

  signals.on('revoke', (revocation) => {
    for (const socket of io.of('/').sockets.values()) {
      if (!matches(socket, revocation)) continue;
      // Said before the close (Engine.IO sends what is queued first): the page can tell the user why.
      if (revocation.reason) socket.emit('sessionEnded', { reason: revocation.reason });
      socket.disconnect(true);
    }
  });

  // A role change, a disabled account or a membership change: re-check every room the user's sockets are in.
  signals.on('access-changed', ({ userId }) => {
    const row = users.row(userId);
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.user?.id !== userId) continue;
      if (!row || row.disabled || row.mustChangePassword) {
        if (row?.mustChangePassword) socket.emit('sessionEnded', { reason: 'password-change-required' });
        socket.disconnect(true);
        continue;
      }
      socket.data.user = toAuthUser(row);
      for (const room of [...socket.rooms]) {
        if (room === socket.id) continue;
        const stream = room as StreamName;
        if (!streamAccess.check(socket.data.user, stream).ok) {
          void socket.leave(stream);
          socket.emit('unsubscribed', { stream, reason: 'access' });
          presence.changed(stream);
        }
      }
    }
  });

  const sweep = setInterval(() => {
    cutOffs.sweep();
    const checked = new Map<string, boolean>();
    for (const socket of io.of('/').sockets.values()) {
      const id = socket.data.sessionId;
      if (id === undefined) continue;
      let live = checked.get(id);
      if (live === undefined) {
        live = sessions.isLive(id);
        checked.set(id, live);
      }
      if (!live) socket.disconnect(true);
    }
  }, SESSION_SWEEP_MS);
  sweep.unref();

  app.addHook('preClose', async () => {
    clearInterval(sweep);
    unpublish();
    io.disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });
});

/** Who is in each incident room: sent to the room whenever that set of users changes. */
class Presence {
  private readonly last = new Map<string, string>();

  constructor(private readonly io: RealtimeServer) {}

  private users(stream: StreamName): PresenceUpdate['users'] {
    const ids = this.io.of('/').adapter.rooms.get(stream) ?? new Set<string>();
    const byUser = new Map<string, PresenceUpdate['users'][number]>();
    for (const id of ids) {
      const user = this.io.of('/').sockets.get(id)?.data.user;
      if (user) byUser.set(user.id, { id: user.id, displayName: user.displayName, agency: user.agency, side: user.side });
    }
    return [...byUser.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  }

  /** Recomputes a room's presence; `joined` also gets it when the set did not change. */
  changed(stream: StreamName, joined?: LodestoneSocket): void {
    if (!stream.startsWith('incident:')) return;
    const users = this.users(stream);
    const signature = users.map((u) => u.id).join(',');
    const update: PresenceUpdate = { stream, users };
    if (this.last.get(stream) !== signature) {
      if (users.length === 0) this.last.delete(stream);
      else this.last.set(stream, signature);
      this.io.to(stream).emit('presence', update);
    } else if (joined) {
      joined.emit('presence', update);
    }
  }
}
