import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Action, ActionCreate, ActionPatch, ActionsQuery, Id, ListQuery } from '@lodestone/shared';
import { may, type AuthUser } from '../../auth/policy.ts';
import { mayEver } from '@lodestone/shared';
import { mutationOf, onlyFor, requireAllowed, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });
const ActionSchema = schemaOf(Action);

/** Action items: per incident (members and leads change them) and across incidents. */
export async function actionsRoutes(app: FastifyInstance): Promise<void> {
  const { actions, incidents } = app.lodestone;

  /** The caller's rights on an incident: 404 when unknown, 403 when they may not read it. */
  function access(request: FastifyRequest, incidentId: string): { user: AuthUser; member: boolean } {
    const user = requireUser(request);
    if (user.role === 'admin') throw problems.forbidden('Administrators see no incident content.');
    const member = incidents.isMember(incidentId, user.id);
    if (member === undefined) throw problems.notFound('incident');
    if (!may.readIncident(user, member)) throw problems.forbidden('Only members of this incident, leads and staff may read it.');
    return { user, member };
  }

  app.get(
    '/incidents/:id/actions',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['actions'],
        summary: "An incident's action items, newest first",
        params: schemaOf(IdParams),
        querystring: schemaOf(ListQuery),
        response: { 200: schemaOf(z.array(Action)), ...refusals(404) },
      },
    },
    async (request) => {
      const id = pathId(request.params, 'incident');
      const { user } = access(request, id);
      return actions.list(user, { ...parseQuery(ListQuery, request.query), incident: id });
    },
  );

  app.post(
    '/incidents/:id/actions',
    { config: onlyFor(mayEver.writeToIncident, 'Only members of this incident and leads create action items.', (request) => {
        const { user, member } = access(request, pathId(request.params, 'incident'));
        if (!may.contribute(user, member)) throw problems.forbidden('Only members of this incident and leads create action items.');
      }),
      schema: {
        tags: ['actions'],
        summary: 'Create an action item (members of the incident and leads); the owner must be able to read the incident',
        params: schemaOf(IdParams),
        body: schemaOf(ActionCreate),
        response: { 201: ActionSchema, ...refusals(400, 404) },
      },
    },
    async (request, reply) => {
      const id = pathId(request.params, 'incident');
      const { user, member } = access(request, id);
      if (!may.contribute(user, member)) throw problems.forbidden('Only members of this incident and leads create action items.');
      const input = parse(ActionCreate, request.body);
      return reply.code(201).send(await actions.create(mutationOf(request, 201), id, input));
    },
  );

  app.get(
    '/actions',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['actions'],
        summary: 'Action items across the incidents the caller may read; owner=me|<userId>, status, agency, provision, overdue=true',
        querystring: schemaOf(ActionsQuery),
        response: { 200: schemaOf(z.array(Action)), ...refusals(400) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.listIncidents, 'Administrators see no incident content.');
      return actions.list(user, parseQuery(ActionsQuery, request.query));
    },
  );

  app.get(
    '/actions/:id',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'), schema: { tags: ['actions'], summary: 'One action item', params: schemaOf(IdParams), response: { 200: ActionSchema, ...refusals(404) } } },
    async (request) => {
      const id = pathId(request.params, 'action');
      requireUser(request);
      const action = actions.get(id);
      if (!action) throw problems.notFound('action');
      access(request, action.incidentId);
      return action;
    },
  );

  app.patch(
    '/actions/:id',
    { config: onlyFor(mayEver.writeToIncident, 'Only members of this incident and leads change its action items.', (request) => {
        const action = actions.get(pathId(request.params, 'action'));
        if (!action) throw problems.notFound('action');
        const { user, member } = access(request, action.incidentId);
        if (!may.contribute(user, member)) throw problems.forbidden('Only members of this incident and leads change its action items.');
      }),
      schema: {
        tags: ['actions'],
        summary: 'Change an action item based on its version (members of the incident and leads); 409 with `current` when stale',
        params: schemaOf(IdParams),
        body: schemaOf(ActionPatch),
        response: { 200: ActionSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const id = pathId(request.params, 'action');
      requireUser(request);
      const action = actions.get(id);
      if (!action) throw problems.notFound('action');
      const { user, member } = access(request, action.incidentId);
      if (!may.contribute(user, member)) throw problems.forbidden('Only members of this incident and leads change its action items.');
      const patch = parse(ActionPatch, request.body);
      return actions.update(mutationOf(request), id, patch);
    },
  );
}
