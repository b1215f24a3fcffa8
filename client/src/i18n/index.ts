import { ref, type App, type Ref } from 'vue';
import en, { type MessageSchema } from './en.ts';
import ja from './ja.ts';
import type { UiLocale } from '../format.ts';

/*
 * The UI's two languages. Messages are plain strings with `{name}` placeholders; a message with
 * choices (`none | one | {n} many`) takes a count. That is all the UI needs, in well under 1 KB:
 * a general i18n library with its runtime message compiler cost 60 KB gzip of the first page.
 */

const STORAGE_KEY = 'lodestone.locale';
const messages: Record<UiLocale, MessageSchema> = { en, ja };

export type Named = Record<string, unknown>;

/** The language before anyone signs in: last choice on this device, else the browser's. */
export function initialLocale(): UiLocale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ja') return saved;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** The current UI language; everything that reads it re-renders when it changes. */
const locale: Ref<UiLocale> = ref(initialLocale());

function lookup(lang: UiLocale, key: string): string | undefined {
  let node: unknown = messages[lang];
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Which of the choices a count takes: two choices are one | many; three are none | one | many. */
export function choiceIndex(count: number, choices: number): number {
  const n = Math.abs(count);
  if (choices === 2) return n === 1 ? 0 : 1;
  return Math.min(n, 2);
}

/** `{name}` takes the named value; an unknown name stays as written. */
export function interpolate(message: string, named: Named): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in named ? String(named[name]) : whole));
}

/**
 * The message at `key` in the current language (else English, else the key itself), with its
 * placeholders filled. A count (given alone or after the named values) chooses among choices and
 * is also `{n}` and `{count}`.
 */
export function t(key: string, namedOrCount?: Named | number, countArg?: number): string {
  const lang = locale.value;
  const message = lookup(lang, key) ?? lookup('en', key);
  if (message === undefined) return key;
  const count = typeof namedOrCount === 'number' ? namedOrCount : countArg;
  const named: Named = { ...(count === undefined ? {} : { n: count, count }), ...(typeof namedOrCount === 'object' ? namedOrCount : {}) };
  let text = message;
  if (count !== undefined) {
    const choices = message.split(/\s*\|\s*/);
    if (choices.length > 1) text = choices[choiceIndex(count, choices.length)] ?? message;
  }
  return interpolate(text, named);
}

/** Whether the current language has a message at `key`. */
export function te(key: string): boolean {
  return lookup(locale.value, key) !== undefined;
}

/** What components use: `const { t, te, locale } = useI18n()`. */
export function useI18n(): { t: typeof t; te: typeof te; locale: Ref<UiLocale> } {
  return { t, te, locale };
}

declare module 'vue' {
  interface ComponentCustomProperties {
    $t: typeof t;
  }
}

/** The plugin (`app.use(i18n)`: `$t` in templates) and the global handle for code outside components. */
export const i18n = {
  global: { t, te, locale },
  install(app: App): void {
    app.config.globalProperties.$t = t;
  },
};

/** Switches the UI language and remembers it on this device. */
export function setUiLocale(next: UiLocale): void {
  locale.value = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}
