import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { EventPage, LodestoneEvent, PresenceChange, PresenceUpdate, ServerToClientEvents, StreamName, SubscribeAck } from '@lodestone/shared';
import { api, query } from '../api.ts';
import { createSocket, type LodestoneSocket } from '../socket.ts';

export type ConnectionStatus = 'live' | 'reconnecting' | 'offline';
export type SessionEndReason = Parameters<ServerToClientEvents['sessionEnded']>[0]['reason'];

export interface Follower {
  /** Applies one event; called once per event, in seq order. */
  apply(event: LodestoneEvent): void;
  /** The server refused or ended the subscription (no access, unknown stream). */
  refused?(error: { status: number; title: string }): void;
}

interface Subscription {
  stream: StreamName;
  lastSeq: number;
  ready: boolean;
  buffer: LodestoneEvent[];
  followers: Set<Follower>;
}

const ACK_TIMEOUT_MS = 10_000;
/** When the server says to retry but not when (seconds). */
const DEFAULT_RETRY_AFTER_S = 1;
/** After the server closed the socket on purpose with the session still alive (cut off for flooding). */
const RECONNECT_AFTER_CUT_OFF_MS = 2_000;

/** The `retryAfter` (seconds) a refusal carries, or the default. */
function retryAfterOf(details: unknown): number {
  const value = (details as { retryAfter?: unknown } | undefined)?.retryAfter;
  return typeof value === 'number' && value > 0 && value <= 3600 ? value : DEFAULT_RETRY_AFTER_S;
}

/**
 * Owns the socket. Stores follow streams through it: every event reaches them once, in seq
 * order, across reconnects (each stream resubscribes from the last seq it applied) and gaps
 * (detected and refilled from the server).
 */
