import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Server } from 'socket.io';
import type { LodestoneEvent } from '@lodestone/shared';
import { FrameAcks } from '../realtime/ack-frame.ts';
import { checkFrameAcks } from '../realtime/frame-acks-check.ts';
import { CredentialBudgetStore, SOCKET_LIMITS, meterPackets, type BudgetStore, type SocketLimits } from '../realtime/budgets.ts';
import { MemoryCredentialBudgets, type CredentialBudgets } from '../realtime/credential-budgets.ts';
import { MemoryCutOffs, type CutOffLedger } from '../realtime/cut-offs.ts';
import { EngineGate } from '../realtime/engine-gate.ts';
import { authenticateHandshakes } from '../realtime/handshake.ts';
import { Notices } from '../realtime/notices.ts';
import { MemoryPresence, Presence, type PresenceRegistry } from '../realtime/presence.ts';
import { RawJson, rawJsonParser } from '../realtime/raw-json-parser.ts';
import { enforceRevocations } from '../realtime/revocation.ts';
import { joinIdentityRooms, streamsOf } from '../realtime/rooms.ts';
import { closeExpiredSessions } from '../realtime/session-sweep.ts';
import { serveSubscriptions } from '../realtime/subscriptions.ts';
import { credentialOf, type LodestoneSocket, type RealtimeServer } from '../realtime/types.ts';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { sessionCookieName } from './auth.ts';
import type pg from 'pg';
import type { StreamName } from '@lodestone/shared';
import { Feeds, type Offered } from '../realtime/feed.ts';
import { postgresAdapter } from '../realtime/pg-adapter.ts';
import { BUDGET_FLUSH_MS, BUDGET_HEARTBEAT_MS, ClusterCredentialBudgets, type BudgetAnnouncement } from '../realtime/cluster-budgets.ts';
import { ClusterPresence, PRESENCE_HEARTBEAT_MS, type PresenceAnnouncement } from '../realtime/cluster-presence.ts';

export type { SocketData, RealtimeServer } from '../realtime/types.ts';
export { SOCKET_LIMITS, type SocketLimits } from '../realtime/budgets.ts';

declare module 'fastify' {
  interface FastifyInstance {
    io: RealtimeServer;
    /** The socket budgets of sessions and tokens, and the gate before Engine.IO sessions (diagnostics, tests). */
    socketGuards: { credentials: CredentialBudgets; gate: EngineGate };
  }
}

/** How this node reaches the others: the PostgreSQL adapter over the store's database. */
export interface ClusterOptions {
  pool: pg.Pool;
  nodeId: string;
  /** How often the heads of the streams this node delivers are read, to catch what the adapter lost (1 s). */
  pollMs?: number;
}

export interface RealtimeOptions {
  /** Several nodes on one PostgreSQL database; absent, this process is the only node. */
  cluster?: ClusterOptions;
  limits?: Partial<SocketLimits>;
  /** Engine.IO sessions without a live session cookie one address may hold at once. */
  anonymousPerAddress?: number;
  /** Fastify's trustProxy as built from TRUST_PROXY: the anonymous cap counts the client behind a trusted proxy, as request.ip does. */
  trustProxy?: boolean | string[] | ((address: string, hop: number) => boolean);
}

/** The client's address as Fastify's request.ip would give it under the same trustProxy. */
function clientAddress(trust: RealtimeOptions['trustProxy']): ((req: IncomingMessage) => string) | undefined {
  if (trust === undefined || trust === false) return undefined;
  const trusts = trust === true ? () => true : typeof trust === 'function' ? trust : proxyAddr.compile(trust);
  return (req) => proxyAddr(req, trusts);
}

/** Engine.IO sessions of one signed-in session that may wait at once to join the namespace. */
export const UNJOINED_PER_SESSION = 128;

/** A session that has joined no namespace this long after its handshake is closed. */
const CONNECT_TIMEOUT_MS = 5_000;

/** The adapter's message between nodes saying which events committed. */
const EVENTS_COMMITTED = 'lodestone:events';

/** The adapter's messages between nodes about presence: a change, and everyone present on a node. */
const PRESENCE_CHANGED = 'lodestone:presence';
const PRESENCE_ALL = 'lodestone:presence-all';

/** The adapter's messages between nodes about credential budgets: what changed, and all of a node's sockets. */
const BUDGETS_CHANGED = 'lodestone:budgets';
const BUDGETS_ALL = 'lodestone:budgets-all';

/** Announcements up to this size carry the events' texts (a NOTIFY holds under 8,000 bytes). */
const ANNOUNCE_TEXT_BYTES = 6_000;

/** How often a node of several reads the heads of the streams it delivers. */
const POLL_MS = 1_000;

/** How often sockets of expired sessions are looked for (sign-out and disabling act at once). */
const SESSION_SWEEP_MS = 2_000;

