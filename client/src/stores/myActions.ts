import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { Action, ActionPatch } from '@lodestone/shared';
import { ApiError, api, query } from '../api.ts';
import { useConnectionStore } from './connection.ts';

/** The caller's action items across incidents, soonest due first, refreshed when one of them changes. */
export const useMyActionsStore = defineStore('myActions', () => {
  const items = ref<Action[]>([]);
  const loaded = ref(false);
  const connection = useConnectionStore();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const sorted = computed(() => [...items.value].sort((a, b) => (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999') || a.createdAt.localeCompare(b.createdAt)));

  async function load(): Promise<void> {
    items.value = await api.get<Action[]>(`/actions${query({ owner: 'me', limit: 1000 })}`);
    loaded.value = true;
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => void load().catch(() => undefined), 200);
  }

  /** Keeps the list live while a page shows it: owner notices, and a reload after any reconnect. */
  function follow(): () => void {
    const offNotice = connection.onActionChanged(refreshSoon);
    // Notices sent while disconnected are lost: reload after every reconnect.
    const offLive = watch(
      () => connection.status,
      (status, previous) => {
        if (status === 'live' && previous !== 'live') refreshSoon();
      },
    );
    return () => {
      offNotice();
      offLive();
    };
  }

  /** Changes an item with the version shown; a 409 answers the current item. */
  async function patch(action: Action, fields: Omit<ActionPatch, 'version'>, version = action.version): Promise<{ ok: true } | { ok: false; current: Action }> {
    try {
      const updated = await api.patch<Action>(`/actions/${action.id}`, { ...fields, version });
      items.value = items.value.map((a) => (a.id === updated.id ? updated : a));
      return { ok: true };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.problem.current) {
        const current = e.problem.current as Action;
        items.value = items.value.map((a) => (a.id === current.id ? current : a));
        return { ok: false, current };
      }
      throw e;
    }
  }

  return { items, sorted, loaded, load, follow, patch };
});
