import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Action, ActionCreate, ActionPatch, ActionsQuery, Id, ListQuery, rules } from '@lodestone/shared';
import { forRoles, onIncident } from '../../auth/access.ts';
import { notAllowed } from '../../auth/not-allowed.ts';
import { mutationOf } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });
const ActionSchema = schemaOf(Action);
const inPath = (request: FastifyRequest) => ({ incidentId: pathId(request.params, 'incident') });

/** Action items: per incident (members and leads change them) and across incidents. */
export async function actionsRoutes(app: FastifyInstance): Promise<void> {
  const { actions, incidents } = app.lodestone;

  /** The action item of the path and its incident: 404 when there is none. */
  async function actionInPath(request: FastifyRequest): Promise<{ incidentId: string; action: Action }> {
    const action = await actions.get(pathId(request.params, 'action'));
    if (!action) throw problems.notFound('action');
    return { incidentId: action.incidentId, action };
  }

  const listers = forRoles(rules.listIncidents, notAllowed.listIncidents);
  const readers = onIncident(incidents, rules.readIncident, notAllowed.readIncident, inPath);
  const creators = onIncident(incidents, rules.contribute, notAllowed.createAction, inPath);
  const itemReaders = onIncident(incidents, rules.readIncident, notAllowed.readIncident, actionInPath);
  const itemChangers = onIncident(incidents, rules.contribute, notAllowed.changeAction, actionInPath);

  app.get(
    '/incidents/:id/actions',
    { config: readers.config,
      schema: {
        tags: ['actions'],
        summary: "An incident's action items, newest first",
        params: schemaOf(IdParams),
        querystring: schemaOf(ListQuery),
        response: { 200: schemaOf(z.array(Action)), ...refusals(404) },
      },
    },
    async (request) => {
      const { user, incident } = await readers.granted(request);
      return actions.list(user, { ...parseQuery(ListQuery, request.query), incident: incident.id });
    },
  );

  app.post(
    '/incidents/:id/actions',
    { config: creators.config,
      schema: {
        tags: ['actions'],
        summary: 'Create an action item (members of the incident and leads); the owner must be able to read the incident',
        params: schemaOf(IdParams),
        body: schemaOf(ActionCreate),
        response: { 201: ActionSchema, ...refusals(400, 404) },
      },
    },
    async (request, reply) => {
      const { incident } = await creators.granted(request);
      const input = parse(ActionCreate, request.body);
      return reply.code(201).send(await actions.create(mutationOf(request, 201), incident.id, input));
    },
  );

  app.get(
    '/actions',
    { config: listers.config,
      schema: {
        tags: ['actions'],
        summary: 'Action items across the incidents the caller may read; owner=me|<userId>, status, agency, provision, overdue=true',
        querystring: schemaOf(ActionsQuery),
        response: { 200: schemaOf(z.array(Action)), ...refusals(400) },
      },
    },
    async (request) => {
      const { user } = await listers.granted(request);
      return actions.list(user, parseQuery(ActionsQuery, request.query));
    },
  );

  app.get(
    '/actions/:id',
    { config: itemReaders.config, schema: { tags: ['actions'], summary: 'One action item', params: schemaOf(IdParams), response: { 200: ActionSchema, ...refusals(404) } } },
    async (request) => (await itemReaders.granted(request)).action,
  );

  app.patch(
    '/actions/:id',
    { config: itemChangers.config,
      schema: {
        tags: ['actions'],
        summary: 'Change an action item based on its version (members of the incident and leads); 409 with `current` when stale',
        params: schemaOf(IdParams),
        body: schemaOf(ActionPatch),
        response: { 200: ActionSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { action } = await itemChangers.granted(request);
      const patch = parse(ActionPatch, request.body);
      return actions.update(mutationOf(request), action.id, patch);
    },
  );
}
