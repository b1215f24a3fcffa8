import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('../../scripts/build-server.mjs', import.meta.url));
const DIST = new URL('../../server/dist/', import.meta.url);
const SHARED_DIST = new URL('../../shared/dist/', import.meta.url);
let built = false;

function build(): void {
  if (built) return;
  // Its messages go to stderr: a benchmark server's stdout is read as JSON.
  execFileSync(process.execPath, [BUILD], { stdio: ['ignore', process.stderr, process.stderr] });
  built = true;
}

/**
 * A module of the server as `npm start` runs it: compiled to JavaScript (scripts/build-server.mjs,
 * which builds only when a source is newer), not TypeScript compiled as it loads. `T` is the type
 * of its source module, `path` the compiled file under server/dist.
 */
export async function serverModule<T>(path: string): Promise<T> {
  build();
  return (await import(new URL(path, DIST).href)) as T;
}

/** The same of the shared package (`@lodestone/shared` is TypeScript source; its build is JavaScript). */
export async function sharedModule<T>(path: string): Promise<T> {
  build();
  return (await import(new URL(path, SHARED_DIST).href)) as T;
}
