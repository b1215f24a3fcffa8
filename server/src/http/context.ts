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

/** The change this request makes: its actor, and its Idempotency-Key scope with the status it answers. */
export function mutationOf(request: FastifyRequest, status = 200): Mutation {
  const user = requireUser(request);
  const mutation: Mutation = { actor: actorOf(user) };
  if (request.idempotency) mutation.idempotency = { ...request.idempotency, status };
  return mutation;
}

/** Route config: no sign-in needed. */
export const publicRoute = { access: 'public' as const };
