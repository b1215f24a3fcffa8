import { computed, type App, type ComputedRef } from 'vue';
import en, { type MessageSchema } from './en.ts';
import { createI18n } from './runtime.js';
import type { UiLocale } from '../format.ts';

/*
 * The UI's two languages, through vue-i18n. en.ts and ja.ts are compiled at build time (their
 * types are the message strings, their values at run time vue-i18n's precompiled messages);
 * English is in the first page, Japanese is a chunk of its own, fetched when it is chosen.
 */

/** Every message's dotted key, derived from the English messages: an unknown key is a type error. */
type KeysOf<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : KeysOf<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
export type MessageKey = KeysOf<MessageSchema>;

export type Named = Record<string, unknown>;

const STORAGE_KEY = 'lodestone.locale';

/** The languages other than English, each loaded the first time it is needed. */
const loaders: Record<Exclude<UiLocale, 'en'>, () => Promise<{ default: MessageSchema }>> = {
  ja: () => import('./ja.ts'),
};
const loaded = new Set<UiLocale>(['en']);

/** Counts and other whole numbers, as the UI language writes them (1,234). */
const numberFormats = { integer: { maximumFractionDigits: 0 } };

const vueI18n = createI18n({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages: { en },
  numberFormats: { en: numberFormats, ja: numberFormats },
  // `$t` is ours (typed by key, below), not vue-i18n's.
  globalInjection: false,
  missingWarn: false,
  fallbackWarn: false,
});

/** The language before anyone signs in: last choice on this device, else the browser's. */
export function initialLocale(): UiLocale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ja') return saved;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** The current UI language; everything that reads it re-renders when it changes. */
const locale: ComputedRef<UiLocale> = computed(() => (vueI18n.global.locale.value === 'ja' ? 'ja' : 'en'));

/** A whole number in the UI language. */
export function n(value: number): string {
  return vueI18n.global.n(value, 'integer');
}

/**
 * The message at `key` in the current language (else English), with its `{name}` values filled
 * in. A count chooses among the message's plural choices (`none | one | many`, or `one | many`)
 * and is also its `{n}` and `{count}`, written as a number of the UI language.
 */
export function t(key: MessageKey, named?: Named): string;
export function t(key: MessageKey, count: number): string;
export function t(key: MessageKey, named: Named, count: number): string;
export function t(key: MessageKey, namedOrCount: Named | number = {}, countArg?: number): string {
  const named = typeof namedOrCount === 'number' ? {} : namedOrCount;
  const count = typeof namedOrCount === 'number' ? namedOrCount : countArg;
  if (count === undefined) return vueI18n.global.t(key, named);
  return vueI18n.global.t(key, { n: n(count), count: n(count), ...named }, count);
}

/** Whether there is a message at `key` (in the current language, else English). */
export function te(key: string): key is MessageKey {
  return vueI18n.global.te(key);
}

/**
 * For a key made of data the server sends (a field name, a status in an event): its message when
 * there is one, else `fallback`. Every such family of keys is listed in test/client/i18n-keys.test.ts.
 */
export function tOr(key: string, fallback: string, named: Named = {}): string {
  return te(key) ? t(key, named) : fallback;
}

/** What components use: `const { t, te, tOr, n, locale } = useI18n()`. */
export function useI18n(): { t: typeof t; te: typeof te; tOr: typeof tOr; n: typeof n; locale: ComputedRef<UiLocale> } {
  return { t, te, tOr, n, locale };
}

declare module 'vue' {
  interface ComponentCustomProperties {
    $t: typeof t;
  }
}

/** The plugin (`app.use(i18n)`: `$t` in templates) and the global handle for code outside components. */
export const i18n = {
  global: { t, te, tOr, n, locale },
  install(app: App): void {
    app.use(vueI18n);
    app.config.globalProperties.$t = t;
  },
};

/** The language asked for last: a slower load of an earlier choice must not win over it. */
let requested: UiLocale = 'en';

async function apply(next: UiLocale): Promise<boolean> {
  requested = next;
  if (!loaded.has(next) && next !== 'en') {
    try {
      vueI18n.global.setLocaleMessage(next, (await loaders[next]()).default);
      loaded.add(next);
    } catch {
      // Offline before the service worker kept the chunk: stay in the current language.
      return false;
    }
  }
  if (requested !== next) return false;
  vueI18n.global.locale.value = next;
  document.documentElement.lang = next;
  return true;
}

/** Before the app mounts: this device's language, loaded first so that the first page is in it. */
export function startI18n(): Promise<boolean> {
  return apply(initialLocale());
}

/**
 * Switches the UI language (once its messages are loaded) and remembers it on this device.
 * Resolves false when they cannot be loaded or another language was chosen meanwhile.
 */
export function setUiLocale(next: UiLocale): Promise<boolean> {
  localStorage.setItem(STORAGE_KEY, next);
  return apply(next);
}
