import { ref, toValue, watch, type MaybeRefOrGetter } from 'vue';
import { readDraft, removeDraft, writeDraft } from '../drafts.ts';
import { useSessionStore } from '../stores/session.ts';

/**
 * Keeps a form's unsent content on this device for the signed-in user at `place` (null: not
 * kept): restored when the form comes back, saved on every change, dropped when the form is
 * empty again or `clear()` is called after sending. `restored` says the form shows a kept draft.
 */
export function useDraft<T extends object>(place: MaybeRefOrGetter<string | null>, form: T, options: { blank: () => T; isEmpty: (value: T) => boolean }) {
  const session = useSessionStore();
  const restored = ref(false);
  const where = () => {
    const userId = session.user?.id;
    const at = toValue(place);
    return userId && at ? { userId, at } : null;
  };

  watch(
    () => {
      const w = where();
      return w ? `${w.userId}\u0000${w.at}` : null;
    },
    (now, before) => {
      const w = where();
      // Another place (or user): never carry one draft over into the other's form.
      if (before !== undefined) Object.assign(form, options.blank());
      restored.value = false;
      if (!w) return;
      const kept = readDraft(w.userId, w.at);
      if (kept === null || typeof kept !== 'object') return;
      const known = Object.fromEntries(Object.entries(kept).filter(([k, v]) => k in form && typeof v === typeof (form as Record<string, unknown>)[k]));
      Object.assign(form, known);
      restored.value = !options.isEmpty(form);
    },
    { immediate: true },
  );

  watch(
    form,
    () => {
      const w = where();
      if (!w) return;
      if (options.isEmpty(form)) {
        removeDraft(w.userId, w.at);
        restored.value = false;
      } else writeDraft(w.userId, w.at, { ...form });
    },
    { deep: true },
  );

  /** Forgets the draft (after it was sent, or the user discarded it). */
  function clear(): void {
    const w = where();
    if (w) removeDraft(w.userId, w.at);
    restored.value = false;
  }

  return { restored, clear };
}
