/** Errors of the network under a connection (the database is away or going). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether an error says the database is unreachable or refusing work for now (a restart, a
 * failover, a connection ended, SQLite busy past its timeout), not that the request was wrong: it
 * is answered 503 with Retry-After, and a retry with the same Idempotency-Key is safe.
 */
export function databaseUnavailable(error: unknown, depth = 0): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  // drizzle wraps the driver's error ("Failed query: …") with the original as its cause.
  if (e.cause !== undefined && depth < 4 && databaseUnavailable(e.cause, depth + 1)) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (NETWORK.has(code)) return true;
  // PostgreSQL: connection exceptions (08…), shutdown and start-up (57P01–57P03), too many connections.
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  if (code === '55000' && message.includes('not currently accepting connections')) return true;
  if (code === 'SQLITE_BUSY') return true;
  // node-postgres: a connection that ended, or none to be had in time.
  return /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}
