import { describe, expect, it } from 'vitest';
import { threeZones } from '../../server/src/features/export/times.ts';

describe('record times in three zones', () => {
  it('gives UTC, Washington with EST or EDT by date, and Tokyo JST', () => {
    expect(threeZones('2026-01-15T12:00:00.000Z')).toEqual({ utc: '2026-01-15 12:00 UTC', washington: '2026-01-15 07:00 EST', tokyo: '2026-01-15 21:00 JST' });
    expect(threeZones('2026-07-15T12:00:00.000Z')).toEqual({ utc: '2026-07-15 12:00 UTC', washington: '2026-07-15 08:00 EDT', tokyo: '2026-07-15 21:00 JST' });
  });

  it('switches exactly at the DST changes in Washington', () => {
    // 2026-03-08 07:00 UTC is 03:00 EDT; one minute earlier is 01:59 EST.
    expect(threeZones('2026-03-08T06:59:00.000Z').washington).toBe('2026-03-08 01:59 EST');
    expect(threeZones('2026-03-08T07:00:00.000Z').washington).toBe('2026-03-08 03:00 EDT');
    // 2026-11-01 06:00 UTC is 01:00 EST; one minute earlier is 01:59 EDT.
    expect(threeZones('2026-11-01T05:59:00.000Z').washington).toBe('2026-11-01 01:59 EDT');
    expect(threeZones('2026-11-01T06:00:00.000Z').washington).toBe('2026-11-01 01:00 EST');
  });

  it('crosses the date line in Tokyo', () => {
    expect(threeZones('2026-12-31T15:30:00.000Z').tokyo).toBe('2027-01-01 00:30 JST');
  });
});
