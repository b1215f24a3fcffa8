import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTestApp, listen, type TestApp } from './app.ts';
import type { AppOptions } from '../../server/src/app.ts';

export const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** The real app with the built client, listening on a loopback port. */
export async function startE2eApp(options: Partial<AppOptions> = {}): Promise<TestApp & { url: string }> {
  if (!existsSync(`${CLIENT_DIST}/index.html`)) throw new Error('The client is not built: run `npm run build` first (npm test does).');
  const t = await buildTestApp({ clientDir: CLIENT_DIST, ...options });
  const url = await listen(t.app);
  return { ...t, url };
}
