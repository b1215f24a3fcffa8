import { describe, expect, it } from 'vitest';
import { dueInputOf, readDue } from '../../client/src/dueDate.ts';

describe('a due date as typed', () => {
  const zone = 'Asia/Tokyo';
  const nextYear = new Date().getUTCFullYear() + 1;

  it('is no due date only when both boxes are empty', () => {
    expect(readDue({ date: '', time: '', incomplete: false }, zone)).toEqual({ ok: true, dueAt: null });
  });

  it('is a problem to show, never silently nothing, when half typed or missing its date or its time', () => {
    expect(readDue({ date: '', time: '', incomplete: true }, zone)).toEqual({ ok: false, problem: 'incomplete' });
    expect(readDue({ date: '', time: '09:00', incomplete: false }, zone)).toEqual({ ok: false, problem: 'noDate' });
    expect(readDue({ date: `${nextYear}-03-01`, time: '', incomplete: false }, zone)).toEqual({ ok: false, problem: 'noTime' });
  });

  it('is read in the user’s time zone', () => {
    expect(readDue({ date: `${nextYear}-03-01`, time: '09:00', incomplete: false }, zone)).toEqual({ ok: true, dueAt: `${nextYear}-03-01T00:00:00.000Z` });
  });

  it('refuses a new time in the past, but lets a stored one that has passed stay as it is', () => {
    expect(readDue({ date: '2020-01-01', time: '17:00', incomplete: false }, zone)).toEqual({ ok: false, problem: 'past' });
    const stored = '2020-01-01T08:00:00Z';
    expect(readDue(dueInputOf(stored, zone), zone, stored)).toEqual({ ok: true, dueAt: stored });
  });
});
