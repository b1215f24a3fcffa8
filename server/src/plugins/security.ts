import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * Security headers on every response. The client is built to need nothing inline:
 * scripts and styles come only from our own origin. The headers are computed once, here, and
 * set on each response (the Fastify wrapper of helmet built them anew for every request).
 */
export const securityPlugin = fp(async (app: FastifyInstance) => {
  const secure = app.lodestone.origins.secure();
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(secure ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    // HSTS only means something over HTTPS; over plain http it would break a local install.
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    // No framing at all, as frame-ancestors 'none' says, also for browsers that only know this header.
    xFrameOptions: { action: 'deny' },
  });
  app.addHook('onRequest', (request, reply, done) => {
    headers(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined));
  });

  // Socket.IO answers its HTTP long-polling requests on the raw server, before Fastify sees them:
  // give those answers (which carry events, hence user text) the same headers.
  const fixed: Record<string, string> = {};
  const collect = { setHeader: (name: string, value: unknown) => void (fixed[name] = String(value)), removeHeader: () => undefined };
  headers({} as IncomingMessage, collect as unknown as ServerResponse, () => undefined);
  app.addHook('onReady', async () => {
    if (app.hasDecorator('io')) app.io.engine.on('headers', (answer: Record<string, string>) => Object.assign(answer, fixed));
  });
});
