import type { App, WritableComputedRef } from 'vue';

/*
 * The part of vue-i18n's public API (composition mode) the client uses, typed here instead of
 * by vue-i18n's declarations (see runtime.js). Keys are plain strings at this level;
 * index.ts types them by the English message schema.
 */

/** Precompiled messages of one language (the plugin turns en.ts and ja.ts into these). */
export type CompiledMessages = Record<string, unknown>;

export interface GlobalComposer {
  locale: WritableComputedRef<string>;
  t(key: string, named: Record<string, unknown>): string;
  t(key: string, named: Record<string, unknown>, plural: number): string;
  te(key: string, locale?: string): boolean;
  n(value: number, key: string): string;
  setLocaleMessage(locale: string, messages: CompiledMessages): void;
}

export interface I18nOptions {
  legacy: false;
  locale: string;
  fallbackLocale: string;
  messages: Record<string, CompiledMessages>;
  numberFormats?: Record<string, Record<string, Intl.NumberFormatOptions>>;
  globalInjection?: boolean;
  missingWarn?: boolean;
  fallbackWarn?: boolean;
}

export interface I18n {
  readonly global: GlobalComposer;
  install(app: App): void;
}

export function createI18n(options: I18nOptions): I18n;
