import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, IncidentDetail, LodestoneEvent, Message } from '@lodestone/shared';
import { buildTestApp, countRows, createCast, createUser, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

describe('incidents routes', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let outsider: TestUser;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
    outsider = await createUser(t, 'member', { side: 'US' });
  });
  afterAll(() => t.close());

  const req = (who: TestUser | string | null, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { cookie: typeof who === 'string' ? who : who.cookie } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  const events = (id: string) => t.app.lodestone.log.read(`incident:${id}`, 0, 100_000);

  describe('authorization before validation (api.md)', () => {
    it('refuses a caller the incident does not admit with 403, even when the body is not JSON at all', async () => {
      const incident = await openIncident(t, cast.lead, { members: [cast.member] });
      const action = (await req(cast.member, 'POST', `/incidents/${incident.id}/actions`, { title: 'Confirm stockpile' })).json() as { id: string };
      const before = (await events(incident.id)).length;
      const cases: [TestUser, 'POST' | 'PATCH', string][] = [
        [outsider, 'POST', `/incidents/${incident.id}/messages`],
        [outsider, 'POST', `/incidents/${incident.id}/actions`],
        [outsider, 'PATCH', `/actions/${action.id}`],
        [cast.member, 'PATCH', `/incidents/${incident.id}`],
        [cast.staff, 'POST', `/incidents/${incident.id}/messages`],
      ];
      for (const [who, method, url] of cases) {
        for (const body of ['{"body":', 'not json', '{}']) {
          const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: who.cookie, 'content-type': 'application/json' }, payload: body });
          expect(res.statusCode, `${who.user.role} ${method} ${url} ${body}`).toBe(403);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
      }
      // Those who may act still get the 400 for the malformed body; nothing was stored by anyone.
      const malformed = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: cast.member.cookie, 'content-type': 'application/json' }, payload: '{"body":' });
      expect(malformed.statusCode).toBe(400);
      const missing = await t.app.inject({ method: 'PATCH', url: '/api/v1/actions/01ARZ3NDEKTSV4RRFFQ69G5FAV', headers: { cookie: outsider.cookie, 'content-type': 'application/json' }, payload: 'nope' });
      expect(missing.statusCode).toBe(404);
      expect((await events(incident.id)).length).toBe(before);
    });
  });

  describe('POST /incidents', () => {
    it('opens an incident for a lead: code, active, version 1, the lead as member and co-lead of their side', async () => {
      const res = await req(cast.jpLead, 'POST', '/incidents', { title: 'ジスプロシウム供給途絶', severity: 'critical', minerals: ['dysprosium'], tlp: 'RED', usLeadId: cast.member.user.id });
      expect(res.statusCode).toBe(201);
      const incident = res.json() as IncidentDetail;
      expect(incident).toMatchObject({ title: 'ジスプロシウム供給途絶', status: 'active', version: 1, severity: 'critical', tlp: 'RED', jpLeadId: cast.jpLead.user.id, usLeadId: cast.member.user.id, closedAt: null });
      expect(incident.code).toMatch(/^RRG-\d{4}-\d{3}$/);
      expect(incident.members.map((m) => m.id).sort()).toEqual([cast.jpLead.user.id, cast.member.user.id].sort());
      expect((await events(incident.id)).map((e) => e.type)).toEqual(['incident.created', 'member.added', 'member.added']);
    });

    it('refuses other roles with 403, anonymous with 401, and invalid bodies with 400 storing nothing', async () => {
      for (const who of [cast.member, cast.liaison, cast.staff, t.admin]) expect((await req(who, 'POST', '/incidents', { title: 'x', severity: 'high', minerals: [] })).statusCode).toBe(403);
      expect((await req(null, 'POST', '/incidents', { title: 'x', severity: 'high', minerals: [] })).statusCode).toBe(401);
      const before = await countRows(t, 'incidents');
      for (const [body, path] of [
        [{ severity: 'high', minerals: [] }, 'title'],
        [{ title: 'x', severity: 'dire', minerals: [] }, 'severity'],
        [{ title: 'x', severity: 'high', minerals: ['kryptonite'] }, 'minerals.0'],
        [{ title: 'x', severity: 'high', minerals: 'dysprosium' }, 'minerals'],
        [{ title: 'x', severity: 'high', minerals: [], jpLeadId: cast.member.user.id }, 'jpLeadId'],
        [{ title: 'x', severity: 'high', minerals: [], usLeadId: cast.staff.user.id }, 'usLeadId'],
        [{ title: 'x', severity: 'high', minerals: [], alertIds: ['NOPE'] }, 'alertIds.0'],
        [{ title: 'x', severity: 'high', minerals: Array(101).fill('gallium') }, 'minerals'],
      ] as const) {
        const res = await req(cast.lead, 'POST', '/incidents', body);
        expect(res.statusCode, path).toBe(400);
        expect(res.json().errors.map((e: { path: string }) => e.path), path).toContain(path);
      }
      expect(await countRows(t, 'incidents')).toBe(before);
    });
  });

  describe('reading', () => {
    it('lists every incident to leads and staff, only their own to members and liaisons, none to admins', async () => {
      const mine = await openIncident(t, cast.lead, { members: [cast.liaison] });
      const other = await openIncident(t, cast.lead);
      const ids = async (who: TestUser) => ((await req(who, 'GET', '/incidents')).json() as Incident[]).map((i) => i.id);
      for (const who of [cast.lead, cast.staff]) expect(await ids(who)).toEqual(expect.arrayContaining([mine.id, other.id]));
      expect(await ids(cast.liaison)).toContain(mine.id);
      expect(await ids(cast.liaison)).not.toContain(other.id);
      expect(await ids(outsider)).not.toContain(mine.id);
      expect((await req(t.admin, 'GET', '/incidents')).statusCode).toBe(403);
    });

    it('reads an incident with members and alerts for members, leads and staff; refuses non-members', async () => {
      const incident = await openIncident(t, cast.lead, { members: [cast.member] });
      for (const who of [cast.member, cast.lead, cast.jpLead, cast.staff]) {
        const res = await req(who, 'GET', `/incidents/${incident.id}`);
        expect(res.statusCode).toBe(200);
        expect(res.json().members.map((m: { id: string }) => m.id)).toContain(cast.member.user.id);
        expect(res.json().alerts).toEqual([]);
      }
      expect((await req(outsider, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(403);
      expect((await req(cast.liaison, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(403);
      expect((await req(t.admin, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(403);
      expect((await req(cast.lead, 'GET', '/incidents/NOPE')).statusCode).toBe(404);
      expect((await req(null, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(401);
      expect((await req(outsider, 'GET', `/events?stream=incident:${incident.id}`)).statusCode).toBe(403);
      expect((await req(cast.member, 'GET', `/events?stream=incident:${incident.id}`)).statusCode).toBe(200);
    });
  });

  describe('PATCH /incidents/:id', () => {
    it('changes status with the version, records changed fields and previous values', async () => {
      const incident = await openIncident(t, cast.lead);
      const res = await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { version: 1, status: 'stabilizing', severity: 'moderate' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'stabilizing', severity: 'moderate', version: 2 });
      expect((await events(incident.id)).at(-1)).toMatchObject({ type: 'incident.updated', data: { version: 2, changed: ['status', 'severity'], previous: { status: 'active', severity: 'high' } } });
    });

    it('refuses a stale version with 409, the current incident and who changed it when', async () => {
      const incident = await openIncident(t, cast.lead);
      await req(cast.jpLead, 'PATCH', `/incidents/${incident.id}`, { version: 1, title: 'Renamed by METI' });
      const stale = await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { version: 1, severity: 'low' });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toMatchObject({ status: 409, current: { id: incident.id, version: 2, title: 'Renamed by METI', severity: 'high' }, lastChange: { by: { id: cast.jpLead.user.id } } });
      expect((await req(cast.lead, 'GET', `/incidents/${incident.id}`)).json().severity).toBe('high');
    });

    it('lets exactly one of several concurrent PATCHes from the same version win', async () => {
      const incident = await openIncident(t, cast.lead);
      const answers = await Promise.all(
        (['critical', 'moderate', 'low', 'high'] as const).map((severity, i) => req(i % 2 ? cast.jpLead : cast.lead, 'PATCH', `/incidents/${incident.id}`, { version: 1, severity, summary: `attempt ${i}` })),
      );
      expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(answers.filter((r) => r.statusCode === 409)).toHaveLength(3);
      const winner = answers.find((r) => r.statusCode === 200)?.json();
      for (const loser of answers.filter((r) => r.statusCode === 409)) expect(loser.json().current).toMatchObject({ version: 2, severity: winner.severity });
    });

    it('follows the lifecycle: closed reopens only to active; closing sets closedAt', async () => {
      const incident = await openIncident(t, cast.lead);
      const patch = (version: number, status: string) => req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { version, status });
      const closed = await patch(1, 'closed');
      expect(closed.json()).toMatchObject({ status: 'closed', version: 2 });
      expect(closed.json().closedAt).not.toBeNull();
      const bad = await patch(2, 'stabilizing');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([{ path: 'status', message: 'cannot change from closed to stabilizing', code: 'status_transition', params: { from: 'closed', to: 'stabilizing' } }]);
      expect((await patch(2, 'monitoring')).statusCode).toBe(400);
      const reopened = await patch(2, 'active');
      expect(reopened.json()).toMatchObject({ status: 'active', closedAt: null, version: 3 });
      // Status and severity history rebuilds from the stream.
      const history = (await events(incident.id))
        .filter((e) => e.type === 'incident.created' || e.type === 'incident.updated')
        .map((e) => (e.data as Incident).status);
      expect(history).toEqual(['active', 'closed', 'active']);
    });

    it('lets a co-lead member change status and severity but not lessons or co-leads; other members 403', async () => {
      const incident = await openIncident(t, cast.lead, { members: [cast.jpMember, cast.member], body: { jpLeadId: cast.jpMember.user.id } });
      const ok = await req(cast.jpMember, 'PATCH', `/incidents/${incident.id}`, { version: 1, severity: 'critical', tlp: 'AMBER+STRICT' });
      expect(ok.statusCode).toBe(200);
      expect((await req(cast.jpMember, 'PATCH', `/incidents/${incident.id}`, { version: 2, lessons: { summary: 'x' } })).statusCode).toBe(403);
      expect((await req(cast.jpMember, 'PATCH', `/incidents/${incident.id}`, { version: 'nope', jpLeadId: cast.jpMember.user.id })).statusCode).toBe(403);
      expect((await req(cast.member, 'PATCH', `/incidents/${incident.id}`, { version: 2, severity: 'low' })).statusCode).toBe(403);
      expect((await req(cast.member, 'PATCH', `/incidents/${incident.id}`, { version: 'x' })).statusCode).toBe(403);
      expect((await req(cast.staff, 'PATCH', `/incidents/${incident.id}`, { version: 2, severity: 'low' })).statusCode).toBe(403);
      expect((await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { version: 2, lessons: { strengths: 'Fast JP–US call' } })).json().lessons).toEqual({ summary: '', strengths: 'Fast JP–US call', improvements: '' });
    });

    it('refuses invalid patches with 400 and changes nothing', async () => {
      const incident = await openIncident(t, cast.lead);
      for (const body of [{ status: 'active' }, { version: 1 }, { version: 1, status: 'done' }, { version: 1, title: '' }, { version: 1, minerals: ['x'] }, { version: 1, color: 'red' }, { version: 1, lessons: { summary: 1 } }]) {
        expect((await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, body)).statusCode, JSON.stringify(body)).toBe(400);
      }
      expect((await req(cast.lead, 'GET', `/incidents/${incident.id}`)).json().version).toBe(1);
    });
  });

  describe('members', () => {
    it('lets leads add and remove members; removal takes read access away', async () => {
      const incident = await openIncident(t, cast.lead);
      const u = await createUser(t, 'liaison');
      expect((await req(u, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(403);
      expect((await req(cast.lead, 'PUT', `/incidents/${incident.id}/members/${u.user.id}`)).statusCode).toBe(204);
      expect((await req(cast.lead, 'PUT', `/incidents/${incident.id}/members/${u.user.id}`)).statusCode).toBe(204);
      expect((await req(u, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(200);
      expect((await events(incident.id)).filter((e) => e.type === 'member.added' && (e.data as { id: string }).id === u.user.id)).toHaveLength(1);
      expect((await req(cast.jpLead, 'DELETE', `/incidents/${incident.id}/members/${u.user.id}`)).statusCode).toBe(204);
      expect((await req(u, 'GET', `/incidents/${incident.id}`)).statusCode).toBe(403);
      expect((await events(incident.id)).at(-1)).toMatchObject({ type: 'member.removed', data: { id: u.user.id, incidentId: incident.id } });
    });

    it('refuses non-leads (403), unknown users (404), admins and co-lead removal (409)', async () => {
      const incident = await openIncident(t, cast.lead, { members: [cast.member] });
      expect((await req(cast.member, 'PUT', `/incidents/${incident.id}/members/${cast.liaison.user.id}`)).statusCode).toBe(403);
      expect((await req(cast.staff, 'DELETE', `/incidents/${incident.id}/members/${cast.member.user.id}`)).statusCode).toBe(403);
      expect((await req(cast.lead, 'PUT', `/incidents/${incident.id}/members/NOPE`)).statusCode).toBe(404);
      expect((await req(cast.lead, 'PUT', `/incidents/NOPE/members/${cast.member.user.id}`)).statusCode).toBe(404);
      const adminId = ((await req(t.admin, 'GET', '/users')).json() as { id: string; username: string }[]).find((u) => u.username === 'admin')?.id;
      expect((await req(cast.lead, 'PUT', `/incidents/${incident.id}/members/${adminId}`)).statusCode).toBe(409);
      expect((await req(cast.lead, 'DELETE', `/incidents/${incident.id}/members/${cast.lead.user.id}`)).statusCode).toBe(409);
    });
  });

  describe('messages', () => {
    it('lets members and leads post notes, leads and co-leads record decisions', async () => {
      const incident = await openIncident(t, cast.lead, { members: [cast.member, cast.liaison, cast.jpMember], body: { jpLeadId: cast.jpMember.user.id } });
      const note = await req(cast.liaison, 'POST', `/incidents/${incident.id}/messages`, { body: '天津港で出荷保留を確認' });
      expect(note.statusCode).toBe(201);
      const message = note.json() as Message;
      expect(message).toMatchObject({ kind: 'note', body: '天津港で出荷保留を確認', author: { id: cast.liaison.user.id } });
      expect((await events(incident.id)).at(-1)).toMatchObject({ seq: message.seq, type: 'message.posted', data: message });
      expect((await req(cast.jpMember, 'POST', `/incidents/${incident.id}/messages`, { body: 'Draw down JOGMEC stocks', kind: 'decision' })).statusCode).toBe(201);
      expect((await req(cast.jpLead, 'POST', `/incidents/${incident.id}/messages`, { body: 'Joint statement at 09:00 JST', kind: 'decision' })).statusCode).toBe(201);
      expect((await events(incident.id)).at(-1)?.type).toBe('decision.recorded');
      expect((await req(cast.member, 'POST', `/incidents/${incident.id}/messages`, { body: 'I decide', kind: 'decision' })).statusCode).toBe(403);
      expect((await req(cast.member, 'POST', `/incidents/${incident.id}/messages`, { body: '', kind: 'decision' })).statusCode).toBe(403);
      expect((await req(outsider, 'POST', `/incidents/${incident.id}/messages`, { body: 'hello' })).statusCode).toBe(403);
      expect((await req(cast.staff, 'POST', `/incidents/${incident.id}/messages`, { body: 'hello' })).statusCode).toBe(403);
      expect((await req(cast.member, 'POST', `/incidents/${incident.id}/messages`, { body: '  ' })).statusCode).toBe(400);
      expect((await req(cast.member, 'POST', `/incidents/${incident.id}/messages`, { body: 'x', kind: 'rumour' })).statusCode).toBe(400);
      const decisions = (await req(cast.staff, 'GET', `/incidents/${incident.id}/messages?kind=decision`)).json() as Message[];
      expect(decisions.map((d) => d.body)).toEqual(['Joint statement at 09:00 JST', 'Draw down JOGMEC stocks']); // newest first
    });

    it('refuses posts to a closed incident with 409', async () => {
      const incident = await openIncident(t, cast.lead);
      await req(cast.lead, 'PATCH', `/incidents/${incident.id}`, { version: 1, status: 'closed' });
      expect((await req(cast.lead, 'POST', `/incidents/${incident.id}/messages`, { body: 'late' })).statusCode).toBe(409);
    });

    it('pages the timeline newest first', async () => {
      const incident = await openIncident(t, cast.lead);
      for (let i = 0; i < 12; i++) await req(cast.lead, 'POST', `/incidents/${incident.id}/messages`, { body: `note ${i}` });
      const first = (await req(cast.lead, 'GET', `/incidents/${incident.id}/timeline?limit=5`)).json() as { events: LodestoneEvent[]; head: number };
      expect(first.events.map((e) => e.seq)).toEqual([first.head, first.head - 1, first.head - 2, first.head - 3, first.head - 4]);
      const next = (await req(cast.lead, 'GET', `/incidents/${incident.id}/timeline?limit=5&before=${first.events.at(-1)?.seq}`)).json() as { events: LodestoneEvent[] };
      expect(next.events[0]?.seq).toBe((first.events.at(-1)?.seq ?? 0) - 1);
      expect((await req(outsider, 'GET', `/incidents/${incident.id}/timeline`)).statusCode).toBe(403);
    });
  });
});
