import type { FastifyInstance } from 'fastify';
import { minerals, provisions } from '@lodestone/shared';
import { publicRoute } from '../../http/context.ts';

/** The reference lists: critical minerals of both sides, and the framework's provisions. */
export async function referenceRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/minerals',
    {
      config: publicRoute,
      schema: {
        tags: ['reference'],
        summary: 'The union of the U.S. and Japanese critical-mineral lists, names in English and Japanese',
        security: [],
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return minerals;
    },
  );

  app.get(
    '/provisions',
    { config: publicRoute, schema: { tags: ['reference'], summary: "The framework's seven provisions an action item can serve", security: [] } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return provisions;
    },
  );
}
