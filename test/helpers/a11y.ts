import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Roles, type Role } from '@lodestone/shared';

const CLIENT_SRC = fileURLToPath(new URL('../../client/src', import.meta.url));

/** The WCAG 2.1 A and AA rules of axe-core: what Section 508 asks for. */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface RouteOfRouter {
  name: string;
  path: string;
  /** Who can open it: the roles of its `meta.roles`, every role when absent, and 'anonymous' when public. */
  openers: (Role | 'anonymous')[];
}

/**
 * The pages of client/src/router.ts (routes with a component; redirects are not pages), read from
 * its source: the router itself needs a browser to be imported.
 */
export function routesOfRouter(): RouteOfRouter[] {
  const source = readFileSync(join(CLIENT_SRC, 'router.ts'), 'utf8');
  const routes: RouteOfRouter[] = [];
  for (const line of source.split('\n')) {
    const route = /^\s*\{ path: '([^']+)', name: '([^']+)', component: .*?meta: \{(.*)\} \},?$/.exec(line);
    if (!route) continue;
    const [, path = '', name = '', meta = ''] = route;
    const roles = /roles: \[([^\]]*)\]/.exec(meta)?.[1];
    const openers: (Role | 'anonymous')[] = roles ? (roles.match(/'([a-z]+)'/g) ?? []).map((r) => r.slice(1, -1) as Role) : [...Roles];
    if (/public: true/.test(meta)) openers.unshift('anonymous');
    routes.push({ name, path, openers });
  }
  // A page declared in a shape this reader does not know would go unchecked: refuse it instead.
  const declared = (source.match(/component: /g) ?? []).length;
  if (routes.length !== declared) throw new Error(`read ${routes.length} of the ${declared} routes with a component in router.ts`);
  return routes;
}

/** Every dialog component of the client: the components that render an AppDialog. */
export function dialogComponents(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.vue') && entry.name !== 'AppDialog.vue' && /<AppDialog\b/.test(readFileSync(path, 'utf8'))) found.push(relative(CLIENT_SRC, path));
    }
  };
  walk(CLIENT_SRC);
  return found.map((p) => p.replace(/^.*\//, '').replace(/\.vue$/, '')).sort();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core's WCAG 2.1 A/AA rules on the page as it is now; the violations, one line per element. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  // Evaluated rather than added as a <script>: the app's Content-Security-Policy refuses inline scripts, as it should.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string; html: string }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // The first few elements tell what to fix; all of them would bury the other violations.
      nodes: [
        ...v.nodes.slice(0, 3).map((n) => `${JSON.stringify(n.target)} ${n.html.slice(0, 160)} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300)}`),
        ...(v.nodes.length > 3 ? [`… and ${v.nodes.length - 3} more`] : []),
      ],
    }));
  }, WCAG_21_AA);
}
