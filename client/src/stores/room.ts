import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import {
  incidentStream,
  type Action,
  type ActionCreate,
  type Actor,
  type ActionPatch,
  type Alert,
  type Incident,
  type IncidentDetail,
  type IncidentMember,
  type IncidentPatch,
  type LodestoneEvent,
  type Message,
  type MessageCreate,
} from '@lodestone/shared';
import { ApiError, api, query, request } from '../api.ts';
import { useConnectionStore } from './connection.ts';
import { resourceOf } from './users.ts';

const PAGE = 100;

/** A 409 on an incident: what it is now, and who changed it when. */
export interface IncidentConflict {
  current: Incident;
  lastChange?: { by: { displayName: string; agency: string } | null; at: string };
  attempted: Omit<IncidentPatch, 'version'>;
}

/** The last change to the incident's own fields that reached this page: who, when, which fields, which version. */
export interface IncidentChange {
  by: Actor | null;
  at: string;
  version: number;
  changed: string[];
}

export class IncidentConflictError extends Error {
  constructor(readonly conflict: IncidentConflict) {
    super('incident changed by someone else');
  }
}

/** A 409 on an action item: the item as it is now (with who changed it last) and what was tried. */
export class ActionConflictError extends Error {
  constructor(
    readonly current: Action,
    readonly attempted: Omit<ActionPatch, 'version'>,
  ) {
    super('action item changed by someone else');
  }
}

/**
 * The open incident room: its state, its timeline (newest first, older pages on demand) and
 * decisions, kept live from its stream and caught up exactly after a reconnect.
 */
