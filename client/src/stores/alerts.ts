import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import { alertMatches, type Alert, type AlertsQuery, type LodestoneEvent } from '@lodestone/shared';
import { ApiError, api, query, request } from '../api.ts';
import { readFeedCache, writeFeedCache } from '../feedCache.ts';
import { i18n } from '../i18n/index.ts';
import { useConnectionStore } from './connection.ts';
import { useSessionStore } from './session.ts';
import { useToastStore } from './toasts.ts';

export type AlertFilters = Partial<Pick<AlertsQuery, 'status' | 'mineral' | 'severity' | 'side' | 'q'>>;

const RECENT = 200;
const PAGE = 50;
const FLASH_MS = 3000;
/** Live events come in bursts: the offline copy is written once they settle. */
const CACHE_DELAY_MS = 1000;

/**
 * The alert feed: every alert the app knows, kept live from the `alerts` stream, the unread
 * count for the navigation, and the toasts that critical and high alerts raise while the feed is open.
 */
export const useAlertsStore = defineStore('alerts', () => {
  const byId = shallowRef(new Map<string, Alert>());
  /** Ids of the newest alerts, whatever the filters (for the unread count). */
  const recent = ref<string[]>([]);
  /** Ids the feed shows for the current filters, newest first. */
  const feedIds = ref<string[]>([]);
  const filters = ref<AlertFilters>({});
  const feedLoaded = ref(false);
  const feedExhausted = ref(false);
  const fresh = ref(new Set<string>());
  const seenAt = ref<string>('');
  const feedOpen = ref(0);
  /** Set while the feed shows the copy kept on this device (the server could not be reached): when it was last live. */
  const staleAsOf = ref<string | null>(null);
  const connection = useConnectionStore();
  const session = useSessionStore();
  const toasts = useToastStore();
  let unfollow: (() => void) | null = null;

  const seenKey = () => `lodestone.alerts.seen.${session.user?.id ?? ''}`;

  /** Keeps the newer of two copies: a snapshot must not be overwritten by an older event. */
  function upsert(alert: Alert): void {
    const current = byId.value.get(alert.id);
    if (current && current.updatedAt > alert.updatedAt) return;
    byId.value.set(alert.id, alert);
    triggerRef(byId);
  }

  const feed = computed(() =>
    feedIds.value.map((id) => byId.value.get(id)).filter((a): a is Alert => a !== undefined && alertMatches(a, filters.value)),
  );

  const unread = computed(() => {
    const me = session.user?.id;
    return recent.value.filter((id) => {
      const a = byId.value.get(id);
      return a && a.postedBy !== me && a.postedAt > seenAt.value;
    }).length;
  });

  function flash(id: string): void {
    fresh.value = new Set(fresh.value).add(id);
    setTimeout(() => {
      const next = new Set(fresh.value);
      next.delete(id);
      fresh.value = next;
    }, FLASH_MS);
  }

  let cacheTimer: ReturnType<typeof setTimeout> | undefined;
  /** Keeps the newest alerts on this device, as of now (called only with what the server just said). */
  function keepOffline(): void {
    clearTimeout(cacheTimer);
    cacheTimer = setTimeout(() => {
      const id = session.user?.id;
      if (id && staleAsOf.value === null) writeFeedCache(id, byId.value.values());
    }, CACHE_DELAY_MS);
  }

  function apply(event: LodestoneEvent): void {
    const alert = event.data as Alert;
    upsert(alert);
    keepOffline();
    if (event.type !== 'alert.posted') return;
    if (!recent.value.includes(alert.id)) recent.value = [alert.id, ...recent.value].slice(0, RECENT);
    if (feedLoaded.value && !feedIds.value.includes(alert.id)) feedIds.value = [alert.id, ...feedIds.value];
    flash(alert.id);
    if (feedOpen.value > 0) {
      markSeen();
      if ((alert.severity === 'critical' || alert.severity === 'high') && alert.postedBy !== session.user?.id) {
        toasts.push({
          kind: alert.severity,
          title: i18n.global.t('alerts.newAlert', { severity: i18n.global.t(`severities.${alert.severity}`) }),
          description: alert.title,
        });
      }
    }
  }

  /** Starts following the alerts stream (on sign-in, for roles that read the feed). */
  let starting: Promise<void> | null = null;
  function start(): Promise<void> {
    if (unfollow) return Promise.resolve();
    starting ??= (async () => {
      seenAt.value = localStorage.getItem(seenKey()) ?? new Date(0).toISOString();
      const answer = await request<Alert[]>('GET', `/alerts${query({ limit: RECENT })}`);
      answer.data.forEach(upsert);
      recent.value = answer.data.map((a) => a.id);
      keepOffline();
      unfollow = connection.follow('alerts', Number(answer.headers.get('lodestone-stream-head') ?? 0), { apply });
    })().finally(() => {
      starting = null;
    });
    return starting;
  }

  function stop(): void {
    starting = null;
    clearTimeout(cacheTimer);
    staleAsOf.value = null;
    unfollow?.();
    unfollow = null;
    byId.value = new Map();
    recent.value = [];
    feedIds.value = [];
    feedLoaded.value = false;
  }

  /** Loads the first page of the feed for these filters. */
  async function loadFeed(next: AlertFilters): Promise<void> {
    filters.value = next;
    feedLoaded.value = false;
    let page: Alert[];
    try {
      page = await api.get<Alert[]>(`/alerts${query({ ...next, limit: PAGE })}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.offline) || !showKept()) throw error;
      return;
    }
    page.forEach(upsert);
    feedIds.value = page.map((a) => a.id);
    feedExhausted.value = page.length < PAGE;
    feedLoaded.value = true;
    staleAsOf.value = null;
    keepOffline();
  }

  /** Without the server: the last alerts seen on this device, marked as such. False when none were kept. */
  function showKept(): boolean {
    const id = session.user?.id;
    const kept = id ? readFeedCache(id) : null;
    if (!kept) return false;
    kept.alerts.forEach(upsert);
    feedIds.value = kept.alerts.map((a) => a.id);
    feedExhausted.value = true;
    feedLoaded.value = true;
    staleAsOf.value = kept.at;
    return true;
  }

  async function loadOlder(): Promise<void> {
    const last = feed.value.at(-1);
    if (!last) return;
    const page = await api.get<Alert[]>(`/alerts${query({ ...filters.value, limit: PAGE, before: last.postedAt })}`);
    page.forEach(upsert);
    feedIds.value = [...feedIds.value, ...page.map((a) => a.id).filter((id) => !feedIds.value.includes(id))];
    feedExhausted.value = page.length < PAGE;
  }

  function markSeen(): void {
    seenAt.value = new Date().toISOString();
    localStorage.setItem(seenKey(), seenAt.value);
  }

  function openFeed(): () => void {
    feedOpen.value++;
    markSeen();
    return () => {
      feedOpen.value--;
    };
  }

  /** Shows an alert the caller's own request returned, before its event arrives. */
  function received(alert: Alert): void {
    const isNew = !byId.value.has(alert.id);
    upsert(alert);
    if (isNew) {
      recent.value = [alert.id, ...recent.value].slice(0, RECENT);
      if (feedLoaded.value) feedIds.value = [alert.id, ...feedIds.value.filter((id) => id !== alert.id)];
    }
  }

  async function acknowledge(id: string): Promise<void> {
    upsert(await api.post<Alert>(`/alerts/${id}/acknowledgements`, {}));
  }

  async function dismiss(id: string, reason: string): Promise<void> {
    upsert(await api.post<Alert>(`/alerts/${id}/dismissal`, { reason }));
  }

  async function escalate(id: string, body: { incidentId: string } | { incident: Record<string, unknown> }) {
    const result = await api.post<{ alert: Alert; incident: { id: string; code: string } }>(`/alerts/${id}/escalation`, body);
    upsert(result.alert);
    return result;
  }

  return { byId, feed, feedLoaded, feedExhausted, filters, fresh, unread, staleAsOf, start, stop, apply, loadFeed, loadOlder, openFeed, received, acknowledge, dismiss, escalate };
});