/**
 * Socket.IO on Fastify's HTTP server, wiring the parts of server/src/realtime/: the handshake,
 * budgets and cut-offs, subscribe and catch-up, presence, publishing of committed events and
 * the notices beside them, revocation, and the sweep of expired sessions. The state that several
 * nodes will share (presence, budgets, cut-offs) is behind the interfaces those parts define.
 */
export const realtimePlugin = fp(async (app: FastifyInstance, options: RealtimeOptions) => {
  const limits: SocketLimits = { ...SOCKET_LIMITS, ...options.limits };
  const { log, sessions, tokens, users, incidents, streamAccess, signals, origins } = app.lodestone;
  const gate = new EngineGate({
    origins,
    anonymousPerAddress: options.anonymousPerAddress ?? 16,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    addressOf: clientAddress(options.trustProxy),
    // Generous: a burst of tabs and reconnects is answered by the socket cap's connect_error, not here.
    unjoinedPerSession: UNJOINED_PER_SESSION,
    sessionOf: (cookieHeader) => {
      const secret = cookieHeader ? app.parseCookie(cookieHeader)[sessionCookieName(origins)] : undefined;
      return secret === undefined ? Promise.resolve(null) : sessions.resolve(secret).then((found) => found?.sessionId ?? null);
    },
  });
  const io: RealtimeServer = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    cors: undefined,
    parser: rawJsonParser,
    allowRequest: gate.allowRequest,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  // Before Socket.IO's own listener: the gate's timer must be set first, so that it fires before
  // Socket.IO's connectTimeout starts the graceful close that would wait for a poll.
  io.engine.prependListener('connection', (conn: Parameters<EngineGate['connected']>[0]) => gate.connected(conn));
  io.engine.on('connection_error', (error: { req?: Parameters<EngineGate['failed']>[0] }) => gate.failed(error.req));
  app.decorate('io', io);
  const cluster = options.cluster;
  if (cluster) io.adapter(postgresAdapter(cluster.pool, { nodeId: cluster.nodeId, log: app.log }));

  // Every event reaches this node's sockets through its stream's feed: exactly once, in order.
  const feeds = new Feeds(
    log,
    // Serialized once per event (stored at append), whatever the number of subscribers.
    (stream, text) => io.local.to(stream).emit('event', new RawJson(text) as unknown as LodestoneEvent),
    (error, stream) => app.log.warn({ err: error, stream }, 'could not deliver the events of a stream (the next poll or event tries again)'),
  );

  const frameAcks = new FrameAcks(await frameAcksWork(app));
  const cutOffs: CutOffLedger = new MemoryCutOffs(limits);
  // Per credential; with several nodes, what the other nodes' sockets hold and draw counts too.
  const clusterBudgets = cluster
    ? new ClusterCredentialBudgets(limits, cluster.nodeId, (announcement, whole) => io.serverSideEmit(whole ? BUDGETS_ALL : BUDGETS_CHANGED, announcement))
    : null;
  const credentials: CredentialBudgets = clusterBudgets ?? new MemoryCredentialBudgets(limits);
  let budgetFlush: ReturnType<typeof setInterval> | undefined;
  let budgetBeat: ReturnType<typeof setInterval> | undefined;
  if (clusterBudgets) {
    io.on(BUDGETS_CHANGED, (announcement: BudgetAnnouncement) => clusterBudgets.receive(announcement, false));
    io.on(BUDGETS_ALL, (announcement: BudgetAnnouncement) => clusterBudgets.receive(announcement, true));
    budgetFlush = setInterval(() => clusterBudgets.flush(), BUDGET_FLUSH_MS);
    budgetFlush.unref();
    budgetBeat = setInterval(() => clusterBudgets.heartbeat(), BUDGET_HEARTBEAT_MS);
    budgetBeat.unref();
  }
  const budgets: BudgetStore = new CredentialBudgetStore(limits, credentials);
  app.decorate('socketGuards', { credentials, gate });
  // Presence counts this node's sockets; with several nodes, also what the others announce.
  const clusterPresence = cluster
    ? new ClusterPresence(
        cluster.nodeId,
        (announcement, whole) => io.serverSideEmit(whole ? PRESENCE_ALL : PRESENCE_CHANGED, announcement),
        (stream) => presence.changed(stream),
      )
    : null;
  const registry: PresenceRegistry = clusterPresence ?? new MemoryPresence();
  const presence = new Presence(io, registry);
  let presenceBeat: ReturnType<typeof setInterval> | undefined;
  if (clusterPresence) {
    io.on(PRESENCE_CHANGED, (announcement: PresenceAnnouncement) => clusterPresence.receive(announcement, false));
    io.on(PRESENCE_ALL, (announcement: PresenceAnnouncement) => clusterPresence.receive(announcement, true));
    presenceBeat = setInterval(() => clusterPresence.heartbeat(), PRESENCE_HEARTBEAT_MS);
    presenceBeat.unref();
  }
  const notices = new Notices(io, incidents);

  authenticateHandshakes(io, { origins, sessions, tokens, cutOffs, credentials, gate, parseCookie: (header) => app.parseCookie(header) });

  /** A socket that sent too many packets: cut off, and counted against its session or token. */
  function flooded(socket: LodestoneSocket): void {
    app.log.warn({ user: socket.data.user?.id }, 'socket sent too many packets: disconnected');
    cutOffs.record(credentialOf(socket.data));
    if (socket.connected) socket.disconnect(true);
    else socket.conn.close();
  }

  io.on('connection', (socket: LodestoneSocket) => {
    joinIdentityRooms(socket);
    const budget = budgets.of(socket.conn, credentialOf(socket.data));
    meterPackets(socket, budget, flooded);
    serveSubscriptions(socket, budget, { log, feeds, streamAccess, presence, frameAcks, socketBufferBytes: limits.socketBufferBytes });
    socket.on('disconnecting', () => {
      const streams = streamsOf(socket);
      socket.once('disconnect', () => streams.forEach((stream) => presence.left(stream, socket)));
    });
  });

  const unpublish = log.onPublish((committed) => {
    const byStream = new Map<StreamName, Offered[]>();
    for (const event of committed) {
      const list = byStream.get(event.stream) ?? [];
      list.push({ seq: event.seq, text: log.jsonOf(event) });
      byStream.set(event.stream, list);
    }
    for (const [stream, offered] of byStream) feeds.offer(stream, offered);
    for (const event of committed) notices.after(event);
    if (cluster) announce(byStream);
  });

  /**
   * Tells the other nodes what committed here: the events' texts when they are small (one NOTIFY),
   * else only their seqs (each node reads them). A lost announcement is caught by the poll.
   */
  function announce(byStream: Map<StreamName, Offered[]>): void {
    let bytes = 0;
    for (const offered of byStream.values()) for (const o of offered) bytes += (o.text?.length ?? 0) + 16;
    const withTexts = bytes < ANNOUNCE_TEXT_BYTES;
    const payload = [...byStream].map(([stream, offered]) => [stream, offered.map((o) => (withTexts ? o : { seq: o.seq }))] as const);
    io.serverSideEmit(EVENTS_COMMITTED, payload);
  }
  if (cluster) {
    io.on(EVENTS_COMMITTED, (payload: [StreamName, Offered[]][]) => {
      for (const [stream, offered] of payload) feeds.offer(stream, offered);
    });
  }

  // The safety net under the adapter: one query for the heads of every stream this node delivers.
  let polling = false;
  const poll = setInterval(() => {
    if (!cluster || polling) return;
    polling = true;
    const watermarks = feeds.watermarks();
    for (const stream of watermarks.keys()) {
      if ((io.of('/').adapter.rooms.get(stream)?.size ?? 0) === 0) {
        feeds.forget(stream);
        watermarks.delete(stream);
      }
    }
    app.lodestone.store
      .heads([...watermarks.keys()])
      .then((heads) => feeds.caughtUp(heads))
      .catch((error: unknown) => app.log.warn({ err: error }, 'could not read the stream heads'))
      .finally(() => {
        polling = false;
      });
  }, cluster?.pollMs ?? POLL_MS);
  poll.unref();
  const stopRevocations = enforceRevocations(io, { signals, users, streamAccess, presence });

  let sweeping = false;
  const sweep = setInterval(() => {
    cutOffs.sweep();
    credentials.sweep();
    if (sweeping) return;
    sweeping = true;
    closeExpiredSessions(io, sessions)
      .catch((error: unknown) => app.log.warn({ err: error }, 'could not look for expired sessions'))
      .finally(() => {
        sweeping = false;
      });
  }, SESSION_SWEEP_MS);
  sweep.unref();

  app.addHook('preClose', async () => {
    clearInterval(sweep);
    clearInterval(poll);
    clearInterval(presenceBeat);
    clearInterval(budgetFlush);
    clearInterval(budgetBeat);
    presence.close();
    unpublish();
    stopRevocations();
    io.disconnectSockets(true);
    io.engine.close();
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });
});

/** Runs the self-check of pre-encoded acks and says which path catch-up takes. */
async function frameAcksWork(app: FastifyInstance): Promise<boolean> {
  const problem = await checkFrameAcks();
  if (problem === null) app.log.info('catch-up acks: pre-encoded WebSocket frames (start-up self-check passed)');
  else app.log.warn({ problem }, 'catch-up acks: ordinary Socket.IO acks (the start-up self-check of pre-encoded frames failed)');
  return problem === null;
}
