import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Alert, AlertAcknowledge, AlertCreate, AlertDismiss, AlertEscalate, AlertsQuery, Id, Incident, rules } from '@lodestone/shared';
import { forRoles } from '../../auth/access.ts';
import { notAllowed } from '../../auth/not-allowed.ts';
import { mutationOf } from '../../http/context.ts';
import { STREAM_HEAD_HEADER, refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });
const AlertSchema = schemaOf(Alert);

/** The supply-alert feed and what each role may do with an alert. */
export async function alertsRoutes(app: FastifyInstance): Promise<void> {
  const { alerts } = app.lodestone;
  const readers = forRoles(rules.readAlerts, notAllowed.readAlerts);
  const posters = forRoles(rules.postAlert, notAllowed.postAlert);
  const acknowledgers = forRoles(rules.acknowledgeAlert, notAllowed.acknowledgeAlert);
  const escalators = forRoles(rules.escalateAlert, notAllowed.escalateAlert);
  const dismissers = forRoles(rules.dismissAlert, notAllowed.dismissAlert);

  app.get(
    '/alerts',
    { config: readers.config,
      schema: {
        tags: ['alerts'],
        summary: 'The alert feed, newest first; filters: status, mineral, severity, side (of the poster), q (title and body)',
        querystring: schemaOf(AlertsQuery),
        response: { 200: schemaOf(z.array(Alert)), ...refusals(400) },
      },
    },
    async (request, reply) => {
      await readers.granted(request);
      const query = parseQuery(AlertsQuery, request.query);
      const { alerts: list, head } = await alerts.list(query);
      reply.header(STREAM_HEAD_HEADER, head);
      return list;
    },
  );

  app.get(
    '/alerts/:id',
    { config: readers.config, schema: { tags: ['alerts'], summary: 'One alert', params: schemaOf(IdParams), response: { 200: AlertSchema, ...refusals(404) } } },
    async (request) => {
      await readers.granted(request);
      const id = pathId(request.params, 'alert');
      const alert = await alerts.get(id);
      if (!alert) throw problems.notFound('alert');
      return alert;
    },
  );

  app.post(
    '/alerts',
    { config: posters.config, schema: { tags: ['alerts'], summary: 'Post a supply alert', body: schemaOf(AlertCreate), response: { 201: AlertSchema, ...refusals(400) } } },
    async (request, reply) => {
      const { user } = await posters.granted(request);
      const input = parse(AlertCreate, request.body);
      return reply.code(201).send(await alerts.post(mutationOf(request, 201), user, input));
    },
  );

  app.post(
    '/alerts/:id/acknowledgements',
    { config: acknowledgers.config,
      schema: {
        tags: ['alerts'],
        summary: "Acknowledge an alert as the caller (one per user; each side's acknowledgements are listed)",
        params: schemaOf(IdParams),
        body: schemaOf(AlertAcknowledge),
        response: { 200: AlertSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { user } = await acknowledgers.granted(request);
      const id = pathId(request.params, 'alert');
      // No body at all is {}; a JSON body must be {} itself (null is a wrong type, refused like any other).
      parse(AlertAcknowledge, request.body === undefined ? {} : request.body);
      return alerts.acknowledge(mutationOf(request), user, id);
    },
  );

  app.post(
    '/alerts/:id/escalation',
    { config: escalators.config,
      schema: {
        tags: ['alerts'],
        summary: 'Escalate into a new incident (prefilled from the alert) or link to an existing one (leads)',
        params: schemaOf(IdParams),
        body: schemaOf(AlertEscalate),
        response: { 200: schemaOf(z.object({ alert: Alert, incident: Incident })), ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { user } = await escalators.granted(request);
      const id = pathId(request.params, 'alert');
      const input = parse(AlertEscalate, request.body);
      return alerts.escalate(mutationOf(request), user, id, input);
    },
  );

  app.post(
    '/alerts/:id/dismissal',
    { config: dismissers.config,
      schema: {
        tags: ['alerts'],
        summary: 'Dismiss an alert with a reason (leads)',
        params: schemaOf(IdParams),
        body: schemaOf(AlertDismiss),
        response: { 200: AlertSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { user } = await dismissers.granted(request);
      const id = pathId(request.params, 'alert');
      const { reason } = parse(AlertDismiss, request.body);
      return alerts.dismiss(mutationOf(request), user, id, reason);
    },
  );
}
