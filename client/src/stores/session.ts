import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ProfileUpdate, Role, User } from '@lodestone/shared';
import { ACCOUNT_DISABLED, ApiError, api, onPasswordChangeRequired, onUnauthorized } from '../api.ts';
import { setUiLocale } from '../i18n/index.ts';
import { useConnectionStore } from './connection.ts';
import { forgetFeedCache } from '../feedCache.ts';

/** The signed-in user, sign-in and sign-out, and the end of a session however it happens. */
export const useSessionStore = defineStore('session', () => {
  const user = ref<User | null>(null);
  const loaded = ref(false);
  /** Why the last session ended, shown on the sign-in page. */
  const endedReason = ref<'expired' | 'disabled' | null>(null);
  let loading: Promise<void> | null = null;
  const connection = useConnectionStore();

  const role = computed<Role | null>(() => user.value?.role ?? null);
  const signedIn = computed(() => user.value !== null);

  const CACHED_USER = 'lodestone.user';

  function begin(next: User): void {
    user.value = next;
    localStorage.setItem(CACHED_USER, JSON.stringify(next));
    endedReason.value = null;
    setUiLocale(next.locale);
    // An account that must choose a new password gets no socket until it has.
    if (next.mustChangePassword) connection.stop();
    else connection.start();
  }

  function end(reason: 'expired' | 'disabled' | null): void {
    if (!user.value) return;
    user.value = null;
    localStorage.removeItem(CACHED_USER);
    endedReason.value = reason;
    connection.stop();
    endedListeners.forEach((l) => l());
  }

  const endedListeners = new Set<() => void>();
  /** The router listens here to go to the sign-in page. */
  function onEnded(listener: () => void): () => void {
    endedListeners.add(listener);
    return () => endedListeners.delete(listener);
  }

  onUnauthorized((error) => end(error.problem.type === ACCOUNT_DISABLED ? 'disabled' : 'expired'));
  // Told to choose a new password meanwhile: the user as the server has it now (the router follows).
  const reload = () =>
    api
      .get<{ user: User }>('/session')
      .then(({ user: u }) => begin(u))
      .catch(() => undefined);
  onPasswordChangeRequired(() => void reload());
  connection.onSessionEnded((reason) => {
    if (reason === 'disabled') return end('disabled');
    if (reason === 'password-change-required') return void reload();
    // The socket was closed by the server; ask the API whether the session is really gone.
    api.get<{ user: User }>('/session').catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) end(error.problem.type === ACCOUNT_DISABLED ? 'disabled' : 'expired');
    });
  });

  /**
   * Loads the current session once (on first navigation). Without a network, the user of the
   * last session on this device is assumed until the server can say otherwise, so the
   * offline outbox stays reachable.
   */
  function ensureLoaded(): Promise<void> {
    loading ??= api
      .get<{ user: User }>('/session')
      .then(({ user: u }) => begin(u))
      .catch((error: unknown) => {
        const cached = localStorage.getItem(CACHED_USER);
        if (error instanceof ApiError && error.offline && cached) begin(JSON.parse(cached) as User);
      })
      .finally(() => {
        loaded.value = true;
      });
    return loading;
  }

  async function signIn(username: string, password: string): Promise<void> {
    const answer = await api.post<{ user: User }>('/session', { username, password });
    begin(answer.user);
  }

  /** Ends the session here; the alerts kept for offline reading go with it (unsent drafts stay: they are the user's own work). */
  async function signOut(): Promise<void> {
    const id = user.value?.id;
    try {
      await api.delete('/session');
    } finally {
      if (id) forgetFeedCache(id);
      end(null);
    }
  }

  /** Chooses the account's own password (required first, or any time); the session goes on. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<User> {
    const updated = await api.post<User>('/profile/password', { currentPassword, newPassword });
    if (user.value?.mustChangePassword) begin(updated);
    else user.value = updated;
    return updated;
  }

  async function updateProfile(patch: ProfileUpdate): Promise<User> {
    const updated = await api.patch<User>('/profile', patch);
    user.value = updated;
    return updated;
  }

  /** Switches the UI language, and keeps it on the account when signed in. */
  async function chooseLocale(locale: 'en' | 'ja'): Promise<void> {
    setUiLocale(locale);
    if (user.value && user.value.locale !== locale) await updateProfile({ locale }).catch(() => undefined);
  }

  return { user, loaded, role, signedIn, endedReason, ensureLoaded, signIn, signOut, changePassword, updateProfile, chooseLocale, onEnded };
});
