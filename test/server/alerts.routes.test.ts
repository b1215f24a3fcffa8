import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, IncidentDetail, LodestoneEvent } from '@lodestone/shared';
import { alertInput, buildTestApp, countRows, createCast, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { connectSocket, record, subscribe, waitFor } from '../helpers/sockets.ts';

describe('alerts routes', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  beforeAll(async () => {
    t = await buildTestApp();
    cast = await createCast(t);
  });
  afterAll(() => t.close());

  const post = (who: TestUser | string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: typeof who === 'string' ? who : who.cookie, ...headers }, payload: payload as object });
  const act = (who: TestUser, id: string, what: 'acknowledgements' | 'escalation' | 'dismissal', payload: unknown = {}) =>
    t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/${what}`, headers: { cookie: who.cookie }, payload: payload as object });
  const list = (who: TestUser, q = '') => t.app.inject({ method: 'GET', url: `/api/v1/alerts${q}`, headers: { cookie: who.cookie } });
  const stream = (name: string) => t.app.lodestone.log.read(name as 'alerts', 0, 100_000);
  const newAlert = async (overrides: Record<string, unknown> = {}, who: TestUser = cast.liaison) => {
    const res = await post(who, alertInput(overrides));
    expect(res.statusCode).toBe(201);
    return res.json() as Alert;
  };

  describe('POST /alerts', () => {
    it('lets leads, members and liaisons post: 201 with status new, the poster and no acknowledgements', async () => {
      for (const who of [cast.lead, cast.member, cast.liaison]) {
        const res = await post(who, alertInput({ title: `from ${who.user.role}` }));
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({
          title: `from ${who.user.role}`,
          status: 'new',
          postedBy: who.user.id,
          poster: { id: who.user.id, displayName: who.user.displayName, agency: who.user.agency, side: who.user.side },
          acknowledgements: [],
          incidentId: null,
          tlp: 'AMBER',
        });
        expect(new Date(res.json().postedAt).toISOString()).toBe(res.json().postedAt);
      }
    });

    it('refuses staff and admins with 403 (even with an invalid body) and anonymous callers with 401', async () => {
      expect((await post(cast.staff, alertInput())).statusCode).toBe(403);
      expect((await post(t.admin, alertInput())).statusCode).toBe(403);
      expect((await post(cast.staff, { nonsense: true })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/alerts', payload: alertInput() })).statusCode).toBe(401);
    });

    it('defaults the marking to TLP:AMBER and keeps optional fields absent as null', async () => {
      const alert = await newAlert({ tlp: undefined, source: undefined, originCountry: undefined, body: undefined });
      expect(alert).toMatchObject({ tlp: 'AMBER', source: null, originCountry: null, body: '' });
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['missing mineral', { mineral: undefined }, 'mineral'],
      ['unknown mineral', { mineral: 'unobtainium' }, 'mineral'],
      ['bad type', { type: 'rumour' }, 'type'],
      ['bad severity', { severity: 'apocalyptic' }, 'severity'],
      ['bad marking', { tlp: 'WHITE' }, 'tlp'],
      ['empty title', { title: '' }, 'title'],
      ['blank title', { title: '   \n\t' }, 'title'],
      ['title of 201 characters', { title: '😀'.repeat(201) }, 'title'],
      ['body over 10,000 characters', { body: 'x'.repeat(10_001) }, 'body'],
      ['lone surrogate', { title: 'bad \ud800 half' }, 'title'],
      ['title as a number', { title: 42 }, 'title'],
      ['severity as an array', { severity: ['high'] }, 'severity'],
      ['unknown field', { priority: 'p1' }, 'priority'],
      ['country as a name', { originCountry: 'China' }, 'originCountry'],
      ['null source', { source: null }, 'source'],
    ];
    for (const [name, overrides, path] of invalid) {
      it(`answers 400 with errors and stores nothing: ${name}`, async () => {
        const rows = await countRows(t, 'alerts');
        const head = await t.app.lodestone.log.head('alerts');
        const res = await post(cast.liaison, alertInput(overrides));
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
        expect(await countRows(t, 'alerts')).toBe(rows);
        expect(await t.app.lodestone.log.head('alerts')).toBe(head);
      });
    }

    it('answers 400 for a body that is not an object', async () => {
      for (const payload of ['[]', '"alert"', 'null', '3']) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: cast.liaison.cookie, 'content-type': 'application/json' }, payload });
        expect(res.statusCode, payload).toBe(400);
      }
    });

    it('accepts a title of exactly 200 code points and Japanese text as given', async () => {
      const title = '😀'.repeat(200);
      expect((await newAlert({ title })).title).toBe(title);
      const ja = await newAlert({ title: 'ジスプロシウム輸出許可の遅延', body: '  前後の空白も\nそのまま  ' });
      expect(ja.body).toBe('  前後の空白も\nそのまま  ');
    });

    it('replays an Idempotency-Key: same answer, one alert, one event', async () => {
      const headers = { 'idempotency-key': 'post-once-1' };
      const head = await t.app.lodestone.log.head('alerts');
      const first = await post(cast.liaison, alertInput({ title: 'sent twice' }), headers);
      const second = await post(cast.liaison, alertInput({ title: 'sent twice' }), headers);
      expect(second.statusCode).toBe(201);
      expect(second.body).toBe(first.body);
      expect(await t.app.lodestone.log.head('alerts')).toBe(head + 1);
      const titles = (await list(cast.lead, '?q=sent%20twice')).json().map((a: Alert) => a.title);
      expect(titles).toEqual(['sent twice']);
      const other = await post(cast.liaison, alertInput({ title: 'something else' }), headers);
      expect(other.statusCode).toBe(422);
    });
  });

  describe('GET /alerts', () => {
    it('lists newest first to every role that reads the feed; admins 403; anonymous 401', async () => {
      const a = await newAlert({ title: 'older one' });
      const b = await newAlert({ title: 'newer one' });
      for (const who of [cast.lead, cast.member, cast.liaison, cast.staff]) {
        const res = await list(who);
        expect(res.statusCode).toBe(200);
        const ids = res.json().map((x: Alert) => x.id);
        expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
        expect(Number(res.headers['lodestone-stream-head'])).toBe(await t.app.lodestone.log.head('alerts'));
      }
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { cookie: t.admin } })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/alerts' })).statusCode).toBe(401);
    });

    it('filters by status, mineral, severity, side of the poster and text in title or body', async () => {
      const ga = await newAlert({ mineral: 'gallium', severity: 'critical', title: 'Gallium spot price +40%', body: 'Rotterdam warehouses' }, cast.lead);
      const ge = await newAlert({ mineral: 'germanium', severity: 'low', title: 'Germanium tariff_rumour', body: 'unconfirmed' }, cast.jpMember);
      await act(cast.lead, ge.id, 'acknowledgements');
      const ids = async (q: string) => (await list(cast.staff, q)).json().map((a: Alert) => a.id);
      expect(await ids('?mineral=gallium')).toContain(ga.id);
      expect(await ids('?mineral=gallium')).not.toContain(ge.id);
      expect(await ids('?severity=low')).toEqual(expect.arrayContaining([ge.id]));
      expect(await ids('?severity=low')).not.toContain(ga.id);
      expect(await ids('?status=acknowledged')).toContain(ge.id);
      expect(await ids('?status=acknowledged')).not.toContain(ga.id);
      expect(await ids('?side=JP')).toContain(ge.id);
      expect(await ids('?side=JP')).not.toContain(ga.id);
      expect(await ids('?q=ROTTERDAM')).toEqual([ga.id]);
      expect(await ids('?q=tariff_rumour')).toEqual([ge.id]);
      // % and _ are literal text, not wildcards.
      expect(await ids('?q=%25')).toContain(ga.id);
      expect(await ids('?q=%25')).not.toContain(ge.id);
      expect(await ids('?q=f_r')).toEqual([ge.id]);
      expect((await list(cast.staff, '?severity=extreme')).statusCode).toBe(400);
      expect((await list(cast.staff, '?limit=0')).statusCode).toBe(400);
    });

    it('pages back with before and limit', async () => {
      const all = (await list(cast.lead, '?limit=1000')).json() as Alert[];
      const page = (await list(cast.lead, `?limit=3&before=${encodeURIComponent(all[2]?.postedAt ?? '')}`)).json() as Alert[];
      expect(page.length).toBeLessThanOrEqual(3);
      for (const a of page) expect(a.postedAt < (all[2]?.postedAt ?? '')).toBe(true);
    });
  });

  describe('acknowledgements', () => {
    it("records each side's acknowledgement, once per user, and moves new → acknowledged", async () => {
      const alert = await newAlert();
      const head = await t.app.lodestone.log.head('alerts');
      const first = await act(cast.jpMember, alert.id, 'acknowledgements');
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ status: 'acknowledged', acknowledgements: [{ userId: cast.jpMember.user.id, side: 'JP', agency: 'METI' }] });
      const again = await act(cast.jpMember, alert.id, 'acknowledgements');
      expect(again.statusCode).toBe(200);
      expect(again.json().acknowledgements).toHaveLength(1);
      expect(await t.app.lodestone.log.head('alerts')).toBe(head + 1);
      const us = await act(cast.member, alert.id, 'acknowledgements');
      expect(us.json().acknowledgements.map((a: { side: string }) => a.side)).toEqual(['JP', 'US']);
    });

    it('refuses staff (403), unknown alerts (404), a body with fields (400) and dismissed alerts (409)', async () => {
      const alert = await newAlert();
      expect((await act(cast.staff, alert.id, 'acknowledgements')).statusCode).toBe(403);
      expect((await act(cast.member, 'NOPE', 'acknowledgements')).statusCode).toBe(404);
      expect((await act(cast.member, alert.id, 'acknowledgements', { side: 'US' })).statusCode).toBe(400);
      await act(cast.lead, alert.id, 'dismissal', { reason: 'duplicate of an earlier report' });
      expect((await act(cast.member, alert.id, 'acknowledgements')).statusCode).toBe(409);
    });
  });

  describe('escalation', () => {
    it('opens a new incident prefilled from the alert, with the events in both streams', async () => {
      const alert = await newAlert({ mineral: 'terbium', severity: 'critical', tlp: 'RED', title: 'Terbium licences frozen' });
      const res = await act(cast.lead, alert.id, 'escalation', { incident: {} });
      expect(res.statusCode).toBe(200);
      const { alert: escalated, incident } = res.json() as { alert: Alert; incident: IncidentDetail };
      expect(incident).toMatchObject({ title: 'Terbium licences frozen', severity: 'critical', tlp: 'RED', minerals: ['terbium'], status: 'active', version: 1, usLeadId: cast.lead.user.id });
      expect(incident.code).toMatch(/^RRG-\d{4}-\d{3}$/);
      expect(escalated).toMatchObject({ id: alert.id, status: 'escalated', incidentId: incident.id });
      expect((await stream('alerts')).at(-1)).toMatchObject({ type: 'alert.escalated', data: { id: alert.id, incidentId: incident.id } });
      expect((await stream(`incident:${incident.id}`)).map((e: LodestoneEvent) => e.type)).toEqual(['incident.created', 'member.added', 'alert.linked']);
      const detail = await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: cast.lead.cookie } });
      expect(detail.json().alerts.map((a: Alert) => a.id)).toEqual([alert.id]);
      expect(detail.json().members.map((m: { id: string }) => m.id)).toEqual([cast.lead.user.id]);
    });

    it('links into an existing incident with alert.linked in its stream', async () => {
      const first = await newAlert({ title: 'first signal' });
      const { incident } = (await act(cast.jpLead, first.id, 'escalation', { incident: { title: 'Heavy rare earth squeeze' } })).json();
      const second = await newAlert({ title: 'second signal' });
      const res = await act(cast.lead, second.id, 'escalation', { incidentId: incident.id });
      expect(res.statusCode).toBe(200);
      expect(res.json().incident.id).toBe(incident.id);
      expect((await stream(`incident:${incident.id}`)).at(-1)).toMatchObject({ type: 'alert.linked', data: { id: second.id, incidentId: incident.id } });
    });

    it('counts incident codes per year', async () => {
      const a = await newAlert();
      const b = await newAlert();
      const codeA = (await act(cast.lead, a.id, 'escalation', { incident: {} })).json().incident.code as string;
      const codeB = (await act(cast.lead, b.id, 'escalation', { incident: {} })).json().incident.code as string;
      expect(Number(codeB.slice(-3))).toBe(Number(codeA.slice(-3)) + 1);
      expect(codeA.slice(4, 8)).toBe(String(new Date().getUTCFullYear()));
    });

    it('refuses non-leads with 403, ambiguous or unknown targets with 400, and a second escalation with 409', async () => {
      const alert = await newAlert();
      for (const who of [cast.member, cast.liaison, cast.staff]) expect((await act(who, alert.id, 'escalation', { incident: {} })).statusCode).toBe(403);
      expect((await act(cast.lead, alert.id, 'escalation', {})).statusCode).toBe(400);
      expect((await act(cast.lead, alert.id, 'escalation', { incidentId: 'X', incident: {} })).statusCode).toBe(400);
      expect((await act(cast.lead, alert.id, 'escalation', { incidentId: 'UNKNOWN' })).statusCode).toBe(400);
      expect((await act(cast.lead, alert.id, 'escalation', { incident: { severity: 'extreme' } })).statusCode).toBe(400);
      const incidents = await countRows(t, 'incidents');
      expect((await act(cast.lead, alert.id, 'escalation', { incident: { usLeadId: cast.jpMember.user.id } })).statusCode).toBe(400);
      expect(await countRows(t, 'incidents')).toBe(incidents);
      expect((await act(cast.lead, alert.id, 'escalation', { incident: {} })).statusCode).toBe(200);
      expect((await act(cast.lead, alert.id, 'escalation', { incident: {} })).statusCode).toBe(409);
      expect((await act(cast.lead, alert.id, 'dismissal', { reason: 'late' })).statusCode).toBe(409);
    });
  });

  describe('dismissal', () => {
    it('lets a lead dismiss with a reason; others 403; no reason 400; twice 409', async () => {
      const alert = await newAlert();
      expect((await act(cast.member, alert.id, 'dismissal', { reason: 'noise' })).statusCode).toBe(403);
      expect((await act(cast.lead, alert.id, 'dismissal', {})).statusCode).toBe(400);
      expect((await act(cast.lead, alert.id, 'dismissal', { reason: '  ' })).statusCode).toBe(400);
      const res = await act(cast.jpLead, alert.id, 'dismissal', { reason: '既に報告済み' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'dismissed', dismissal: { reason: '既に報告済み', byId: cast.jpLead.user.id } });
      expect((await stream('alerts')).at(-1)).toMatchObject({ type: 'alert.dismissed', data: { id: alert.id } });
      expect((await act(cast.lead, alert.id, 'dismissal', { reason: 'again' })).statusCode).toBe(409);
    });
  });

  it('delivers exactly one alert.posted per alert to each subscriber, in seq order', async () => {
    const url = await listen(t.app);
    const sockets = await Promise.all([cast.lead, cast.jpMember, cast.staff].map((u) => connectSocket(url, { cookie: u.cookie })));
    const received = sockets.map(record);
    for (const s of sockets) expect(await subscribe(s, { stream: 'alerts' })).toMatchObject({ ok: true });
    const posted = await Promise.all(Array.from({ length: 20 }, (_, i) => newAlert({ title: `burst ${i}` }, i % 2 ? cast.liaison : cast.member)));
    // One more alert after the burst marks its end: a duplicate would have come before it.
    const last = await newAlert({ title: 'after the burst' }, cast.member);
    for (const r of received) {
      await waitFor(() => r.events.some((e) => (e.data as Alert).id === last.id), 5000, 'the alert after the burst');
      const posts = r.events.filter((e) => e.type === 'alert.posted' && (e.data as Alert).id !== last.id);
      expect(posts).toHaveLength(20);
      expect(new Set(posts.map((e) => (e.data as Alert).id))).toEqual(new Set(posted.map((a) => a.id)));
      const seqs = r.events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    sockets.forEach((s) => s.close());
  });
});
