import { describe, expect, it } from 'vitest';
import type { LodestoneEvent } from '@lodestone/shared';
import en from '../../client/src/i18n/en.ts';
import ja from '../../client/src/i18n/ja.ts';
import { describeAdminEvent } from '../../client/src/components/admin/auditEntry.ts';

/** A translator over one catalogue: dotted keys, {name} placeholders (what the UI's t does). */
function translator(catalogue: unknown) {
  return (key: string, named: Record<string, unknown> = {}) => {
    let node: unknown = catalogue;
    for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== 'string') throw new Error(`no message ${key}`);
    return node.replace(/\{(\w+)\}/g, (whole, name: string) => (name in named ? String(named[name]) : whole));
  };
}

const admin = { id: 'A1', displayName: 'Administrator', agency: 'RRG', side: 'US' as const };
const priya = { id: 'U1', username: 'priya', displayName: 'Priya Raman', role: 'member', agency: 'DOE', side: 'US', locale: 'en', timeZone: 'America/New_York', disabled: false, mustChangePassword: false };
const event = (type: LodestoneEvent['type'], data: unknown, actor = admin): LodestoneEvent => ({ stream: 'admin', seq: 1, type, at: '2026-12-07T00:00:00.000Z', actor, data, prevHash: '', hash: '' });
const people = new Map([[priya.id, priya]]);

describe('audit log entries', () => {
  it('say who did what to whose account or token, in English and Japanese', () => {
    const cases: [LodestoneEvent, string, string][] = [
      [event('user.created', priya), 'Administrator created the account of Priya Raman (Member, DOE, US)', 'AdministratorがPriya Ramanのアカウントを作成（メンバー、DOE、US）'],
      [event('user.updated', { ...priya, disabled: true, changed: ['disabled'] }), 'Administrator changed the account of Priya Raman: disabled it', 'AdministratorがPriya Ramanのアカウントを変更：無効化'],
      [event('user.updated', { ...priya, role: 'lead', mustChangePassword: true, changed: ['password', 'role', 'mustChangePassword'] }), 'Administrator changed the account of Priya Raman: new password, role Lead, must choose a new password', 'AdministratorがPriya Ramanのアカウントを変更：新しいパスワード、ロールをリードに、新しいパスワードの設定を要求'],
      [event('user.updated', { ...priya, changed: ['password', 'mustChangePassword'] }, { id: priya.id, displayName: priya.displayName, agency: 'DOE', side: 'US' }), 'Priya Raman changed their own account: password chosen', 'Priya Ramanが自分のアカウントを変更：パスワードを設定'],
      [event('token.revoked', { id: 'T1', name: 'import script', userId: priya.id }), 'Administrator revoked the API token “import script” of Priya Raman', 'AdministratorがPriya Ramanの API トークン「import script」を失効'],
    ];
    for (const [e, english, japanese] of cases) {
      expect(describeAdminEvent(e, translator(en), people)).toBe(english);
      expect(describeAdminEvent(e, translator(ja), people)).toBe(japanese);
    }
  });
});
