import { describe, expect, it } from 'vitest';
import { inBothCapitals, utcToZonedWallTime, zonedWallTimeToUtc, zoneAbbreviation } from '../../client/src/format.ts';

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
    const both = inBothCapitals('2026-07-15T12:00:00Z', 'en');
    expect(both.washington).toMatch(/Jul 15, 08:00 EDT/);
    expect(both.tokyo).toMatch(/Jul 15, 21:00 JST/);
  });
});
