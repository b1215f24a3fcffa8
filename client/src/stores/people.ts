import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Person } from '@lodestone/shared';
import { api } from '../api.ts';

/** The people directory (enabled accounts), to pick members, co-leads and owners. */
export const usePeopleStore = defineStore('people', () => {
  const people = ref<Person[]>([]);
  /** The directory has answered (an id missing from it then belongs to no current account). */
  const loaded = ref(false);
  let loading: Promise<void> | null = null;

  function load(force = false): Promise<void> {
    if (force) loading = null;
    loading ??= api.get<Person[]>('/people?limit=1000').then((list) => {
      people.value = [...list].sort((a, b) => a.displayName.localeCompare(b.displayName));
      loaded.value = true;
    }).catch(() => {
      // Offline or refused: names fall back to what the page knows; the next load asks again.
      loading = null;
    });
    return loading;
  }

  function byId(id: string | null | undefined): Person | undefined {
    return id ? people.value.find((p) => p.id === id) : undefined;
  }

  return { people, loaded, load, byId };
});