export const useRoomStore = defineStore('room', () => {
  const incidentId = ref<string | null>(null);
  const incident = ref<Incident | null>(null);
  const lastIncidentChange = ref<IncidentChange | null>(null);
  const members = ref<IncidentMember[]>([]);
  const alerts = ref<Alert[]>([]);
  const decisions = ref<Message[]>([]);
  const actions = ref<Action[]>([]);
  /** The stream's events, newest first. shallowRef: 10,000 entries need no deep reactivity. */
  const entries = shallowRef<LodestoneEvent[]>([]);
  const exhausted = ref(false);
  const loadingOlder = ref(false);
  const error = ref<'forbidden' | 'not-found' | 'failed' | null>(null);
  /** Seqs that arrived live while the room was open, to highlight. */
  const arrived = ref(new Set<number>());
  const connection = useConnectionStore();
  let unfollow: (() => void) | null = null;

  const stream = computed(() => (incidentId.value ? incidentStream(incidentId.value) : null));
  const present = computed(() => (stream.value ? (connection.presence.get(stream.value) ?? []) : []));

  function reset(): void {
    unfollow?.();
    unfollow = null;
    incident.value = null;
    lastIncidentChange.value = null;
    members.value = [];
    alerts.value = [];
    decisions.value = [];
    actions.value = [];
    entries.value = [];
    exhausted.value = false;
    error.value = null;
    arrived.value = new Set();
  }

  function applyToState(event: LodestoneEvent): void {
    switch (event.type) {
      case 'incident.created':
      case 'incident.updated': {
        const next = resourceOf<Incident>(event.data);
        const changed = (event.data as { changed?: unknown }).changed;
        delete (next as Partial<Incident> & { previous?: unknown }).previous;
        if (!incident.value || next.version >= incident.value.version) incident.value = next;
        if (event.type === 'incident.updated' && next.version >= (lastIncidentChange.value?.version ?? 0)) {
          lastIncidentChange.value = { by: event.actor, at: event.at, version: next.version, changed: Array.isArray(changed) ? changed.map(String) : [] };
        }
        break;
      }
      case 'member.added': {
        const { incidentId: _id, ...member } = event.data as IncidentMember & { incidentId: string };
        members.value = [...members.value.filter((m) => m.id !== member.id), member];
        break;
      }
      case 'member.removed': {
        const id = (event.data as { id: string }).id;
        members.value = members.value.filter((m) => m.id !== id);
        break;
      }
      case 'alert.linked': {
        const alert = event.data as Alert;
        alerts.value = [alert, ...alerts.value.filter((a) => a.id !== alert.id)];
        break;
      }
      case 'action.created':
      case 'action.updated':
        upsertAction(resourceOf<Action>(event.data));
        break;
      case 'decision.recorded': {
        const message = event.data as Message;
        if (!decisions.value.some((d) => d.id === message.id)) decisions.value = [...decisions.value, message];
        break;
      }
    }
  }

  /** Keeps the newer of two copies of an item (events and answers may cross). */
  function upsertAction(action: Action): void {
    delete (action as Partial<Action> & { previous?: unknown }).previous;
    const current = actions.value.find((a) => a.id === action.id);
    if (current && current.version > action.version) return;
    actions.value = current ? actions.value.map((a) => (a.id === action.id ? action : a)) : [action, ...actions.value];
  }

  /** One live event: on the timeline once, and into the room's state. */
  function apply(event: LodestoneEvent): void {
    const newest = entries.value[0]?.seq ?? 0;
    if (event.seq <= newest) return;
    entries.value = [event, ...entries.value];
    arrived.value = new Set(arrived.value).add(event.seq);
    applyToState(event);
  }

  async function open(id: string): Promise<void> {
    reset();
    incidentId.value = id;
    try {
      const page = await api.get<{ events: LodestoneEvent[]; head: number }>(`/incidents/${id}/timeline${query({ limit: PAGE })}`);
      const detail = await request<IncidentDetail>('GET', `/incidents/${id}`);
      // Lists come newest first; the decisions panel reads oldest first.
      const decided = (await api.get<Message[]>(`/incidents/${id}/messages${query({ kind: 'decision', limit: 1000 })}`)).reverse();
      const items = await api.get<Action[]>(`/incidents/${id}/actions${query({ limit: 1000 })}`);
      if (incidentId.value !== id) return;
      const { members: m, alerts: a, ...rest } = detail.data;
      incident.value = rest;
      members.value = m;
      alerts.value = a;
      decisions.value = decided;
      actions.value = items;
      entries.value = page.events;
      exhausted.value = page.events.length < PAGE;
      // The detail may be newer than the timeline page; replaying those events is harmless (each carries its resource).
      unfollow = connection.follow(incidentStream(id), page.head, {
        apply,
        refused: (e) => {
          error.value = e.status === 404 ? 'not-found' : 'forbidden';
        },
      });
    } catch (e) {
      error.value = e instanceof ApiError && e.status === 404 ? 'not-found' : e instanceof ApiError && e.status === 403 ? 'forbidden' : 'failed';
    }
  }

  function close(): void {
    reset();
    incidentId.value = null;
  }

  async function loadOlder(): Promise<void> {
    const id = incidentId.value;
    const oldest = entries.value.at(-1)?.seq;
    if (!id || oldest === undefined || exhausted.value || loadingOlder.value) return;
    loadingOlder.value = true;
    try {
      const page = await api.get<{ events: LodestoneEvent[] }>(`/incidents/${id}/timeline${query({ before: oldest, limit: PAGE })}`);
      if (incidentId.value !== id) return;
      entries.value = [...entries.value, ...page.events.filter((e) => e.seq < oldest)];
      exhausted.value = page.events.length < PAGE;
    } finally {
      loadingOlder.value = false;
    }
  }

  /** PATCH with the version the user saw; a 409 becomes an IncidentConflictError with the current values. */
  async function patch(fields: Omit<IncidentPatch, 'version'>, version = incident.value?.version): Promise<Incident> {
    const id = incidentId.value;
    if (!id || version === undefined) throw new Error('no incident open');
    try {
      const updated = await api.patch<Incident>(`/incidents/${id}`, { ...fields, version });
      if (!incident.value || updated.version >= incident.value.version) incident.value = updated;
      return updated;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.problem.current) {
        const current = e.problem.current as Incident;
        if (!incident.value || current.version >= incident.value.version) incident.value = current;
        throw new IncidentConflictError({ current, lastChange: e.problem.lastChange as IncidentConflict['lastChange'], attempted: fields });
      }
      throw e;
    }
  }

  async function post(input: MessageCreate): Promise<Message> {
    const id = incidentId.value;
    if (!id) throw new Error('no incident open');
    return api.post<Message>(`/incidents/${id}/messages`, input);
  }

  async function createAction(input: ActionCreate): Promise<Action> {
    const id = incidentId.value;
    if (!id) throw new Error('no incident open');
    const action = await api.post<Action>(`/incidents/${id}/actions`, input);
    upsertAction(action);
    return action;
  }

  /** PATCH an item with the version the user saw; a 409 becomes an ActionConflictError with the current item. */
  async function patchAction(id: string, fields: Omit<ActionPatch, 'version'>, version?: number): Promise<Action> {
    const seen = version ?? actions.value.find((a) => a.id === id)?.version;
    if (seen === undefined) throw new Error('unknown action');
    try {
      const updated = await api.patch<Action>(`/actions/${id}`, { ...fields, version: seen });
      upsertAction(updated);
      return updated;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.problem.current) {
        const current = e.problem.current as Action;
        upsertAction(current);
        throw new ActionConflictError(current, fields);
      }
      throw e;
    }
  }

  async function addMember(userId: string): Promise<void> {
    if (incidentId.value) await api.put(`/incidents/${incidentId.value}/members/${userId}`);
  }

  async function removeMember(userId: string): Promise<void> {
    if (incidentId.value) await api.delete(`/incidents/${incidentId.value}/members/${userId}`);
  }

  return { incidentId, incident, lastIncidentChange, members, alerts, decisions, actions, createAction, patchAction, entries, exhausted, loadingOlder, error, arrived, present, stream, open, close, loadOlder, patch, post, addMember, removeMember, apply };
});
