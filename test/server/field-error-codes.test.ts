import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { FIELD_ERROR_CODES, type Alert, type FieldErrorCode, type IncidentDetail, type Problem } from '@lodestone/shared';
import { alertInput, buildTestApp, createCast, type TestApp } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

/**
 * Every field error code the API can send, each sent for real: one request per code that the
 * server refuses with it (the client words each code in English and Japanese). A code without a
 * row here fails the last test, so a new code comes with the request that produces it.
 */

type Cast = Awaited<ReturnType<typeof createCast>>;
interface Context {
  t: TestApp;
  cast: Cast;
  incident: IncidentDetail;
  alert: Alert;
}
interface Row {
  /** The request, as a client could send it. */
  send(c: Context): Promise<LightMyRequestResponse>;
  /** The field the error names. */
  path: string;
  /** The params it carries, when the code has any. */
  params?: Record<string, unknown>;
}

const json = (c: Context, cookie: string, method: 'POST' | 'PATCH' | 'PUT', url: string, payload: unknown, headers: Record<string, string> = {}) =>
  c.t.app.inject({ method, url: `/api/v1${url}`, headers: { cookie, ...headers }, payload: payload as Record<string, unknown> });
const raw = (c: Context, payload: string | Buffer, headers: Record<string, string> = {}) =>
  c.t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: c.cast.liaison.cookie, 'content-type': 'application/json', ...headers }, payload });
const postAlert = (c: Context, overrides: Record<string, unknown>) => json(c, c.cast.liaison.cookie, 'POST', '/alerts', alertInput(overrides));
const { title: _title, ...withoutTitle } = alertInput();
const newUser = { username: 'new.person', displayName: 'New Person', password: 'long-enough-pw', role: 'member', agency: 'DOE', side: 'US' };
const openAs = (c: Context, body: Record<string, unknown>) => json(c, c.cast.lead.cookie, 'POST', '/incidents', { title: 'Ga export ban', severity: 'high', minerals: ['gallium'], ...body });
const patchIncident = (c: Context, body: Record<string, unknown>) => json(c, c.cast.lead.cookie, 'PATCH', `/incidents/${c.incident.id}`, body);
const newAction = (c: Context, body: Record<string, unknown>) => json(c, c.cast.lead.cookie, 'POST', `/incidents/${c.incident.id}/actions`, { title: 'Ask JOGMEC for stockpile data', ...body });

