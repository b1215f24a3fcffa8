import type { Role } from './common.ts';

type Who = { role: Role };

/** A fact about the caller and one incident that a rule may ask for. */
export type Fact = 'member' | 'coLead';

/** One way to pass a rule: a role, and, with `if`, a fact that must hold for the incident at hand. */
export interface Clause<F extends Fact = Fact> {
  readonly roles: readonly Role[];
  readonly if?: F;
}

/** Who may do something: the caller passes when any clause admits them. */
export type Rule<F extends Fact = Fact> = readonly Clause<F>[];

export type Facts = Partial<Record<Fact, boolean>>;

const rule = <F extends Fact = never>(...clauses: Clause<F>[]): Rule<F> => clauses;

/**
 * The access table of the product specification, declared once: the server enforces it (each
 * route names its rule), the client uses it through `may` to show only what a role may do.
 */
export const rules = {
  manageUsers: rule({ roles: ['admin'] }),
  verifyAudit: rule({ roles: ['admin'] }),
  readAlerts: rule({ roles: ['lead', 'member', 'liaison', 'staff'] }),
  postAlert: rule({ roles: ['lead', 'member', 'liaison'] }),
  acknowledgeAlert: rule({ roles: ['lead', 'member', 'liaison'] }),
  escalateAlert: rule({ roles: ['lead'] }),
  dismissAlert: rule({ roles: ['lead'] }),
  createIncident: rule({ roles: ['lead'] }),
  manageMembers: rule({ roles: ['lead'] }),
  /** Lists of incidents and action items: each holds only what the caller may read. */
  listIncidents: rule({ roles: ['lead', 'member', 'liaison', 'staff'] }),
  /** Lead-only parts of an incident: its co-leads and its lessons learned. */
  leadOnlyFields: rule({ roles: ['lead'] }),
  readIncident: rule({ roles: ['lead', 'staff'] }, { roles: ['member', 'liaison'], if: 'member' }),
  contribute: rule({ roles: ['lead'] }, { roles: ['member', 'liaison'], if: 'member' }),
  decide: rule({ roles: ['lead'] }, { roles: ['member'], if: 'coLead' }),
  exportRecord: rule({ roles: ['lead', 'staff'] }, { roles: ['member'], if: 'member' }),
};

/** Whether `user` passes `rule`, given the facts of the incident at hand (a fact not given is false). */
export function allows(rule: Rule, user: Who, facts: Facts = {}): boolean {
  return rule.some((clause) => clause.roles.includes(user.role) && (clause.if === undefined || facts[clause.if] === true));
}

/** Whether some incident could let `user` pass `rule`: the check that runs before the incident is known. */
export function couldEver(rule: Rule, user: Who): boolean {
  return rule.some((clause) => clause.roles.includes(user.role));
}

/** A rule passed when any of `rules` is (a note or a decision: contribute or decide). */
export function anyOf<F extends Fact>(...rules: Rule<F>[]): Rule<F> {
  return rules.flat();
}

/** A rule as a predicate: a rule that asks for a fact of the incident takes it as its second argument. */
type Check<R> = R extends Rule<infer F> ? ([F] extends [never] ? (user: Who) => boolean : (user: Who, fact: boolean) => boolean) : never;

/** The predicate of a rule: its fact (a rule asks for one at most) is the second argument. */
function predicate(r: Rule): (user: Who, fact?: boolean) => boolean {
  const fact = r.find((clause) => clause.if !== undefined)?.if;
  return (user, given = false) => allows(r, user, fact === undefined ? {} : { [fact]: given });
}

/** The rules as predicates, for the client (`may.decide(user, isCoLead)`) and services. */
export const may = Object.fromEntries(Object.entries(rules).map(([name, r]) => [name, predicate(r)])) as { [K in keyof typeof rules]: Check<(typeof rules)[K]> };
