import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { databasePath } from './db/connection.ts';
import { isPostgresUrl } from './db/postgres.ts';

const port = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0).max(65535, 'must be at most 65535');
const whole = (name: string) => z.coerce.number({ message: `${name} must be a number` }).int('must be a whole number').min(1, 'must be at least 1');
const positive = (name: string) => z.coerce.number({ message: `${name} must be a number` }).positive('must be above 0');

const Environment = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('file:./data/lodestone.db')
    .refine(
      (url) => {
        if (isPostgresUrl(url)) return URL.canParse(url);
        try {
          databasePath(url);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be file:PATH, file::memory: or postgres://user@host:port/database' },
    ),
  LODESTONE_ADMIN_PASSWORD: z.string().min(1).max(256, 'must be at most 256 characters').optional(),
  LODESTONE_DEMO: z.enum(['0', '1'], { message: 'must be 0 or 1' }).default('0'),
  PUBLIC_ORIGIN: z
    .string()
    .optional()
    .refine((v) => v === undefined || isOrigin(v), { message: 'must be an origin such as https://lodestone.example.gov (scheme, host, optional port; no path)' }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LODESTONE_SESSION_IDLE_MINUTES: positive('LODESTONE_SESSION_IDLE_MINUTES').default(12 * 60),
  LODESTONE_SESSION_MAX_HOURS: positive('LODESTONE_SESSION_MAX_HOURS').default(7 * 24),
  LODESTONE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(60, 'must be at least 60').default(6000),
  // Sockets and connections (README, Security).
  LODESTONE_SOCKETS_PER_SESSION: whole('LODESTONE_SOCKETS_PER_SESSION').default(10),
  LODESTONE_SOCKETS_PER_TOKEN: whole('LODESTONE_SOCKETS_PER_TOKEN').default(4),
  LODESTONE_ANONYMOUS_SOCKETS_PER_ADDRESS: whole('LODESTONE_ANONYMOUS_SOCKETS_PER_ADDRESS').default(16),
  LODESTONE_CONNECTIONS_PER_ADDRESS: whole('LODESTONE_CONNECTIONS_PER_ADDRESS').default(256),
  LODESTONE_REQUEST_TIMEOUT_SECONDS: positive('LODESTONE_REQUEST_TIMEOUT_SECONDS').default(30),
  LODESTONE_HEADERS_TIMEOUT_SECONDS: positive('LODESTONE_HEADERS_TIMEOUT_SECONDS').default(10),
  LODESTONE_IDLE_TIMEOUT_SECONDS: positive('LODESTONE_IDLE_TIMEOUT_SECONDS').default(60),
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine((v) => parseTrustProxy(v) !== undefined, {
      message: 'must be true, false, a hop count (1, 2 …) or a comma list of addresses or CIDRs (10.0.0.1, 10.0.0.0/8, loopback)',
    }),
  LODESTONE_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  LODESTONE_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1–40 letters, digits, dots, dashes or underscores')
    .optional(),
}).refine((e) => !isPostgresUrl(e.DATABASE_URL) || e.LODESTONE_SECRET !== undefined, {
  path: ['LODESTONE_SECRET'],
  message: 'must be set on PostgreSQL, the same on every node (e.g. openssl rand -base64 32)',
});

/** Names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY as Fastify's `trustProxy` takes it; undefined when it is none of the accepted forms. */
export function parseTrustProxy(value: string): boolean | number | string[] | undefined {
  const v = value.trim();
  if (v === 'false' || v === '0' || v === '') return false;
  if (v === 'true') return true;
  if (/^[1-9]\d{0,2}$/.test(v)) return Number(v);
  const items = v.split(',').map((item) => item.trim());
  const valid = items.every((item) => {
    if (RANGE_NAMES.has(item)) return true;
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
  return valid ? items : undefined;
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  adminPassword: string | undefined;
  demo: boolean;
  publicOrigin: string;
  logLevel: string;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  rateLimitPerMinute: number;
  socketsPerSession: number;
  socketsPerToken: number;
  anonymousSocketsPerAddress: number;
  connectionsPerAddress: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** Which proxies' X-Forwarded-For is believed (request.ip is then the client behind them); false by default. */
  trustProxy: boolean | number | string[];
  /** LODESTONE_SECRET: key of the server's HMACs; when unset, a file beside the database holds a generated one (SQLite only). */
  secret: string | undefined;
  /** LODESTONE_NODE_ID: this node's name in logs and pg_stat_activity (the host name by default). */
  nodeId: string;
}

export class ConfigError extends Error {}

/** Reads the environment; a bad value stops the start with a message naming each variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = Environment.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const given = present[name];
      return `  ${name}=${given === undefined ? '(unset)' : JSON.stringify(name.includes('PASSWORD') || name.includes('SECRET') ? '…' : given)}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  const hostForUrl = e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST === '0.0.0.0' ? '127.0.0.1' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    adminPassword: e.LODESTONE_ADMIN_PASSWORD,
    demo: e.LODESTONE_DEMO === '1',
    publicOrigin: (e.PUBLIC_ORIGIN ?? `http://${hostForUrl}:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    sessionIdleMinutes: e.LODESTONE_SESSION_IDLE_MINUTES,
    sessionMaxHours: e.LODESTONE_SESSION_MAX_HOURS,
    rateLimitPerMinute: e.LODESTONE_RATE_LIMIT_PER_MINUTE,
    socketsPerSession: e.LODESTONE_SOCKETS_PER_SESSION,
    socketsPerToken: e.LODESTONE_SOCKETS_PER_TOKEN,
    anonymousSocketsPerAddress: e.LODESTONE_ANONYMOUS_SOCKETS_PER_ADDRESS,
    connectionsPerAddress: e.LODESTONE_CONNECTIONS_PER_ADDRESS,
    requestTimeoutMs: e.LODESTONE_REQUEST_TIMEOUT_SECONDS * 1000,
    headersTimeoutMs: e.LODESTONE_HEADERS_TIMEOUT_SECONDS * 1000,
    idleTimeoutMs: e.LODESTONE_IDLE_TIMEOUT_SECONDS * 1000,
    trustProxy: parseTrustProxy(e.TRUST_PROXY) ?? false,
    secret: e.LODESTONE_SECRET,
    nodeId: e.LODESTONE_NODE_ID ?? hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40),
  };
}
