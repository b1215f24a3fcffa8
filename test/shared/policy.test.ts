import { describe, expect, it } from 'vitest';
import { Roles, allows, anyOf, couldEver, may, rules, type Role } from '@lodestone/shared';

type Cell = 'yes' | '–' | 'if member' | 'if co-lead';

/** The access table of the product specification (product.md "Access"), transcribed as it reads. */
// prettier-ignore
const TABLE: Record<keyof typeof rules, Record<Role, Cell>> = {
  manageUsers:      { admin: 'yes', lead: '–',   member: '–',          liaison: '–',         staff: '–' },
  verifyAudit:      { admin: 'yes', lead: '–',   member: '–',          liaison: '–',         staff: '–' },
  readAlerts:       { admin: '–',   lead: 'yes', member: 'yes',        liaison: 'yes',       staff: 'yes' },
  postAlert:        { admin: '–',   lead: 'yes', member: 'yes',        liaison: 'yes',       staff: '–' },
  acknowledgeAlert: { admin: '–',   lead: 'yes', member: 'yes',        liaison: 'yes',       staff: '–' },
  escalateAlert:    { admin: '–',   lead: 'yes', member: '–',          liaison: '–',         staff: '–' },
  dismissAlert:     { admin: '–',   lead: 'yes', member: '–',          liaison: '–',         staff: '–' },
  createIncident:   { admin: '–',   lead: 'yes', member: '–',          liaison: '–',         staff: '–' },
  manageMembers:    { admin: '–',   lead: 'yes', member: '–',          liaison: '–',         staff: '–' },
  // Lists hold only what the caller may read: every role that could read an incident may list.
  listIncidents:    { admin: '–',   lead: 'yes', member: 'yes',        liaison: 'yes',       staff: 'yes' },
  // product.md "The after-action record": lessons learned are editable by leads.
  leadOnlyFields:   { admin: '–',   lead: 'yes', member: '–',          liaison: '–',         staff: '–' },
  readIncident:     { admin: '–',   lead: 'yes', member: 'if member',  liaison: 'if member', staff: 'yes' },
  contribute:       { admin: '–',   lead: 'yes', member: 'if member',  liaison: 'if member', staff: '–' },
  decide:           { admin: '–',   lead: 'yes', member: 'if co-lead', liaison: '–',         staff: '–' },
  exportRecord:     { admin: '–',   lead: 'yes', member: 'if member',  liaison: '–',         staff: 'yes' },
};

function expected(cell: Cell, fact: boolean): boolean {
  return cell === 'yes' || ((cell === 'if member' || cell === 'if co-lead') && fact);
}

describe('the access table', () => {
  it('has a rule for every line of the table and a line for every rule', () => {
    expect(Object.keys(rules).sort()).toEqual(Object.keys(TABLE).sort());
  });

  for (const [name, row] of Object.entries(TABLE) as [keyof typeof rules, Record<Role, Cell>][]) {
    it(`${name}: may answers the table for every role, with and without the fact it asks for`, () => {
      const check = may[name] as (user: { role: Role }, fact?: boolean) => boolean;
      for (const role of Roles) {
        for (const fact of [false, true]) expect(check({ role }, fact), `${role}, fact ${fact}`).toBe(expected(row[role], fact));
      }
    });

    it(`${name}: "could ever" is exactly "some incident admits the role", derived from the same rule`, () => {
      for (const role of Roles) {
        const someIncident = [false, true].some((member) => [false, true].some((coLead) => allows(rules[name], { role }, { member, coLead })));
        expect(couldEver(rules[name], { role }), role).toBe(someIncident);
        expect(someIncident, role).toBe(row[role] !== '–');
      }
    });
  }

  it('lets a note or a decision be posted by whoever may contribute or decide, each on its own facts', () => {
    const post = anyOf(rules.contribute, rules.decide);
    expect(allows(post, { role: 'member' }, { coLead: true })).toBe(true);
    expect(allows(post, { role: 'member' }, { member: true })).toBe(true);
    expect(allows(post, { role: 'member' }, {})).toBe(false);
    expect(allows(post, { role: 'liaison' }, { coLead: true })).toBe(false);
    expect(Roles.filter((role) => couldEver(post, { role }))).toEqual(['lead', 'member', 'liaison']);
  });
});
