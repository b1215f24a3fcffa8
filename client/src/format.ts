import { TIME_ZONES } from '@lodestone/shared';

export type UiLocale = 'en' | 'ja';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: UiLocale, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-US', { timeZone, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** EST/EDT for Washington, JST for Tokyo, else the runtime's short name. */
export function zoneAbbreviation(date: Date, timeZone: string): string {
  if (timeZone === TIME_ZONES.tokyo) return 'JST';
  const part = formatter('en', timeZone, { timeZoneName: 'short' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** "Nov 27, 05:18" / "11月27日 05:18" in the given zone. */
export function formatDateTime(iso: string | Date, timeZone: string, locale: UiLocale): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return formatter(locale, timeZone, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

export function formatTime(date: Date, timeZone: string, locale: UiLocale): string {
  return formatter(locale, timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

export function formatDate(iso: string | Date, timeZone: string, locale: UiLocale): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return formatter(locale, timeZone, { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' }).format(date);
}

/** A moment in both capitals: what every time in Lodestone shows. */
export function inBothCapitals(iso: string | Date, locale: UiLocale) {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return {
    washington: `${formatDateTime(date, TIME_ZONES.washington, locale)} ${zoneAbbreviation(date, TIME_ZONES.washington)}`,
    tokyo: `${formatDateTime(date, TIME_ZONES.tokyo, locale)} JST`,
  };
}

/** "3 min ago" in the UI language. */
export function relativeTime(iso: string, now: Date, locale: UiLocale): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

/** Every IANA zone the browser knows, the two capitals first. */
export function timeZoneOptions(): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const first = ['America/New_York', 'Asia/Tokyo'];
  return [...first, ...all.filter((z) => !first.includes(z))];
}
