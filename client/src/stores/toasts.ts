import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ToastKind = 'info' | 'success' | 'error' | 'critical' | 'high';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  description?: string;
  /** Route to open when the toast is activated. */
  to?: string;
  duration: number;
}

let next = 1;

/** In-app notifications, shown by the toast viewport in App.vue. */
export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([]);

  function push(toast: Omit<Toast, 'id' | 'duration'> & { duration?: number }): number {
    const id = next++;
    const duration = toast.duration ?? (toast.kind === 'critical' || toast.kind === 'error' ? 12_000 : 5_000);
    toasts.value = [...toasts.value.slice(-4), { ...toast, id, duration }];
    return id;
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  return { toasts, push, dismiss };
});
