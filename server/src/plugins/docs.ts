import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** OpenAPI 3 from the routes' zod-derived schemas, at /api/openapi.json and /api/docs. */
export const docsPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Lodestone API',
        version: '1',
        description:
          'Live coordination room of the U.S.–Japan Critical Minerals Supply Security Rapid Response Group. ' +
          'Errors are RFC 9457 problem details. Every POST accepts an Idempotency-Key header (1–128 characters); ' +
          'a replay of POST /tokens answers the same status and body with `token: null` (the secret is shown once and never stored).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'lodestone_session', description: 'Named __Host-lodestone_session when the app is served over HTTPS' },
          bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
  });
  // Swagger UI's own CSP, without its upgrade-insecure-requests (which breaks plain-http installs).
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP:
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
