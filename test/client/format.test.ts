import { describe, expect, it } from 'vitest';
import { formatDateTime, inBothCapitals, utcToZonedWallTime, zonedWallTimeToUtc, zoneAbbreviation } from '../../client/src/format.ts';

describe('times in the user’s zone and both capitals', () => {
  it('reads a due date typed in Tokyo, Washington or Brussels as the right instant', () => {
    expect(zonedWallTimeToUtc('2026-12-01T09:00', 'Asia/Tokyo')).toBe('2026-12-01T00:00:00.000Z');
    expect(zonedWallTimeToUtc('2026-12-01T09:00', 'America/New_York')).toBe('2026-12-01T14:00:00.000Z'); // EST
    expect(zonedWallTimeToUtc('2026-07-01T09:00', 'America/New_York')).toBe('2026-07-01T13:00:00.000Z'); // EDT
    expect(zonedWallTimeToUtc('2026-03-29T12:30', 'Europe/Brussels')).toBe('2026-03-29T10:30:00.000Z');
    expect(zonedWallTimeToUtc('not a time', 'Asia/Tokyo')).toBeNull();
  });

  it('handles the days the clocks change in Washington', () => {
    // 2026-03-08 02:30 does not exist in New York; 01:30 on 2026-11-01 happens twice.
    expect(zonedWallTimeToUtc('2026-03-08T03:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(zonedWallTimeToUtc('2026-03-08T01:30', 'America/New_York')).toBe('2026-03-08T06:30:00.000Z');
    const ambiguous = zonedWallTimeToUtc('2026-11-01T01:30', 'America/New_York');
    expect(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']).toContain(ambiguous);
  });

  it('shows a stored time back as the wall clock it was typed in', () => {
    for (const [wall, tz] of [['2026-12-01T09:00', 'Asia/Tokyo'], ['2026-07-04T17:45', 'America/New_York'], ['2026-01-31T23:59', 'Europe/Brussels']] as const) {
      const iso = zonedWallTimeToUtc(wall, tz);
      expect(iso && utcToZonedWallTime(iso, tz)).toBe(wall);
    }
  });

  it('labels Washington EST or EDT by date, and Tokyo JST', () => {
    expect(zoneAbbreviation(new Date('2026-01-15T12:00:00Z'), 'America/New_York')).toBe('EST');
    expect(zoneAbbreviation(new Date('2026-07-15T12:00:00Z'), 'America/New_York')).toBe('EDT');
    const both = inBothCapitals('2026-07-15T12:00:00Z', 'en', new Date('2026-03-01T00:00:00Z'));
    expect(both.washington).toMatch(/Jul 15, 08:00 EDT/);
    expect(both.tokyo).toMatch(/Jul 15, 21:00 JST/);
  });

  it('shows the year of a date from another year, in both languages and both capitals', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const both = inBothCapitals('2024-12-03T00:30:00Z', 'en', now);
    expect(both.washington).toBe('Dec 2, 2024, 19:30 EST');
    expect(both.tokyo).toBe('Dec 3, 2024, 09:30 JST');
    const ja = inBothCapitals('2024-12-03T00:30:00Z', 'ja', now);
    expect(ja.washington).toBe('2024年12月2日 19:30 EST');
    expect(ja.tokyo).toBe('2024年12月3日 09:30 JST');
    expect(formatDateTime('2020-01-01T00:00:00Z', 'Asia/Tokyo', 'en', now)).toBe('Jan 1, 2020, 09:00');
  });

  it('leaves the year out for this year, judged by each capital’s own calendar', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    expect(inBothCapitals('2026-11-27T10:18:00Z', 'en', now).washington).toBe('Nov 27, 05:18 EST');
    expect(inBothCapitals('2026-11-27T10:18:00Z', 'ja', now).tokyo).toBe('11月27日 19:18 JST');
    // New Year's Eve in Washington is already next year in Tokyo.
    const newYear = new Date('2027-01-01T06:00:00Z'); // 01:00 on Jan 1 in Washington
    const both = inBothCapitals('2027-01-01T02:00:00Z', 'en', newYear);
    expect(both.washington).toBe('Dec 31, 2026, 21:00 EST');
    expect(both.tokyo).toBe('Jan 1, 11:00 JST');
  });
});
