import type { Role } from '@lodestone/shared';

/** The signed-in caller as every route and socket sees it. */
export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  agency: string;
  side: 'US' | 'JP';
  locale: 'en' | 'ja';
  timeZone: string;
}

const is =
  (...roles: Role[]) =>
  (user: Pick<AuthUser, 'role'>): boolean =>
    roles.includes(user.role);

/**
 * The access table of the product specification, in one place. Rules that depend on an
 * incident's membership take that fact as an argument.
 */
export const may = {
  manageUsers: is('admin'),
  verifyAudit: is('admin'),
  readAlerts: is('lead', 'member', 'liaison', 'staff'),
  postAlert: is('lead', 'member', 'liaison'),
  acknowledgeAlert: is('lead', 'member', 'liaison'),
  escalateAlert: is('lead'),
  dismissAlert: is('lead'),
  createIncident: is('lead'),
  manageMembers: is('lead'),
  readIncident: (user: Pick<AuthUser, 'role'>, isMember: boolean) =>
    is('lead', 'staff')(user) || (is('member', 'liaison')(user) && isMember),
  contribute: (user: Pick<AuthUser, 'role'>, isMember: boolean) =>
    is('lead')(user) || (is('member', 'liaison')(user) && isMember),
  decide: (user: Pick<AuthUser, 'role'>, isCoLead: boolean) => is('lead')(user) || (is('member')(user) && isCoLead),
  exportRecord: (user: Pick<AuthUser, 'role'>, isMember: boolean) =>
    is('lead', 'staff')(user) || (is('member')(user) && isMember),
};
