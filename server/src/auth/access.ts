import type { FastifyRequest } from 'fastify';
import { allows, couldEver, rules, type Incident, type Rule } from '@lodestone/shared';
import { requireUser } from '../http/context.ts';
import { problems } from '../http/problem.ts';
import type { AuthUser } from './policy.ts';
import { notAllowed, type Refusal } from './not-allowed.ts';

/** What a route's access check hands its handler. */
export interface Grant {
  user: AuthUser;
}

/** The check of a route as the auth plugin runs it, before the body is read. */
export interface RouteAccess {
  admit(request: FastifyRequest): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What the route's access check granted, and which check it was. */
    grant: { by: RouteAccess; value: Grant } | null;
  }
}

/**
 * Who may call a route, declared once beside it: `config: access.config` on the route, and
 * `access.granted(request)` in its handler for what the check found (the caller, the incident
 * and the caller's facts on it). The auth plugin runs the check before the body is read or
 * validated, so a caller who may not act gets 403 (or 404) even for a malformed body; the
 * handler gets its result instead of computing it again.
 */
export class Access<G extends Grant = Grant> implements RouteAccess {
  readonly config: { access: RouteAccess };

  constructor(private readonly check: (request: FastifyRequest, user: AuthUser) => G | Promise<G>) {
    this.config = { access: this };
  }

  async admit(request: FastifyRequest): Promise<void> {
    request.grant = { by: this, value: await this.check(request, requireUser(request)) };
  }

  /**
   * The grant of this request. A retry of an answered request (Idempotency-Key) skips the check
   * before the body (its answer is replayed instead); should it get here, the check runs now.
   */
  async granted(request: FastifyRequest): Promise<G> {
    if (request.routeOptions.config.access !== this) throw new Error(`${request.routeOptions.url ?? 'this route'} declares another access rule than its handler asks for`);
    if (request.grant?.by !== this) await this.admit(request);
    return request.grant?.value as G;
  }
}

/** A route for the roles `rule` admits: no incident involved. */
export function forRoles(rule: Rule, refusal: string): Access {
  return new Access((_request, user) => {
    if (!allows(rule, user)) throw problems.forbidden(refusal);
    return { user };
  });
}

/** What an incident check needs of incidents. */
export interface IncidentFacts {
  get(id: string): Promise<Incident | undefined>;
  isMember(incidentId: string, userId: string): Promise<boolean | undefined>;
  isCoLead(incident: Pick<Incident, 'usLeadId' | 'jpLeadId'>, userId: string): boolean;
}

export interface IncidentGrant extends Grant {
  incident: Incident;
  member: boolean;
  coLead: boolean;
}

/**
 * A route on one incident, for the callers `rule` admits there. In order: 403 when no incident
 * could admit the caller's role; the incident `locate` finds from the path (it throws its own
 * 404s, e.g. for an unknown action item), 404 when it does not exist; 403 when the caller may
 * not read it; 403 when `rule` does not admit them on it.
 */
export function onIncident<X extends object = Record<never, never>>(
  incidents: IncidentFacts,
  rule: Rule,
  refusal: Refusal,
  locate: (request: FastifyRequest) => ({ incidentId: string } & X) | Promise<{ incidentId: string } & X>,
): Access<IncidentGrant & X> {
  const role = typeof refusal === 'string' ? refusal : refusal.role;
  const here = typeof refusal === 'string' ? refusal : refusal.incident;
  return new Access(async (request, user) => {
    if (!couldEver(rule, user)) throw problems.forbidden(role);
    const located = await locate(request);
    const incident = await incidents.get(located.incidentId);
    if (!incident) throw problems.notFound('incident');
    const member = (await incidents.isMember(incident.id, user.id)) ?? false;
    const coLead = incidents.isCoLead(incident, user.id);
    if (!allows(rules.readIncident, user, { member })) throw problems.forbidden(notAllowed.readIncident.incident);
    if (!allows(rule, user, { member, coLead })) throw problems.forbidden(here);
    return { ...located, user, incident, member, coLead };
  });
}
