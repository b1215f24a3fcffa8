import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { IncidentDetail } from '@lodestone/shared';
import { ADMIN_PASSWORD, TEST_PASSWORD, alertInput, buildTestApp, createUser, listen, signIn, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connectSocket, subscribe, type ClientSocket } from '../helpers/sockets.ts';
import { CALLERS, HTTP_MATRIX, NOT_IN_MATRIX, OK, SOCKET_MATRIX, caseName, type Caller, type HttpCase, type SocketOutcome } from './access-matrix.table.ts';

/**
 * Every route the app registers, seen through an onRoute hook added to the Fastify instance as
 * buildApp creates it: before any plugin or route, so no route (documented or not) is missed.
 */
const registered = vi.hoisted(() => new Set<string>());
vi.mock('fastify', async (importOriginal) => {
  const real = await importOriginal<{ default: (options?: unknown) => FastifyInstance }>();
  const build = (options?: unknown): FastifyInstance => {
    const app = real.default(options);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.add(`${method} ${route.url}`);
    });
    return app;
  };
  return { ...real, default: build, fastify: build };
});

interface Credentials {
  cookie?: string;
  bearer?: string;
}

/** A request of one cell: where, with what body, and (when the cell must not spend the shared one) as whom. */
interface Prepared {
  url: string;
  payload?: Record<string, unknown>;
  as?: Credentials;
}

type Builder = (caller: Caller) => Promise<Prepared>;

function headersOf(credentials: Credentials): Record<string, string> {
  if (credentials.cookie) return { cookie: credentials.cookie };
  if (credentials.bearer) return { authorization: `Bearer ${credentials.bearer}` };
  return {};
}

const CHANGED_PASSWORD = 'a different horse battery';
const LIVE_CALLERS: readonly Caller[] = ['admin', 'lead', 'otherLead', 'coLead', 'member', 'nonMember', 'liaison', 'otherLiaison', 'staff', 'token'];