export const useConnectionStore = defineStore('connection', () => {
  const socket = shallowRef<LodestoneSocket | null>(null);
  const connected = ref(false);
  const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine);
  const syncing = ref(0);
  const presence = reactive(new Map<StreamName, PresenceUpdate['users']>());
  const subscriptions = new Map<StreamName, Subscription>();
  const incidentListeners = new Set<(notice: { incidentId: string }) => void>();
  const actionListeners = new Set<(notice: { actionId: string; incidentId: string }) => void>();
  /**
   * Listeners for a session that the server ended (sign-out elsewhere, disabled, expired), with
   * the reason when the server gave one before closing.
   */
  const sessionEndedListeners = new Set<(reason?: SessionEndReason) => void>();

  const status = computed<ConnectionStatus>(() => {
    if (!online.value) return 'offline';
    return connected.value && syncing.value === 0 ? 'live' : 'reconnecting';
  });
  const catchingUp = computed(() => connected.value && syncing.value > 0);

  function onOnline() {
    online.value = true;
    if (socket.value && !socket.value.connected) socket.value.connect();
  }
  function onOffline() {
    online.value = false;
  }

  /** Reconnects a socket the server closed or refused, once the server's pause is over. */
  function retryLater(s: LodestoneSocket, ms: number): void {
    setTimeout(() => {
      if (socket.value === s && !s.connected) s.connect();
    }, ms);
  }

  /** Opens the socket (the factory is for tests that drive the protocol by hand). */
  function start(factory: () => LodestoneSocket = createSocket): void {
    if (socket.value) return;
    const s = factory();
    socket.value = s;
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    // Told just before the server closes this socket; the close that follows passes it on.
    let endReason: SessionEndReason | undefined;
    s.on('sessionEnded', ({ reason }) => {
      endReason = reason;
    });
    s.on('connect', () => {
      connected.value = true;
      for (const sub of subscriptions.values()) void sync(sub);
    });
    s.on('disconnect', (reason) => {
      connected.value = false;
      for (const sub of subscriptions.values()) sub.ready = false;
      // The server closed us on purpose: the session ended, or this tab sent too much too fast.
      // Anything else reconnects by itself. If the session lives on, come back after a pause.
      if (reason === 'io server disconnect') {
        const why = endReason;
        endReason = undefined;
        sessionEndedListeners.forEach((l) => l(why));
        // An account disabled, or held to choosing a new password, gets no socket: no retry then.
        if (why === undefined) retryLater(s, RECONNECT_AFTER_CUT_OFF_MS);
      }
    });
    s.on('connect_error', (error) => {
      connected.value = false;
      if (error.message === 'unauthorized') sessionEndedListeners.forEach((l) => l());
      if (error.message === 'password change required') sessionEndedListeners.forEach((l) => l('password-change-required'));
      // Cut off for flooding too often: the server refuses this session for a few seconds.
      if (error.message === 'too many requests') retryLater(s, retryAfterOf((error as { data?: unknown }).data) * 1000 + 500);
    });
    s.on('event', receive);
    s.on('presence', (update) => presence.set(update.stream, update.users));
    s.on('presenceChanged', applyPresenceChange);
    s.on('incidentChanged', (notice) => incidentListeners.forEach((l) => l(notice)));
    s.on('actionChanged', (notice) => actionListeners.forEach((l) => l(notice)));
    s.on('unsubscribed', ({ stream }) => {
      const sub = subscriptions.get(stream);
      subscriptions.delete(stream);
      presence.delete(stream);
      sub?.followers.forEach((f) => f.refused?.({ status: 403, title: 'Not allowed' }));
    });
  }

  /** One user came into a room or left it: the list the server sent at subscribe, changed. */
  function applyPresenceChange(change: PresenceChange): void {
    const users = presence.get(change.stream);
    if (!users) return;
    const gone = new Set([...change.left, ...change.joined.map((u) => u.id)]);
    const next = [...users.filter((u) => !gone.has(u.id)), ...change.joined];
    presence.set(change.stream, next.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id)));
  }

  function stop(): void {
    socket.value?.removeAllListeners();
    socket.value?.disconnect();
    socket.value = null;
    connected.value = false;
    syncing.value = 0;
    subscriptions.clear();
    presence.clear();
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
  }

  /** Called when an incident the user may read was opened, changed, or their membership changed. */
  function onIncidentChanged(listener: (notice: { incidentId: string }) => void): () => void {
    incidentListeners.add(listener);
    return () => incidentListeners.delete(listener);
  }

  /** Called when an action item the user owns (or owned) was created or changed. */
  function onActionChanged(listener: (notice: { actionId: string; incidentId: string }) => void): () => void {
    actionListeners.add(listener);
    return () => actionListeners.delete(listener);
  }

  function onSessionEnded(listener: (reason?: SessionEndReason) => void): () => void {
    sessionEndedListeners.add(listener);
    return () => sessionEndedListeners.delete(listener);
  }

  /**
   * Follows a stream from `after` (the seq the caller's state already reflects). Returns the
   * function that stops following.
   */
  function follow(stream: StreamName, after: number, follower: Follower): () => void {
    let sub = subscriptions.get(stream);
    if (!sub) {
      sub = { stream, lastSeq: after, ready: false, buffer: [], followers: new Set() };
      subscriptions.set(stream, sub);
      sub.followers.add(follower);
      if (socket.value?.connected) void sync(sub);
    } else {
      sub.followers.add(follower);
    }
    const current = sub;
    return () => {
      current.followers.delete(follower);
      if (current.followers.size === 0 && subscriptions.get(stream) === current) {
        subscriptions.delete(stream);
        presence.delete(stream);
        socket.value?.emit('unsubscribe', { stream });
      }
    };
  }

  function deliver(sub: Subscription, event: LodestoneEvent): boolean {
    if (event.seq <= sub.lastSeq) return true; // already applied
    if (event.seq !== sub.lastSeq + 1) return false; // gap
    sub.lastSeq = event.seq;
    for (const f of sub.followers) f.apply(event);
    return true;
  }

  function receive(event: LodestoneEvent): void {
    const sub = subscriptions.get(event.stream);
    if (!sub) return;
    if (!sub.ready) {
      sub.buffer.push(event);
      return;
    }
    if (!deliver(sub, event)) {
      sub.buffer.push(event);
      void sync(sub);
    }
  }

  /** (Re)subscribes from the last applied seq: ack events, then pages of GET /events, then what arrived live meanwhile. */
  async function sync(sub: Subscription): Promise<void> {
    const s = socket.value;
    if (!s?.connected || subscriptions.get(sub.stream) !== sub) return;
    sub.ready = false;
    syncing.value++;
    try {
      const ack: SubscribeAck = await s.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', { stream: sub.stream, after: sub.lastSeq, presence: 'changes' });
      if (!ack.ok && ack.error.status === 429) {
        // Still catching up while it waits: the indicator must not say live.
        syncing.value++;
        setTimeout(() => {
          syncing.value--;
          void sync(sub);
        }, retryAfterOf(ack.error) * 1000);
        return;
      }
      if (!ack.ok) {
        subscriptions.delete(sub.stream);
        sub.followers.forEach((f) => f.refused?.(ack.error));
        return;
      }
      for (const e of ack.events) deliver(sub, e);
      while (sub.lastSeq < ack.head) {
        const page = await api.get<EventPage>(`/events${query({ stream: sub.stream, after: sub.lastSeq, limit: 1000 })}`);
        if (page.events.length === 0) break;
        for (const e of page.events) deliver(sub, e);
      }
      const buffered = sub.buffer.sort((a, b) => a.seq - b.seq);
      sub.buffer = [];
      sub.ready = true;
      for (const e of buffered) {
        if (!deliver(sub, e)) {
          // Still a hole: ask again from what we have.
          sub.buffer.push(...buffered.filter((x) => x.seq > sub.lastSeq));
          queueMicrotask(() => void sync(sub));
          break;
        }
      }
    } catch {
      // Timed out or the connection dropped: the next 'connect' syncs again.
    } finally {
      syncing.value--;
    }
  }

  /** The last seq applied for a stream (tests and diagnostics). */
  function lastSeq(stream: StreamName): number | undefined {
    return subscriptions.get(stream)?.lastSeq;
  }

  return { status, connected, online, catchingUp, presence, start, stop, follow, onSessionEnded, onIncidentChanged, onActionChanged, lastSeq };
});
