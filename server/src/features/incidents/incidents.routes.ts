import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Id, Incident, IncidentCreate, IncidentDetail, IncidentsQuery } from '@lodestone/shared';
import { may } from '../../auth/policy.ts';
import { mutationOf, requireAllowed, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });

/** Incident rooms: list what the caller may read, open one (leads), read one. */
export async function incidentsRoutes(app: FastifyInstance): Promise<void> {
  const { incidents } = app.lodestone;

  app.get(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Incidents the caller may read, newest first',
        querystring: schemaOf(IncidentsQuery),
        response: { 200: schemaOf(z.array(Incident)), ...refusals(400) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.listIncidents, 'Administrators see no incident content.');
      return incidents.list(user, parse(IncidentsQuery, request.query));
    },
  );

  app.post(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Open an incident (leads); the creator is a member and, unless named otherwise, the co-lead of their side',
        body: schemaOf(IncidentCreate),
        response: { 201: schemaOf(IncidentDetail), ...refusals(400, 409) },
      },
    },
    async (request, reply) => {
      const user = requireAllowed(request, may.createIncident, 'Only leads open incidents.');
      const input = parse(IncidentCreate, request.body);
      return reply.code(201).send(incidents.create(mutationOf(request, 201), user, input));
    },
  );

  app.get(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its members and linked alerts',
        params: schemaOf(IdParams),
        response: { 200: schemaOf(IncidentDetail), ...refusals(404) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { id } = parse(IdParams, request.params);
      const member = incidents.isMember(id, user.id);
      if (member === undefined) {
        if (user.role === 'admin') throw problems.forbidden('Administrators see no incident content.');
        throw problems.notFound('incident');
      }
      if (!may.readIncident(user, member)) throw problems.forbidden('Only members of this incident, leads and staff may read it.');
      return incidents.detail(id);
    },
  );
}
