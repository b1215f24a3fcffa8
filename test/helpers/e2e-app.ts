import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { buildTestApp, listen, type TestApp } from './app.ts';
import { startNetwork, type Network } from './network.ts';
import type { AppOptions } from '../../server/src/app.ts';

export const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

export type E2eApp = TestApp & { url: string; network: Network };

/**
 * The real app with the built client, listening on a loopback port, reached by the browser
 * through a relay (`url`) that the test can cut to take the network away.
 */
export async function startE2eApp(options: Partial<AppOptions> = {}): Promise<E2eApp> {
  if (!existsSync(`${CLIENT_DIST}/index.html`)) throw new Error('The client is not built: run `npm run build` first (npm test does).');
  const network = await startNetwork();
  const t = await buildTestApp({ clientDir: CLIENT_DIST, publicOrigin: network.url, ...options });
  await listen(t.app);
  network.setTarget((t.app.server.address() as AddressInfo).port);
  return {
    ...t,
    url: network.url,
    network,
    close: async () => {
      await network.close();
      await t.close();
    },
  };
}
