// `npm start`: builds the client, and the server to JavaScript (scripts/build-server.mjs), each
// when it is missing or older than its sources, then runs the compiled server (which applies
// pending migrations) in this same process. `npm run dev` runs the server from its TypeScript
// sources through tsx instead, with no server build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildServer, serverBuildIsStale } from './build-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'client', 'dist', 'index.html');
const dev = process.argv.includes('--dev');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const sources = ['client/src', 'client/index.html', 'client/vite.config.ts', 'client/public', 'shared/src', 'shared/reference'].map((p) => join(root, p));
const stale = !existsSync(built) || Math.max(...sources.filter(existsSync).map(newest)) > statSync(built).mtimeMs;
if (stale) {
  console.log('Building the client…');
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: join(root, 'client'),
    stdio: 'inherit',
  });
}

if (dev) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'server', 'src', 'main.ts')).href);
} else {
  if (serverBuildIsStale()) {
    console.log('Building the server…');
    await buildServer();
  }
  await import(pathToFileURL(join(root, 'server', 'dist', 'main.js')).href);
}
