import { formatDuration } from '@lodestone/shared';

const HOUR = 3_600_000;
const washingtonFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'short' });
/** Washington's offset and zone name per UTC hour: offsets change only on the hour, and records hold thousands of times. */
const washingtonByHour = new Map<number, { offset: number; name: string }>();

function washington(ms: number): { offset: number; name: string } {
  const hour = Math.floor(ms / HOUR);
  let zone = washingtonByHour.get(hour);
  if (!zone) {
    const name = washingtonFormat.formatToParts(new Date(hour * HOUR)).find((p) => p.type === 'timeZoneName')?.value ?? 'ET';
    zone = { name, offset: name === 'EDT' ? -4 * HOUR : -5 * HOUR };
    washingtonByHour.set(hour, zone);
  }
  return zone;
}

const wall = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export interface ThreeZones {
  utc: string;
  washington: string;
  tokyo: string;
}

/** The record shows minutes, and a busy incident has many entries per minute: their times are shared. */
const byMinute = new Map<number, ThreeZones>();
const MINUTE = 60_000;

/** A moment in UTC, Washington (EST/EDT) and Tokyo (JST, which keeps no daylight time), as every time of the record is given. */
export function threeZones(iso: string): ThreeZones {
  const minute = Math.floor(Date.parse(iso) / MINUTE) * MINUTE;
  let zones = byMinute.get(minute);
  if (!zones) {
    const dc = washington(minute);
    zones = Object.freeze({ utc: `${wall(minute)} UTC`, washington: `${wall(minute + dc.offset)} ${dc.name}`, tokyo: `${wall(minute + 9 * HOUR)} JST` });
    if (byMinute.size >= 50_000) byMinute.clear();
    byMinute.set(minute, zones);
  }
  return zones;
}

/** A duration in the record: the shared wording, or "not applicable". */
export function duration(ms: number | null, lang: 'en' | 'ja'): string {
  return formatDuration(ms, lang) ?? (lang === 'ja' ? '—（該当なし）' : '— (not applicable)');
}
