import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { IdempotentReplay, type IdempotencyScope } from '../events/idempotency.ts';
import { ProblemError, problems } from '../http/problem.ts';
import type { AllowedOrigins } from '../http/origins.ts';
import type { AuthUser } from '../auth/policy.ts';
import type { RouteAccess } from '../auth/access.ts';
import { DISABLED } from '../features/users/sessions.service.ts';

export const SESSION_COOKIE = 'lodestone_session';

/**
 * The session cookie's name: under HTTPS `__Host-lodestone_session`, which browsers accept only
 * when Secure, Path=/ and without Domain (so no sibling subdomain or plain-HTTP page can set or
 * shadow it); over plain HTTP, where that prefix cannot be used, `lodestone_session`.
 */
export function sessionCookieName(origins: Pick<AllowedOrigins, 'secure'>): string {
  return origins.secure() ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

export interface Auth {
  user: AuthUser;
  sessionId?: string;
  tokenId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
    /** The request's session ended because its account was disabled (it is answered as such, once). */
    authDisabled: boolean;
    idempotency: IdempotencyScope | null;
  }
  interface FastifyContextConfig {
    /**
     * Who may call an /api/v1 route, decided before the body is read: 'public' for anyone,
     * an access rule (auth/access.ts: 403 or 404 otherwise), or, when absent, any signed-in
     * user (401 otherwise).
     */
    access?: 'public' | RouteAccess;
    /** Open to an account that must choose a new password (reading its session, changing the password). */
    allowedBeforePasswordChange?: boolean;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** 1–128 characters; header values are printable ASCII (space included). */
const KEY_PATTERN = /^[\x20-\x7e]{1,128}$/;
const BODY_LIMIT = 64 * 1024;

/**
 * The path a key is scoped to: the route with its decoded parameters, so that spellings of one
 * path (`/incidents/A1` and `/incidents/A%31`) share their keys.
 */
function scopePath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (!route) return request.url.split('?')[0] ?? request.url;
  const params = (request.params ?? {}) as Record<string, unknown>;
  return route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params[name] ?? '')));
}

/** The session cookie or bearer token of a request, resolved to its user; DISABLED when its account was disabled. */
export async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<Auth | typeof DISABLED | null> {
  const { sessions, tokens } = app.lodestone;
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const found = match?.[1] ? await tokens.resolve(match[1]) : null;
    return found ? { user: found.user, tokenId: found.tokenId } : null;
  }
  const cookie = request.cookies[sessionCookieName(app.lodestone.origins)];
  if (!cookie) return null;
  const found = await sessions.check(cookie);
  if (found === DISABLED) return DISABLED;
  return found ? { user: found.user, sessionId: found.sessionId } : null;
}

/**
 * Identity, the Origin check on state-changing requests, and Idempotency-Key replays.
 * Runs before every route, so a route only has to say who may act.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('auth', null);
  app.decorateRequest('authDisabled', false);
  app.decorateRequest('idempotency', null);
  app.decorateRequest('grant', null);

  app.addHook('onRequest', async (request) => {
    // The body limit applies first: a declared length over it is refused before anything else.
    if (Number(request.headers['content-length'] ?? 0) > BODY_LIMIT) {
      throw new ProblemError(413, { title: 'Request body too large', detail: 'The request body is over the 64 KiB limit.' });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && STATE_CHANGING.has(request.method) && !app.lodestone.origins.allows(origin)) {
      throw problems.forbidden(`Requests from the origin ${origin} are not accepted.`);
    }
    const auth = await authenticate(app, request);
    request.authDisabled = auth === DISABLED;
    request.auth = auth === DISABLED ? null : auth;
  });

  // Who may call is decided before the body is parsed or validated.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const url = request.routeOptions.url ?? '';
    const access = request.routeOptions.config?.access;
    if (!url.startsWith('/api/v1/') || access === 'public') return payload;
    if (!request.auth) throw request.authDisabled ? problems.accountDisabled('session') : problems.unauthorized();
    // An account that must choose a new password may do that, and read or end its session, only.
    if (request.auth.user.mustChangePassword && !request.routeOptions.config?.allowedBeforePasswordChange) throw problems.passwordChangeRequired();
    // A retry of a request that was answered replays that answer (or is a 422), even if the
    // caller may no longer act (removed from the incident since): the key decides, after parsing.
    if (!access || (await answeredBefore(request))) return payload;
    await access.admit(request);
    return payload;
  });

  /** A POST whose Idempotency-Key already has a stored answer for this user and route. */
  async function answeredBefore(request: FastifyRequest): Promise<boolean> {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || !request.auth || typeof key !== 'string' || !KEY_PATTERN.test(key)) return false;
    return (await app.lodestone.idempotency.find({ userId: request.auth.user.id, method: 'POST', path: scopePath(request), key, requestHash: '' })) !== undefined;
  }

  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || !request.auth) return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw problems.invalid([{ path: 'Idempotency-Key', message: 'must be 1–128 characters', code: 'invalid_header' }], 'The Idempotency-Key header is not valid.');
    }
    let requestHash: string;
    try {
      requestHash = app.lodestone.idempotency.requestHash(request.body);
    } catch {
      // Only a body nested too deeply to walk gets here; no route accepts one.
      throw problems.invalid([{ path: '', message: 'is nested too deeply', code: 'too_deep' }], 'The request body is nested too deeply.');
    }
    const scope: IdempotencyScope = {
      userId: request.auth.user.id,
      method: request.method,
      path: scopePath(request),
      key,
      requestHash,
    };
    const previous = await app.lodestone.idempotency.find(scope);
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
    await app.lodestone.idempotency.saveRefusal(scope, status, payload);
    return payload;
  });
});
