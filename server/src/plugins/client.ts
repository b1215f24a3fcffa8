import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Serves the built client; the SPA fallback lives in the not-found handler (app.ts). */
export const clientPlugin = fp(async (app: FastifyInstance, options: { root: string }) => {
  await app.register(fastifyStatic, {
    root: options.root,
    wildcard: true,
    index: ['index.html'],
    setHeaders(res, path) {
      // Vite names assets by content hash: they never change. index.html always revalidates.
      if (/\/assets\//.test(path)) res.header('cache-control', 'public, max-age=31536000, immutable');
      else res.header('cache-control', 'no-cache');
    },
  });
});

export function clientBuilt(root: string | null | undefined): root is string {
  return typeof root === 'string' && existsSync(join(root, 'index.html'));
}
