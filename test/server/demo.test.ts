import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disruptions, type Alert } from '@lodestone/shared';
import { queryRows, buildTestApp, signIn, type TestApp } from '../helpers/app.ts';
import { DEMO_PASSWORD, DEMO_USERS } from '../../server/src/demo/demo.ts';

describe('demo scenario (LODESTONE_DEMO=1 on a new database)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ demo: true });
  });
  afterAll(() => t.close());

  it('creates a signed-in-able account for every role on both sides', async () => {
    for (const role of ['lead', 'member', 'liaison', 'staff'] as const) {
      for (const side of ['US', 'JP'] as const) {
        const u = DEMO_USERS.find((x) => x.role === role && x.side === side);
        expect(u, `${role} ${side}`).toBeDefined();
        if (u) expect(await signIn(t.app, u.username, DEMO_PASSWORD)).toMatch(/^lodestone_session=/);
      }
    }
  });

  it('posts the real disruption events as alerts at their own dates, acknowledged by both sides', async () => {
    const lead = await signIn(t.app, 'doe.lead', DEMO_PASSWORD);
    const alerts = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts?limit=1000', headers: { cookie: lead } })).json() as Alert[];
    const withMinerals = disruptions.filter((d) => d.minerals.length > 0);
    expect(alerts).toHaveLength(withMinerals.length);
    for (const d of withMinerals) {
      const alert = alerts.find((a) => a.source === `${d.issuer} — ${d.ref}`);
      expect(alert, d.ref).toBeDefined();
      expect(alert?.postedAt.slice(0, 10)).toBe(d.date);
      expect(alert?.mineral).toBe(d.minerals[0]);
    }
    const april = alerts.find((a) => a.source?.includes('Announcement No. 18 (2025)'));
    expect(april?.acknowledgements.map((a) => a.side).sort()).toEqual(['JP', 'US']);
    expect(alerts.some((a) => a.status === 'dismissed')).toBe(true);
  });

  it('builds an incident from the April 2025 heavy rare earth controls with a bilingual timeline and decisions', async () => {
    const lead = await signIn(t.app, 'meti.lead', DEMO_PASSWORD);
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { cookie: lead } })).json() as { id: string; code: string; status: string; createdAt: string }[];
    expect(list).toHaveLength(1);
    const incident = list[0];
    expect(incident?.code).toBe('RRG-2025-001');
    expect(incident?.createdAt.slice(0, 10)).toBe('2025-04-04');
    expect(incident?.status).toBe('stabilizing');
    const detail = (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident?.id}`, headers: { cookie: lead } })).json();
    expect(new Set(detail.members.map((m: { side: string }) => m.side))).toEqual(new Set(['US', 'JP']));
    expect(detail.alerts[0].source).toContain('Announcement No. 18 (2025)');
    const messages = (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident?.id}/messages`, headers: { cookie: lead } })).json() as { kind: string; body: string }[];
    expect(messages.filter((m) => m.kind === 'decision').length).toBeGreaterThanOrEqual(3);
    expect(messages.some((m) => /[\u3040-\u30ff]/.test(m.body))).toBe(true);
    expect(messages.some((m) => /^[\x20-\x7e\n–]+$/.test(m.body))).toBe(true);
  });

  it('has action items across the demo incident, owned on both sides, some done and one overdue', async () => {
    const lead = await signIn(t.app, 'doe.lead', DEMO_PASSWORD);
    const items = (await t.app.inject({ method: 'GET', url: '/api/v1/actions', headers: { cookie: lead } })).json() as { status: string; owner: { side: string } | null; dueAt: string | null }[];
    expect(items.length).toBeGreaterThanOrEqual(5);
    expect(new Set(items.map((a) => a.owner?.side))).toEqual(new Set(['US', 'JP']));
    expect(items.filter((a) => a.status === 'done').length).toBeGreaterThanOrEqual(2);
    const overdue = (await t.app.inject({ method: 'GET', url: '/api/v1/actions?overdue=true', headers: { cookie: lead } })).json();
    expect(overdue).toHaveLength(1);
  });

  it('writes every stream in time order: `at` never decreases as seq rises', async () => {
    const timesOf = async (stream: string) => (await queryRows<{ at: string }>(t, sql`SELECT at FROM events WHERE stream = ${stream} ORDER BY seq`)).map((r) => r.at);
    const streams = (await queryRows<{ stream: string }>(t, sql`SELECT DISTINCT stream FROM events ORDER BY 1`)).map((r) => r.stream);
    expect(streams).toEqual(expect.arrayContaining(['admin', 'alerts', expect.stringMatching(/^incident:/)]));
    for (const stream of streams) {
      const times = await timesOf(stream);
      const backwards = times.flatMap((at, i) => (i > 0 && at < (times[i - 1] ?? '') ? [`seq ${i + 1}: ${times[i - 1]} → ${at}`] : []));
      expect(backwards, stream).toEqual([]);
    }
    // The room's history runs from the escalation to the last move of its action items.
    const incident = streams.find((s) => s.startsWith('incident:')) ?? '';
    const times = await timesOf(incident);
    expect(times[0]).toBe('2025-04-04T06:00:00.000Z');
    expect(times.at(-1)).toBe('2025-05-12T14:30:00.000Z');
  });

  it('leaves an audit chain that verifies', async () => {
    const report = (await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: t.admin } })).json();
    expect(report.ok).toBe(true);
  });

  it('is not loaded into a database that already exists', async () => {
    const { buildApp } = await import('../../server/src/app.ts');
    const again = await buildApp({ databaseUrl: t.databaseUrl, secret: t.secret, demo: true, passwordLog2N: 10, clientDir: null });
    try {
      expect((await again.lodestone.users.list()).filter((u) => u.username === 'doe.lead')).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});
