import { createI18n } from 'vue-i18n';
import en, { type MessageSchema } from './en.ts';
import ja from './ja.ts';
import type { UiLocale } from '../format.ts';

const STORAGE_KEY = 'lodestone.locale';

/** The language before anyone signs in: last choice on this device, else the browser's. */
export function initialLocale(): UiLocale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ja') return saved;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export const i18n = createI18n<[MessageSchema], UiLocale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en, ja },
  missingWarn: false,
  fallbackWarn: false,
});

/** Switches the UI language and remembers it on this device. */
export function setUiLocale(locale: UiLocale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}
