import { randomBytes } from 'node:crypto';
import type { Db, Store, Tables } from './store/store.ts';
import { EventLog } from './events/event-log.ts';
import { IdempotencyStore } from './events/idempotency.ts';
import { commit, type Mutation } from './events/mutation.ts';
import type { Tx } from './events/event-log.ts';
import { Signals } from './signals.ts';
import { UsersService } from './features/users/users.service.ts';
import { SessionsService } from './features/users/sessions.service.ts';
import { TokensService } from './features/users/tokens.service.ts';
import { StreamAccess } from './auth/stream-access.ts';
import { AlertsService } from './features/alerts/alerts.service.ts';
import { IncidentsService } from './features/incidents/incidents.service.ts';
import { TimelineService } from './features/incidents/timeline.service.ts';
import { ActionsService } from './features/actions/actions.service.ts';

export interface ServiceOptions {
  clock: () => Date;
  /** log2 of scrypt's N for new password hashes (17 = OWASP). */
  passwordLog2N: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Key of the idempotency table's request hashes (auth/server-secret.ts); random for this process when absent. */
  secret?: Buffer;
}

/** What every feature service is built from. */
export interface ServiceContext {
  store: Store;
  /** Reads outside a write transaction (committed data). */
  db: Db;
  /** The tables of the store's dialect. */
  t: Tables;
  log: EventLog;
  idempotency: IdempotencyStore;
  signals: Signals;
  options: ServiceOptions;
  /** One transaction for a change, its events and its idempotent answer (group-committed). */
  commit<T>(mutation: Mutation, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** A write without an Idempotency-Key (sign-in, housekeeping, the first admin), group-committed too. */
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  now(): Date;
  /**
   * Runs `work` with the clock set to `at`: the demo scenario records history at its real dates.
   * A change made this way that is earlier than the last event of a stream it appends to is
   * refused (BackdatedAppend): history has to be played in time order.
   */
  at<T>(at: Date, work: () => Promise<T>): Promise<T>;
}

export type Services = ReturnType<typeof createServices>;

/** Wires the feature services over one store. */
export function createServices(store: Store, options: ServiceOptions) {
  let fixed: Date | null = null;
  const clock = () => fixed ?? options.clock();
  const log = new EventLog(store, clock, () => fixed !== null);
  const write = <T>(work: (tx: Tx) => Promise<T>) => log.enqueue(work);
  const idempotency = new IdempotencyStore(store, write, clock, options.secret ?? randomBytes(32));
  const signals = new Signals();
  const context: ServiceContext = {
    store,
    db: store.db,
    t: store.t,
    log,
    idempotency,
    signals,
    options,
    commit: (mutation, work) => commit(log, idempotency, mutation, work),
    write,
    now: clock,
    at: async (at, work) => {
      fixed = at;
      try {
        return await work();
      } finally {
        fixed = null;
      }
    },
  };
  const users = new UsersService(context);
  const sessions = new SessionsService(context, users);
  const tokens = new TokensService(context, users);
  // Alerts escalate into incidents, incidents link alerts: each reaches the other late.
  const alerts: AlertsService = new AlertsService(context, () => incidents);
  const incidents: IncidentsService = new IncidentsService(context, () => alerts);
  const timeline = new TimelineService(context, incidents);
  const actions = new ActionsService(context, incidents);
  const streamAccess = new StreamAccess(incidents);
  return { context, store, log, idempotency, signals, users, sessions, tokens, streamAccess, alerts, incidents, timeline, actions };
}
