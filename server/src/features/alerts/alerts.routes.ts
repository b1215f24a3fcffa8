import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Alert, AlertAcknowledge, AlertCreate, AlertDismiss, AlertEscalate, AlertsQuery, Id, Incident } from '@lodestone/shared';
import { may } from '../../auth/policy.ts';
import { mutationOf, onlyFor, requireAllowed } from '../../http/context.ts';
import { STREAM_HEAD_HEADER, refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse, parseQuery, pathId } from '../../http/validate.ts';

const IdParams = z.strictObject({ id: Id });
const AlertSchema = schemaOf(Alert);

/** The supply-alert feed and what each role may do with an alert. */
export async function alertsRoutes(app: FastifyInstance): Promise<void> {
  const { alerts } = app.lodestone;

  app.get(
    '/alerts',
    { config: onlyFor(may.readAlerts, 'Your role does not read the alert feed.'),
      schema: {
        tags: ['alerts'],
        summary: 'The alert feed, newest first; filters: status, mineral, severity, side (of the poster), q (title and body)',
        querystring: schemaOf(AlertsQuery),
        response: { 200: schemaOf(z.array(Alert)), ...refusals(400) },
      },
    },
    async (request, reply) => {
      requireAllowed(request, may.readAlerts, 'Your role does not read the alert feed.');
      const query = parseQuery(AlertsQuery, request.query);
      const { alerts: list, head } = alerts.list(query);
      reply.header(STREAM_HEAD_HEADER, head);
      return list;
    },
  );

  app.get(
    '/alerts/:id',
    { config: onlyFor(may.readAlerts, 'Your role does not read the alert feed.'), schema: { tags: ['alerts'], summary: 'One alert', params: schemaOf(IdParams), response: { 200: AlertSchema, ...refusals(404) } } },
    async (request) => {
      requireAllowed(request, may.readAlerts, 'Your role does not read the alert feed.');
      const id = pathId(request.params, 'alert');
      const alert = alerts.get(id);
      if (!alert) throw problems.notFound('alert');
      return alert;
    },
  );

  app.post(
    '/alerts',
    { config: onlyFor(may.postAlert, 'Staff and administrators do not post alerts.'), schema: { tags: ['alerts'], summary: 'Post a supply alert', body: schemaOf(AlertCreate), response: { 201: AlertSchema, ...refusals(400) } } },
    async (request, reply) => {
      const user = requireAllowed(request, may.postAlert, 'Staff and administrators do not post alerts.');
      const input = parse(AlertCreate, request.body);
      return reply.code(201).send(await alerts.post(mutationOf(request, 201), user, input));
    },
  );

  app.post(
    '/alerts/:id/acknowledgements',
    { config: onlyFor(may.acknowledgeAlert, 'Your role does not acknowledge alerts.'),
      schema: {
        tags: ['alerts'],
        summary: "Acknowledge an alert as the caller (one per user; each side's acknowledgements are listed)",
        params: schemaOf(IdParams),
        body: schemaOf(AlertAcknowledge),
        response: { 200: AlertSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.acknowledgeAlert, 'Your role does not acknowledge alerts.');
      const id = pathId(request.params, 'alert');
      // No body at all is {}; a JSON body must be {} itself (null is a wrong type, refused like any other).
      parse(AlertAcknowledge, request.body === undefined ? {} : request.body);
      return alerts.acknowledge(mutationOf(request), user, id);
    },
  );

  app.post(
    '/alerts/:id/escalation',
    { config: onlyFor(may.escalateAlert, 'Only leads escalate alerts.'),
      schema: {
        tags: ['alerts'],
        summary: 'Escalate into a new incident (prefilled from the alert) or link to an existing one (leads)',
        params: schemaOf(IdParams),
        body: schemaOf(AlertEscalate),
        response: { 200: schemaOf(z.object({ alert: Alert, incident: Incident })), ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.escalateAlert, 'Only leads escalate alerts.');
      const id = pathId(request.params, 'alert');
      const input = parse(AlertEscalate, request.body);
      return alerts.escalate(mutationOf(request), user, id, input);
    },
  );

  app.post(
    '/alerts/:id/dismissal',
    { config: onlyFor(may.dismissAlert, 'Only leads dismiss alerts.'),
      schema: {
        tags: ['alerts'],
        summary: 'Dismiss an alert with a reason (leads)',
        params: schemaOf(IdParams),
        body: schemaOf(AlertDismiss),
        response: { 200: AlertSchema, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const user = requireAllowed(request, may.dismissAlert, 'Only leads dismiss alerts.');
      const id = pathId(request.params, 'alert');
      const { reason } = parse(AlertDismiss, request.body);
      return alerts.dismiss(mutationOf(request), user, id, reason);
    },
  );
}
