import type { Role } from '@lodestone/shared';
import type { MessageKey } from '../../i18n/index.ts';

export interface NavItem {
  to: string;
  /** i18n key */
  label: MessageKey;
  roles: Role[];
  /** Name of a counter shown beside the item (e.g. unread alerts). */
  badge?: 'unreadAlerts';
}

/** The main navigation, as each role may see it. */
export const navigation: NavItem[] = [
  { to: '/alerts', label: 'nav.alerts', roles: ['lead', 'member', 'liaison', 'staff'], badge: 'unreadAlerts' },
  { to: '/incidents', label: 'nav.incidents', roles: ['lead', 'member', 'liaison', 'staff'] },
  { to: '/actions', label: 'nav.myActions', roles: ['lead', 'member', 'liaison', 'staff'] },
  { to: '/admin/users', label: 'nav.users', roles: ['admin'] },
  { to: '/admin/audit', label: 'nav.audit', roles: ['admin'] },
];

export function navigationFor(role: Role | null): NavItem[] {
  return role ? navigation.filter((item) => item.roles.includes(role)) : [];
}
