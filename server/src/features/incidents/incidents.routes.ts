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
} from '@lodestone/shared';
import { may, type AuthUser } from '../../auth/policy.ts';
import { mayEver } from '@lodestone/shared';
import { mutationOf, onlyFor, requireAllowed, requireUser } from '../../http/context.ts';
import { STREAM_HEAD_HEADER, refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });

function fieldsOf(body: unknown): string[] {
  return typeof body === 'object' && body !== null ? Object.keys(body) : [];
}
const MemberParams = z.strictObject({ id: Id, userId: Id });
const eventList = { type: 'object', properties: { events: { type: 'array', items: { type: 'object' } }, head: { type: 'integer' } } } as const;

/** Incident rooms: list, open (leads), read, change with a version, members, notes and decisions, timeline. */
export async function incidentsRoutes(app: FastifyInstance): Promise<void> {
  const { incidents, timeline } = app.lodestone;

  /** The incident a caller may read, with the facts the access table needs; 404 or 403 otherwise. */
  function readable(request: FastifyRequest, id: string): { user: AuthUser; incident: Incident; member: boolean; coLead: boolean } {
    const user = requireUser(request);
    if (user.role === 'admin') throw problems.forbidden('Administrators see no incident content.');
    const incident = incidents.get(id);
    if (!incident) throw problems.notFound('incident');
    const member = incidents.isMember(id, user.id) ?? false;
    if (!may.readIncident(user, member)) throw problems.forbidden('Only members of this incident, leads and staff may read it.');
    return { user, incident, member, coLead: incidents.isCoLead(incident, user.id) };
  }

  app.get(
    '/incidents',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['incidents'],
        summary: 'Incidents the caller may read, newest first; filters: status, q (code, title, summary)',
        querystring: schemaOf(IncidentsQuery),
        response: { 200: schemaOf(z.array(Incident)), ...refusals(400) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.listIncidents, 'Administrators see no incident content.');
      return incidents.list(user, parseQuery(IncidentsQuery, request.query));
    },
  );

  app.post(
    '/incidents',
    { config: onlyFor(may.createIncident, 'Only leads open incidents.'),
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
      return reply.code(201).send(await incidents.create(mutationOf(request, 201), user, input));
    },
  );

  app.get(
    '/incidents/:id',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its members and linked alerts',
        params: schemaOf(IdParams),
        response: { 200: schemaOf(IncidentDetail), ...refusals(404) },
      },
    },
    async (request, reply) => {
      const id = pathId(request.params, 'incident');
      readable(request, id);
      reply.header(STREAM_HEAD_HEADER, app.lodestone.log.head(`incident:${id}`));
      return incidents.detail(id);
    },
  );

  app.patch(
    '/incidents/:id',
    { config: onlyFor(mayEver.changeIncident, 'Leads and the co-leads of this incident change it.', (request) => {
        const { user, coLead } = readable(request, pathId(request.params, 'incident'));
        if (!may.decide(user, coLead)) throw problems.forbidden('Leads and the co-leads of this incident change it.');
      }),
      schema: {
        tags: ['incidents'],
        summary: 'Change an incident based on its version (leads; co-leads: status, severity, marking, title, summary, minerals). 409 with `current` when stale',
        params: schemaOf(IdParams),
        body: schemaOf(IncidentPatch),
        response: { 200: schemaOf(Incident), ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const id = pathId(request.params, 'incident');
      const { user, coLead } = readable(request, id);
      if (!may.decide(user, coLead)) throw problems.forbidden('Leads and the co-leads of this incident change it.');
      const leadOnly = LEAD_ONLY_FIELDS.filter((f) => fieldsOf(request.body).includes(f));
      if (user.role !== 'lead' && leadOnly.length) throw problems.forbidden(`Only leads change ${leadOnly.join(', ')}.`);
      const patch = parse(IncidentPatch, request.body);
      return incidents.update(mutationOf(request), user, id, patch);
    },
  );

  app.put(
    '/incidents/:id/members/:userId',
    { config: onlyFor(may.manageMembers, 'Only leads manage members.'), schema: { tags: ['incidents'], summary: 'Add a member (leads)', params: schemaOf(MemberParams), response: { 204: { type: 'null' }, ...refusals(404, 409) } } },
    async (request, reply) => {
      requireAllowed(request, may.manageMembers, 'Only leads manage members.');
      const id = pathId(request.params, 'incident');
      const userId = pathId(request.params, 'user', 'userId');
      await incidents.addMember(mutationOf(request), id, userId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/incidents/:id/members/:userId',
    { config: onlyFor(may.manageMembers, 'Only leads manage members.'), schema: { tags: ['incidents'], summary: 'Remove a member (leads); a co-lead must be replaced first', params: schemaOf(MemberParams), response: { 204: { type: 'null' }, ...refusals(404, 409) } } },
    async (request, reply) => {
      requireAllowed(request, may.manageMembers, 'Only leads manage members.');
      const id = pathId(request.params, 'incident');
      const userId = pathId(request.params, 'user', 'userId');
      await incidents.removeMember(mutationOf(request), id, userId);
      return reply.code(204).send();
    },
  );

  app.post(
    '/incidents/:id/messages',
    { config: onlyFor(mayEver.writeToIncident, 'Only members of this incident and leads post to it.', (request) => {
        const { user, member, coLead } = readable(request, pathId(request.params, 'incident'));
        if (!may.contribute(user, member) && !may.decide(user, coLead)) throw problems.forbidden('Only members of this incident and leads post to it.');
      }),
      schema: {
        tags: ['incidents'],
        summary: 'Post a note (members and leads) or record a decision (leads and co-leads)',
        params: schemaOf(IdParams),
        body: schemaOf(MessageCreate),
        response: { 201: schemaOf(Message), ...refusals(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const id = pathId(request.params, 'incident');
      const { user, member, coLead } = readable(request, id);
      // Who may act is decided before the body is validated, so read the kind they ask for first.
      const wantsDecision = (request.body as { kind?: unknown } | undefined)?.kind === 'decision';
      if (wantsDecision && !may.decide(user, coLead)) throw problems.forbidden('Decisions are recorded by leads and by the co-leads of this incident.');
      if (!wantsDecision && !may.contribute(user, member)) throw problems.forbidden('Only members of this incident and leads post to it.');
      const input = parse(MessageCreate, request.body);
      return reply.code(201).send(await timeline.post(mutationOf(request, 201), user, id, input));
    },
  );

  app.get(
    '/incidents/:id/messages',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['incidents'],
        summary: 'Notes and decisions, newest first; kind=decision for the decisions only',
        params: schemaOf(IdParams),
        querystring: schemaOf(MessagesQuery),
        response: { 200: schemaOf(z.array(Message)), ...refusals(400, 404) },
      },
    },
    async (request) => {
      const id = pathId(request.params, 'incident');
      readable(request, id);
      return timeline.messages(id, parseQuery(MessagesQuery, request.query));
    },
  );

  app.get(
    '/incidents/:id/timeline',
    { config: onlyFor(may.listIncidents, 'Administrators see no incident content.'),
      schema: {
        tags: ['incidents'],
        summary: "A page of the incident's timeline, newest first: its stream's events with seq < before",
        params: schemaOf(IdParams),
        querystring: schemaOf(TimelineQuery),
        response: { 200: eventList, ...refusals(400, 404) },
      },
    },
    async (request) => {
      const id = pathId(request.params, 'incident');
      readable(request, id);
      const query = parseQuery(TimelineQuery, request.query);
      return timeline.page(id, query.before, query.limit);
    },
  );
}
