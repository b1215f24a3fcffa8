import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceChange, PresenceUpdate, StreamName } from '@lodestone/shared';
import { TEST_PASSWORD, buildTestApp, cookieOf, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, marker, subscribe, type ClientSocket } from '../helpers/sockets.ts';

type Person = PresenceUpdate['users'][number];

/** What one socket hears of presence, and the list it makes of it, as the app's connection store does. */
function hear(socket: ClientSocket, stream: StreamName) {
  const heard = { lists: [] as PresenceUpdate[], changes: [] as PresenceChange[] };
  let list: Person[] | null = null;
  socket.on('presence', (update) => {
    heard.lists.push(update);
    if (update.stream === stream) list = update.users;
  });
  socket.on('presenceChanged', (change) => {
    heard.changes.push(change);
    if (change.stream !== stream || !list) return;
    const gone = new Set([...change.left, ...change.joined.map((u) => u.id)]);
    list = [...list.filter((u) => !gone.has(u.id)), ...change.joined].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
  });
  return { heard, list: () => list };
}

const ids = (users: readonly { id: string }[] | null) => (users ?? []).map((u) => u.id).sort();

/**
 * Resolves once `holds()` is true, checked now and after each presence message the socket hears:
 * presence goes out in batches (PRESENCE_BATCH_MS), so a test waits for the state it expects.
 */
function until(socket: ClientSocket, holds: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!holds()) return;
      clearTimeout(timer);
      socket.off('presence', check);
      socket.off('presenceChanged', check);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
    socket.on('presence', check);
    socket.on('presenceChanged', check);
    check();
  });
}

