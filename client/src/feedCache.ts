import type { Alert } from '@lodestone/shared';

/*
 * The last alerts seen, kept on this device per user, so that a reload without a network shows
 * them (marked as not live) instead of an empty feed. Forgotten on sign-out.
 */

const PREFIX = 'lodestone.alerts.feed.';
/** How many of the newest alerts are kept: a screenful and more, well within storage limits. */
export const CACHED_ALERTS = 50;

export interface CachedFeed {
  /** When these alerts were last known to be current (the last moment the feed was live). */
  at: string;
  alerts: Alert[];
}

export function readFeedCache(userId: string): CachedFeed | null {
  try {
    const raw = localStorage.getItem(PREFIX + userId);
    if (!raw) return null;
    const cached = JSON.parse(raw) as CachedFeed;
    return typeof cached.at === 'string' && Array.isArray(cached.alerts) ? cached : null;
  } catch {
    return null;
  }
}

/** Keeps the newest alerts (by posting time) as of `at`. */
export function writeFeedCache(userId: string, alerts: Iterable<Alert>, at: Date = new Date()): void {
  const newest = [...alerts].sort((a, b) => b.postedAt.localeCompare(a.postedAt)).slice(0, CACHED_ALERTS);
  try {
    localStorage.setItem(PREFIX + userId, JSON.stringify({ at: at.toISOString(), alerts: newest } satisfies CachedFeed));
  } catch {
    // Storage full or disabled: no offline copy this time.
  }
}

export function forgetFeedCache(userId: string): void {
  try {
    localStorage.removeItem(PREFIX + userId);
  } catch {
    // Storage disabled: nothing was kept.
  }
}
