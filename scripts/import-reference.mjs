// Copies the group's reference data (minerals, provisions, disruption events) from the
// shared folder beside the project into shared/reference/, so that a clone builds without it.
// Usage: npm run reference [-- /path/to/reference]
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const from = resolve(process.argv[2] ?? join(root, '..', 'shared', 'reference'));
const to = join(root, 'shared', 'reference');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from).filter((n) => n.endsWith('.json'))) {
  JSON.parse(readFileSync(join(from, name), 'utf8')); // refuse to copy a broken file
  copyFileSync(join(from, name), join(to, name));
  console.log(`copied ${name}`);
}
