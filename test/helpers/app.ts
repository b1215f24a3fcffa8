import { sql, type SQL } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Role, Side, User } from '@lodestone/shared';
import { buildApp, type AppOptions } from '../../server/src/app.ts';

export const ADMIN_PASSWORD = 'admin-password-1';
export const TEST_PASSWORD = 'correct horse battery';

/**
 * The store the server tests run on: SQLite (the `server` project) or PostgreSQL (the
 * `server-pg` project sets LODESTONE_TEST_STORE=postgres; each app gets a fresh database).
 */
export const testStore: 'sqlite' | 'postgres' = process.env.LODESTONE_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The secret of test apps on PostgreSQL, where LODESTONE_SECRET is required. */
export const TEST_SECRET = 'test-secret-of-the-postgresql-test-apps-0123456789';

export interface TestApp {
  app: FastifyInstance;
  /** The app's DATABASE_URL (`file:…` or `postgres://…`), to start another app on the same database. */
  databaseUrl: string;
  /** The secret to start another app on the same database with (PostgreSQL), else undefined. */
  secret: string | undefined;
  /** The SQLite file (on PostgreSQL, a path that holds nothing). */
  dbPath: string;
  dir: string;
  /** Cookie header of the signed-in admin. */
  admin: string;
  close(): Promise<void>;
}

/**
 * A real app on a real SQLite file in a temp folder, migrations applied. Passwords hash
 * with a small scrypt N to keep the suite fast; the stored hash records the N used.
 */
export async function buildTestApp(options: Partial<AppOptions> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-test-'));
  const dbPath = join(dir, 'test.db');
  // Imported only here: it checks at import that PostgreSQL answers.
  const pg = testStore === 'postgres' && options.databaseUrl === undefined ? await (await import('./postgres.ts')).freshPostgresDatabase() : null;
  const databaseUrl = options.databaseUrl ?? pg?.url ?? `file:${dbPath}`;
  const secret = options.secret ?? (pg ? TEST_SECRET : undefined);
  let app: FastifyInstance;
  try {
    app = await buildApp({
      adminPassword: ADMIN_PASSWORD,
      passwordLog2N: 10,
      clientDir: null,
      ...options,
      databaseUrl,
      ...(secret === undefined ? {} : { secret }),
    });
    await app.ready();
  } catch (error) {
    await pg?.drop();
    throw error;
  }
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  return {
    app,
    databaseUrl,
    secret,
    dbPath,
    dir,
    admin,
    close: async () => {
      await app.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the API and returns the Cookie header to send. */
export async function signIn(app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${res.statusCode} ${res.body}`);
  return cookieOf(res);
}

export function cookieOf(res: LightMyRequestResponse): string {
  // `__Host-lodestone_session` when the app's origin is https.
  const cookie = res.cookies.find((c) => c.name === 'lodestone_session' || c.name === '__Host-lodestone_session');
  if (!cookie) throw new Error('no session cookie set');
  return `${cookie.name}=${cookie.value}`;
}

let counter = 0;

export interface TestUser {
  user: User;
  password: string;
  cookie: string;
}

/** Creates an account through the admin API and signs it in. */
export async function createUser(
  t: Pick<TestApp, 'app' | 'admin'>,
  role: Role,
  overrides: Partial<{ username: string; displayName: string; agency: string; side: Side; password: string }> = {},
): Promise<TestUser> {
  counter++;
  const side = overrides.side ?? (counter % 2 === 0 ? 'JP' : 'US');
  const body = {
    username: overrides.username ?? `${role}${counter}`,
    displayName: overrides.displayName ?? `${role[0]?.toUpperCase()}${role.slice(1)} ${counter}`,
    password: overrides.password ?? TEST_PASSWORD,
    role,
    agency: overrides.agency ?? (side === 'JP' ? 'METI' : 'DOE'),
    side,
  };
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload: body });
  if (res.statusCode !== 201) throw new Error(`creating ${body.username} failed: ${res.statusCode} ${res.body}`);
  const user = res.json() as User;
  return { user, password: body.password, cookie: await signIn(t.app, body.username, body.password) };
}

/** One signed-in user of each role besides the admin. */
export async function createCast(t: Pick<TestApp, 'app' | 'admin'>) {
  return {
    lead: await createUser(t, 'lead', { side: 'US' }),
    jpLead: await createUser(t, 'lead', { side: 'JP' }),
    member: await createUser(t, 'member', { side: 'US' }),
    jpMember: await createUser(t, 'member', { side: 'JP' }),
    liaison: await createUser(t, 'liaison', { side: 'JP' }),
    staff: await createUser(t, 'staff', { side: 'US' }),
  };
}

/** Listens on an ephemeral loopback port; returns the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** A valid alert body; override any field. */
export function alertInput(overrides: Record<string, unknown> = {}) {
  return {
    mineral: 'dysprosium',
    type: 'export_control',
    severity: 'high',
    title: 'MOFCOM adds licensing for dysprosium oxide',
    body: 'Exporters must apply for a licence; processing times unknown.',
    source: 'MOFCOM notice',
    originCountry: 'CN',
    tlp: 'AMBER',
    ...overrides,
  };
}

/** Row count of a table, to prove a refusal stored nothing. */
/** Rows of a raw SQL query on the app's store (the same SQL on SQLite and PostgreSQL). */
export function queryRows<R>(t: Pick<TestApp, 'app'>, query: SQL): Promise<R[]> {
  const { store } = t.app.lodestone;
  return store.rows<R>(store.db, query);
}

export async function countRows(t: Pick<TestApp, 'app'>, table: string): Promise<number> {
  const { store } = t.app.lodestone;
  const [row] = await store.rows<{ n: number }>(store.db, sql.raw(`SELECT count(*) AS n FROM ${table}`));
  return Number(row?.n ?? 0);
}
