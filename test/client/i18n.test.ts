import { beforeAll, describe, expect, it, vi } from 'vitest';
import en from '../../client/src/i18n/en.ts';
import ja from '../../client/src/i18n/ja.ts';
import type * as I18nModule from '../../client/src/i18n/index.ts';

let i18n: typeof I18nModule;

beforeAll(async () => {
  // The module reads the device's saved choice and the browser's language when it loads.
  localStorage.clear();
  vi.spyOn(navigator, 'language', 'get').mockReturnValue('ja-JP');
  i18n = await import('../../client/src/i18n/index.ts');
});

/** Every message of a catalogue, by dotted key. */
function flatten(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}
const placeholders = (m: string) => [...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();

describe('UI messages in English and Japanese', () => {
  it('starts in the browser’s language when nothing was chosen on this device, and remembers a choice', () => {
    expect(i18n.i18n.global.locale.value).toBe('ja');
    i18n.setUiLocale('en');
    expect(localStorage.getItem('lodestone.locale')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(i18n.t('nav.alerts')).toBe(en.nav.alerts);
    i18n.setUiLocale('ja');
    expect(i18n.t('nav.alerts')).toBe(ja.nav.alerts);
    expect(document.documentElement.lang).toBe('ja');
  });

  it('chooses none | one | many by count, and fills the count in', () => {
    i18n.setUiLocale('en');
    expect(i18n.t('admin.count', { n: 0 }, 0)).toBe('no users');
    expect(i18n.t('admin.count', { n: 1 }, 1)).toBe('one user');
    expect(i18n.t('admin.count', 42)).toBe('42 users');
    i18n.setUiLocale('ja');
    expect(i18n.t('admin.count', 3)).toBe('3 人');
    expect(i18n.choiceIndex(1, 2)).toBe(0);
    expect(i18n.choiceIndex(0, 2)).toBe(1);
    expect(i18n.choiceIndex(7, 2)).toBe(1);
  });

  it('fills named values, keeps unknown placeholders as written, and shows text with @ or | literally', () => {
    expect(i18n.interpolate('{actor} changed {field}', { actor: 'Priya <b>' })).toBe('Priya <b> changed {field}');
    i18n.setUiLocale('en');
    expect(i18n.t('validation.username')).toBe(en.validation.username);
    expect(i18n.t('validation.username')).toContain('@');
  });

  it('falls back to English for a key Japanese lacks, and to the key itself for an unknown one', () => {
    i18n.setUiLocale('ja');
    expect(i18n.t('no.such.key')).toBe('no.such.key');
    expect(i18n.te('no.such.key')).toBe(false);
    expect(i18n.te('nav.alerts')).toBe(true);
  });

  it('has the same keys, placeholders and number of choices in both languages', () => {
    const e = flatten(en);
    const j = flatten(ja);
    expect([...j.keys()].sort()).toEqual([...e.keys()].sort());
    for (const [key, message] of e) {
      const other = j.get(key) ?? '';
      expect(placeholders(other), key).toEqual(placeholders(message));
      expect(other.split('|').length, key).toBe(message.split('|').length);
    }
  });
});
