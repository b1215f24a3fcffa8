import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { Severities, type Incident, type IncidentCreate, type IncidentDetail, type IncidentStatus } from '@lodestone/shared';
import { api, query } from '../api.ts';
import { useConnectionStore } from './connection.ts';

const OPEN: IncidentStatus[] = ['active', 'monitoring', 'stabilizing'];
const severityRank = (s: Incident['severity']) => Severities.indexOf(s);

/**
 * The incidents list: open ones grouped by status and ordered by severity, refreshed when the
 * server says an incident the user may read changed.
 */
export const useIncidentsStore = defineStore('incidents', () => {
  const incidents = ref<Incident[]>([]);
  const loaded = ref(false);
  const connection = useConnectionStore();
  let stop: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const groups = computed(() =>
    OPEN.map((status) => ({
      status,
      incidents: incidents.value
        .filter((i) => i.status === status)
        .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.updatedAt.localeCompare(a.updatedAt)),
    })),
  );
  const openCount = computed(() => incidents.value.filter((i) => i.status !== 'closed').length);

  async function load(): Promise<void> {
    incidents.value = await api.get<Incident[]>(`/incidents${query({ limit: 1000 })}`);
    loaded.value = true;
  }

  /** Keeps the list fresh while a page shows it. */
  function watchChanges(): () => void {
    stop ??= connection.onIncidentChanged(() => {
      clearTimeout(timer);
      timer = setTimeout(() => void load().catch(() => undefined), 250);
    });
    return () => {
      stop?.();
      stop = null;
    };
  }

  async function searchClosed(q: string): Promise<Incident[]> {
    return api.get<Incident[]>(`/incidents${query({ status: 'closed', q, limit: 100 })}`);
  }

  async function create(input: IncidentCreate): Promise<IncidentDetail> {
    const created = await api.post<IncidentDetail>('/incidents', input);
    incidents.value = [created, ...incidents.value.filter((i) => i.id !== created.id)];
    return created;
  }

  return { incidents, loaded, groups, openCount, load, watchChanges, searchClosed, create };
});
