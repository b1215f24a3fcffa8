import { createAdapter } from '@socket.io/postgres-adapter';
import type pg from 'pg';

/**
 * The PostgreSQL NOTIFY payload must be shorter than 8,000 bytes; the adapter sends a message as
 * NOTIFY unless it is *longer* than its threshold (default 8,000), so one of exactly 8,000 bytes
 * fails. Larger messages go through the attachments table (one INSERT + a short NOTIFY). 7,000
 * keeps a margin of 1,000 bytes under the limit.
 */
export const PAYLOAD_THRESHOLD = 7_000;

/** The table the migrations create for the adapter's larger messages. */
export const ATTACHMENTS_TABLE = 'socket_io_attachments';

export interface PostgresAdapterLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface PostgresAdapterOptions {
  /** This node's name, in what is logged. */
  nodeId: string;
  log: PostgresAdapterLog;
}

/** The connection that holds the adapter's LISTEN, as the pool hands it out. */
type ListenClient = pg.PoolClient;

/**
 * Socket.IO's PostgreSQL adapter (@socket.io/postgres-adapter 0.5.0) as Lodestone runs it, for
 * `io.adapter(postgresAdapter(pool, …))`. Every node of one database hears the others' broadcasts
 * and `serverSideEmit`s through LISTEN/NOTIFY on one connection it keeps checked out of `pool`.
 *
 * What the adapter leaves to its user, done here:
 * - A connection PostgreSQL ends (pg_terminate_backend, a failover, a restart) emits 'error' on its
 *   client; the pool's own 'error' covers only idle clients, and the adapter adds no listener to
 *   the one it holds, so the process would crash. Every client the pool opens gets a listener
 *   (pool 'connect'), and the adapter's client gets one when it takes it, even if the pool opened
 *   it before this was called. The error is logged; the adapter sees the connection end and
 *   LISTENs again on another after 1–3 s. What other nodes publish in between is lost to this node.
 * - The adapter never gives that dead client back to the pool, so it would count against `max`
 *   for good (with max 2, one termination leaves no connection to publish with). It is released
 *   with its error when it ends, and the pool drops it.
 * - The adapter's own errors (a failed NOTIFY, a failed cleanup) are logged, not dropped.
 * - Messages over PAYLOAD_THRESHOLD bytes go through `socket_io_attachments`.
 */
export function postgresAdapter(pool: pg.Pool, options: PostgresAdapterOptions): ReturnType<typeof createAdapter> {
  const { nodeId, log } = options;
  const guarded = new WeakSet<pg.PoolClient>();
  const guard = (client: pg.PoolClient): void => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (error: Error) => {
      log.warn({ nodeId, err: error.message }, 'PostgreSQL ended a connection that was checked out of the pool (the adapter LISTENs again on a new one)');
    });
  };
  pool.on('connect', guard);

  // The adapter only calls `connect()` (for its LISTEN client) and `query()` on the pool.
  const adapterPool = {
    query: pool.query.bind(pool),
    connect: async (): Promise<ListenClient> => {
      const client = await pool.connect();
      guard(client);
      client.once('end', () => {
        log.warn({ nodeId }, 'The Socket.IO adapter lost its LISTEN connection; broadcasts from other nodes are lost until it listens again');
        try {
          client.release(new Error('LISTEN connection ended'));
        } catch {
          // Already released (the adapter was closed).
        }
      });
      log.info?.({ nodeId }, 'The Socket.IO adapter took its LISTEN connection');
      return client;
    },
  } as unknown as pg.Pool;

  return createAdapter(adapterPool, {
    tableName: ATTACHMENTS_TABLE,
    payloadThreshold: PAYLOAD_THRESHOLD,
    errorHandler: (error: Error) => log.warn({ nodeId, err: error.message }, 'Socket.IO PostgreSQL adapter error'),
  });
}
