import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiToken, CreatedApiToken, Id, ListQuery, TokenCreate } from '@lodestone/shared';
import { mutationOf, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });

/** Personal API tokens: create (shown once), list one's own, revoke. */
export async function tokensRoutes(app: FastifyInstance): Promise<void> {
  const { tokens } = app.lodestone;

  app.post(
    '/tokens',
    { schema: { tags: ['tokens'], summary: 'Create a personal API token; the secret is shown this once', body: schemaOf(TokenCreate), response: { 201: schemaOf(CreatedApiToken), ...refusals(400) } } },
    async (request, reply) => {
      const user = requireUser(request);
      const { name } = parse(TokenCreate, request.body);
      return reply.code(201).send(await tokens.create(mutationOf(request, 201), user, name));
    },
  );

  app.get(
    '/tokens',
    { schema: { tags: ['tokens'], summary: "The caller's own tokens", response: { 200: schemaOf(z.array(ApiToken)), ...refusals() } } },
    async (request) => tokens.list(requireUser(request).id, parseQuery(ListQuery, request.query)),
  );

  app.delete(
    '/tokens/:id',
    { schema: { tags: ['tokens'], summary: 'Revoke a token (its owner, or an admin); closes sockets opened with it', params: schemaOf(IdParams), response: { 204: { type: 'null' }, ...refusals(404) } } },
    async (request, reply) => {
      const user = requireUser(request);
      const id = pathId(request.params, 'token');
      await tokens.revoke(mutationOf(request), user, id);
      return reply.code(204).send();
    },
  );
}
