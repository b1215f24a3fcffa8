import type { FastifyRequest } from 'fastify';
import type { Mutation } from '../events/mutation.ts';
import { actorOf } from '../features/users/users.service.ts';
import type { AuthUser } from '../auth/policy.ts';
import { problems } from './problem.ts';

/** The signed-in caller, or 401. */
export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.auth) throw problems.unauthorized();
  return request.auth.user;
}

/** The signed-in caller when `allowed` says yes; 401 or 403 otherwise. */
export function requireAllowed(request: FastifyRequest, allowed: (user: AuthUser) => boolean, detail?: string): AuthUser {
  const user = requireUser(request);
  if (!allowed(user)) throw problems.forbidden(detail);
  return user;
}

/** The change this request makes: its actor, and its Idempotency-Key scope with the status it answers. */
export function mutationOf(request: FastifyRequest, status = 200): Mutation {
  const user = requireUser(request);
  const mutation: Mutation = { actor: actorOf(user) };
  if (request.idempotency) mutation.idempotency = { ...request.idempotency, status };
  return mutation;
}

/**
 * Route config: callers whose role never may are refused (403) before the body is read; so are,
 * with `before`, callers the path's incident refuses (its membership) — also when the body is
 * malformed. The handler checks again with the body in hand.
 */
export function onlyFor(allow: (user: AuthUser) => boolean, detail: string, before?: (request: FastifyRequest) => void) {
  return { access: before ? { allow, detail, before } : { allow, detail } };
}

/** Route config: no sign-in needed. */
export const publicRoute = { access: 'public' as const };
