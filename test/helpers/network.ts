import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay between the browser and the app that a test can cut: while cut, every
 * connection is dropped and new ones are refused, exactly as a lost network would, for
 * pages and service workers alike (Playwright's setOffline does not reach the latter).
 */
export interface Network {
  url: string;
  cut(): void;
  restore(): void;
  setTarget(port: number): void;
  close(): Promise<void>;
}

export async function startNetwork(): Promise<Network> {
  let target = 0;
  let down = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down || target === 0) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    setTarget(p: number) {
      target = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
