import { beforeEach, describe, expect, it, vi } from 'vitest';
import { sourceMessages, type Lang } from '../helpers/catalogues.ts';
import type * as I18nModule from '../../client/src/i18n/index.ts';

/*
 * The i18n module as the app gets it: en.ts and ja.ts compiled by @intlify/unplugin-vue-i18n (the
 * same plugin as the build, see vitest.config.ts) and rendered by vue-i18n. Each test loads the
 * module afresh, as a page load does.
 */

type JaModule = { default: Record<string, Record<string, unknown>> };
let jaLoads = 0;

async function load(browserLanguage = 'en-US'): Promise<typeof I18nModule> {
  vi.spyOn(navigator, 'language', 'get').mockReturnValue(browserLanguage);
  return import('../../client/src/i18n/index.ts');
}

beforeEach(() => {
  vi.resetModules();
  vi.doUnmock('../../client/src/i18n/ja.ts');
  localStorage.clear();
  document.documentElement.lang = '';
  jaLoads = 0;
});

describe('the UI language', () => {
  it('starts in the browser’s language when nothing was chosen on this device, with its messages loaded before the first render', async () => {
    const i18n = await load('ja-JP');
    expect(await i18n.startI18n()).toBe(true);
    expect(i18n.t('nav.alerts')).toBe('アラート');
    expect(i18n.i18n.global.locale.value).toBe('ja');
    expect(document.documentElement.lang).toBe('ja');
    // The browser's language is not a choice: nothing is remembered.
    expect(localStorage.getItem('lodestone.locale')).toBeNull();
  });

  it('fetches the Japanese messages only when Japanese is chosen, once, and remembers the choice', async () => {
    vi.doMock('../../client/src/i18n/ja.ts', async (importOriginal) => {
      jaLoads++;
      return importOriginal<JaModule>();
    });
    const i18n = await load('en-US');
    await i18n.startI18n();
    expect(i18n.t('nav.alerts')).toBe('Alerts');
    expect(jaLoads).toBe(0);

    expect(await i18n.setUiLocale('ja')).toBe(true);
    expect(jaLoads).toBe(1);
    expect(i18n.t('nav.alerts')).toBe('アラート');
    expect(localStorage.getItem('lodestone.locale')).toBe('ja');
    expect(document.documentElement.lang).toBe('ja');

    await i18n.setUiLocale('en');
    expect(i18n.t('nav.alerts')).toBe('Alerts');
    await i18n.setUiLocale('ja');
    expect(jaLoads).toBe(1);
  });

  it('starts in the language last chosen on this device, whatever the browser’s', async () => {
    localStorage.setItem('lodestone.locale', 'ja');
    const i18n = await load('en-US');
    await i18n.startI18n();
    expect(i18n.t('nav.incidents')).toBe('インシデント');
  });

  it('keeps the language chosen last when an earlier choice loads after it', async () => {
    const i18n = await load('en-US');
    await i18n.startI18n();
    const toJapanese = i18n.setUiLocale('ja');
    expect(await i18n.setUiLocale('en')).toBe(true);
    expect(await toJapanese).toBe(false);
    expect(i18n.i18n.global.locale.value).toBe('en');
    expect(i18n.t('nav.alerts')).toBe('Alerts');
    expect(localStorage.getItem('lodestone.locale')).toBe('en');
  });

  it('falls back to English for a message the Japanese messages lack', async () => {
    vi.doMock('../../client/src/i18n/ja.ts', async (importOriginal) => {
      const ja = await importOriginal<JaModule>();
      const { alerts: _missing, ...nav } = ja.default.nav ?? {};
      return { default: { ...ja.default, nav } };
    });
    const i18n = await load('ja-JP');
    expect(await i18n.startI18n()).toBe(true);
    expect(i18n.t('nav.alerts')).toBe('Alerts');
    expect(i18n.tOr('nav.alerts', 'raw')).toBe('Alerts');
    expect(i18n.t('nav.incidents')).toBe('インシデント');
    expect(i18n.tOr('no.such.key', 'raw')).toBe('raw');
    expect(i18n.te('no.such.key')).toBe(false);
  });
});

