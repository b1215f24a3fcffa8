import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IncidentDetail } from '@lodestone/shared';
import { buildTestApp, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, marker, type ClientSocket } from '../helpers/sockets.ts';

/** Notices of incident changes go to rooms of roles and users: their cost does not grow with the sockets connected. */
describe('incident change notices', () => {
  let t: TestApp;
  let url: string;
  let lead: TestUser;
  let member: TestUser;
  let incident: IncidentDetail;
  const sockets: ClientSocket[] = [];
  beforeAll(async () => {
    // Eleven sockets a person here, each sending its markers: the budgets of a session are not what this measures.
    t = await buildTestApp({ rateLimitPerMinute: 1_000_000, socketLimits: { socketsPerSession: 100, subscribeBurst: 1000 } });
    lead = await createUser(t, 'lead');
    member = await createUser(t, 'member');
    incident = await openIncident(t, lead, { members: [member] });
    url = await listen(t.app);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t.close();
  });

  /** Connects `n` more sockets of people of every role, members of the incident or not. */
  async function connectMore(n: number, who: TestUser[]): Promise<void> {
    for (let i = 0; i < n; i++) sockets.push(await connectSocket(url, { cookie: who[i % who.length]?.cookie ?? '' }));
  }

  /** The membership lookups and member lists read while a change of the incident is answered and noticed. */
  async function costOfAChange(): Promise<{ isMember: number; members: number; told: number }> {
    const { version } = (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie } })).json() as IncidentDetail;
    let told = 0;
    const counters = sockets.map((s) => {
      const count = () => told++;
      s.on('incidentChanged', count);
      return () => s.off('incidentChanged', count);
    });
    const isMember = vi.spyOn(t.app.lodestone.incidents, 'isMember');
    const members = vi.spyOn(t.app.lodestone.incidents, 'members');
    try {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie }, payload: { version, severity: version % 2 ? 'critical' : 'high' } });
      expect(res.statusCode).toBe(200);
      const calls = { isMember: isMember.mock.calls.length, members: members.mock.calls.length };
      await Promise.all(sockets.map(marker));
      return { ...calls, told };
    } finally {
      isMember.mockRestore();
      members.mockRestore();
      counters.forEach((stop) => stop());
    }
  }

  it('reads the members once per change, however many sockets are connected, and tells exactly those who may read it', async () => {
    const outsiders = [await createUser(t, 'member'), await createUser(t, 'liaison'), t.admin].map((who) => (typeof who === 'string' ? ({ cookie: who } as TestUser) : who));
    const readers = [lead, member, await createUser(t, 'staff'), await createUser(t, 'lead')];
    await connectMore(4, readers);
    await connectMore(3, outsiders);
    const few = await costOfAChange();
    await connectMore(40, readers);
    await connectMore(30, outsiders);
    const many = await costOfAChange();
    // The route's own access check looks the caller up once; the notice adds one member list.
    expect(few).toEqual({ isMember: 1, members: 1, told: 4 });
    expect(many).toEqual({ isMember: 1, members: 1, told: 44 });
  });
});
