import type { FastifyInstance } from 'fastify';
import { PasswordChange, ProfileUpdate, User } from '@lodestone/shared';
import { mutationOf, requireUser } from '../../http/context.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { parse } from '../../http/validate.ts';

/** A user's own account: display name, language, time zone and password. */
export async function profileRoutes(app: FastifyInstance): Promise<void> {
  const { users } = app.lodestone;

  app.patch(
    '/profile',
    { schema: { tags: ['session'], summary: 'Change your display name, language or time zone', body: schemaOf(ProfileUpdate), response: { 200: schemaOf(User), ...refusals(400) } } },
    async (request) => {
      const user = requireUser(request);
      return users.updateProfile(mutationOf(request), user.id, parse(ProfileUpdate, request.body));
    },
  );

  app.post(
    '/profile/password',
    {
      config: { allowedBeforePasswordChange: true },
      schema: {
        tags: ['session'],
        summary:
          'Change your password; your other sessions end, and with signOutEverywhere: true your API tokens are revoked too. An account that must choose a new password does it here.',
        body: schemaOf(PasswordChange),
        response: { 200: schemaOf(User), ...refusals(400) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const input = parse(PasswordChange, request.body);
      return users.changePassword(mutationOf(request), user.id, input.currentPassword, input.newPassword, request.auth?.sessionId, input.signOutEverywhere === true);
    },
  );
}