describe('presence of an incident room, in proportion to the change', () => {
  const ROOM = 200;
  let t: TestApp;
  let url: string;
  let lead: TestUser;
  let people: TestUser[];
  beforeAll(async () => {
    t = await buildTestApp({ rateLimitPerMinute: 1_000_000 });
    lead = await createUser(t, 'lead');
    // Staff read every incident: 200 distinct people, no membership to set up.
    people = [];
    for (let i = 0; i < ROOM; i++) people.push(await staffMember(i));
    url = await listen(t.app);
  }, 120_000);
  afterAll(() => t.close());

  /** A staff account, signed in from an address of its own (sign-ins are limited per address). */
  async function staffMember(i: number): Promise<TestUser> {
    const username = `analyst${i}`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: t.admin },
      payload: { username, displayName: `Analyst ${String(i).padStart(3, '0')}`, password: TEST_PASSWORD, role: 'staff', agency: 'DOE', side: 'US' },
    });
    if (created.statusCode !== 201) throw new Error(`creating ${username}: ${created.body}`);
    const session = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password: TEST_PASSWORD }, remoteAddress: `10.0.${i >> 8}.${i & 255}` });
    return { user: created.json(), password: TEST_PASSWORD, cookie: cookieOf(session) };
  }

  /** Ends a socket from the server's side: its leaving is handled before this returns. */
  function drop(socket: ClientSocket | undefined): void {
    const server = t.app.io.of('/').sockets.get(socket?.id ?? '');
    if (!server) throw new Error('no such socket on the server');
    server.disconnect(true);
  }

  it(`${ROOM} people joining one room: the room hears small changes and each joiner the list once, so traffic grows with the room, not its square`, { timeout: 120_000 }, async () => {
    const { id } = await openIncident(t, lead);
    const stream: StreamName = `incident:${id}`;
    const sockets: ClientSocket[] = [];
    for (let i = 0; i < ROOM; i += 25) sockets.push(...(await Promise.all(people.slice(i, i + 25).map((p) => connectSocket(url, { cookie: p.cookie })))));
    const ears = sockets.map((s) => hear(s, stream));
    try {
      for (const socket of sockets) expect(await subscribe(socket, { stream, presence: 'changes' })).toMatchObject({ ok: true });
      const everyone = ids(people.map((p) => p.user));
      await Promise.all(sockets.map((socket, k) => until(socket, () => ids(ears[k]?.list() ?? null).length === ROOM, `socket ${k} to know everyone`)));

      ears.forEach(({ heard, list }, k) => {
        // The list once, when it joined (with at least those who joined before it), then changes.
        expect(heard.lists.length, `socket ${k}`).toBe(1);
        expect(heard.lists[0]?.users.length, `socket ${k}`).toBeGreaterThanOrEqual(k + 1);
        for (const change of heard.changes) {
          expect(change.left).toEqual([]);
          expect(change.joined.length).toBeGreaterThan(0);
        }
        expect(ids(list()), `socket ${k} knows everyone present`).toEqual(everyone);
      });
      const messages = ears.reduce((n, { heard }) => n + heard.lists.length + heard.changes.length, 0);
      const entries = ears.reduce((n, { heard }) => n + heard.lists.reduce((m, l) => m + l.users.length, 0) + heard.changes.reduce((m, c) => m + c.joined.length + c.left.length, 0), 0);
      // At worst (each join in a batch of its own) join k reaches the k - 1 already there with one
      // entry each and the joiner with k: 2k - 1 entries, ROOM² in all. Sending the whole list to
      // the room on every join, as before, costs k² per join (about 2.7 million entries here).
      expect(messages).toBeLessThanOrEqual((ROOM * (ROOM + 1)) / 2);
      expect(entries).toBeLessThanOrEqual(ROOM * ROOM);

      // One leaves: everyone else hears of it once, in one small change.
      const before = ears.map(({ heard }) => heard.changes.length);
      drop(sockets[0]);
      await Promise.all(sockets.slice(1).map((socket, i) => until(socket, () => (ears[i + 1]?.list()?.length ?? 0) === ROOM - 1, `socket ${i + 1} to hear of the leaving`)));
      ears.slice(1).forEach(({ heard }, i) => {
        expect(heard.changes.length).toBe((before[i + 1] ?? 0) + 1);
        expect(heard.changes.at(-1)).toEqual({ stream, joined: [], left: [people[0]?.user.id] });
      });
    } finally {
      sockets.forEach((s) => s.close());
    }
  });

  it('gathers a burst of joins: 50 people subscribing at once reach those present in a few messages, not 50', { timeout: 60_000 }, async () => {
    const { id } = await openIncident(t, lead);
    const stream: StreamName = `incident:${id}`;
    const [watcher, ...rest] = people.slice(0, 51);
    if (!watcher) throw new Error('no people');
    const observer = await connectSocket(url, { cookie: watcher.cookie });
    const ear = hear(observer, stream);
    const burst = await Promise.all(rest.map((p) => connectSocket(url, { cookie: p.cookie })));
    try {
      await subscribe(observer, { stream, presence: 'changes' });
      await until(observer, () => ear.list() !== null, 'the watcher to get the list');
      await Promise.all(burst.map((socket) => subscribe(socket, { stream, presence: 'changes' })));
      await until(observer, () => (ear.list()?.length ?? 0) === 51, 'the watcher to hear of all 50');
      // The burst reaches the server within a few batches (50 ms each), whatever the machine's load.
      expect(ear.heard.changes.length).toBeLessThanOrEqual(10);
      expect(ear.heard.changes.reduce((n, c) => n + c.joined.length, 0)).toBe(50);
    } finally {
      observer.close();
      burst.forEach((s) => s.close());
    }
  });

  it('still sends the whole list on every change to a socket that did not ask for changes (the contract), and changes only to those that did', async () => {
    const { id } = await openIncident(t, lead);
    const stream: StreamName = `incident:${id}`;
    const [a, b, c] = people;
    if (!a || !b || !c) throw new Error('no people');
    const listReader = await connectSocket(url, { cookie: a.cookie });
    const changeReader = await connectSocket(url, { cookie: b.cookie });
    const newcomer = await connectSocket(url, { cookie: c.cookie });
    const byList = hear(listReader, stream);
    const byChange = hear(changeReader, stream);
    try {
      // Each step waits for the batch it causes, so each change goes out on its own.
      await subscribe(listReader, { stream });
      await until(listReader, () => byList.heard.lists.length === 1, 'A to get the list');
      await subscribe(changeReader, { stream, presence: 'changes' });
      await until(changeReader, () => byChange.list() !== null, 'B to get the list');
      await until(listReader, () => byList.heard.lists.length === 2, 'A to hear of B');
      await subscribe(newcomer, { stream });
      await until(changeReader, () => byChange.heard.changes.length === 1, 'B to hear of C');
      await until(listReader, () => byList.heard.lists.length === 3, 'A to hear of C');
      drop(newcomer);
      await until(changeReader, () => byChange.heard.changes.length === 2, 'B to hear C leave');
      await until(listReader, () => byList.heard.lists.length === 4, 'A to hear C leave');
      // Whatever else went out to them, it went before this.
      await Promise.all([marker(listReader), marker(changeReader)]);
      // The list reader: its own join, B's, C's and C's leaving, each as the whole list.
      expect(byList.heard.lists.map((l) => ids(l.users))).toEqual([[a.user.id], ids([a.user, b.user]), ids([a.user, b.user, c.user]), ids([a.user, b.user])]);
      expect(byList.heard.changes).toEqual([]);
      // The change reader: the list once, then C coming and going.
      expect(byChange.heard.lists.map((l) => ids(l.users))).toEqual([ids([a.user, b.user])]);
      expect(byChange.heard.changes.map((ch) => [ch.joined.map((u) => u.id), ch.left])).toEqual([
        [[c.user.id], []],
        [[], [c.user.id]],
      ]);
      expect(ids(byChange.list())).toEqual(ids([a.user, b.user]));
    } finally {
      listReader.close();
      changeReader.close();
    }
  });

  it('counts a person once however many of their sockets are in the room, and lets them go with the last', async () => {
    const { id } = await openIncident(t, lead);
    const stream: StreamName = `incident:${id}`;
    const [watcher, twoTabs, latecomer] = people;
    if (!watcher || !twoTabs || !latecomer) throw new Error('no people');
    const observer = await connectSocket(url, { cookie: watcher.cookie });
    const heard = hear(observer, stream);
    const first = await connectSocket(url, { cookie: twoTabs.cookie });
    const second = await connectSocket(url, { cookie: twoTabs.cookie });
    let other: ClientSocket | undefined;
    try {
      await subscribe(observer, { stream, presence: 'changes' });
      await until(observer, () => heard.list() !== null, 'the observer to get the list');
      await subscribe(first, { stream, presence: 'changes' });
      await subscribe(second, { stream, presence: 'changes' });
      await until(observer, () => heard.heard.changes.length === 1, 'the observer to hear of the two tabs');
      // Closing one tab changes nothing: the next change the observer hears is someone else joining.
      drop(first);
      other = await connectSocket(url, { cookie: latecomer.cookie });
      await subscribe(other, { stream, presence: 'changes' });
      await until(observer, () => heard.heard.changes.length === 2, 'the observer to hear of the latecomer');
      // Closing the last tab is the change after that.
      drop(second);
      await until(observer, () => heard.heard.changes.length === 3, 'the observer to hear the two tabs leave');
      expect(heard.heard.changes.map((ch) => [ch.joined.map((u) => u.id), ch.left])).toEqual([
        [[twoTabs.user.id], []],
        [[latecomer.user.id], []],
        [[], [twoTabs.user.id]],
      ]);
      expect(ids(heard.list())).toEqual(ids([watcher.user, latecomer.user]));
    } finally {
      other?.close();
      observer.close();
    }
  });
});
