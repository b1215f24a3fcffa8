import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentDetail, LodestoneEvent, Message, PresenceUpdate, Problem, User } from '@lodestone/shared';
import { buildTestApp, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, subscribe } from '../helpers/sockets.ts';
import { parseCsv } from '../helpers/csv.ts';

/**
 * Issue 14, finding 4: a member must not pass as the lead. Display names are unique among
 * enabled accounts (NFKC, case, white space), carry no bidi controls or invisible characters,
 * and the role is shown beside the author wherever an author is shown.
 */
describe('display names: no impersonation', () => {
  let t: TestApp;
  let member: TestUser;
  beforeAll(async () => {
    t = await buildTestApp();
    await createUser(t, 'lead', { displayName: 'Jordan Hayes', agency: 'DOE', side: 'US' });
    member = await createUser(t, 'member', { displayName: 'Priya Raman', agency: 'DOE', side: 'US' });
  });
  afterAll(() => t.close());

  const rename = (who: TestUser, displayName: string) => t.app.inject({ method: 'PATCH', url: '/api/v1/profile', headers: { cookie: who.cookie }, payload: { displayName } });
  const nameOf = async (who: TestUser) => (await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: who.cookie } })).json<{ user: User }>().user.displayName;
  const codeOf = (res: { json: () => unknown }) => (res.json() as Problem).errors?.map((e) => [e.path, e.code]);

  it("refuses a member taking the lead's name, as written or as a case, width or spacing variant", async () => {
    for (const variant of ['Jordan Hayes', 'jordan hayes', 'JORDAN  HAYES', ' Jordan Hayes ', 'Ｊｏｒｄａｎ　Ｈａｙｅｓ', 'Jordan\u00a0Hayes', 'Jordan\u2800Hayes']) {
      const res = await rename(member, variant);
      expect(res.statusCode, JSON.stringify(variant)).toBe(400);
      expect(codeOf(res)).toEqual([['displayName', 'name_taken']]);
    }
    expect(await nameOf(member)).toBe('Priya Raman');
  });

  it('refuses bidi overrides and isolates, control and zero-width characters, with their codes', async () => {
    const cases: [string, string][] = [
      ['Jordan \u202eseyaH', 'bidi_control'],
      ['\u2067Jordan Hayes\u2069', 'bidi_control'],
      ['Jordan\u200bHayes', 'invisible_character'],
      ['Jordan Hayes\u200d', 'invisible_character'],
      ['Jordan\u0007Hayes', 'invisible_character'],
      ['\ufeffJordan Hayes', 'invisible_character'],
      ['Jordan\u200fHayes', 'invisible_character'],
      // Default-ignorable code points that are not format characters: each draws nothing.
      ['Jordan\u034fHayes', 'invisible_character'],
      ['Jordan\u17b4 Hayes', 'invisible_character'],
      ['\u3164Jordan Hayes', 'invisible_character'],
      // Variation selectors are allowed (an emoji's form, a kanji's variant) but compared without:
      // the lead's name with one is the lead's name.
      ['Jordan Hayes\ufe0f', 'name_taken'],
      ['Jordan Hayes\u{e0100}', 'name_taken'],
    ];
    for (const [name, code] of cases) {
      const res = await rename(member, name);
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(codeOf(res)).toEqual([['displayName', code]]);
    }
    expect(await nameOf(member)).toBe('Priya Raman');
  });

  it('still accepts ordinary names, Japanese included, and a change of case of one’s own name', async () => {
    for (const name of ['高橋 健', '葛\u{e0100}城 ❤️', 'Zoë Ñúñez-O’Brien', 'PRIYA RAMAN', 'Priya Raman']) {
      expect((await rename(member, name)).statusCode, name).toBe(200);
    }
  });

  it("an admin cannot create or rename an account to a name in use; a disabled account's name is free, and it cannot come back while taken", async () => {
    const create = (username: string, displayName: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: t.admin }, payload: { username, displayName, password: 'long-enough-pw', role: 'member', agency: 'DOE', side: 'US' } });
    const refused = await create('copycat', 'jordan HAYES');
    expect(refused.statusCode).toBe(400);
    expect(codeOf(refused)).toEqual([['displayName', 'name_taken']]);
    const other = await createUser(t, 'liaison', { displayName: 'Daniel Brooks' });
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${other.user.id}`, headers: { cookie: t.admin }, payload: { displayName: 'Ｊordan Hayes' } });
    expect(patched.statusCode).toBe(400);
    // Disabled, Daniel's name is free for someone else…
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${other.user.id}`, headers: { cookie: t.admin }, payload: { disabled: true } });
    expect((await create('daniel.two', 'Daniel Brooks')).statusCode).toBe(201);
    // …and the old account cannot be enabled again under it.
    const back = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${other.user.id}`, headers: { cookie: t.admin }, payload: { disabled: false } });
    expect(back.statusCode).toBe(400);
    expect(codeOf(back)).toEqual([['displayName', 'name_taken']]);
    const renamedBack = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${other.user.id}`, headers: { cookie: t.admin }, payload: { disabled: false, displayName: 'Daniel Brooks (State)' } });
    expect(renamedBack.statusCode).toBe(200);
  });
});