const ROWS: Record<FieldErrorCode, Row> = {
  required: { send: (c) => json(c, c.cast.liaison.cookie, 'POST', '/alerts', withoutTitle), path: 'title' },
  wrong_type: { send: (c) => postAlert(c, { title: 42 }), path: 'title', params: { expected: 'string' } },
  not_one_of: { send: (c) => postAlert(c, { severity: 'apocalyptic' }), path: 'severity', params: { values: 'critical, high, moderate, low' } },
  invalid_format: { send: (c) => json(c, c.t.admin, 'POST', '/users', { ...newUser, username: 'has space' }), path: 'username' },
  too_long: { send: (c) => postAlert(c, { title: 'x'.repeat(201) }), path: 'title', params: { max: 200 } },
  too_short: { send: (c) => json(c, c.t.admin, 'POST', '/users', { ...newUser, password: 'short' }), path: 'password', params: { min: 8 } },
  too_many_items: { send: (c) => openAs(c, { minerals: Array.from({ length: 101 }, () => 'gallium') }), path: 'minerals', params: { max: 100 } },
  too_small: { send: (c) => patchIncident(c, { version: 0, title: 'Renamed' }), path: 'version', params: { min: 1 } },
  not_integer: { send: (c) => patchIncident(c, { version: 1.5, title: 'Renamed' }), path: 'version' },
  unknown_field: { send: (c) => postAlert(c, { colour: 'red' }), path: 'colour' },
  empty: { send: (c) => postAlert(c, { title: '' }), path: 'title' },
  blank: { send: (c) => postAlert(c, { title: '   ' }), path: 'title' },
  nul_character: { send: (c) => postAlert(c, { title: 'Gallium\u0000 ban' }), path: 'title' },
  unpaired_surrogate: { send: (c) => postAlert(c, { title: 'Ga \uD800 ban' }), path: 'title' },
  unknown_time_zone: { send: (c) => json(c, c.cast.member.cookie, 'PATCH', '/profile', { timeZone: 'Mars/Olympus_Mons' }), path: 'timeZone' },
  unknown_mineral: { send: (c) => postAlert(c, { mineral: 'unobtainium' }), path: 'mineral' },
  unknown_provision: { send: (c) => newAction(c, { provision: 'no-such-provision' }), path: 'provision' },
  no_change: { send: (c) => json(c, c.cast.member.cookie, 'PATCH', '/profile', {}), path: '' },
  escalation_target: { send: (c) => json(c, c.cast.lead.cookie, 'POST', `/alerts/${c.alert.id}/escalation`, {}), path: '' },
  // Neither `me` nor one id: no option of the union fits.
  invalid: { send: (c) => c.t.app.inject({ method: 'GET', url: '/api/v1/actions?owner=me&owner=me', headers: { cookie: c.cast.member.cookie } }), path: 'owner' },
  bidi_control: { send: (c) => json(c, c.cast.member.cookie, 'PATCH', '/profile', { displayName: 'Jordan \u202EsetaH' }), path: 'displayName' },
  invisible_character: { send: (c) => json(c, c.cast.member.cookie, 'PATCH', '/profile', { displayName: 'Jordan\u200BHayes' }), path: 'displayName' },
  name_taken: { send: (c) => json(c, c.cast.member.cookie, 'PATCH', '/profile', { displayName: c.cast.lead.user.displayName.toUpperCase() }), path: 'displayName' },
  taken: { send: (c) => json(c, c.t.admin, 'POST', '/users', { ...newUser, username: c.cast.member.user.username }), path: 'username' },
  wrong_password: {
    send: (c) => json(c, c.cast.member.cookie, 'POST', '/profile/password', { currentPassword: 'not the password', newPassword: 'a-new-password' }),
    path: 'currentPassword',
  },
  unknown_user: { send: (c) => openAs(c, { usLeadId: 'nosuchuser' }), path: 'usLeadId' },
  wrong_side: { send: (c) => openAs(c, { usLeadId: c.cast.jpLead.user.id }), path: 'usLeadId', params: { side: 'US' } },
  not_lead_or_member: { send: (c) => openAs(c, { usLeadId: c.cast.staff.user.id }), path: 'usLeadId' },
  unknown_alert: { send: (c) => openAs(c, { alertIds: ['nosuchalert'] }), path: 'alertIds.0' },
  unknown_incident: { send: (c) => json(c, c.cast.lead.cookie, 'POST', `/alerts/${c.alert.id}/escalation`, { incidentId: 'nosuchincident' }), path: 'incidentId' },
  status_transition: {
    send: async (c) => {
      const closed = await patchIncident(c, { version: c.incident.version, status: 'closed' });
      return patchIncident(c, { version: (closed.json() as IncidentDetail).version, status: 'stabilizing' });
    },
    path: 'status',
    params: { from: 'closed', to: 'stabilizing' },
  },
  owner_cannot_read: { send: (c) => newAction(c, { ownerId: c.cast.jpMember.user.id }), path: 'ownerId' },
  invalid_utf8: { send: (c) => raw(c, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), path: '' },
  invalid_json: { send: (c) => raw(c, '{"title": '), path: '' },
  empty_body: { send: (c) => raw(c, ''), path: '' },
  too_deep: { send: (c) => raw(c, `${'['.repeat(30_000)}${']'.repeat(30_000)}`, { 'idempotency-key': 'deep-body' }), path: '' },
  invalid_header: { send: (c) => raw(c, JSON.stringify(alertInput()), { 'idempotency-key': 'k'.repeat(200) }), path: 'Idempotency-Key' },
  due_in_past: { send: (c) => newAction(c, { dueAt: '2020-01-01T09:00:00.000Z' }), path: 'dueAt' },
  in_future: { send: (c) => postAlert(c, { observedAt: new Date(Date.now() + 60 * 60_000).toISOString() }), path: 'observedAt', params: { maxSkewMinutes: 5 } },
  too_old: { send: (c) => postAlert(c, { observedAt: '2020-01-01T09:00:00.000Z' }), path: 'observedAt', params: { maxDays: 30 } },
};

describe('field error codes: each one the API sends, sent by a real request', () => {
  const c = {} as Context;
  beforeAll(async () => {
    c.t = await buildTestApp();
    c.cast = await createCast(c.t);
    c.incident = await openIncident(c.t, c.cast.lead, { members: [c.cast.member] });
    c.alert = (await postAlert(c, {})).json() as Alert;
  });
  afterAll(() => c.t.close());

  it.each(Object.entries(ROWS))('%s: refused with 400 and the code on its field', async (code, row) => {
    const res = await row.send(c);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json() as Problem;
    const error = problem.errors?.find((e) => e.code === code);
    expect(error, `no ${code} among ${JSON.stringify(problem.errors)}`).toBeDefined();
    expect(error?.path).toBe(row.path);
    expect(error?.message).toEqual(expect.any(String));
    if (row.params) expect(error?.params).toEqual(row.params);
  });

  it('has a request for every code, and no row for a code that no longer exists', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...FIELD_ERROR_CODES].sort());
  });
});
