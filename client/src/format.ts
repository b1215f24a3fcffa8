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

/** The calendar year of an instant as the wall clock of `timeZone` reads it. */
function yearIn(date: Date, timeZone: string): string {
  return formatter('en', timeZone, { year: 'numeric' }).format(date);
}

/**
 * "Nov 27, 05:18" / "11月27日 05:18" in the given zone, with the year ("Dec 2, 2024, 19:30" /
 * "2024年12月2日 19:30") whenever it is not the current year there: a date from another year
 * must never read like last week.
 */
export function formatDateTime(iso: string | Date, timeZone: string, locale: UiLocale, now: Date = new Date()): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  const withYear = yearIn(date, timeZone) !== yearIn(now, timeZone);
  return formatter(locale, timeZone, { ...(withYear ? { year: 'numeric' } : {}), month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

export function formatTime(date: Date, timeZone: string, locale: UiLocale): string {
  return formatter(locale, timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

export function formatDate(iso: string | Date, timeZone: string, locale: UiLocale): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return formatter(locale, timeZone, { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' }).format(date);
}

/** A moment in both capitals: what every time in Lodestone shows. */
export function inBothCapitals(iso: string | Date, locale: UiLocale, now: Date = new Date()) {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return {
    washington: `${formatDateTime(date, TIME_ZONES.washington, locale, now)} ${zoneAbbreviation(date, TIME_ZONES.washington)}`,
    tokyo: `${formatDateTime(date, TIME_ZONES.tokyo, locale, now)} JST`,
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

/** The offset (ms) of a time zone from UTC at a given instant. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = formatter('en', timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * A wall-clock time typed in `timeZone` ("2026-12-01T09:00", as datetime-local gives it) as a
 * UTC ISO string. In a DST gap the time is read with the offset before the change.
 */
export function zonedWallTimeToUtc(wall: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!m) return null;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let instant = guess - zoneOffset(guess, timeZone);
  // The offset at the guess may differ from the offset at the answer near a DST change.
  const corrected = guess - zoneOffset(instant, timeZone);
  if (zoneOffset(corrected, timeZone) === zoneOffset(instant, timeZone)) instant = corrected;
  return new Date(instant).toISOString();
}

/** A UTC ISO time as the wall clock of `timeZone`, in the form a datetime-local input takes. */
export function utcToZonedWallTime(iso: string, timeZone: string): string {
  const instant = Date.parse(iso);
  const local = new Date(instant + zoneOffset(instant, timeZone));
  return local.toISOString().slice(0, 16);
}

/** SHA-256 as lowercase hex, in the browser. */
export async function sha256Hex(input: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
