import type { Action, ActionPatch, Priority } from '@lodestone/shared';
import { dueInputOf, readDue, type DueInput, type DueResult } from '../../dueDate.ts';

/** The fields the in-place editor changes. */
export interface ActionForm {
  ownerId: string;
  agency: string;
  provision: string;
  priority: Priority;
  due: DueInput;
}

/**
 * One open editor: what the user typed and the version it is based on. It lives in the board,
 * not in the editor, so that a card moved to another column by someone else keeps the edit.
 */
export interface ActionEditorState {
  form: ActionForm;
  /** The item as it was when the form was filled (or last brought up to date). */
  base: Action;
}

/** Fields a person sees change on a card, in the order they are listed. */
export const WATCHED_FIELDS = ['title', 'status', 'ownerId', 'agency', 'provision', 'priority', 'dueAt', 'description'] as const;
export type WatchedField = (typeof WATCHED_FIELDS)[number];

export function formOf(action: Action, zone: string): ActionForm {
  return { ownerId: action.ownerId ?? '', agency: action.agency ?? '', provision: action.provision ?? '', priority: action.priority, due: dueInputOf(action.dueAt, zone) };
}

/** A new editor on `action`; `attempted` (a refused change) is laid on top of the current values. */
export function startEditing(action: Action, zone: string, attempted: Omit<ActionPatch, 'version'> = {}): ActionEditorState {
  const form = formOf(action, zone);
  if (attempted.ownerId !== undefined) form.ownerId = attempted.ownerId ?? '';
  if (attempted.agency !== undefined) form.agency = attempted.agency ?? '';
  if (attempted.provision !== undefined) form.provision = attempted.provision ?? '';
  if (attempted.priority !== undefined) form.priority = attempted.priority;
  if (attempted.dueAt !== undefined) form.due = dueInputOf(attempted.dueAt, zone);
  return { form, base: action };
}

/** What changed between two versions of an item, among the fields a person sees. */
export function changedFields(before: Action, after: Action): WatchedField[] {
  return WATCHED_FIELDS.filter((f) => before[f] !== after[f]);
}

const sameDue = (a: DueInput, b: DueInput) => a.date === b.date && a.time === b.time && a.incomplete === b.incomplete;

/** Which form fields the user has changed from the values the form was filled with. */
export function touchedFields(state: ActionEditorState, zone: string): (keyof ActionForm)[] {
  const filled = formOf(state.base, zone);
  return (Object.keys(filled) as (keyof ActionForm)[]).filter((k) => (k === 'due' ? !sameDue(state.form.due, filled.due) : state.form[k] !== filled[k]));
}

/**
 * Brings an open editor up to `current` after someone else saved: `theirs` takes every current
 * value; `mine` keeps what the user changed and takes the current value of everything else, so
 * saving then changes only what the user meant to change.
 */
export function rebase(state: ActionEditorState, current: Action, zone: string, keep: 'theirs' | 'mine'): void {
  const fresh = formOf(current, zone);
  if (keep === 'mine') for (const k of touchedFields(state, zone)) (fresh as unknown as Record<string, unknown>)[k] = state.form[k];
  state.form = fresh;
  state.base = current;
}

/** The PATCH the editor's form asks for against its base, or the due-date problem that stops it. */
export function patchOf(state: ActionEditorState, zone: string): { fields: Omit<ActionPatch, 'version'>; due: DueResult } {
  const a = state.base;
  const f = state.form;
  const fields: Omit<ActionPatch, 'version'> = {};
  if ((f.ownerId || null) !== a.ownerId) fields.ownerId = f.ownerId || null;
  if ((f.agency || null) !== a.agency) fields.agency = f.agency || null;
  if ((f.provision || null) !== a.provision) fields.provision = f.provision || null;
  if (f.priority !== a.priority) fields.priority = f.priority;
  const due = readDue(f.due, zone, a.dueAt);
  if (due.ok && due.dueAt !== a.dueAt) fields.dueAt = due.dueAt;
  return { fields, due };
}
