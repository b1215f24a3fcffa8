import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { Alert, AlertCreate } from '@lodestone/shared';
import { ApiError, api, newIdempotencyKey } from '../api.ts';
import { useAlertsStore } from './alerts.ts';
import { useConnectionStore } from './connection.ts';
import { useSessionStore } from './session.ts';

export interface OutboxItem {
  /** The Idempotency-Key: however often it is sent, the alert is applied once. */
  key: string;
  input: AlertCreate;
  /** When the alert was written (this device's clock): sent as its observedAt. */
  queuedAt: string;
  state: 'pending' | 'sending' | 'failed';
  error?: string;
}

/**
 * Alerts posted while offline (or while the request is in flight): kept on this device,
 * surviving a reload, and sent with their Idempotency-Key when the connection returns.
 */
export const useOutboxStore = defineStore('outbox', () => {
  const items = ref<OutboxItem[]>([]);
  const session = useSessionStore();
  const connection = useConnectionStore();
  const alerts = useAlertsStore();
  let flushing = false;

  const storageKey = () => `lodestone.outbox.${session.user?.id ?? 'anonymous'}`;

  function save(): void {
    localStorage.setItem(storageKey(), JSON.stringify(items.value));
  }

  function load(): void {
    try {
      const stored = JSON.parse(localStorage.getItem(storageKey()) ?? '[]') as OutboxItem[];
      // Whatever was mid-flight when the page went away is pending again.
      items.value = stored.map((i) => (i.state === 'sending' ? { ...i, state: 'pending' } : i));
    } catch {
      items.value = [];
    }
  }

  /** Queues an alert and tries to send it at once. */
  function enqueue(input: AlertCreate): OutboxItem {
    const item: OutboxItem = { key: newIdempotencyKey(), input, queuedAt: new Date().toISOString(), state: 'pending' };
    items.value = [...items.value, item];
    save();
    void flush();
    return item;
  }

  function update(key: string, patch: Partial<OutboxItem>): void {
    items.value = items.value.map((i) => (i.key === key ? { ...i, ...patch } : i));
    save();
  }

  function remove(key: string): void {
    items.value = items.value.filter((i) => i.key !== key);
    save();
  }

  /** Sends pending items in order; stops at the first network failure and waits for the connection. */
  async function flush(): Promise<void> {
    // Nothing goes before the account has chosen its new password (the server would refuse it).
    if (flushing || session.user?.mustChangePassword) return;
    flushing = true;
    try {
      for (const item of items.value.filter((i) => i.state === 'pending')) {
        // The key an item is sent under can change once (see send).
        let key = item.key;
        update(key, { state: 'sending' });
        try {
          const alert = await send(item, (fresh) => {
            update(key, { key: fresh });
            key = fresh;
          });
          remove(key);
          alerts.received(alert);
        } catch (error) {
          if (error instanceof ApiError && !error.offline && error.status !== 429 && error.status < 500) {
            update(key, { state: 'failed', error: error.problem.detail ?? error.problem.title });
          } else {
            update(key, { state: 'pending' });
            break;
          }
        }
      }
    } finally {
      flushing = false;
    }
  }

  /**
   * Posts an item with the time it was written. This device's clock may be wrong: when the
   * server refuses that time alone (too far ahead or too old), the alert goes without it, under a
   * new key (the refusal is what the first key answers from now on; it stored nothing).
   */
  async function send(item: OutboxItem, rekey: (key: string) => void): Promise<Alert> {
    try {
      return await api.post<Alert>('/alerts', { ...item.input, observedAt: item.queuedAt }, { idempotencyKey: item.key });
    } catch (error) {
      const errors = error instanceof ApiError ? (error.problem.errors ?? []) : [];
      if (error instanceof ApiError && error.status === 400 && errors.length > 0 && errors.every((e) => e.path === 'observedAt')) {
        const key = newIdempotencyKey();
        rekey(key);
        return api.post<Alert>('/alerts', item.input, { idempotencyKey: key });
      }
      throw error;
    }
  }

  function retry(key: string): void {
    update(key, { state: 'pending', error: undefined });
    void flush();
  }

  watch(
    () => session.user?.id,
    (id) => {
      if (id) {
        load();
        void flush();
      } else items.value = [];
    },
    { immediate: true },
  );
  watch(
    () => session.user?.mustChangePassword,
    (must) => {
      if (must === false) void flush();
    },
  );
  watch(
    () => connection.status,
    (status) => {
      if (status === 'live') void flush();
    },
  );
  if (typeof window !== 'undefined') window.addEventListener('online', () => void flush());

  return { items, enqueue, flush, retry, remove };
});
