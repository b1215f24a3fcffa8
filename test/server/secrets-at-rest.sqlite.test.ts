import { sql } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize, type CreatedApiToken, type User } from '@lodestone/shared';
import { queryRows, buildTestApp, createUser, signIn, type TestApp, type TestUser } from '../helpers/app.ts';

/**
 * Issue 14, finding 2: what rests in the database (and so in every backup) after the calls that
 * carry secrets. The file is read as an attacker with a backup would: every text or blob column
 * of every table, searched for each secret and for the unkeyed SHA-256 of each request body.
 */

/** Every text and blob value of every table of a SQLite file, as strings. */
function everyStoredValue(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const values: string[] = [];
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).raw().iterate() as Iterable<unknown[]>) {
        for (const v of row) {
          if (typeof v === 'string') values.push(v);
          else if (Buffer.isBuffer(v)) values.push(v.toString('latin1'), v.toString('hex'));
        }
      }
    }
    return values;
  } finally {
    db.close();
  }
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('secrets at rest: the idempotency table and everything else', () => {
  let t: TestApp;
  let member: TestUser;
  const bodies: unknown[] = [];
  const secrets: string[] = [];
  let tokenAnswer: CreatedApiToken;
  type Replay = { status: number; body: unknown; first: { status: number; body: unknown } };
  const replays = {} as Record<'token' | 'password' | 'user', Replay>;

  beforeAll(async () => {
    t = await buildTestApp();
    member = await createUser(t, 'member');
    const post = async (url: string, cookie: string, key: string, payload: Record<string, unknown>) => {
      bodies.push(payload);
      const first = await t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie, 'idempotency-key': key }, payload });
      const again = await t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie, 'idempotency-key': key }, payload });
      return { first: { status: first.statusCode, body: first.json() as unknown }, status: again.statusCode, body: again.json() as unknown };
    };
    replays.token = await post('/tokens', member.cookie, 'token-1', { name: 'nightly import' });
    tokenAnswer = replays.token.first.body as CreatedApiToken;
    secrets.push(tokenAnswer.token ?? 'no token');
    const newPassword = 'a brand new passphrase 7';
    replays.password = await post('/profile/password', member.cookie, 'password-1', { currentPassword: member.password, newPassword });
    secrets.push(member.password, newPassword);
    const created = { username: 'kept.secret', displayName: 'Kept Secret', password: 'initial password 42', role: 'member', agency: 'DOE', side: 'US' };
    replays.user = await post('/users', t.admin, 'user-1', created);
    secrets.push(created.password);
    const reset = 'reset by the admin 99';
    bodies.push({ password: reset });
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${(replays.user.first.body as User).id}`, headers: { cookie: t.admin }, payload: { password: reset } });
    expect(patched.statusCode).toBe(200);
    secrets.push(reset);
    // Pending writes (last-used times) reach the file, as they would before a backup.
    await t.app.lodestone.sessions.flushTouches();
    await t.app.lodestone.tokens.flushTouches();
  });
  afterAll(() => t.close());

  it('keeps no token secret, no password and no unkeyed SHA-256 of a body in any table', async () => {
    const stored = everyStoredValue(t.dbPath);
    expect(stored.length).toBeGreaterThan(50);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(8);
      expect(stored.find((v) => v.includes(secret)), `a value holds the secret ${secret}`).toBeUndefined();
    }
    for (const body of bodies) {
      const plain = sha256(canonicalize(body));
      expect(stored.find((v) => v.includes(plain)), `a value holds the SHA-256 of ${JSON.stringify(body)}`).toBeUndefined();
    }
    // The idempotency rows are there, keyed: the request hashes are HMACs the file alone cannot recompute.
    const rows = await queryRows<{ path: string; hash: string }>(t, sql`SELECT path, request_hash AS hash FROM idempotency_keys`);
    expect(rows.map((r) => r.path).sort()).toEqual(['/api/v1/profile/password', '/api/v1/tokens', '/api/v1/users']);
    for (const row of rows) expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('replays a token creation with the same status and body, but token: null; the token still works', async () => {
    expect(replays.token.first.status).toBe(201);
    expect(tokenAnswer.token).toMatch(/^lsk_/);
    expect(replays.token.status).toBe(201);
    expect(replays.token.body).toEqual({ ...tokenAnswer, token: null });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${tokenAnswer.token}` } });
    expect(me.statusCode).toBe(200);
    // One token was made, not two.
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { authorization: `Bearer ${tokenAnswer.token}` } });
    expect(list.json()).toHaveLength(1);
  });

  it('replays a password change and an account creation as the contract says (same status and body, nothing applied twice)', async () => {
    expect(replays.password.first.status).toBe(200);
    expect(replays.password).toMatchObject({ status: 200, body: replays.password.first.body });
    expect(replays.user.first.status).toBe(201);
    expect(replays.user).toMatchObject({ status: 201, body: replays.user.first.body });
    expect((await queryRows<{ n: number }>(t, sql`SELECT count(*) AS n FROM users WHERE username = 'kept.secret'`))[0]?.n).toBe(1);
  });

  it('still tells a different body under the same key (422)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: member.cookie, 'idempotency-key': 'token-1' }, payload: { name: 'another name' } });
    expect(res.statusCode).toBe(422);
  });
});

describe('the server secret (LODESTONE_SECRET, else <database>.secret)', () => {
  it('is generated once beside the database, mode 0600, and reused on the next start', async () => {
    const t = await buildTestApp();
    try {
      const file = `${t.dbPath}.secret`;
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const before = readFileSync(file, 'utf8');
      expect(before.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const owner = await createUser(t, 'liaison');
      const first = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: owner.cookie, 'idempotency-key': 'k' }, payload: { name: 'x' } });
      await t.app.close();
      // Same database, same secret file: the retry after a restart is still recognised.
      const { buildApp } = await import('../../server/src/app.ts');
      const again = await buildApp({ databaseUrl: `file:${t.dbPath}`, passwordLog2N: 10, clientDir: null });
      try {
        const cookie = await signIn(again, owner.user.username, owner.password);
        const replay = await again.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie, 'idempotency-key': 'k' }, payload: { name: 'x' } });
        expect(replay.statusCode).toBe(201);
        expect(replay.json()).toEqual({ ...first.json(), token: null });
        expect(readFileSync(file, 'utf8')).toBe(before);
      } finally {
        await again.close();
      }
    } finally {
      await t.close().catch(() => undefined);
    }
  });

  it('uses LODESTONE_SECRET when given, and writes no file then', async () => {
    const t = await buildTestApp({ secret: 'x'.repeat(40) });
    try {
      expect(existsSync(`${t.dbPath}.secret`)).toBe(false);
    } finally {
      await t.close();
    }
  });
});
