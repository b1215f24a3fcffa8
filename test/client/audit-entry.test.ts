import { describe, expect, it, vi } from 'vitest';
import type { LodestoneEvent } from '@lodestone/shared';
import type * as I18n from '../../client/src/i18n/index.ts';
import { describeAdminEvent } from '../../client/src/components/admin/auditEntry.ts';

/** The UI's own `t`, started in one language. */
async function translator(lang: 'en' | 'ja'): Promise<typeof I18n.t> {
  vi.resetModules();
  localStorage.setItem('lodestone.locale', lang);
  const i18n: typeof I18n = await import('../../client/src/i18n/index.ts');
  await i18n.startI18n();
  return i18n.t;
}

const admin = { id: 'A1', displayName: 'Administrator', agency: 'RRG', side: 'US' as const };
const priya = { id: 'U1', username: 'priya', displayName: 'Priya Raman', role: 'member', agency: 'DOE', side: 'US', locale: 'en', timeZone: 'America/New_York', disabled: false, mustChangePassword: false };
const event = (type: LodestoneEvent['type'], data: unknown, actor = admin): LodestoneEvent => ({ stream: 'admin', seq: 1, type, at: '2026-12-07T00:00:00.000Z', actor, data, prevHash: '', hash: '' });
const people = new Map([[priya.id, priya]]);

describe('audit log entries', () => {
  it('say who did what to whose account or token, in English and Japanese', async () => {
    const cases: [LodestoneEvent, string, string][] = [
      [event('user.created', priya), 'Administrator created the account of Priya Raman (Member, DOE, US)', 'AdministratorがPriya Ramanのアカウントを作成（メンバー、DOE、US）'],
      [event('user.updated', { ...priya, disabled: true, changed: ['disabled'] }), 'Administrator changed the account of Priya Raman: disabled it', 'AdministratorがPriya Ramanのアカウントを変更：無効化'],
      [event('user.updated', { ...priya, role: 'lead', mustChangePassword: true, changed: ['password', 'role', 'mustChangePassword'] }), 'Administrator changed the account of Priya Raman: new password, role Lead, must choose a new password', 'AdministratorがPriya Ramanのアカウントを変更：新しいパスワード、ロールをリードに、新しいパスワードの設定を要求'],
      [event('user.updated', { ...priya, changed: ['password', 'mustChangePassword'] }, { id: priya.id, displayName: priya.displayName, agency: 'DOE', side: 'US' }), 'Priya Raman changed their own account: password chosen', 'Priya Ramanが自分のアカウントを変更：パスワードを設定'],
      [event('token.revoked', { id: 'T1', name: 'import script', userId: priya.id }), 'Administrator revoked the API token “import script” of Priya Raman', 'AdministratorがPriya Ramanの API トークン「import script」を失効'],
    ];
    const en = await translator('en');
    for (const [e, english] of cases) expect(describeAdminEvent(e, en, people)).toBe(english);
    const ja = await translator('ja');
    for (const [e, , japanese] of cases) expect(describeAdminEvent(e, ja, people)).toBe(japanese);
  });
});
