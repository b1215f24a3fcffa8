import type { DatabaseHandle } from './db/connection.ts';
import { EventLog } from './events/event-log.ts';
import { IdempotencyStore } from './events/idempotency.ts';
import { commit, type Mutation } from './events/mutation.ts';
import type { Tx } from './events/event-log.ts';
import { Signals } from './signals.ts';
import { UsersService } from './features/users/users.service.ts';
import { SessionsService } from './features/users/sessions.service.ts';
import { TokensService } from './features/users/tokens.service.ts';
import { StreamAccess } from './auth/stream-access.ts';

export interface ServiceOptions {
  clock: () => Date;
  /** log2 of scrypt's N for new password hashes (17 = OWASP). */
  passwordLog2N: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
}

/** What every feature service is built from. */
export interface ServiceContext {
  handle: DatabaseHandle;
  log: EventLog;
  idempotency: IdempotencyStore;
  signals: Signals;
  options: ServiceOptions;
  /** One transaction for a change, its events and its idempotent answer. */
  commit<T>(mutation: Mutation, work: (tx: Tx) => T): T;
  now(): Date;
}

export type Services = ReturnType<typeof createServices>;

/** Wires the feature services over one database. */
export function createServices(handle: DatabaseHandle, options: ServiceOptions) {
  const log = new EventLog(handle, options.clock);
  const idempotency = new IdempotencyStore(handle, options.clock);
  const signals = new Signals();
  const context: ServiceContext = {
    handle,
    log,
    idempotency,
    signals,
    options,
    commit: (mutation, work) => commit(log, idempotency, mutation, work),
    now: options.clock,
  };
  const users = new UsersService(context);
  const sessions = new SessionsService(context, users);
  const tokens = new TokensService(context, users);
  const streamAccess = new StreamAccess();
  return { context, handle, log, idempotency, signals, users, sessions, tokens, streamAccess };
}
