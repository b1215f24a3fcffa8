// The raw baseline: the minimum of Lodestone's job on the same stack, nothing else. A POST parses
// JSON, inserts the row and bumps the stream's seq in one better-sqlite3 transaction (WAL,
// synchronous=FULL), emits the event to the stream's Socket.IO room, and answers.
//   tsx bench/baseline/server.ts <db file>     prints {"port": N} when listening
import Database from 'better-sqlite3';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const db = new Database(process.argv[2] ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS streams (name TEXT PRIMARY KEY, head INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (stream TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (stream, seq));`);
const head = db.prepare('SELECT head FROM streams WHERE name = ?').pluck();
const setHead = db.prepare('INSERT INTO streams (name, head) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET head = excluded.head');
const insert = db.prepare('INSERT INTO events (stream, seq, at, data) VALUES (?, ?, ?, ?)');
const append = db.transaction((stream: string, data: unknown) => {
  const seq = ((head.get(stream) as number | undefined) ?? 0) + 1;
  const event = { stream, seq, at: new Date().toISOString(), data };
  insert.run(stream, seq, event.at, JSON.stringify(data));
  setHead.run(stream, seq);
  return event;
});

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
    const event = append.immediate(stream, data);
    io.to(stream).emit('event', event);
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(event));
  });
});

const io = new Server(http, { path: '/socket.io', serveClient: false });
io.on('connection', (socket) => {
  socket.on('subscribe', (request: { stream: string }, ack: (answer: unknown) => void) => {
    void socket.join(request.stream);
    if (typeof ack === 'function') ack({ ok: true, events: [], head: (head.get(request.stream) as number | undefined) ?? 0, more: false });
  });
});

http.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port, pid: process.pid })}\n`));
process.on('SIGTERM', () => {
  void io.close();
  db.close();
  process.exit(0);
});
