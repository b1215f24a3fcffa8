import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { buildTestApp, listen, type TestApp } from './app.ts';
import { startNetwork, type Network } from './network.ts';
import type { AppOptions } from '../../server/src/app.ts';
import type { Incident } from '@lodestone/shared';

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

/** The demo's incident RRG-2025-001, as the demo's US lead reads it (an app started with `demo: true`). */
export async function demoIncident(app: E2eApp, leadCookie: string): Promise<Incident> {
  const list = (await app.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { cookie: leadCookie } })).json() as Incident[];
  const found = list.find((i) => i.code === 'RRG-2025-001');
  if (!found) throw new Error('the demo incident is missing');
  return found;
}
