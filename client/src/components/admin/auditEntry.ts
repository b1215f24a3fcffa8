import type { AdminEventType, ApiToken, LodestoneEvent, User } from '@lodestone/shared';
import type { MessageKey } from '../../i18n/index.ts';

type Translate = (key: MessageKey, named?: Record<string, unknown>) => string;

/** Fields of a user.updated shown with their new value, and the phrase of each. */
export const VALUED: Readonly<Record<string, MessageKey>> = {
  displayName: 'admin.log.changes.displayName',
  agency: 'admin.log.changes.agency',
  side: 'admin.log.changes.side',
  locale: 'admin.log.changes.locale',
  timeZone: 'admin.log.changes.timeZone',
};

/** The label of each type of the admin stream. */
export const ADMIN_EVENT_LABEL: Readonly<Record<AdminEventType, MessageKey>> = {
  'user.created': 'admin.log.types.user_created',
  'user.updated': 'admin.log.types.user_updated',
  'token.created': 'admin.log.types.token_created',
  'token.revoked': 'admin.log.types.token_revoked',
};

/** What changed of an account, as a list of short phrases in the UI language. */
function changesOf(user: User & { changed?: string[] }, own: boolean, t: Translate): string {
  const changed = user.changed ?? [];
  const phrases: string[] = [];
  // Choosing one's own password ends the duty to: one phrase says both.
  const chosen = own && changed.includes('mustChangePassword') && !user.mustChangePassword;
  for (const field of changed) {
    if (field === 'disabled') phrases.push(t(user.disabled ? 'admin.log.changes.disabled' : 'admin.log.changes.enabled'));
    else if (field === 'role') phrases.push(t('admin.log.changes.role', { value: t(`roles.${user.role}`) }));
    else if (field === 'password') phrases.push(t(chosen ? 'admin.log.changes.passwordChosen' : 'admin.log.changes.password'));
    // Cleared by a password reset or by choosing one: the phrase of the password says it.
    else if (field === 'mustChangePassword') {
      if (user.mustChangePassword) phrases.push(t('admin.log.changes.mustChangePassword'));
    } else if (VALUED[field]) phrases.push(t(VALUED[field], { value: String(user[field as keyof User]) }));
    else phrases.push(field);
  }
  return phrases.join(t('admin.log.sep'));
}

/** One change of the admin stream as a sentence: who did what to whose account or token. */
export function describeAdminEvent(event: LodestoneEvent, t: Translate, people: ReadonlyMap<string, Pick<User, 'displayName'>>): string {
  const actor = event.actor?.displayName ?? t('admin.log.system');
  const nameOf = (id: string) => people.get(id)?.displayName ?? t('admin.log.someone');
  switch (event.type) {
    case 'user.created': {
      const user = event.data as User;
      return t('admin.log.created', { actor, name: user.displayName, role: t(`roles.${user.role}`), agency: user.agency, side: user.side });
    }
    case 'user.updated': {
      const user = event.data as User & { changed?: string[] };
      const own = event.actor?.id === user.id;
      const changes = changesOf(user, own, t);
      return own ? t('admin.log.updatedOwn', { actor, changes }) : t('admin.log.updated', { actor, name: user.displayName, changes });
    }
    case 'token.created':
    case 'token.revoked': {
      const token = event.data as ApiToken;
      return t(event.type === 'token.created' ? 'admin.log.tokenCreated' : 'admin.log.tokenRevoked', { actor, token: token.name, name: nameOf(token.userId) });
    }
    default:
      return `${actor}: ${event.type}`;
  }
}
