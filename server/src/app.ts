import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databasePath } from './db/connection.ts';
import { isPostgresUrl } from './db/postgres.ts';
import { openStore } from './store/open.ts';
import { PgStore } from './store/postgres.ts';
import { serverSecret } from './auth/server-secret.ts';
import { createServices, type Services, type ServiceOptions } from './services.ts';
import { capConnectionsPerAddress } from './http/connection-cap.ts';
import { AllowedOrigins } from './http/origins.ts';
import { problems } from './http/problem.ts';
import { problemsPlugin, sendProblem, toProblem } from './plugins/problems.ts';
import { authPlugin } from './plugins/auth.ts';
import { realtimePlugin, type SocketLimits } from './plugins/realtime.ts';
import { securityPlugin } from './plugins/security.ts';
import { clientBuilt, clientPlugin } from './plugins/client.ts';
import { docsPlugin } from './plugins/docs.ts';
import { OWASP_SCRYPT_LOG2N } from './features/users/passwords.ts';
import { loadDemoScenario } from './demo/demo.ts';
import { sessionRoutes } from './features/users/session.routes.ts';
import { usersRoutes } from './features/users/users.routes.ts';
import { tokensRoutes } from './features/users/tokens.routes.ts';
import { profileRoutes } from './features/users/profile.routes.ts';
import { eventsRoutes } from './features/events/events.routes.ts';
import { referenceRoutes } from './features/reference/reference.routes.ts';
import { alertsRoutes } from './features/alerts/alerts.routes.ts';
import { incidentsRoutes } from './features/incidents/incidents.routes.ts';
import { actionsRoutes } from './features/actions/actions.routes.ts';
import { exportRoutes } from './features/export/export.routes.ts';

export interface AppOptions {
  /** `file:PATH`, `file::memory:` or `postgres://…`. */
  databaseUrl: string;
  /** This node's name (logs, pg_stat_activity, the adapter); `lodestone` by default. */
  nodeId?: string;
  /** On PostgreSQL, how often a node reads the heads of the streams it delivers (1 s). */
  pollMs?: number;
  /** The origin browsers use; without it, the listening loopback address. */
  publicOrigin?: string;
  /** Password of the `admin` account created on a new database; random (announced once) when unset. */
  adminPassword?: string;
  /** Load the demo scenario on a new database. */
  demo?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Built client to serve; defaults to client/dist. `null` serves no client. */
  clientDir?: string | null;
  sessionIdleMinutes?: number;
  sessionMaxHours?: number;
  rateLimitPerMinute?: number;
  /** What one socket may send (plugins/realtime.ts); benchmarks that re-subscribe in a loop raise it. */
  socketLimits?: Partial<SocketLimits>;
  /** log2 of scrypt's N for new password hashes; 17 (OWASP) unless a test lowers it. */
  passwordLog2N?: number;
  /** The clock every service reads; tests move it to expire sessions. */
  clock?: () => Date;
  /** Where a one-time message (the generated admin password) is printed. */
  announce?: (message: string) => void;
  /** Sockets and connections (README, Security): Engine.IO sessions without a live session one address may hold (16). */
  anonymousSocketsPerAddress?: number;
  /** Time to receive a whole request, headers and body (30 s). */
  requestTimeoutMs?: number;
  /** Time to receive the request headers (10 s; at most requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** An HTTP connection idle this long is closed (60 s). */
  idleTimeoutMs?: number;
  /** TCP connections one address may hold open (256). */
  connectionsPerAddress?: number;
  /** Fastify's trustProxy (TRUST_PROXY): which proxies' X-Forwarded-For sets request.ip. Off by default. */
  trustProxy?: boolean | number | string[];
  /** LODESTONE_SECRET; when absent, `<database>.secret` (generated once) or, in memory, a random key. */
  secret?: string;
}

export interface Lodestone extends Services {
  origins: AllowedOrigins;
  options: ServiceOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    lodestone: Lodestone;
  }
}

const DEFAULT_CLIENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../client/dist');
const BODY_LIMIT = 64 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 60_000;
const CONNECTIONS_PER_ADDRESS = 256;

