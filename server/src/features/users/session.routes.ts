import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SignIn, User } from '@lodestone/shared';
import { z } from 'zod';
import { publicRoute, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parse } from '../../http/validate.ts';
import { sessionCookieName } from '../../plugins/auth.ts';
import { LoginThrottle } from '../../auth/login-throttle.ts';
import { DISABLED } from './sessions.service.ts';

const SessionAnswer = schemaOf(z.object({ user: User }));

/** Wrong passwords per (name, address), and per name from everywhere, within 15 minutes before they are answered 429. */
const LIMITS = { perAddress: 10, perName: 100, windowMs: 15 * 60_000 };

/** Sign-in, the current session, sign-out. */
export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const { sessions, users, options, context } = app.lodestone;
  const throttle = new LoginThrottle(LIMITS, context, options.secret ?? randomBytes(32));
  const sweep = setInterval(() => void throttle.sweep().catch(() => undefined), 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.post(
    '/session',
    {
      config: { ...publicRoute, rateLimit: { max: 100, timeWindow: 60_000, keyGenerator: (request) => `signin:${request.ip}` } },
      schema: {
        tags: ['session'],
        summary: 'Sign in; sets an httpOnly session cookie',
        security: [],
        body: schemaOf(SignIn),
        response: { 200: SessionAnswer, ...refusals(400, 429) },
      },
    },
    // 401 either way, as before (the contract's "not signed in"); the right password of a disabled account gets the account-disabled type.
    async (request, reply) => {
      const input = parse(SignIn, request.body);
      // request.ip is the client behind a trusted proxy (TRUST_PROXY), else the peer address.
      // A (name, address) held after too many wrong passwords is not even checked: each check is a guess.
      const held = await throttle.held(input.username, request.ip);
      if (held > 0) throw problems.rateLimited(held, `Too many failed sign-ins for this name from this address; try again in ${held} s.`);
      // Past the name's ceiling (all addresses) the password is still checked: the right one signs in.
      const result = await sessions.signIn(input.username, input.password);
      if (!result) {
        const wait = await throttle.fail(input.username, request.ip);
        if (wait > 0) throw problems.rateLimited(wait, `Too many failed sign-ins for this name; try again in ${wait} s.`);
        throw problems.unauthorized('The username or password is wrong.');
      }
      // The right password of a disabled account: say so (only the password's holder learns it).
      if (result === DISABLED) throw problems.accountDisabled('sign-in');
      await throttle.succeed(input.username, request.ip);
      // A sign-in always starts a new session; one the browser already held ends here.
      if (request.auth?.sessionId) await sessions.end(request.auth.sessionId);
      // Path=/, no Domain: what the __Host- prefix (HTTPS) requires.
      reply.setCookie(sessionCookieName(app.lodestone.origins), result.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: app.lodestone.origins.secure(),
        maxAge: Math.floor(options.sessionMaxMs / 1000),
      });
      const user = await users.get(result.user.id);
      return { user };
    },
  );

  app.get(
    '/session',
    { config: { allowedBeforePasswordChange: true }, schema: { tags: ['session'], summary: 'The signed-in user', response: { 200: SessionAnswer, ...refusals() } } },
    async (request) => {
      const caller = requireUser(request);
      return { user: await users.get(caller.id) };
    },
  );

  app.delete(
    '/session',
    { config: publicRoute, schema: { tags: ['session'], summary: 'Sign out: ends the session and closes its sockets', response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      if (request.auth?.sessionId) await sessions.end(request.auth.sessionId);
      reply.clearCookie(sessionCookieName(app.lodestone.origins), { path: '/', secure: app.lodestone.origins.secure() });
      return reply.code(204).send();
    },
  );
}
