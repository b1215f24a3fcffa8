import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { auditEventMatches, type AdminEventType, type EventPage, type LodestoneEvent, type User } from '@lodestone/shared';
import { api, query } from '../api.ts';
import { useConnectionStore } from './connection.ts';
import { resourceOf } from './users.ts';

const PAGE = 50;

/**
 * The admin's log of account and token changes: pages of the `admin` stream, newest first,
 * filtered by type and person on the server, and kept live from the stream.
 */
export const useAuditLogStore = defineStore('auditLog', () => {
  const connection = useConnectionStore();
  const entries = ref<LodestoneEvent[]>([]);
  const people = ref(new Map<string, User>());
  const filters = reactive<{ type: AdminEventType | ''; person: string }>({ type: '', person: '' });
  const loaded = ref(false);
  const more = ref(false);
  /** The newest entry that arrived live, for the page to announce. */
  const latest = ref<LodestoneEvent | null>(null);
  let head = 0;
  let unfollow: (() => void) | null = null;

  const peopleByName = computed(() => [...people.value.values()].sort((a, b) => a.displayName.localeCompare(b.displayName)));

  const page = (before?: number) =>
    api.get<EventPage>(`/audit/events${query({ type: filters.type || undefined, person: filters.person || undefined, before, limit: PAGE })}`);

  function remember(event: LodestoneEvent): void {
    if (event.type !== 'user.created' && event.type !== 'user.updated') return;
    const user = resourceOf<User>(event.data);
    people.value = new Map(people.value).set(user.id, user);
  }

  function apply(event: LodestoneEvent): void {
    remember(event);
    // A page fetched after this subscription began may already hold it.
    if (event.seq <= head) return;
    head = event.seq;
    if (!auditEventMatches(event, filters)) return;
    entries.value = [event, ...entries.value];
    latest.value = event;
  }

  /** The first page for the current filters; then every new matching change as it happens. */
  async function hydrate(): Promise<void> {
    release();
    if (people.value.size === 0) people.value = new Map((await api.get<User[]>('/users?limit=1000')).map((u) => [u.id, u]));
    const first = await page();
    entries.value = first.events;
    more.value = first.events.length === PAGE;
    head = first.head;
    latest.value = null;
    loaded.value = true;
    unfollow = connection.follow('admin', first.head, { apply });
  }

  async function loadOlder(): Promise<void> {
    const oldest = entries.value.at(-1);
    if (!oldest) return;
    const older = await page(oldest.seq);
    entries.value = [...entries.value, ...older.events];
    more.value = older.events.length === PAGE;
  }

  function release(): void {
    unfollow?.();
    unfollow = null;
  }

  return { entries, people, peopleByName, filters, loaded, more, latest, hydrate, loadOlder, release, apply };
});