/** Trusts the nearest `hops` proxies: X-Forwarded-For is read that many entries from the right. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Builds the whole application on one database. Never listens: main.ts and tests do. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // A client that sends slowly must not hold a connection: the whole request within
  // requestTimeout (Node answers 408 and closes), and nothing for idleTimeout closes it.
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    requestTimeout,
    connectionTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    // Node looks for requests over their time every connectionsCheckingInterval (30 s by default).
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.min(5_000, Math.max(250, requestTimeout / 4)) },
    // A hop count is given to Fastify as the function it would build from one (its types take no number).
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : (options.trustProxy ?? false),
    // Routes validate with the shared zod schemas; the JSON schemas only describe them (OpenAPI).
    ajv: { customOptions: { coerceTypes: false } },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Router-level errors (a malformed URL) are problems too.
    frameworkErrors: (error, _request, reply) => void sendProblem(reply, toProblem(error)),
  });
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // The API speaks JSON only; anything else is 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  // JSON must be valid UTF-8: bytes that are not would be stored as U+FFFD, not as sent (400 instead).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<Buffer>('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(problems.invalid([{ path: '', message: 'is not valid UTF-8', code: 'invalid_utf8' }], 'The body is not valid UTF-8.'));
    }
    void parseJson(request, text, done);
  });

  capConnectionsPerAddress(app.server, options.connectionsPerAddress ?? CONNECTIONS_PER_ADDRESS);

  const postgres = isPostgresUrl(options.databaseUrl);
  if (postgres && !options.secret) throw new Error('LODESTONE_SECRET must be set on PostgreSQL, the same on every node');
  const nodeId = options.nodeId ?? 'lodestone';
  const store = await openStore(options.databaseUrl, { applicationName: `lodestone:${nodeId}` });
  const serviceOptions: ServiceOptions = {
    clock: options.clock ?? (() => new Date()),
    passwordLog2N: options.passwordLog2N ?? OWASP_SCRYPT_LOG2N,
    sessionIdleMs: (options.sessionIdleMinutes ?? 12 * 60) * 60_000,
    sessionMaxMs: (options.sessionMaxHours ?? 7 * 24) * 3_600_000,
    secret: postgres ? Buffer.from(options.secret ?? '', 'utf8') : serverSecret(databasePath(options.databaseUrl), options.secret),
  };
  const services = createServices(store, serviceOptions);
  const origins = new AllowedOrigins(options.publicOrigin, () => app.server.address());
  app.decorate('lodestone', { ...services, origins, options: serviceOptions });
  app.addHook('onClose', async () => {
    await Promise.allSettled([services.sessions.flushTouches(true), services.tokens.flushTouches(true)]);
    await services.log.drain();
    await store.close();
  });

  const bootstrap = await services.users.bootstrapAdmin(options.adminPassword);
  if (bootstrap && options.adminPassword !== undefined && options.adminPassword.length < 12) {
    app.log.warn('LODESTONE_ADMIN_PASSWORD is shorter than 12 characters; change the admin password under Profile.');
  }
  if (bootstrap?.generatedPassword) {
    (options.announce ?? ((m: string) => app.log.warn(m)))(
      `Created the admin account. Username: admin  Password: ${bootstrap.generatedPassword}  (shown once; change it under Profile)`,
    );
  }
  // A database this start created (it made the first account): the demo goes in once, on one node.
  if (options.demo && bootstrap !== null) await loadDemoScenario(services);
  void services.sessions.warm();

  const housekeeping = setInterval(() => {
    void services.idempotency.purge().catch(() => undefined);
    void services.sessions.purgeExpired().catch(() => undefined);
  }, 60 * 60_000);
  housekeeping.unref();
  app.addHook('onClose', async () => clearInterval(housekeeping));

  await app.register(problemsPlugin);
  await app.register(cookie);
  await app.register(securityPlugin);
  await app.register(authPlugin);
  await app.register(realtimePlugin, {
    cluster: store instanceof PgStore ? { pool: store.pool, nodeId, pollMs: options.pollMs } : undefined,
    limits: options.socketLimits,
    anonymousPerAddress: options.anonymousSocketsPerAddress,
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : options.trustProxy,
  });
  await app.register(docsPlugin);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await store.ping();
      return { ok: true };
    } catch {
      return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: 'The database does not answer.' });
    }
  });

  await app.register(
    async (api) => {
      await api.register(rateLimit, {
        global: true,
        hook: 'preHandler',
        max: options.rateLimitPerMinute ?? 6000,
        timeWindow: 60_000,
        keyGenerator: (request) => (request.auth ? `user:${request.auth.user.id}` : `ip:${request.ip}`),
        errorResponseBuilder: (_request, context) => problems.rateLimited(context.ttl / 1000),
      });
      await api.register(sessionRoutes);
      await api.register(profileRoutes);
      await api.register(usersRoutes);
      await api.register(tokensRoutes);
      await api.register(eventsRoutes);
      await api.register(referenceRoutes);
      await api.register(alertsRoutes);
      await api.register(incidentsRoutes);
      await api.register(actionsRoutes);
      await api.register(exportRoutes);
    },
    { prefix: '/api/v1' },
  );

  const clientDir = options.clientDir === undefined ? DEFAULT_CLIENT_DIR : options.clientDir;
  const serveClient = clientBuilt(clientDir);
  if (serveClient) await app.register(clientPlugin, { root: clientDir });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const isPage = (request.method === 'GET' || request.method === 'HEAD') && !path.startsWith('/api/') && !path.startsWith('/socket.io');
    if (serveClient && isPage && !/\.[a-z0-9]+$/i.test(path)) {
      // History-mode routing: every page path is the app itself.
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return sendProblem(reply, problems.notFound(`route ${request.method} ${path}`));
  });

  return app;
}