describe('access matrix (product.md Access, api.md)', () => {
  let t: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let people: Record<'lead' | 'otherLead' | 'coLead' | 'member' | 'nonMember' | 'liaison' | 'otherLiaison' | 'staff' | 'disabled' | 'newPassword' | 'bystander' | 'spare', TestUser>;
  let credentials: Record<Caller, Credentials>;
  let disabledTokenId: string;
  /** A token the newPassword account made before it was told to choose a new password. */
  let newPasswordTokenId: string;
  /** The target incident of every incident row; `other` is where the "other" callers belong. */
  let own: IncidentDetail;
  let other: IncidentDetail;
  let alertId: string;
  let actionId: string;
  let counter = 0;

  async function call(as: Credentials, method: string, url: string, payload?: Record<string, unknown>) {
    return t.app.inject({ method: method as 'GET', url, headers: headersOf(as), ...(payload === undefined ? {} : { payload }) });
  }

  /** A setup request that must succeed; its JSON answer. */
  async function must<T = Record<string, unknown>>(as: Credentials, method: string, url: string, payload?: Record<string, unknown>): Promise<T> {
    const res = await call(as, method, url, payload);
    if (res.statusCode >= 300) throw new Error(`setup ${method} ${url} failed: ${res.statusCode} ${res.body}`);
    return (res.statusCode === 204 ? {} : res.json()) as T;
  }

  const asLead = (): Credentials => ({ cookie: people.lead.cookie });

  /** The account a caller acts as (anonymous: a bystander, so its sign-in has real credentials). */
  function accountOf(caller: Caller): TestUser {
    if (caller === 'anonymous') return people.bystander;
    if (caller === 'admin') return admin;
    if (caller === 'token') return people.liaison;
    if (caller === 'disabledToken') return people.disabled;
    return people[caller];
  }

  /**
   * Credentials of the caller that a cell may spend (sign-in and sign-out end the session they
   * are sent with): a new session of the same account, or the same token, or the dead ones.
   */
  async function spendable(caller: Caller): Promise<Credentials> {
    if (caller === 'newPassword') return { cookie: await signIn(t.app, people.newPassword.user.username, people.newPassword.password) };
    if (!LIVE_CALLERS.includes(caller) || caller === 'token') return credentials[caller];
    const account = accountOf(caller);
    return { cookie: await signIn(t.app, account.user.username, account.password) };
  }

  /** A new account of the caller's role, signed in the same way, for a cell that changes the account itself. */
  async function twinOf(caller: Caller): Promise<Credentials> {
    if (caller === 'newPassword') {
      const twin = await must<{ username: string }>({ cookie: t.admin }, 'POST', '/api/v1/users', {
        username: `firstpw${++counter}`,
        displayName: `First Password ${counter}`,
        password: TEST_PASSWORD,
        role: 'member',
        agency: 'DOE',
        side: 'US',
        mustChangePassword: true,
      });
      return { cookie: await signIn(t.app, twin.username, TEST_PASSWORD) };
    }
    if (!LIVE_CALLERS.includes(caller)) return credentials[caller];
    const twin = await createUser(t, accountOf(caller).user.role);
    if (caller !== 'token') return { cookie: twin.cookie };
    const { token } = await must<{ token: string }>({ cookie: twin.cookie }, 'POST', '/api/v1/tokens', { name: 'twin script' });
    return { bearer: token };
  }

  const freshAlert = async () => (await must<{ id: string }>(asLead(), 'POST', '/api/v1/alerts', alertInput())).id;
  const incidentNow = async () => {
    const incident = await t.app.lodestone.incidents.get(own.id);
    if (!incident) throw new Error('the target incident is gone');
    return incident;
  };

  const builders: Record<string, Builder> = {
    'POST /api/v1/session': async (caller) => {
      const account = accountOf(caller);
      return { url: '/api/v1/session', as: await spendable(caller), payload: { username: account.user.username, password: account.password } };
    },
    'GET /api/v1/session': async () => ({ url: '/api/v1/session' }),
    'DELETE /api/v1/session': async (caller) => ({ url: '/api/v1/session', as: await spendable(caller) }),
    'PATCH /api/v1/profile': async () => ({ url: '/api/v1/profile', payload: { locale: 'en' } }),
    'POST /api/v1/profile/password': async (caller) => ({
      url: '/api/v1/profile/password',
      as: await twinOf(caller),
      payload: { currentPassword: TEST_PASSWORD, newPassword: CHANGED_PASSWORD },
    }),

    'GET /api/v1/people': async () => ({ url: '/api/v1/people' }),
    'GET /api/v1/users': async () => ({ url: '/api/v1/users' }),
    'POST /api/v1/users': async () => ({
      url: '/api/v1/users',
      payload: { username: `matrix${++counter}`, displayName: `Matrix ${counter}`, password: TEST_PASSWORD, role: 'member', agency: 'DOE', side: 'US' },
    }),
    'GET /api/v1/users/:id': async () => ({ url: `/api/v1/users/${people.bystander.user.id}` }),
    'PATCH /api/v1/users/:id': async () => ({ url: `/api/v1/users/${people.bystander.user.id}`, payload: { displayName: `Bystander ${++counter}` } }),
    'GET /api/v1/users/:id/tokens': async () => ({ url: `/api/v1/users/${people.bystander.user.id}/tokens` }),

    'POST /api/v1/tokens': async () => ({ url: '/api/v1/tokens', payload: { name: 'matrix script' } }),
    'GET /api/v1/tokens': async () => ({ url: '/api/v1/tokens' }),
    "DELETE /api/v1/tokens/:id [the caller's own token]": async (caller) => {
      // A new token of the caller's own (never the one a token caller is using); none can be made without a live account.
      let id: string;
      if (LIVE_CALLERS.includes(caller)) id = (await must<{ id: string }>(credentials[caller], 'POST', '/api/v1/tokens', { name: 'to revoke' })).id;
      else if (caller === 'anonymous') id = (await must<{ id: string }>({ cookie: people.bystander.cookie }, 'POST', '/api/v1/tokens', { name: 'to revoke' })).id;
      else if (caller === 'newPassword') id = newPasswordTokenId;
      else id = disabledTokenId;
      return { url: `/api/v1/tokens/${id}` };
    },
    "DELETE /api/v1/tokens/:id [another user's token]": async () => {
      const { id } = await must<{ id: string }>({ cookie: people.bystander.cookie }, 'POST', '/api/v1/tokens', { name: 'not yours' });
      return { url: `/api/v1/tokens/${id}` };
    },

    'GET /api/v1/events [stream=alerts]': async () => ({ url: '/api/v1/events?stream=alerts' }),
    'GET /api/v1/events [stream=admin]': async () => ({ url: '/api/v1/events?stream=admin' }),
    'GET /api/v1/events [stream=incident:<target>]': async () => ({ url: `/api/v1/events?stream=incident:${own.id}` }),
    'GET /api/v1/audit/verify': async () => ({ url: '/api/v1/audit/verify' }),
    'GET /api/v1/audit/events': async () => ({ url: '/api/v1/audit/events?type=user.updated' }),

    'GET /api/v1/minerals': async () => ({ url: '/api/v1/minerals' }),
    'GET /api/v1/provisions': async () => ({ url: '/api/v1/provisions' }),

    'GET /api/v1/alerts': async () => ({ url: '/api/v1/alerts' }),
    'GET /api/v1/alerts/:id': async () => ({ url: `/api/v1/alerts/${alertId}` }),
    'POST /api/v1/alerts': async () => ({ url: '/api/v1/alerts', payload: alertInput() }),
    'POST /api/v1/alerts/:id/acknowledgements': async () => ({ url: `/api/v1/alerts/${await freshAlert()}/acknowledgements`, payload: {} }),
    'POST /api/v1/alerts/:id/escalation': async () => ({
      url: `/api/v1/alerts/${await freshAlert()}/escalation`,
      payload: { incident: { title: 'Escalated from the access matrix' } },
    }),
    'POST /api/v1/alerts/:id/dismissal': async () => ({ url: `/api/v1/alerts/${await freshAlert()}/dismissal`, payload: { reason: 'Duplicate report' } }),

    'GET /api/v1/incidents': async () => ({ url: '/api/v1/incidents' }),
    'POST /api/v1/incidents': async () => ({ url: '/api/v1/incidents', payload: { title: 'Gallium price spike', severity: 'moderate', minerals: ['gallium'] } }),
    'GET /api/v1/incidents/:id': async () => ({ url: `/api/v1/incidents/${own.id}` }),
    'PATCH /api/v1/incidents/:id [severity]': async () => {
      const { version, severity } = await incidentNow();
      return { url: `/api/v1/incidents/${own.id}`, payload: { version, severity: severity === 'high' ? 'critical' : 'high' } };
    },
    'PATCH /api/v1/incidents/:id [lessons]': async () => ({
      url: `/api/v1/incidents/${own.id}`,
      payload: { version: (await incidentNow()).version, lessons: { strengths: `Both sides acknowledged within the hour (${++counter})` } },
    }),
    'PUT /api/v1/incidents/:id/members/:userId': async () => {
      await must(asLead(), 'DELETE', `/api/v1/incidents/${own.id}/members/${people.spare.user.id}`);
      return { url: `/api/v1/incidents/${own.id}/members/${people.spare.user.id}` };
    },
    'DELETE /api/v1/incidents/:id/members/:userId': async () => {
      await must(asLead(), 'PUT', `/api/v1/incidents/${own.id}/members/${people.spare.user.id}`);
      return { url: `/api/v1/incidents/${own.id}/members/${people.spare.user.id}` };
    },
    'POST /api/v1/incidents/:id/messages [kind=note]': async () => ({ url: `/api/v1/incidents/${own.id}/messages`, payload: { body: 'METI confirms the licence backlog.', kind: 'note' } }),
    'POST /api/v1/incidents/:id/messages [kind=decision]': async () => ({
      url: `/api/v1/incidents/${own.id}/messages`,
      payload: { body: 'Release the strategic stockpile tranche.', kind: 'decision' },
    }),
    'GET /api/v1/incidents/:id/messages': async () => ({ url: `/api/v1/incidents/${own.id}/messages` }),
    'GET /api/v1/incidents/:id/timeline': async () => ({ url: `/api/v1/incidents/${own.id}/timeline` }),
    'GET /api/v1/incidents/:id/export [format=json]': async () => ({ url: `/api/v1/incidents/${own.id}/export?format=json` }),

    'GET /api/v1/incidents/:id/actions': async () => ({ url: `/api/v1/incidents/${own.id}/actions` }),
    'POST /api/v1/incidents/:id/actions': async () => ({ url: `/api/v1/incidents/${own.id}/actions`, payload: { title: 'Survey alternative suppliers', priority: 'p2' } }),
    'GET /api/v1/actions': async () => ({ url: '/api/v1/actions' }),
    'GET /api/v1/actions/:id': async () => ({ url: `/api/v1/actions/${actionId}` }),
    'PATCH /api/v1/actions/:id': async () => {
      const action = await must<{ id: string; version: number }>(asLead(), 'POST', `/api/v1/incidents/${own.id}/actions`, { title: 'Draft the stockpile request' });
      return { url: `/api/v1/actions/${action.id}`, payload: { version: action.version, status: 'in_progress' } };
    },
  };

  beforeAll(async () => {
    t = await buildTestApp();
    const me = await must<{ user: TestUser['user'] }>({ cookie: t.admin }, 'GET', '/api/v1/session');
    admin = { user: me.user, password: ADMIN_PASSWORD, cookie: t.admin };
    people = {
      lead: await createUser(t, 'lead', { side: 'US' }),
      otherLead: await createUser(t, 'lead', { side: 'JP' }),
      coLead: await createUser(t, 'member', { side: 'JP' }),
      member: await createUser(t, 'member', { side: 'US' }),
      nonMember: await createUser(t, 'member', { side: 'US' }),
      liaison: await createUser(t, 'liaison', { side: 'JP' }),
      otherLiaison: await createUser(t, 'liaison', { side: 'US' }),
      staff: await createUser(t, 'staff', { side: 'US' }),
      disabled: await createUser(t, 'member', { side: 'US' }),
      newPassword: await createUser(t, 'member', { side: 'JP' }),
      bystander: await createUser(t, 'member', { side: 'JP' }),
      spare: await createUser(t, 'member', { side: 'JP' }),
    };
    own = await openIncident(t, people.lead, {
      body: { jpLeadId: people.coLead.user.id },
      members: [people.member, people.liaison, people.disabled, people.newPassword],
    });
    other = await openIncident(t, people.otherLead, { members: [people.nonMember, people.otherLiaison] });
    const token = await must<{ token: string }>({ cookie: people.liaison.cookie }, 'POST', '/api/v1/tokens', { name: 'liaison import script' });
    const disabledToken = await must<{ id: string; token: string }>({ cookie: people.disabled.cookie }, 'POST', '/api/v1/tokens', { name: 'old script' });
    disabledTokenId = disabledToken.id;
    await must({ cookie: t.admin }, 'PATCH', `/api/v1/users/${people.disabled.user.id}`, { disabled: true });
    newPasswordTokenId = (await must<{ id: string }>({ cookie: people.newPassword.cookie }, 'POST', '/api/v1/tokens', { name: 'before the reset' })).id;
    // Told to choose a new password while signed in: the session it has is held to that at once.
    await must({ cookie: t.admin }, 'PATCH', `/api/v1/users/${people.newPassword.user.id}`, { mustChangePassword: true });
    alertId = (await must<{ id: string }>({ cookie: people.liaison.cookie }, 'POST', '/api/v1/alerts', alertInput())).id;
    actionId = (await must<{ id: string }>(asLead(), 'POST', `/api/v1/incidents/${own.id}/actions`, { title: 'Map alternative suppliers' })).id;
    credentials = {
      anonymous: {},
      admin: { cookie: t.admin },
      lead: { cookie: people.lead.cookie },
      otherLead: { cookie: people.otherLead.cookie },
      coLead: { cookie: people.coLead.cookie },
      member: { cookie: people.member.cookie },
      nonMember: { cookie: people.nonMember.cookie },
      liaison: { cookie: people.liaison.cookie },
      otherLiaison: { cookie: people.otherLiaison.cookie },
      staff: { cookie: people.staff.cookie },
      disabled: { cookie: people.disabled.cookie },
      disabledToken: { bearer: disabledToken.token },
      token: { bearer: token.token },
      newPassword: { cookie: people.newPassword.cookie },
    };
    baseUrl = await listen(t.app);
  });
  afterAll(() => t.close());

  it('sets the scene the columns describe', async () => {
    expect(own.usLeadId).toBe(people.lead.user.id);
    expect(own.jpLeadId).toBe(people.coLead.user.id);
    const ownMembers = new Set((await t.app.lodestone.incidents.members(own.id)).map((m) => m.id));
    const otherMembers = new Set((await t.app.lodestone.incidents.members(other.id)).map((m) => m.id));
    for (const who of ['lead', 'coLead', 'member', 'liaison', 'disabled', 'newPassword'] as const) expect(ownMembers.has(people[who].user.id), who).toBe(true);
    expect((await t.app.lodestone.users.get(people.newPassword.user.id))?.mustChangePassword).toBe(true);
    for (const who of ['otherLead', 'nonMember', 'otherLiaison', 'staff'] as const) {
      expect(ownMembers.has(people[who].user.id), who).toBe(false);
      expect(otherMembers.has(people[who].user.id) || who === 'staff', who).toBe(true);
    }
  });

  it('has a row for every route the app registers, and a route for every row', () => {
    expect(registered.size).toBeGreaterThan(0);
    const inTable = new Set(HTTP_MATRIX.map((c) => c.route));
    const missing = [...registered].filter((route) => !inTable.has(route as HttpCase['route']) && !NOT_IN_MATRIX.some((n) => n.route.test(route)));
    expect(missing, 'routes with no row in access-matrix.table.ts').toEqual([]);
    const stale = [...inTable].filter((route) => !registered.has(route));
    expect(stale, 'rows naming no route of the app').toEqual([]);
  });

  it('has a request builder for every row and a row for every builder', () => {
    const names = HTTP_MATRIX.map(caseName);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !(n in builders))).toEqual([]);
    expect(Object.keys(builders).filter((n) => !names.includes(n))).toEqual([]);
  });

  describe('HTTP', () => {
    for (const row of HTTP_MATRIX) {
      describe(`${caseName(row)} — ${row.rule}`, () => {
        CALLERS.forEach((caller, i) => {
          const expected = row.expect[i];
          it(`${caller} → ${expected}`, async () => {
            const builder = builders[caseName(row)];
            if (!builder) throw new Error(`no request builder for ${caseName(row)}`);
            const prepared = await builder(caller);
            const method = row.route.slice(0, row.route.indexOf(' '));
            const res = await call(prepared.as ?? credentials[caller], method, prepared.url, prepared.payload);
            expect(res.statusCode, res.body).toBe(expected);
          });
        });
      });
    }
  });

  describe('Socket.IO', () => {
    const sockets = new Map<Caller, ClientSocket | string>();

    beforeAll(async () => {
      for (const caller of CALLERS) {
        const { cookie, bearer } = credentials[caller];
        const options = { ...(cookie ? { cookie } : {}), ...(bearer ? { token: bearer } : {}) };
        sockets.set(caller, await connectSocket(baseUrl, options).catch((error: Error) => error.message));
      }
    });
    afterAll(() => {
      for (const socket of sockets.values()) if (typeof socket !== 'string') socket.close();
    });

    function socketOf(caller: Caller): ClientSocket | string {
      const socket = sockets.get(caller);
      if (socket === undefined) throw new Error(`no socket for ${caller}`);
      return socket;
    }

    function streamOf(variant: string | undefined) {
      if (variant === 'stream=alerts') return 'alerts' as const;
      if (variant === 'stream=admin') return 'admin' as const;
      if (variant === 'stream=incident:<target>') return `incident:${own.id}` as const;
      throw new Error(`no stream for ${variant}`);
    }

    /** A round trip that joins nothing: once it is answered, every earlier event of this socket was handled. */
    const roundTrip = (socket: ClientSocket) => subscribe(socket, { stream: 'not a stream' } as unknown as { stream: 'alerts' });

    it('has a row for every client → server event the server listens to', () => {
      const socket = socketOf('lead');
      if (typeof socket === 'string') throw new Error(`lead could not connect: ${socket}`);
      const server = t.app.io.of('/').sockets.get(socket.id ?? '');
      if (!server) throw new Error('no server socket for the lead');
      const reserved = new Set(['connect', 'disconnect', 'disconnecting', 'error', 'newListener', 'removeListener']);
      const listened = server.eventNames().filter((name): name is string => typeof name === 'string' && !reserved.has(name));
      expect(new Set(listened)).toEqual(new Set(SOCKET_MATRIX.map((c) => c.event)));
    });

    for (const row of SOCKET_MATRIX) {
      describe(`${row.event} [${row.variant ?? ''}] — ${row.rule}`, () => {
        CALLERS.forEach((caller, i) => {
          const expected = row.expect[i];
          it(`${caller} → ${expected}`, async () => {
            const socket = socketOf(caller);
            if (typeof socket === 'string') {
              // The handshake was refused with this message: the cell must name that refusal.
              expect(socket).toBe(typeof expected === 'string' && expected !== OK ? expected : 'a connected socket');
              return;
            }
            const stream = streamOf(row.variant);
            let outcome: SocketOutcome | 'still in the room';
            if (row.event === 'subscribe') {
              const ack = await subscribe(socket, { stream });
              outcome = ack.ok ? OK : ack.error.status;
            } else {
              await subscribe(socket, { stream });
              socket.emit('unsubscribe', { stream });
              await roundTrip(socket);
              const server = t.app.io.of('/').sockets.get(socket.id ?? '');
              outcome = socket.connected && server !== undefined && !server.rooms.has(stream) ? OK : 'still in the room';
            }
            expect(outcome).toBe(expected);
          });
        });
      });
    }
  });
});
