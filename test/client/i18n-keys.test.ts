import { describe, expect, it } from 'vitest';
import { ActionPatch, ActionStatuses, AlertStatuses, AlertTypes, FIELD_ERROR_CODES, IncidentPatch, IncidentStatuses, Lessons, Roles, Severities, Sides, TlpMarkings } from '@lodestone/shared';
import { keyUses } from '../helpers/message-keys.ts';
import { sourceMessages } from '../helpers/catalogues.ts';
import { tlpKey } from '../../client/src/i18n/keys.ts';
import { ORIGIN_COUNTRIES } from '../../client/src/components/alerts/countries.ts';
import { navigation } from '../../client/src/components/layout/navigation.ts';
import { ADMIN_EVENT_LABEL, VALUED } from '../../client/src/components/admin/auditEntry.ts';
import { router } from '../../client/src/router.ts';
import type { ConnectionStatus } from '../../client/src/stores/connection.ts';
import type { Theme } from '../../client/src/theme.ts';
import type { DueProblem } from '../../client/src/dueDate.ts';

/**
 * Every key the client asks for exists in English and in Japanese, including the keys it builds
 * from data (`statuses.${status}`): each such family is listed here with every value it can take,
 * taken from the shared enums, and a family (or a key held in a variable) this test does not know
 * fails it, so a new one is added here with its values.
 */

/** A list written out here, which the compiler checks names every member of `T`. */
const every =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): readonly string[] =>
    list;

const fieldsOfChanges = [...Object.keys(IncidentPatch.shape), ...Object.keys(ActionPatch.shape)].filter((f) => f !== 'version');
const en = sourceMessages('en');
const ja = sourceMessages('ja');

/** Each family of keys the client builds at run time (`{}` where a value goes), and every key it can build. */
const FAMILIES: Record<string, () => readonly string[]> = {
  'statuses.{}': () => IncidentStatuses.map((s) => `statuses.${s}`),
  'actionStatuses.{}': () => ActionStatuses.map((s) => `actionStatuses.${s}`),
  'alertStatuses.{}': () => AlertStatuses.map((s) => `alertStatuses.${s}`),
  'alertTypes.{}': () => AlertTypes.map((s) => `alertTypes.${s}`),
  'severities.{}': () => Severities.map((s) => `severities.${s}`),
  'roles.{}': () => Roles.map((s) => `roles.${s}`),
  'sides.{}': () => Sides.map((s) => `sides.${s}`),
  'countries.{}': () => ORIGIN_COUNTRIES.map((c) => `countries.${c}`),
  'theme.{}': () => every<Theme>()(['system', 'light', 'dark']).map((s) => `theme.${s}`),
  'connection.{}Hint': () => every<ConnectionStatus>()(['live', 'reconnecting', 'offline']).map((s) => `connection.${s}Hint`),
  'actions.dueErrors.{}': () => every<DueProblem>()(['incomplete', 'noDate', 'noTime', 'past']).map((p) => `actions.dueErrors.${p}`),
  'record.formats.{}': () => ['markdown', 'pdf', 'csv', 'json'].map((f) => `record.formats.${f}`),
  'record.{}': () => Object.keys(Lessons.shape).map((f) => `record.${f}`),
  // The fields an update event names as changed, and a conflict lists.
  'room.fields.{}': () => fieldsOfChanges.map((f) => `room.fields.${f}`),
  'fieldErrors.{}': () => FIELD_ERROR_CODES.map((code) => `fieldErrors.${code}`),
  // Wordings for one field (`fieldErrors.username.invalid_format`) are optional: those that exist.
  'fieldErrors.{}.{}': () => [...en.keys()].filter((k) => k.startsWith('fieldErrors.') && k.split('.').length > 2),
};

/** Keys held in a variable or returned by a function, by where they are used. */
const INDIRECT: { file: string; argument: RegExp; keys: () => readonly string[] }[] = [
  { file: 'App.vue', argument: /^title$/, keys: () => router.getRoutes().flatMap((r) => (r.meta.title ? [r.meta.title] : [])) },
  { file: 'components/layout/AppHeader.vue', argument: /^item\.label$/, keys: () => navigation.map((n) => n.label) },
  { file: '', argument: /^tlpKey\(/, keys: () => TlpMarkings.map(tlpKey) },
  { file: 'components/admin/AuditLog.vue', argument: /^ADMIN_EVENT_LABEL\[type\]$/, keys: () => Object.values(ADMIN_EVENT_LABEL) },
  { file: 'components/admin/auditEntry.ts', argument: /^VALUED\[field\]$/, keys: () => Object.values(VALUED) },
];

const missingIn = (keys: readonly string[]) => ({ en: keys.filter((k) => !en.has(k)), ja: keys.filter((k) => !ja.has(k)) });

describe('message keys used by the client', () => {
  const uses = keyUses();
  const families = new Set(uses.flatMap((u) => u.families));

  it('are found by reading client/src (each call of t, $t, te and tOr)', () => {
    expect(uses.length).toBeGreaterThan(300);
    expect(uses.find((u) => u.file.endsWith('RoomHeader.vue') && u.families.includes('statuses.{}'))).toBeDefined();
    expect(uses.find((u) => u.file.endsWith('SeverityBadge.vue') && u.families.includes('severities.{}'))).toBeDefined();
  });

  it('written out in full exist in English and Japanese', () => {
    const keys = [...new Set(uses.flatMap((u) => u.keys))];
    expect(keys.length).toBeGreaterThan(250);
    expect(missingIn(keys)).toEqual({ en: [], ja: [] });
  });

  it('built from data belong to a family this test knows', () => {
    const unknown = [...families].filter((f) => !(f in FAMILIES));
    expect(unknown, 'add each new family to FAMILIES with every value it can take').toEqual([]);
  });

  it.each(Object.keys(FAMILIES))('of the family %s exist in English and Japanese for every value', (family) => {
    expect(families.has(family), `${family} is no longer used by the client: remove it here`).toBe(true);
    const keys = FAMILIES[family]?.() ?? [];
    expect(keys.length).toBeGreaterThan(0);
    expect(missingIn(keys)).toEqual({ en: [], ja: [] });
  });

  it('held in variables come from lists this test knows, and exist in English and Japanese', () => {
    for (const use of uses) {
      for (const argument of use.indirect) {
        const known = INDIRECT.find((i) => (i.file === '' || i.file === use.file) && i.argument.test(argument));
        expect(known, `${use.file}:${use.line}: what can ${argument} hold? add it to INDIRECT`).toBeDefined();
      }
    }
    for (const { keys } of INDIRECT) expect(missingIn(keys())).toEqual({ en: [], ja: [] });
  });

  it('word field errors by field only for codes the server sends', () => {
    const byField = FAMILIES['fieldErrors.{}.{}']?.() ?? [];
    expect(byField.length).toBeGreaterThan(0);
    expect(byField.filter((k) => !(FIELD_ERROR_CODES as readonly string[]).includes(k.split('.').at(-1) ?? ''))).toEqual([]);
  });
});
