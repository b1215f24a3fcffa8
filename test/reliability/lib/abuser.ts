// A hostile client, in a process of its own: `sockets` connections that flood `subscribe`
// (each asking for 500 events), spam packets and send oversize packets, reconnecting whenever
// they are cut off or refused, until stdin closes. Prints "ready" once every socket has connected,
// and {"acks","refused","cutOff","closed","refusedHandshakes"} when it ends.
//   tsx test/reliability/lib/abuser.ts <url> <cookie> <stream> <sockets>
import { io, type Socket } from 'socket.io-client';

const [url = '', cookie = '', stream = '', count = '4'] = process.argv.slice(2);
let acks = 0;
let refused = 0;
let cutOff = 0;
let closed = 0;
let refusedHandshakes = 0;
let connectedOnce = 0;
let running = true;
const sockets: Socket[] = [];

function attack(socket: Socket, n: number): void {
  if (!running || !socket.connected) return;
  const mode = n % 3;
  if (mode === 0) {
    // The next burst waits for these answers: sent 50 ms apart on a loaded machine, both bursts
    // could reach the server in one read, the packet flood would cut the socket off before its
    // subscribe handlers ran, and no 429 would ever come back. A cut-off drops the answers; the
    // reconnect attacks again.
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      socket.emit('subscribe', { stream, after: 0 }, (ack: { ok: boolean }) => {
        if (ack.ok) acks++;
        else refused++;
        if (++answered === 40) setTimeout(() => attack(socket, n + 1), 50);
      });
    }
    return;
  } else if (mode === 1) {
    for (let i = 0; i < 300; i++) socket.emit('unsubscribe', { stream });
  } else {
    socket.emit('subscribe', { stream, padding: 'x'.repeat(80 * 1024) }, () => undefined);
  }
  setTimeout(() => attack(socket, n + 1), 50);
}

for (let i = 0; i < Number(count); i++) {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], forceNew: true, extraHeaders: { cookie }, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  let first = true;
  socket.on('connect', () => {
    if (first && ++connectedOnce === Number(count)) process.stdout.write('ready\n');
    first = false;
    attack(socket, i);
  });
  socket.on('disconnect', (reason) => {
    // Cut off by the server (the packet budget), or the transport closed (an oversize packet).
    if (reason === 'io server disconnect') {
      cutOff++;
      // Come straight back: socket.io does not by itself after a server disconnect.
      if (running) setTimeout(() => socket.connect(), 50);
    } else closed++;
  });
  // Refused at the handshake (cut off a moment ago): keep knocking.
  socket.on('connect_error', () => {
    refusedHandshakes++;
    if (running) setTimeout(() => socket.connect(), 50);
  });
  sockets.push(socket);
}

process.stdin.resume();
process.stdin.on('end', () => {
  running = false;
  sockets.forEach((s) => s.close());
  process.stdout.write(`${JSON.stringify({ acks, refused, cutOff, closed, refusedHandshakes })}\n`);
  process.exit(0);
});
