import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AuditEventsQuery, EventsQuery, rules } from '@lodestone/shared';
import { spliceEvents } from '../../events/event-log.ts';
import { forRoles } from '../../auth/access.ts';
import { notAllowed } from '../../auth/not-allowed.ts';
import { requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { ProblemError } from '../../http/problem.ts';
import { parseQuery } from '../../http/validate.ts';

const eventSchema = {
  type: 'object',
  properties: {
    stream: { type: 'string' },
    seq: { type: 'integer' },
    type: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'object', nullable: true },
    data: { type: 'object' },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

const AuditAnswer = z.object({
  ok: z.boolean(),
  streams: z.number().int(),
  events: z.number().int(),
  firstBadEvent: z.object({ stream: z.string(), seq: z.number().int() }).optional(),
});

/** Reading the event log: catch-up pages of one stream, and the audit of every chain. */
export async function eventsRoutes(app: FastifyInstance): Promise<void> {
  const { log, streamAccess } = app.lodestone;
  const auditors = forRoles(rules.verifyAudit, notAllowed.verifyAudit);
  const auditLogReaders = forRoles(rules.verifyAudit, notAllowed.readAuditLog);

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Events of a stream the caller may read, seq > after, ascending',
        querystring: schemaOf(EventsQuery),
        response: {
          200: { type: 'object', properties: { events: { type: 'array', items: eventSchema }, head: { type: 'integer' } } },
          ...refusals(400, 404),
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const query = parseQuery(EventsQuery, request.query);
      const decision = await streamAccess.check(user, query.stream);
      if (!decision.ok) throw new ProblemError(decision.status, { title: decision.title, detail: notAllowed.readStream(query.stream) });
      // Each event's JSON was written once, at append; the page is those texts joined.
      const started = performance.now();
      const body = await log.pageBytes(query.stream, query.after, query.limit);
      return reply
        .type('application/json; charset=utf-8')
        .header('server-timing', `events;dur=${(performance.now() - started).toFixed(2)}`)
        .send(body);
    },
  );

  app.get(
    '/audit/events',
    {
      config: auditLogReaders.config,
      schema: {
        tags: ['events'],
        summary: 'Account and token changes (the admin stream), newest first: type, person (who did it or whom it was about), before (a seq), limit (admin)',
        querystring: schemaOf(AuditEventsQuery),
        response: {
          200: { type: 'object', properties: { events: { type: 'array', items: eventSchema }, head: { type: 'integer' } } },
          ...refusals(400),
        },
      },
    },
    async (request, reply) => {
      await auditLogReaders.granted(request);
      const query = parseQuery(AuditEventsQuery, request.query);
      // The head first: an event appended meanwhile is newer than the page and arrives live.
      const head = await log.head('admin');
      const rows = await log.searchBytes('admin', { type: query.type, involving: query.person, before: Math.min(query.before ?? head + 1, head + 1), limit: query.limit });
      return reply.type('application/json; charset=utf-8').send(spliceEvents('{"events":[', rows, `],"head":${head}}`));
    },
  );

  app.get(
    '/audit/verify',
    { config: auditors.config, schema: { tags: ['events'], summary: 'Re-verify every hash chain (admin)', response: { 200: schemaOf(AuditAnswer), ...refusals() } } },
    async (request) => {
      await auditors.granted(request);
      return log.verify();
    },
  );
}
