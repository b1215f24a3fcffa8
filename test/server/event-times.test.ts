import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Alert } from '@lodestone/shared';
import { BackdatedAppend } from '../../server/src/events/event-log.ts';
import { MIGRATIONS_FOLDER, openDatabase } from '../../server/src/db/connection.ts';
import { toAuthUser } from '../../server/src/features/users/users.service.ts';
import { alertInput, buildTestApp, countRows, createUser, type TestApp, type TestUser } from '../helpers/app.ts';

describe('event times along a stream', () => {
  let t: TestApp;
  let liaison: TestUser;
  let clock = new Date('2026-05-01T10:00:00.000Z');
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => clock });
    liaison = await createUser(t, 'liaison');
  });
  afterAll(() => t.close());

  const post = (title: string) => t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ title }) });
  const alertEvents = () => t.app.lodestone.log.read('alerts', 0, 10_000);

  it('stamps an append whose clock reads earlier than the stream’s last event with that last time', async () => {
    clock = new Date('2026-05-01T10:00:00.000Z');
    expect((await post('Before the clock stepped back')).statusCode).toBe(201);
    // The system clock steps back an hour (or another node's clock runs behind).
    clock = new Date('2026-05-01T09:00:00.000Z');
    expect((await post('After the clock stepped back')).statusCode).toBe(201);
    const [before, after] = (await alertEvents()).slice(-2);
    expect(before?.at).toBe('2026-05-01T10:00:00.000Z');
    expect(after?.at).toBe('2026-05-01T10:00:00.000Z');
    expect(after?.seq).toBe((before?.seq ?? 0) + 1);
    // Once the clock is past the last event again, events carry its time.
    clock = new Date('2026-05-01T10:05:00.000Z');
    await post('Clock caught up');
    expect((await alertEvents()).at(-1)?.at).toBe('2026-05-01T10:05:00.000Z');
    expect((await t.app.lodestone.log.verify()).ok).toBe(true);
  });

  it('refuses an explicitly back-dated change naming the stream and both times, and stores nothing', async () => {
    clock = new Date('2026-05-02T00:00:00.000Z');
    await post('The latest alert');
    const last = (await alertEvents()).at(-1);
    const alerts = await countRows(t, 'alerts');
    const head = await t.app.lodestone.log.head('alerts');
    const services = t.app.lodestone;
    const row = await services.users.row(liaison.user.id);
    if (!row) throw new Error('liaison missing');
    const user = toAuthUser(row);
    const mutation = { actor: { id: user.id, displayName: user.displayName, agency: user.agency, side: user.side } };
    const earlier = new Date('2026-04-30T12:00:00.000Z');
    const attempt = services.context.at(earlier, () => services.alerts.post(mutation, user, alertInput({ title: 'Back-dated' }) as Parameters<typeof services.alerts.post>[2]));
    await expect(attempt).rejects.toBeInstanceOf(BackdatedAppend);
    await expect(attempt).rejects.toThrow(`stream alerts at 2026-04-30T12:00:00.000Z: its last event is at ${last?.at}`);
    expect(await countRows(t, 'alerts')).toBe(alerts);
    expect(await t.app.lodestone.log.head('alerts')).toBe(head);

    // The same time as the last event, or later, is history in order and is kept.
    const kept = await services.context.at(new Date(last?.at ?? ''), () =>
      services.alerts.post(mutation, user, alertInput({ title: 'Explicitly at the same moment' }) as Parameters<typeof services.alerts.post>[2]),
    );
    expect((kept as Alert).postedAt).toBe(last?.at);
    expect((await alertEvents()).at(-1)?.at).toBe(last?.at);
  });

  it('fills the head time of an existing database from its last event when migrating', async () => {
    // A database as it was before the column: only the migrations up to 0004.
    const folder = `${t.dir}/migrations-0004`;
    mkdirSync(`${folder}/meta`, { recursive: true });
    const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: { idx: number; tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.idx <= 4);
    writeFileSync(`${folder}/meta/_journal.json`, JSON.stringify(journal));
    for (const e of journal.entries) copyFileSync(`${MIGRATIONS_FOLDER}/${e.tag}.sql`, `${folder}/${e.tag}.sql`);
    const path = `${t.dir}/older.db`;
    const sqlite = new Database(path);
    migrate(drizzle(sqlite), { migrationsFolder: folder });
    sqlite.exec(`
      INSERT INTO events (stream, seq, type, at, actor_id, actor, data, prev_hash, hash) VALUES
        ('alerts', 1, 'alert.posted', '2025-01-01T00:00:00.000Z', NULL, NULL, '{}', 'p', 'h1'),
        ('alerts', 2, 'alert.posted', '2025-03-04T05:06:07.000Z', NULL, NULL, '{}', 'h1', 'h2');
      INSERT INTO streams (name, head_seq, head_hash) VALUES ('alerts', 2, 'h2');
    `);
    sqlite.close();
    const migrated = openDatabase(`file:${path}`);
    try {
      expect(migrated.sqlite.prepare("SELECT head_at FROM streams WHERE name = 'alerts'").pluck().get()).toBe('2025-03-04T05:06:07.000Z');
    } finally {
      migrated.close();
    }
  });
});
