// The raw baseline's PostgreSQL twin (bench/baseline/server.ts is the SQLite one): the minimum of
// Lodestone's job on node-postgres and Socket.IO's PostgreSQL adapter, nothing else. A POST parses
// JSON; in one transaction bumps the stream's head (an upsert that takes the row's lock, so two
// nodes posting to one stream never take the same seq) and inserts the row (synchronous_commit on,
// the default: the counterpart of SQLite's synchronous=FULL); emits the event to the stream's
// Socket.IO room, which the adapter carries to every node on the database; and answers. Several
// nodes may run on one database, each with its own node id (poster on one, readers on another).
//   node bench/baseline/server-pg.js <DATABASE_URL> <node id>    (or DATABASE_URL=… NODE_ID=…)
// It prints {"port": N, "pid": …, "nodeId": …} once it listens on HTTP and its adapter LISTENs.
import { createAdapter } from '@socket.io/postgres-adapter';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Server } from 'socket.io';

const url = process.argv[2] ?? process.env.DATABASE_URL;
const nodeId = process.argv[3] ?? process.env.NODE_ID ?? 'baseline';
if (!url) {
  process.stderr.write('usage: server-pg <DATABASE_URL> <node id>\n');
  process.exit(2);
}
const applicationName = `baseline-pg-${nodeId}`;

const pool = new pg.Pool({ connectionString: url, max: 10, application_name: applicationName });
// A connection PostgreSQL ends emits 'error': on the pool when idle, on the client when checked
// out (the adapter's LISTEN connection is, for good). Neither may crash the node.
pool.on('error', (error) => process.stderr.write(`baseline-pg ${nodeId}: idle connection ended: ${error.message}\n`));
pool.on('connect', (client) => client.on('error', (error) => process.stderr.write(`baseline-pg ${nodeId}: connection ended: ${error.message}\n`)));

// Its own tables on its own database (not Lodestone's schema); nodes starting together create them one after the other.
await pool.query(`BEGIN;
SELECT pg_advisory_xact_lock(7100);
CREATE TABLE IF NOT EXISTS streams (name text PRIMARY KEY, head integer NOT NULL);
CREATE TABLE IF NOT EXISTS events (stream text NOT NULL, seq integer NOT NULL, at text NOT NULL, data text NOT NULL, PRIMARY KEY (stream, seq));
CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT now(), payload bytea);
COMMIT;`);

async function append(stream: string, data: unknown): Promise<{ stream: string; seq: number; at: string; data: unknown }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const bumped = await client.query<{ head: number }>(
      'INSERT INTO streams (name, head) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET head = streams.head + 1 RETURNING head',
      [stream],
    );
    const seq = bumped.rows[0]?.head ?? 0;
    const event = { stream, seq, at: new Date().toISOString(), data };
    await client.query('INSERT INTO events (stream, seq, at, data) VALUES ($1, $2, $3, $4)', [stream, seq, event.at, JSON.stringify(data)]);
    await client.query('COMMIT');
    return event;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function head(stream: string): Promise<number> {
  const result = await pool.query<{ head: number }>('SELECT head FROM streams WHERE name = $1', [stream]);
  return result.rows[0]?.head ?? 0;
}

const http = createServer((req, res) => {
  const match = /^\/streams\/([\w:-]+)\/events$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !match?.[1]) {
    res.writeHead(404).end();
    return;
  }
  const stream = match[1];
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let data: unknown;
    try {
      data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    append(stream, data).then(
      (event) => {
        io.to(stream).emit('event', event);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(event));
      },
      (error: Error) => {
        process.stderr.write(`baseline-pg ${nodeId}: append failed: ${error.message}\n`);
        res.writeHead(500).end();
      },
    );
  });
});

const io = new Server(http, { path: '/socket.io', serveClient: false });
// As Lodestone configures it (server/src/realtime/pg-adapter.ts): its attachments table, and a
// threshold under the 8,000-byte NOTIFY limit (0.5.0's default of 8,000 fails at exactly 8,000).
io.adapter(
  createAdapter(pool, {
    tableName: 'socket_io_attachments',
    payloadThreshold: 7_000,
    errorHandler: (error: Error) => process.stderr.write(`baseline-pg ${nodeId}: adapter: ${error.message}\n`),
  }),
);
io.on('connection', (socket) => {
  socket.on('subscribe', (request: { stream: string }, ack: (answer: unknown) => void) => {
    void socket.join(request.stream);
    if (typeof ack === 'function') {
      head(request.stream).then(
        (n) => ack({ ok: true, events: [], head: n, more: false }),
        () => ack({ ok: false }),
      );
    }
  });
});

// Ready when the adapter LISTENs (it connects in the background): an event another node
// publishes before then would not reach this node's clients.
for (let waited = 0; ; waited += 20) {
  const listening = await pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()", [
    applicationName,
  ]);
  if (listening.rowCount) break;
  if (waited > 10_000) throw new Error(`baseline-pg ${nodeId}: the adapter did not LISTEN within 10 s`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}

http.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port, pid: process.pid, nodeId })}\n`),
);
process.on('SIGTERM', () => {
  setTimeout(() => process.exit(0), 2000).unref();
  void io.close();
  void pool.end().finally(() => process.exit(0));
});
