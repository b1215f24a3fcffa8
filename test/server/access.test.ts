import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Action, IncidentDetail } from '@lodestone/shared';
import { buildTestApp, createCast, type TestApp } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

/**
 * The access check of an incident route runs once per request, before the body is read, and
 * the handler works from what it found (the access matrix proves the outcomes themselves).
 */
describe('access checks on incident routes', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let incident: IncidentDetail;
  let action: Action;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
    incident = await openIncident(t, cast.lead, { members: [cast.member], body: { jpLeadId: cast.jpMember.user.id } });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: cast.member.cookie }, payload: { title: 'Map suppliers' } });
    action = res.json();
  });
  afterAll(() => t.close());

  /** How many times the caller's membership is looked up while one request is answered. */
  async function membershipLookups(cookie: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: () => object): Promise<{ status: number; lookups: number }> {
    const body = payload?.();
    const spy = vi.spyOn(t.app.lodestone.incidents, 'isMember');
    try {
      const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: { cookie }, ...(body ? { payload: body } : {}) });
      return { status: res.statusCode, lookups: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
    }
  }

  const current = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: cast.lead.cookie } })).json() as IncidentDetail;

  it('looks up the membership once for a read, a change by a co-lead, and action items', async () => {
    const { version } = await current();
    const cases: [string, 'GET' | 'POST' | 'PATCH', string, (() => object)?][] = [
      [cast.member.cookie, 'GET', `/incidents/${incident.id}`],
      [cast.member.cookie, 'GET', `/incidents/${incident.id}/timeline`],
      [cast.member.cookie, 'GET', `/incidents/${incident.id}/messages`],
      [cast.jpMember.cookie, 'PATCH', `/incidents/${incident.id}`, () => ({ version, severity: 'critical' })],
      [cast.member.cookie, 'GET', `/incidents/${incident.id}/actions`],
      [cast.member.cookie, 'POST', `/incidents/${incident.id}/actions`, () => ({ title: 'Brief the ministries' })],
      [cast.member.cookie, 'GET', `/actions/${action.id}`],
      [cast.member.cookie, 'PATCH', `/actions/${action.id}`, () => ({ version: action.version, status: 'in_progress' })],
      [cast.member.cookie, 'GET', `/incidents/${incident.id}/export?format=json`],
    ];
    for (const [cookie, method, url, payload] of cases) {
      const { status, lookups } = await membershipLookups(cookie, method, url, payload);
      expect(status, `${method} ${url}`).toBeLessThan(300);
      expect(lookups, `${method} ${url}`).toBe(1);
    }
  });

  it('checks a posted note twice, by design: before the body is read, and in the transaction that stores it', async () => {
    const { status, lookups } = await membershipLookups(cast.member.cookie, 'POST', `/incidents/${incident.id}/messages`, () => ({ body: 'Licence backlog confirmed' }));
    expect(status).toBe(201);
    expect(lookups).toBe(2);
  });

  it('refuses a member who is not a co-lead with 403 before reading a body that is not even JSON, and stores nothing', async () => {
    const before = (await current()).version;
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: cast.member.cookie, 'content-type': 'application/json' }, payload: '{"version":' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, detail: 'Leads and the co-leads of this incident change it.' });
    expect((await current()).version).toBe(before);
  });
});
