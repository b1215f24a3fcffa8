import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countRows, buildTestApp, createUser, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

describe('HTTP: problems, origin, limits, headers', () => {
  let t: TestApp;
  let liaison: TestUser;
  beforeAll(async () => {
    t = await buildTestApp({ publicOrigin: 'http://127.0.0.1:3000' });
    liaison = await createUser(t, 'liaison');
  });
  afterAll(() => t.close());

  const tokenCount = () => countRows(t, 'api_tokens');

  it('answers unknown routes with a 404 problem', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'about:blank', title: 'Not found', status: 404 });
  });

  it('answers malformed JSON with a 400 problem and changes nothing', async () => {
    const before = await tokenCount();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, 'content-type': 'application/json' }, payload: '{"name": "x",' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: '' })] });
    expect(await tokenCount()).toBe(before);
  });

  it('answers a body over 64 KiB with 413, and one exactly at the limit is read', async () => {
    const filler = (n: number) => JSON.stringify({ name: 'x'.repeat(n) });
    const at = filler(64 * 1024 - 11);
    expect(Buffer.byteLength(at)).toBe(64 * 1024);
    const atLimit = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, 'content-type': 'application/json' }, payload: at });
    expect(atLimit.statusCode).toBe(400); // parsed, then refused for the name's length
    const over = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, 'content-type': 'application/json' }, payload: filler(64 * 1024 - 10) });
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ status: 413 });
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ status: 415 });
  });

  it('refuses __proto__ and constructor keys as 400', async () => {
    for (const payload of ['{"name":"x","__proto__":{"admin":true}}', '{"name":"x","constructor":{"prototype":{"admin":true}}}']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(400);
    }
  });

  it('refuses a state-changing request from a foreign Origin with 403 and changes nothing', async () => {
    const before = await tokenCount();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, origin: 'https://evil.example' }, payload: { name: 'csrf' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: 403 });
    expect(await tokenCount()).toBe(before);
    const signOut = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: liaison.cookie, origin: 'http://attacker.test:3000' } });
    expect(signOut.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: liaison.cookie } })).statusCode).toBe(200);
  });

  it('accepts the app origin and its loopback twin, and requests with no Origin', async () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000', undefined]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, ...(origin ? { origin } : {}) }, payload: { name: 'ok' } });
      expect(res.statusCode, String(origin)).toBe(201);
    }
    const otherPort = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: liaison.cookie, origin: 'http://localhost:4000' }, payload: { name: 'no' } });
    expect(otherPort.statusCode).toBe(403);
  });

  it('sends a CSP with frame-ancestors and the other security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('publishes OpenAPI 3 at /api/openapi.json covering the contract, and a docs page at /api/docs', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    for (const [path, method] of [
      ['/api/v1/session', 'post'],
      ['/api/v1/users', 'post'],
      ['/api/v1/users/{id}', 'patch'],
      ['/api/v1/people', 'get'],
      ['/api/v1/tokens', 'post'],
      ['/api/v1/tokens/{id}', 'delete'],
      ['/api/v1/events', 'get'],
      ['/api/v1/audit/verify', 'get'],
      ['/api/v1/minerals', 'get'],
      ['/api/v1/alerts', 'get'],
      ['/api/v1/alerts', 'post'],
      ['/api/v1/alerts/{id}/acknowledgements', 'post'],
      ['/api/v1/alerts/{id}/escalation', 'post'],
      ['/api/v1/alerts/{id}/dismissal', 'post'],
      ['/api/v1/incidents', 'get'],
      ['/api/v1/incidents', 'post'],
      ['/api/v1/incidents/{id}', 'get'],
    ] as const) {
      expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const create = spec.paths['/api/v1/users'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['username', 'displayName', 'password', 'role', 'agency', 'side']));
    expect(create.properties.role.enum).toEqual(['admin', 'lead', 'member', 'liaison', 'staff']);
    const docs = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('serves the minerals reference list with names in English and Japanese', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/minerals' });
    const dy = res.json().find((m: { id: string }) => m.id === 'dysprosium');
    expect(dy).toMatchObject({ symbol: 'Dy', name: { en: 'Dysprosium', ja: 'ジスプロシウム' }, lists: expect.arrayContaining(['US', 'JP']) });
  });
});

