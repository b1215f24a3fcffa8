import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { GENESIS_HASH, chainInput, verifyStreamEvents, type Actor, type LodestoneEvent } from '@lodestone/shared';
import { append } from '../../server/src/events/event-log.ts';
import type { SqliteStore } from '../../server/src/store/sqlite.ts';
import { buildTestApp, createUser, type TestApp } from '../helpers/app.ts';

const run = promisify(execFile);
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
/** Events are published in a microtask after the change's promise resolves: let it run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('event log', () => {
  let t: TestApp;
  const actor: Actor = { id: 'U1', displayName: 'Test Lead', agency: 'DOE', side: 'US' };
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const log = () => t.app.lodestone.log;
  const readAll = (stream: 'alerts' | 'admin' | `incident:${string}`) => log().read(stream, 0, 100_000);

  it('assigns seq 1, 2, 3… per stream and chains each hash exactly as the contract defines', async () => {
    const published: LodestoneEvent[] = [];
    const off = log().onPublish((events) => published.push(...events));
    const first = await log().enqueue((tx) => append(tx, 'incident:chain', 'message.posted', actor, { body: 'ジスプロシウム在庫', n: 1 }));
    const second = await log().enqueue((tx) => append(tx, 'incident:chain', 'message.posted', null, { body: 'second' }));
    await tick();
    off();
    expect([first.seq, second.seq]).toEqual([1, 2]);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    const body = JSON.stringify({ actorId: 'U1', at: first.at, data: { body: 'ジスプロシウム在庫', n: 1 }, seq: 1, stream: 'incident:chain', type: 'message.posted' });
    expect(first.hash).toBe(sha(GENESIS_HASH + body));
    expect(second.hash).toBe(sha(chainInput(second)));
    expect(published.map((e) => e.seq)).toEqual([1, 2]);
    expect(verifyStreamEvents(await readAll('incident:chain'), sha)).toEqual({ ok: true, events: 2 });
  });

  it('leaves no event and publishes nothing when the transaction rolls back', async () => {
    const head = await log().head('incident:rollback');
    const published: LodestoneEvent[] = [];
    const off = log().onPublish((events) => published.push(...events));
    await expect(
      log().enqueue(async (tx) => {
        await append(tx, 'incident:rollback', 'message.posted', actor, { body: 'never' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await tick();
    off();
    expect(await log().head('incident:rollback')).toBe(head);
    expect(await readAll('incident:rollback')).toEqual([]);
    expect(published).toEqual([]);
    // The next append still gets seq 1: the failed one consumed nothing.
    expect((await log().enqueue((tx) => append(tx, 'incident:rollback', 'message.posted', actor, { body: 'kept' }))).seq).toBe(1);
  });

  it('group-commits changes of one tick: a failing one rolls back alone, the rest commit in order; answers go out, then events', async () => {
    const published: LodestoneEvent[] = [];
    const order: string[] = [];
    const off = log().onPublish((events) => {
      order.push('published');
      published.push(...events);
    });
    const stream = 'incident:grouped' as const;
    const changes = [
      log().enqueue(async (tx) => (await append(tx, stream, 'message.posted', actor, { n: 1 })).seq),
      log().enqueue(async (tx) => {
        await append(tx, stream, 'message.posted', actor, { n: 2 });
        throw new Error('refused');
      }),
      log().enqueue(async (tx) => (await append(tx, stream, 'message.posted', actor, { n: 3 })).seq),
    ];
    changes.forEach((change, i) => void change.then(() => order.push(`answer ${i + 1}`), () => order.push(`answer ${i + 1}`)));
    expect(published).toEqual([]); // nothing before the commit
    const outcomes = await Promise.allSettled(changes);
    off();
    // Each change's answer is on its way before the events go to the rooms.
    expect(order).toEqual(['answer 1', 'answer 2', 'answer 3', 'published']);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([1, 'refused', 2]);
    const stored = await readAll(stream);
    expect(stored.map((e) => [e.seq, (e.data as { n: number }).n])).toEqual([[1, 1], [2, 3]]);
    expect(published.map((e) => e.seq)).toEqual([1, 2]);
    expect(verifyStreamEvents(stored, sha).ok).toBe(true);
  });

  it('keeps seqs contiguous when several processes append to one database at once', async () => {
    const worker = new URL('../helpers/append-worker.ts', import.meta.url).pathname;
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    await Promise.all(['a', 'b', 'c'].map((label) => run(tsx, [worker, t.dbPath, 'incident:concurrent', '150', label])));
    const events = await readAll('incident:concurrent');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    for (const label of ['a', 'b', 'c']) expect(events.filter((e) => (e.data as { label: string }).label === label)).toHaveLength(150);
    expect(verifyStreamEvents(events, sha).ok).toBe(true);
  });

  it('keeps seqs contiguous under concurrent HTTP mutations', async () => {
    const before = await log().head('admin');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: t.admin }, payload: { name: `t${i}` } }),
      ),
    );
    const events = await log().read('admin', before, 1000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => before + i + 1));
  });

  it('verifies every chain, and names the first event of a modified row', async () => {
    await createUser(t, 'member');
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: t.admin } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true });
    expect(ok.json().events).toBeGreaterThan(450);
    expect(ok.json().firstBadEvent).toBeUndefined();

    (t.app.lodestone.store as SqliteStore).handle.sqlite
      .prepare("UPDATE events SET data = replace(data, 'second', 'SECOND') WHERE stream = 'incident:chain' AND seq = 2")
      .run();
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: t.admin } });
    expect(bad.json()).toMatchObject({ ok: false, firstBadEvent: { stream: 'incident:chain', seq: 2 } });
  });

  it('finds an event whose served JSON was altered, though its chained columns were not', async () => {
    const fresh = await buildTestApp();
    try {
      await fresh.app.lodestone.log.enqueue((tx) => append(tx, 'incident:served', 'message.posted', actor, { body: 'original' }));
      expect((await fresh.app.lodestone.log.verify()).ok).toBe(true);
      (fresh.app.lodestone.store as SqliteStore).handle.sqlite
        .prepare("UPDATE events SET json = replace(json, 'original', 'forged') WHERE stream = 'incident:served'")
        .run();
      expect(await fresh.app.lodestone.log.verify()).toMatchObject({ ok: false, firstBadEvent: { stream: 'incident:served', seq: 1 } });
    } finally {
      await fresh.close();
    }
  });

  it('serves events appended before the json column exactly as the others', async () => {
    const event = await log().enqueue((tx) => append(tx, 'incident:legacy', 'message.posted', actor, { body: 'old 旧', n: 1 }));
    (t.app.lodestone.store as SqliteStore).handle.sqlite.prepare("UPDATE events SET json = NULL WHERE stream = 'incident:legacy'").run();
    expect(await log().read('incident:legacy', 0, 10)).toEqual([event]);
    expect(JSON.parse((await log().readJson('incident:legacy', 0, 10))[0] ?? '')).toEqual(event);
  });

  it('finds a deleted event as a gap', async () => {
    await log().enqueue(async (tx) => {
      for (let i = 0; i < 3; i++) await append(tx, 'incident:gap', 'message.posted', actor, { i });
    });
    (t.app.lodestone.store as SqliteStore).handle.sqlite.prepare("DELETE FROM events WHERE stream = 'incident:gap' AND seq = 2").run();
    const report = await log().verify();
    expect(report.ok).toBe(false);
    // incident:chain sorts first and is already bad; check the gap stream on its own.
    const events = await readAll('incident:gap');
    expect(verifyStreamEvents(events, sha).firstBadEvent).toMatchObject({ stream: 'incident:gap', seq: 3 });
  });
});
