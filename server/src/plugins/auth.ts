import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { canonicalize } from '@lodestone/shared';
import { sha256Hex } from '../events/event-log.ts';
import { IdempotentReplay, type IdempotencyScope } from '../events/idempotency.ts';
import { problems } from '../http/problem.ts';
import type { AuthUser } from '../auth/policy.ts';

export const SESSION_COOKIE = 'lodestone_session';

export interface Auth {
  user: AuthUser;
  sessionId?: string;
  tokenId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
    idempotency: IdempotencyScope | null;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The session cookie or bearer token of a request, resolved to its user. */
export function authenticate(app: FastifyInstance, request: FastifyRequest): Auth | null {
  const { sessions, tokens } = app.lodestone;
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const found = match?.[1] ? tokens.resolve(match[1]) : null;
    return found ? { user: found.user, tokenId: found.tokenId } : null;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return null;
  const found = sessions.resolve(cookie);
  return found ? { user: found.user, sessionId: found.sessionId } : null;
}

/**
 * Identity, the Origin check on state-changing requests, and Idempotency-Key replays.
 * Runs before every route, so a route only has to say who may act.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('auth', null);
  app.decorateRequest('idempotency', null);

  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin;
    if (origin !== undefined && STATE_CHANGING.has(request.method) && !app.lodestone.origins.allows(origin)) {
      throw problems.forbidden(`Requests from the origin ${origin} are not accepted.`);
    }
    request.auth = authenticate(app, request);
  });

  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw problems.invalid([{ path: 'Idempotency-Key', message: 'must be 1–128 visible ASCII characters' }], 'The Idempotency-Key header is not valid.');
    }
    if (!request.auth) return;
    const scope: IdempotencyScope = {
      userId: request.auth.user.id,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      key,
      requestHash: sha256Hex(canonicalize(request.body ?? null)),
    };
    const previous = app.lodestone.idempotency.find(scope);
    if (previous) {
      if (previous.requestHash !== scope.requestHash) throw problems.idempotencyMismatch();
      throw new IdempotentReplay(previous);
    }
    request.idempotency = scope;
  });

  // A refusal is the first answer too: keep it, so a retry with the key gets the same one.
  // Not kept: 401 (no user to scope it to), 422 and 429 (about the attempt, not the request).
  app.addHook('onSend', async (request, reply, payload) => {
    const scope = request.idempotency;
    const status = reply.statusCode;
    if (!scope || status < 400 || status >= 500 || status === 401 || status === 422 || status === 429) return payload;
    if (reply.getHeader('idempotent-replayed') === 'true' || typeof payload !== 'string') return payload;
    app.lodestone.idempotency.saveRefusal(scope, status, payload);
    return payload;
  });
});
