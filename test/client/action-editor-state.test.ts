import { describe, expect, it } from 'vitest';
import type { Action } from '@lodestone/shared';
import { changedFields, patchOf, rebase, startEditing } from '../../client/src/components/actions/editorState.ts';

const zone = 'America/New_York';
const v1 = {
  id: 'A1', incidentId: 'I1', incidentCode: 'RRG-2026-001', title: 'Line up JBIC financing', description: '', ownerId: 'U-KENJI', owner: null,
  agency: 'METI', provision: null, priority: 'p3', status: 'open', dueAt: null, version: 1, createdBy: 'U-LEAD', createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z', updatedBy: { id: 'U-LEAD', displayName: 'Jordan Hayes', agency: 'DOE', side: 'US' }, doneAt: null, cancelledAt: null,
} as Action;
/** Priya saved meanwhile: a higher priority and another agency. */
const v2 = { ...v1, priority: 'p1', agency: 'JBIC', version: 2 } as Action;

describe('an open action editor when someone else saves', () => {
  it('lists what changed', () => {
    expect(changedFields(v1, v2)).toEqual(['agency', 'priority']);
  });

  it('keeps the user’s own changes on top of the new values: saving then changes only what they meant to', () => {
    const state = startEditing(v1, zone);
    state.form.priority = 'p4';
    rebase(state, v2, zone, 'mine');
    expect(state.form).toMatchObject({ priority: 'p4', agency: 'JBIC' });
    expect(patchOf(state, zone).fields).toEqual({ priority: 'p4' });
    expect(state.base.version).toBe(2);
  });

  it('takes every new value on request, leaving nothing to save', () => {
    const state = startEditing(v1, zone);
    state.form.priority = 'p4';
    rebase(state, v2, zone, 'theirs');
    expect(patchOf(state, zone).fields).toEqual({});
  });

  it('lays a refused change over the current values to edit again', () => {
    const state = startEditing(v2, zone, { priority: 'p4' });
    expect(state.form).toMatchObject({ priority: 'p4', agency: 'JBIC' });
    expect(patchOf(state, zone).fields).toEqual({ priority: 'p4' });
  });
});
