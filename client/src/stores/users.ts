import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LodestoneEvent, User, UserCreate, UserUpdate } from '@lodestone/shared';
import { api, request } from '../api.ts';
import { useConnectionStore } from './connection.ts';

/** Strips the `changed` list an update event carries beside the resource. */
export function resourceOf<T>(data: unknown): T {
  const { changed: _changed, ...rest } = data as Record<string, unknown>;
  return rest as T;
}

/** The admin's account directory, kept live from the admin stream. */
export const useUsersStore = defineStore('users', () => {
  const users = ref<User[]>([]);
  const loaded = ref(false);
  const connection = useConnectionStore();
  let unfollow: (() => void) | null = null;

  function upsert(user: User) {
    const i = users.value.findIndex((u) => u.id === user.id);
    if (i === -1) users.value = [...users.value, user].sort((a, b) => a.username.localeCompare(b.username));
    else users.value = users.value.map((u) => (u.id === user.id ? user : u));
  }

  function apply(event: LodestoneEvent): void {
    if (event.type === 'user.created' || event.type === 'user.updated') upsert(resourceOf<User>(event.data));
  }

  async function hydrate(): Promise<void> {
    const answer = await request<User[]>('GET', '/users?limit=1000');
    users.value = [...answer.data].sort((a, b) => a.username.localeCompare(b.username));
    loaded.value = true;
    unfollow?.();
    unfollow = connection.follow('admin', Number(answer.headers.get('lodestone-stream-head') ?? 0), { apply });
  }

  function release(): void {
    unfollow?.();
    unfollow = null;
  }

  async function create(input: UserCreate): Promise<User> {
    const user = await api.post<User>('/users', input);
    upsert(user);
    return user;
  }

  async function update(id: string, patch: UserUpdate): Promise<User> {
    const user = await api.patch<User>(`/users/${id}`, patch);
    upsert(user);
    return user;
  }

  return { users, loaded, hydrate, release, apply, create, update };
});