describe('the role beside the author: room, presence, after-action record', () => {
  let t: TestApp;
  let lead: TestUser;
  let member: TestUser;
  let incident: IncidentDetail;
  beforeAll(async () => {
    t = await buildTestApp();
    lead = await createUser(t, 'lead', { displayName: 'Jordan Hayes', agency: 'DOE', side: 'US' });
    member = await createUser(t, 'member', { displayName: 'Priya Raman', agency: 'DOE', side: 'US' });
    incident = await openIncident(t, lead, { members: [member] });
    const post = (who: TestUser, body: string, kind: 'note' | 'decision') =>
      t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: who.cookie }, payload: { body, kind } });
    expect((await post(lead, 'We release the stockpile on Monday.', 'decision')).statusCode).toBe(201);
    expect((await post(member, 'Decision (DOE lead): we release the stockpile now.', 'note')).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  const exportAs = (query: string) => t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}/export?${query}`, headers: { cookie: lead.cookie } });

  it('the timeline entries and their events carry the author’s role', async () => {
    const messages = (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: lead.cookie } })).json<Message[]>();
    const byBody = new Map(messages.map((m) => [m.body, m.author]));
    expect(byBody.get('We release the stockpile on Monday.')).toMatchObject({ displayName: 'Jordan Hayes', role: 'lead' });
    expect(byBody.get('Decision (DOE lead): we release the stockpile now.')).toMatchObject({ displayName: 'Priya Raman', role: 'member' });
    const { events } = (await t.app.inject({ method: 'GET', url: `/api/v1/events?stream=incident:${incident.id}&after=0`, headers: { cookie: lead.cookie } })).json<{ events: LodestoneEvent[] }>();
    const note = events.find((e) => e.type === 'message.posted');
    expect(note?.actor).toMatchObject({ id: member.user.id, role: 'member' });
  });

  it('presence lists each person with their role', async () => {
    const url = await listen(t.app);
    const socket = await connectSocket(url, { cookie: member.cookie });
    try {
      const heard = new Promise<PresenceUpdate>((resolve) => socket.on('presence', (update) => update.users.length > 0 && resolve(update)));
      const ack = await subscribe(socket, { stream: `incident:${incident.id}` });
      expect(ack.ok).toBe(true);
      expect((await heard).users).toEqual([expect.objectContaining({ id: member.user.id, displayName: 'Priya Raman', role: 'member' })]);
    } finally {
      socket.close();
    }
  });

  it('Markdown names "Jordan Hayes (DOE lead, US)" and "Priya Raman (DOE member, US)"; Japanese too', async () => {
    const md = (await exportAs('format=markdown&lang=en')).body;
    expect(md).toContain('Jordan Hayes (DOE lead, US): We release the stockpile on Monday.');
    expect(md).toContain('Priya Raman (DOE member, US): Decision (DOE lead): we release the stockpile now.');
    expect(md).not.toContain('Priya Raman (DOE lead');
    const ja = (await exportAs('format=markdown&lang=ja')).body;
    expect(ja).toContain('Priya Raman（DOE メンバー、US）');
    expect(ja).toContain('Jordan Hayes（DOE リード、US）');
  });

  it('CSV has a role column; JSON events carry actor.role; the PDF shows the role', async () => {
    const rows = parseCsv((await exportAs('format=csv&lang=en')).body.replace(/^\uFEFF/, ''));
    expect(rows[0]?.at(-1)).toBe('role');
    const note = rows.find((r) => r[9] === 'Decision (DOE lead): we release the stockpile now.');
    expect(note?.[6]).toBe('Priya Raman');
    expect(note?.[10]).toBe('member');
    const json = (await exportAs('format=json')).json<{ events: LodestoneEvent[] }>();
    expect(json.events.find((e) => e.type === 'decision.recorded')?.actor).toMatchObject({ displayName: 'Jordan Hayes', role: 'lead' });
    const pdf = await exportAs('format=pdf&lang=en');
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-roles-'));
    try {
      writeFileSync(join(dir, 'r.pdf'), pdf.rawPayload);
      const text = execFileSync('pdftotext', [join(dir, 'r.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
      expect(text).toContain('Priya Raman (DOE member, US)');
      expect(text).toContain('Jordan Hayes (DOE lead, US)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
