import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiToken, Id, ListQuery, Person, User, UserCreate, UserUpdate, rules } from '@lodestone/shared';
import { forRoles } from '../../auth/access.ts';
import { notAllowed } from '../../auth/not-allowed.ts';
import { mutationOf, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';
import { STREAM_HEAD_HEADER } from '../../http/openapi.ts';

const IdParams = z.strictObject({ id: Id });

/** Account administration (admin) and the people directory (everyone signed in). */
export async function usersRoutes(app: FastifyInstance): Promise<void> {
  const { users, tokens } = app.lodestone;
  const admins = forRoles(rules.manageUsers, notAllowed.manageUsers);

  app.get(
    '/people',
    { schema: { tags: ['users'], summary: 'Enabled accounts, to pick members, co-leads and owners', response: { 200: schemaOf(z.array(Person)), ...refusals() } } },
    async (request) => {
      requireUser(request);
      return users.people(parseQuery(ListQuery, request.query));
    },
  );

  app.get(
    '/users',
    { config: admins.config, schema: { tags: ['users'], summary: 'All accounts (admin)', response: { 200: schemaOf(z.array(User)), ...refusals() } } },
    async (request, reply) => {
      await admins.granted(request);
      // The seq this list reflects: follow the admin stream from here and miss nothing.
      reply.header(STREAM_HEAD_HEADER, await app.lodestone.log.head('admin'));
      return users.list(parseQuery(ListQuery, request.query));
    },
  );

  app.post(
    '/users',
    { config: admins.config, schema: { tags: ['users'], summary: 'Create an account (admin)', body: schemaOf(UserCreate), response: { 201: schemaOf(User), ...refusals(400, 409) } } },
    async (request, reply) => {
      await admins.granted(request);
      const input = parse(UserCreate, request.body);
      const user = await users.create(mutationOf(request, 201), input);
      return reply.code(201).send(user);
    },
  );

  app.get(
    '/users/:id',
    { config: admins.config, schema: { tags: ['users'], summary: 'One account (admin)', params: schemaOf(IdParams), response: { 200: schemaOf(User), ...refusals(404) } } },
    async (request) => {
      await admins.granted(request);
      const id = pathId(request.params, 'user');
      const user = await users.get(id);
      if (!user) throw problems.notFound('user');
      return user;
    },
  );

  app.patch(
    '/users/:id',
    {
      config: admins.config,
      schema: {
        tags: ['users'],
        summary: 'Change an account: name, role, agency, side, language, time zone, password, disabled (admin)',
        params: schemaOf(IdParams),
        body: schemaOf(UserUpdate),
        response: { 200: schemaOf(User), ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      await admins.granted(request);
      const id = pathId(request.params, 'user');
      const patch = parse(UserUpdate, request.body);
      return users.update(mutationOf(request), id, patch);
    },
  );

  app.get(
    '/users/:id/tokens',
    { config: admins.config, schema: { tags: ['tokens'], summary: "An account's API tokens (admin)", params: schemaOf(IdParams), response: { 200: schemaOf(z.array(ApiToken)), ...refusals(404) } } },
    async (request) => {
      await admins.granted(request);
      const id = pathId(request.params, 'user');
      if (!(await users.get(id))) throw problems.notFound('user');
      return tokens.list(id, parseQuery(ListQuery, request.query));
    },
  );
}
