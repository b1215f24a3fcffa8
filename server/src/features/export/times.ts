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

/** A moment in UTC, Washington (EST/EDT) and Tokyo (JST, which keeps no daylight time), as every time of the record is given. */
export function threeZones(iso: string): ThreeZones {
  const ms = Date.parse(iso);
  const dc = washington(ms);
  return { utc: `${wall(ms)} UTC`, washington: `${wall(ms + dc.offset)} ${dc.name}`, tokyo: `${wall(ms + 9 * HOUR)} JST` };
}

/** A duration in the record: the shared wording, or "not applicable". */
export function duration(ms: number | null, lang: 'en' | 'ja'): string {
  return formatDuration(ms, lang) ?? (lang === 'ja' ? '—（該当なし）' : '— (not applicable)');
}
