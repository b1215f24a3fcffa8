import type { Role } from './common.ts';

type Who = { role: Role };

const is =
  (...roles: Role[]) =>
  (user: Who): boolean =>
    roles.includes(user.role);

/**
 * The access table of the product specification, in one place: the server enforces it,
 * the client uses it to show only what a role may do. Rules that depend on an incident's
 * membership or co-leads take that fact as an argument.
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
  listIncidents: is('lead', 'member', 'liaison', 'staff'),
  readIncident: (user: Who, isMember: boolean) => is('lead', 'staff')(user) || (is('member', 'liaison')(user) && isMember),
  contribute: (user: Who, isMember: boolean) => is('lead')(user) || (is('member', 'liaison')(user) && isMember),
  decide: (user: Who, isCoLead: boolean) => is('lead')(user) || (is('member')(user) && isCoLead),
  exportRecord: (user: Who, isMember: boolean) => is('lead', 'staff')(user) || (is('member')(user) && isMember),
};

/**
 * Whether a role could ever pass the rule, before the incident is known: routes check these
 * ahead of reading the body, so a caller who may not act gets 403 even for a malformed body.
 */
export const mayEver = {
  changeIncident: is('lead', 'member'),
  writeToIncident: is('lead', 'member', 'liaison'),
  exportRecord: is('lead', 'member', 'staff'),
};