describe('idempotency keys', () => {
  let t: TestApp;
  let a: TestUser;
  let b: TestUser;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createUser(t, 'member');
    b = await createUser(t, 'member');
  });
  afterAll(() => t.close());

  const post = (cookie: string, key: string, name: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie, 'idempotency-key': key }, payload: { name } });
  const head = () => t.app.lodestone.log.head('admin');

  it('replays the first response for the same key and body, changing nothing (a token without its secret, shown once)', async () => {
    const first = await post(a.cookie, 'k-1', 'laptop');
    const events = await head();
    const again = await post(a.cookie, 'k-1', 'laptop');
    expect(again.statusCode).toBe(first.statusCode);
    expect(first.json().token).toMatch(/^lsk_/);
    expect(again.body).toBe(JSON.stringify({ ...first.json(), token: null }));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await head()).toBe(events);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { cookie: a.cookie } })).json();
    expect(listed.filter((x: { name: string }) => x.name === 'laptop')).toHaveLength(1);
  });

  it('answers 422 when the key comes back with another body', async () => {
    await post(a.cookie, 'k-2', 'first');
    const events = await head();
    const res = await post(a.cookie, 'k-2', 'second');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: 422 });
    expect(await head()).toBe(events);
  });

  it('scopes a key to its user: another user with the same key makes their own change', async () => {
    const mine = await post(a.cookie, 'shared-key', 'same');
    const theirs = await post(b.cookie, 'shared-key', 'same');
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(mine.json().id);
  });

  it('replays a refusal too, and refuses a key over 128 characters', async () => {
    const first = await post(a.cookie, 'k-3', '');
    expect(first.statusCode).toBe(400);
    const again = await post(a.cookie, 'k-3', '');
    expect(again.body).toBe(first.body);
    expect((await post(a.cookie, 'k'.repeat(129), 'x')).statusCode).toBe(400);
    expect((await post(a.cookie, 'k'.repeat(128), 'x')).statusCode).toBe(201);
  });

  it('treats two spellings of one path as one path: a percent-encoded id shares the key', async () => {
    const lead = await createUser(t, 'lead');
    const incident = await openIncident(t, lead);
    const spelled = `%${incident.id.charCodeAt(0).toString(16).toUpperCase()}${incident.id.slice(1)}`;
    const note = (id: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/messages`, headers: { cookie: lead.cookie, 'idempotency-key': 'k-spelling' }, payload: { body: 'once' } });
    const stream = `incident:${incident.id}` as const;
    const first = await note(incident.id);
    expect(first.statusCode).toBe(201);
    const events = await t.app.lodestone.log.head(stream);
    const again = await note(spelled);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await t.app.lodestone.log.head(stream)).toBe(events);
  });

  it('replays the first answer to a retry even after the caller was removed from the incident', async () => {
    const lead = await createUser(t, 'lead');
    const incident = await openIncident(t, lead, { members: [a] });
    const note = () =>
      t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: a.cookie, 'idempotency-key': 'k-removed' }, payload: { body: 'sent from the outbox' } });
    const first = await note();
    expect(first.statusCode).toBe(201);
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/incidents/${incident.id}/members/${a.user.id}`, headers: { cookie: lead.cookie } });
    expect(removed.statusCode).toBe(204);
    const again = await note();
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    // A new request (another key) is refused: the replay is no way in.
    const other = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: a.cookie, 'idempotency-key': 'k-removed-2' }, payload: { body: 'sent from the outbox' } });
    expect(other.statusCode).toBe(403);
  });

  it('applies concurrent requests with one key once', async () => {
    const events = await head();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(a.cookie, 'k-race', 'race')));
    // One answer is the creation, with the secret; the others replay it without (token: null).
    expect(answers.filter((r) => typeof r.json().token === 'string')).toHaveLength(1);
    expect(new Set(answers.map((r) => JSON.stringify({ ...r.json(), token: null }))).size).toBe(1);
    expect(await head()).toBe(events + 1);
  });
});

describe('serving the client', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-client-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Lodestone</title><div id="app"></div>');
    writeFileSync(join(dir, 'assets', 'main-abc123.js'), 'console.log(1)');
    t = await buildTestApp({ clientDir: dir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html for every page path (history mode), never for /api', async () => {
    for (const path of ['/', '/alerts', '/incidents/01ABC/after-action']) {
      const res = await t.app.inject({ method: 'GET', url: path, headers: { accept: 'text/html' } });
      expect(res.statusCode, path).toBe(200);
      expect(res.body).toContain('<title>Lodestone</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
  });

  it('serves hashed assets as immutable, and a missing asset as 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/main-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toMatch(/immutable/);
    expect((await t.app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
  });
});
