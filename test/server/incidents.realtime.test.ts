import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LodestoneEvent, PresenceUpdate } from '@lodestone/shared';
import { buildTestApp, createCast, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, marker, record, subscribe, waitFor } from '../helpers/sockets.ts';

describe('incident rooms over Socket.IO', () => {
  let t: TestApp;
  let url: string;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let outsider: TestUser;
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 1_000_000 });
    cast = await createCast(t);
    outsider = await createUser(t, 'member');
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const post = (who: TestUser, id: string, body: string) => t.app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/messages`, headers: { cookie: who.cookie }, payload: { body } });

  it('refuses a non-member subscription with 403 and accepts members, leads and staff', async () => {
    const incident = await openIncident(t, cast.lead, { members: [cast.member] });
    const stream = `incident:${incident.id}` as const;
    for (const [who, ok] of [[outsider, false], [cast.liaison, false], [cast.member, true], [cast.jpLead, true], [cast.staff, true]] as const) {
      const socket = await connectSocket(url, { cookie: who.cookie });
      const ack = await subscribe(socket, { stream });
      expect(ack.ok, who.user.username).toBe(ok);
      if (!ack.ok) expect(ack.error.status).toBe(403);
      socket.close();
    }
  });

  it('lists who is present and updates the list when someone leaves', async () => {
    const incident = await openIncident(t, cast.lead, { members: [cast.member, cast.jpMember] });
    const stream = `incident:${incident.id}` as const;
    const a = await connectSocket(url, { cookie: cast.member.cookie });
    const seenByA = record(a);
    await subscribe(a, { stream });
    await waitFor(() => seenByA.presence.some((p) => p.users.length === 1), 3000, 'own presence');
    const b = await connectSocket(url, { cookie: cast.jpMember.cookie });
    const seenByB = record(b);
    await subscribe(b, { stream });
    const names = (p: PresenceUpdate | undefined) => p?.users.map((u) => u.id).sort();
    await waitFor(() => names(seenByA.presence.at(-1))?.length === 2, 3000, 'two present');
    expect(names(seenByA.presence.at(-1))).toEqual([cast.member.user.id, cast.jpMember.user.id].sort());
    await waitFor(() => names(seenByB.presence.at(-1))?.length === 2, 3000, 'B sees both');
    expect(seenByA.presence.at(-1)?.users[0]).toEqual(expect.objectContaining({ displayName: expect.any(String), agency: expect.any(String), side: expect.any(String) }));
    b.close();
    await waitFor(() => names(seenByA.presence.at(-1))?.length === 1, 3000, 'B gone');
    expect(names(seenByA.presence.at(-1))).toEqual([cast.member.user.id]);
    a.close();
  });

  it('stops delivering to a member who is removed, and tells them', async () => {
    const u = await createUser(t, 'member');
    const incident = await openIncident(t, cast.lead, { members: [u] });
    const socket = await connectSocket(url, { cookie: u.cookie });
    const got = record(socket);
    const notices: unknown[] = [];
    socket.on('unsubscribed', (n) => notices.push(n));
    await subscribe(socket, { stream: `incident:${incident.id}` });
    await post(cast.lead, incident.id, 'before removal');
    await waitFor(() => got.events.length === 1, 3000, 'first note');
    await t.app.inject({ method: 'DELETE', url: `/api/v1/incidents/${incident.id}/members/${u.user.id}`, headers: { cookie: cast.lead.cookie } });
    await waitFor(() => notices.length === 1, 3000, 'unsubscribed');
    await post(cast.lead, incident.id, 'after removal');
    await marker(socket);
    expect(got.events.map((e) => (e.data as { body?: string }).body).filter(Boolean)).toEqual(['before removal']);
    socket.close();
  });

  it('tells readers when an incident is opened or they are added, and nobody else', async () => {
    const u = await createUser(t, 'liaison');
    const sockets = await Promise.all([cast.jpLead, cast.staff, u, outsider].map((who) => connectSocket(url, { cookie: who.cookie })));
    const notices = sockets.map((s) => {
      const got: { incidentId: string; type: string }[] = [];
      s.on('incidentChanged', (n) => got.push(n));
      return got;
    });
    const incident = await openIncident(t, cast.lead);
    await waitFor(() => (notices[0]?.length ?? 0) >= 1 && (notices[1]?.length ?? 0) >= 1, 3000, 'leads and staff told');
    expect(notices[0]?.[0]).toEqual({ incidentId: incident.id, type: 'incident.created' });
    await t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incident.id}/members/${u.user.id}`, headers: { cookie: cast.lead.cookie } });
    await waitFor(() => notices[2]?.length === 1, 3000, 'new member told');
    expect(notices[2]?.[0]).toEqual({ incidentId: incident.id, type: 'member.added' });
    // Both notices were sent before the PUT was answered; the outsider's marker comes after them.
    const outsiderSocket = sockets[3];
    if (!outsiderSocket) throw new Error('no outsider socket');
    await marker(outsiderSocket);
    expect(notices[3]).toEqual([]);
    sockets.forEach((s) => s.close());
  });

  it('gives back 1,200 missed events exactly: 500 in the ack with more, the rest by GET /events', async () => {
    const incident = await openIncident(t, cast.lead, { members: [cast.member] });
    const stream = `incident:${incident.id}` as const;
    const socket = await connectSocket(url, { cookie: cast.member.cookie });
    const first = await subscribe(socket, { stream });
    if (!first.ok) throw new Error('refused');
    socket.close(); // disconnected while the room goes on
    const from = first.head;
    await Promise.all(Array.from({ length: 1200 }, (_, i) => post(i % 2 ? cast.lead : cast.member, incident.id, `entry ${i}`)));
    const again = await connectSocket(url, { cookie: cast.member.cookie });
    const live = record(again);
    const ack = await subscribe(again, { stream, after: from });
    if (!ack.ok) throw new Error('refused');
    expect(ack.events).toHaveLength(500);
    expect(ack.more).toBe(true);
    const all: LodestoneEvent[] = [...ack.events];
    while ((all.at(-1)?.seq ?? from) < ack.head) {
      const page = await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=${stream}&after=${all.at(-1)?.seq}&limit=1000`, headers: { cookie: cast.member.cookie } });
      all.push(...(page.json().events as LodestoneEvent[]));
    }
    await post(cast.jpLead, incident.id, 'after catching up');
    await waitFor(() => live.events.length === 1, 3000, 'live entry');
    all.push(...live.events);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 1201 }, (_, i) => from + i + 1));
    const bodies = all.map((e) => (e.data as { body: string }).body);
    expect(new Set(bodies).size).toBe(1201);
    again.close();
  });
});
