import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@lodestone/shared';
import { alertInput, buildTestApp, countRows, createUser, type TestApp, type TestUser } from '../helpers/app.ts';

describe('when an alert was written (observedAt)', () => {
  let t: TestApp;
  let liaison: TestUser;
  let lead: TestUser;
  /** The server's clock: observedAt is judged by it. */
  const now = new Date('2026-03-10T10:50:00.000Z');
  beforeAll(async () => {
    t = await buildTestApp({ clock: () => now });
    liaison = await createUser(t, 'liaison', { side: 'JP' });
    lead = await createUser(t, 'lead', { side: 'US' });
  });
  afterAll(() => t.close());

  const post = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput(payload) });
  const lastEvent = async () => (await t.app.lodestone.log.read('alerts', 0, 10_000)).at(-1);

  it('keeps the time it was written beside the time it was posted, in the answer, the feed and the event', async () => {
    const res = await post({ title: 'Written offline at 19:49 JST', observedAt: '2026-03-10T19:49:00+09:00' });
    expect(res.statusCode).toBe(201);
    const alert = res.json() as Alert;
    expect(alert).toMatchObject({ observedAt: '2026-03-10T10:49:00.000Z', postedAt: '2026-03-10T10:50:00.000Z' });
    const feed = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { cookie: lead.cookie } })).json() as Alert[];
    expect(feed.find((a) => a.id === alert.id)?.observedAt).toBe('2026-03-10T10:49:00.000Z');
    expect(await lastEvent()).toMatchObject({ type: 'alert.posted', data: { id: alert.id, observedAt: '2026-03-10T10:49:00.000Z' } });
  });

  it('is null when the poster does not say', async () => {
    const res = await post({ title: 'Posted as written' });
    expect(res.json()).toMatchObject({ observedAt: null, postedAt: now.toISOString() });
  });

  it('takes a time a little ahead of the server’s clock (a fast device) as the posting time', async () => {
    const res = await post({ title: 'Device clock 4 minutes fast', observedAt: '2026-03-10T10:54:00Z' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ observedAt: now.toISOString(), postedAt: now.toISOString() });
    // Thirty days ago is still a field report kept offline.
    expect((await post({ title: 'A month in a drawer', observedAt: '2026-02-08T10:50:00Z' })).statusCode).toBe(201);
  });

  const refused: [string, string, string, Record<string, number> | undefined][] = [
    ['more than 5 minutes in the future', '2026-03-10T10:55:01Z', 'in_future', { maxSkewMinutes: 5 }],
    ['more than 30 days ago', '2026-02-08T10:49:59Z', 'too_old', { maxDays: 30 }],
    ['without a time zone', '2026-03-10T10:49:00', 'invalid_format', undefined],
  ];
  for (const [name, observedAt, code, params] of refused) {
    it(`refuses a written time ${name} with 400 (${code}) and stores nothing`, async () => {
      const alerts = await countRows(t, 'alerts');
      const head = await t.app.lodestone.log.head('alerts');
      const res = await post({ title: `Refused: ${name}`, observedAt });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: 'observedAt', code, ...(params ? { params } : {}) })]);
      expect(await countRows(t, 'alerts')).toBe(alerts);
      expect(await t.app.lodestone.log.head('alerts')).toBe(head);
    });
  }
});
