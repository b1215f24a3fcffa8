import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  Id,
  Incident,
  IncidentCreate,
  IncidentDetail,
  IncidentPatch,
  IncidentsQuery,
  LEAD_ONLY_FIELDS,
  Message,
  MessageCreate,
  MessagesQuery,
  TimelineQuery,
  allows,
  anyOf,
  rules,
} from '@lodestone/shared';
import { forRoles, onIncident } from '../../auth/access.ts';
import { messageRefusal, notAllowed } from '../../auth/not-allowed.ts';
import { mutationOf } from '../../http/context.ts';
import { STREAM_HEAD_HEADER, refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });

function fieldsOf(body: unknown): string[] {
  return typeof body === 'object' && body !== null ? Object.keys(body) : [];
}
const MemberParams = z.strictObject({ id: Id, userId: Id });
const eventList = { type: 'object', properties: { events: { type: 'array', items: { type: 'object' } }, head: { type: 'integer' } } } as const;
const inPath = (request: FastifyRequest) => ({ incidentId: pathId(request.params, 'incident') });

/** Incident rooms: list, open (leads), read, change with a version, members, notes and decisions, timeline. */
export async function incidentsRoutes(app: FastifyInstance): Promise<void> {
  const { incidents, timeline } = app.lodestone;
  const listers = forRoles(rules.listIncidents, notAllowed.listIncidents);
  const openers = forRoles(rules.createIncident, notAllowed.createIncident);
  const readers = onIncident(incidents, rules.readIncident, notAllowed.readIncident, inPath);
  const changers = onIncident(incidents, rules.decide, notAllowed.changeIncident, inPath);
  const memberManagers = forRoles(rules.manageMembers, notAllowed.manageMembers);
  // A note or a decision: which one is asked is known once the body is read.
  const posters = onIncident(incidents, anyOf(rules.contribute, rules.decide), notAllowed.postNote, inPath);

  app.get(
    '/incidents',
    { config: listers.config,
      schema: {
        tags: ['incidents'],
        summary: 'Incidents the caller may read, newest first; filters: status, q (code, title, summary)',
        querystring: schemaOf(IncidentsQuery),
        response: { 200: schemaOf(z.array(Incident)), ...refusals(400) },
      },
    },
    async (request) => {
      const { user } = await listers.granted(request);
      return incidents.list(user, parseQuery(IncidentsQuery, request.query));
    },
  );

  app.post(
    '/incidents',
    { config: openers.config,
      schema: {
        tags: ['incidents'],
        summary: 'Open an incident (leads); the creator is a member and, unless named otherwise, the co-lead of their side',
        body: schemaOf(IncidentCreate),
        response: { 201: schemaOf(IncidentDetail), ...refusals(400, 409) },
      },
    },
    async (request, reply) => {
      const { user } = await openers.granted(request);
      const input = parse(IncidentCreate, request.body);
      return reply.code(201).send(await incidents.create(mutationOf(request, 201), user, input));
    },
  );

  app.get(
    '/incidents/:id',
    { config: readers.config,
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its members and linked alerts',
        params: schemaOf(IdParams),
        response: { 200: schemaOf(IncidentDetail), ...refusals(404) },
      },
    },
    async (request, reply) => {
      const { incident } = await readers.granted(request);
      reply.header(STREAM_HEAD_HEADER, await app.lodestone.log.head(`incident:${incident.id}`));
      return incidents.detail(incident.id);
    },
  );

  app.patch(
    '/incidents/:id',
    { config: changers.config,
      schema: {
        tags: ['incidents'],
        summary: 'Change an incident based on its version (leads; co-leads: status, severity, marking, title, summary, minerals). 409 with `current` when stale',
        params: schemaOf(IdParams),
        body: schemaOf(IncidentPatch),
        response: { 200: schemaOf(Incident), ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { user, incident } = await changers.granted(request);
      const leadOnly = LEAD_ONLY_FIELDS.filter((f) => fieldsOf(request.body).includes(f));
      if (leadOnly.length && !allows(rules.leadOnlyFields, user)) throw problems.forbidden(notAllowed.leadOnlyFields(leadOnly));
      const patch = parse(IncidentPatch, request.body);
      return incidents.update(mutationOf(request), user, incident.id, patch);
    },
  );

  app.put(
    '/incidents/:id/members/:userId',
    { config: memberManagers.config, schema: { tags: ['incidents'], summary: 'Add a member (leads)', params: schemaOf(MemberParams), response: { 204: { type: 'null' }, ...refusals(404, 409) } } },
    async (request, reply) => {
      await memberManagers.granted(request);
      const id = pathId(request.params, 'incident');
      const userId = pathId(request.params, 'user', 'userId');
      await incidents.addMember(mutationOf(request), id, userId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/incidents/:id/members/:userId',
    { config: memberManagers.config, schema: { tags: ['incidents'], summary: 'Remove a member (leads); a co-lead must be replaced first', params: schemaOf(MemberParams), response: { 204: { type: 'null' }, ...refusals(404, 409) } } },
    async (request, reply) => {
      await memberManagers.granted(request);
      const id = pathId(request.params, 'incident');
      const userId = pathId(request.params, 'user', 'userId');
      await incidents.removeMember(mutationOf(request), id, userId);
      return reply.code(204).send();
    },
  );

  app.post(
    '/incidents/:id/messages',
    { config: posters.config,
      schema: {
        tags: ['incidents'],
        summary: 'Post a note (members and leads) or record a decision (leads and co-leads)',
        params: schemaOf(IdParams),
        body: schemaOf(MessageCreate),
        response: { 201: schemaOf(Message), ...refusals(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { user, incident, member, coLead } = await posters.granted(request);
      // Who may act is decided before the body is validated, so read the kind they ask for first.
      const wantsDecision = (request.body as { kind?: unknown } | undefined)?.kind === 'decision';
      const refusal = messageRefusal(wantsDecision ? 'decision' : 'note', user, { member, coLead });
      if (refusal) throw problems.forbidden(refusal);
      const input = parse(MessageCreate, request.body);
      return reply.code(201).send(await timeline.post(mutationOf(request, 201), user, incident.id, input));
    },
  );

  app.get(
    '/incidents/:id/messages',
    { config: readers.config,
      schema: {
        tags: ['incidents'],
        summary: 'Notes and decisions, newest first; kind=decision for the decisions only',
        params: schemaOf(IdParams),
        querystring: schemaOf(MessagesQuery),
        response: { 200: schemaOf(z.array(Message)), ...refusals(400, 404) },
      },
    },
    async (request) => {
      const { incident } = await readers.granted(request);
      return timeline.messages(incident.id, parseQuery(MessagesQuery, request.query));
    },
  );

  app.get(
    '/incidents/:id/timeline',
    { config: readers.config,
      schema: {
        tags: ['incidents'],
        summary: "A page of the incident's timeline, newest first: its stream's events with seq < before",
        params: schemaOf(IdParams),
        querystring: schemaOf(TimelineQuery),
        response: { 200: eventList, ...refusals(400, 404) },
      },
    },
    async (request) => {
      const { incident } = await readers.granted(request);
      const query = parseQuery(TimelineQuery, request.query);
      return timeline.page(incident.id, query.before, query.limit);
    },
  );
}
