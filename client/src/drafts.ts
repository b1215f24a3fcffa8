/*
 * Unsent work kept on this device: a note half-written in a room, an alert half-written in the
 * composer, a new action item. Each draft belongs to one user and one place, so it survives
 * leaving the page, a reload and the end of a session (sign-out included: it is the user's own
 * unsent text, not data from the server), and another user of the same browser never reads it.
 */

const PREFIX = 'lodestone.draft.';
/** A draft nobody came back to in this long is dropped when next read. */
export const DRAFT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

interface Stored {
  savedAt: string;
  value: unknown;
}

export function draftKey(userId: string, place: string): string {
  return `${PREFIX}${userId}.${place}`;
}

/** The draft of this user at this place, unless there is none or it is too old. */
export function readDraft(userId: string, place: string, now: Date = new Date()): unknown {
  const key = draftKey(userId, place);
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return undefined;
    const stored = JSON.parse(raw) as Stored;
    if (now.getTime() - Date.parse(stored.savedAt) > DRAFT_MAX_AGE_MS) {
      localStorage.removeItem(key);
      return undefined;
    }
    return stored.value;
  } catch {
    // Unreadable (written by another version, or storage disabled): as if there were none.
    return undefined;
  }
}

export function writeDraft(userId: string, place: string, value: unknown, now: Date = new Date()): void {
  try {
    localStorage.setItem(draftKey(userId, place), JSON.stringify({ savedAt: now.toISOString(), value } satisfies Stored));
  } catch {
    // Storage full or disabled: the draft lives on in the page only.
  }
}

export function removeDraft(userId: string, place: string): void {
  try {
    localStorage.removeItem(draftKey(userId, place));
  } catch {
    // Storage disabled: nothing was kept.
  }
}
