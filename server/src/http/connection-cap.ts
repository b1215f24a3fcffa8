import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * At most `perAddress` TCP connections open at once from one address: over it, a new connection
 * is destroyed as it arrives, before a byte of it is read, so a slow client cannot hold the
 * server's connections (issue 14: 300 slow uploads from one address). Counts the address the
 * TCP connection comes from: behind a proxy, that is the proxy's, so raise the cap there.
 */
export function capConnectionsPerAddress(server: Server, perAddress: number): { open(address: string): number; refused(): number } {
  const open = new Map<string, number>();
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= perAddress) {
      refused++;
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return { open: (address) => open.get(address) ?? 0, refused: () => refused };
}