describe('messages', () => {
  it('choose none | one | many by the count and write the count as the UI language does', async () => {
    const i18n = await load('en-US');
    await i18n.startI18n();
    expect(i18n.t('admin.count', 0)).toBe('no users');
    expect(i18n.t('admin.count', { n: 1 }, 1)).toBe('one user');
    expect(i18n.t('admin.count', 42)).toBe('42 users');
    expect(i18n.t('admin.count', 1234)).toBe('1,234 users');
    expect(i18n.n(1234567)).toBe('1,234,567');
    await i18n.setUiLocale('ja');
    expect(i18n.t('admin.count', 0)).toBe('ユーザーなし');
    expect(i18n.t('incidents.count', 1)).toBe('1 件');
    expect(i18n.t('admin.count', 3)).toBe('3 人');
  });

  it('fill named values in as plain text, never reading them as message syntax', async () => {
    const i18n = await load('en-US');
    await i18n.startI18n();
    expect(i18n.t('nav.userMenu', { name: "<b>Priya</b> {x} @:nav.alerts {'|'} | y" })).toBe("Account menu for <b>Priya</b> {x} @:nav.alerts {'|'} | y");
  });

  it('show @, which the message syntax reserves, exactly as written', async () => {
    const i18n = await load('en-US');
    await i18n.startI18n();
    expect(i18n.t('fieldErrors.username.invalid_format')).toBe('1–64 letters, digits, dot, dash, underscore or @, starting with a letter or digit.');
    await i18n.setUiLocale('ja');
    expect(i18n.t('fieldErrors.username.invalid_format')).toBe('英字・数字・ドット・ハイフン・アンダースコア・@ の 1〜64 文字（先頭は英字か数字）。');
  });
});

/** The messages with plural choices; a `|` anywhere else is text and must be written `{'|'}`. */
const PLURAL_KEYS = ['admin.count', 'admin.log.count', 'incidents.count', 'closeIncident.stillOpen', 'closeIncident.overdue'];

/** The parts of a message between its top-level `|` (not inside `{…}`), trimmed as vue-i18n does. */
function choicesOf(message: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of message) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  return [...parts, current.trim()];
}

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

/** What a person reads, by the writer's intent: `{name}` is the value, `{'x'}` is x, nothing else is syntax. */
function asWritten(message: string, named: Record<string, string>, count?: number): string {
  const choices = choicesOf(message);
  const choice = count === undefined || choices.length === 1 ? message : choices.length === 2 ? choices[count === 1 ? 0 : 1] : choices[Math.min(count, 2)];
  return (choice ?? '').replace(/\{(?:'([^']*)'|(\w+))\}/g, (_whole, literal: string | undefined, name: string) => literal ?? named[name] ?? '');
}

describe('the English and Japanese messages', () => {
  const messages: Record<Lang, Map<string, string>> = { en: sourceMessages('en'), ja: sourceMessages('ja') };

  it('have the same keys, values and plural choices in both languages', () => {
    expect([...messages.ja.keys()].sort()).toEqual([...messages.en.keys()].sort());
    for (const [key, english] of messages.en) {
      const japanese = messages.ja.get(key) ?? '';
      expect(placeholders(japanese), key).toEqual(placeholders(english));
      expect(choicesOf(japanese).length, key).toBe(choicesOf(english).length);
    }
    const plural = [...messages.en].filter(([, m]) => choicesOf(m).length > 1).map(([key]) => key);
    expect(plural, 'a message with a literal | must write it {\'|\'}').toEqual(PLURAL_KEYS);
  });

  it.each(['en', 'ja'] as const)('in %s read exactly as written once compiled (no character taken as syntax)', async (lang) => {
    localStorage.setItem('lodestone.locale', lang);
    const i18n = await load();
    await i18n.startI18n();
    for (const [key, message] of messages[lang]) {
      if (!i18n.te(key)) throw new Error(`${key} is missing from the compiled ${lang} messages`);
      const named = Object.fromEntries(placeholders(message).map((name) => [name, `⟨${name}⟩`]));
      if (PLURAL_KEYS.includes(key)) {
        for (const count of [0, 1, 5]) expect(i18n.t(key, { ...named, n: String(count) }, count), `${key} (${count})`).toBe(asWritten(message, { ...named, n: String(count) }, count));
      } else {
        expect(i18n.t(key, named), key).toBe(asWritten(message, named));
      }
    }
  });
});
