import { z } from 'zod';
import { databasePath } from './db/connection.ts';

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
        try {
          databasePath(url);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be file:PATH or file::memory:' },
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
});

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
      return `  ${name}=${given === undefined ? '(unset)' : JSON.stringify(name.includes('PASSWORD') ? '…' : given)}: ${issue.message}`;
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
  };
}
