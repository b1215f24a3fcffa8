/** What a key press in a message box asks for: a Japanese input-method conversion is neither. */
export type EnterIntent = 'send' | 'newline' | 'none';

interface EnterKey {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  isComposing: boolean;
  keyCode: number;
}

/**
 * On a desktop Enter sends and Shift+Enter breaks the line; on a touch screen (no Shift key)
 * Enter breaks the line and the Send button sends. Ctrl/Cmd+Enter sends everywhere.
 */
export function enterIntent(event: EnterKey, touch: boolean): EnterIntent {
  if (event.key !== 'Enter' || event.isComposing || event.keyCode === 229) return 'none';
  if (event.ctrlKey || event.metaKey) return 'send';
  if (event.shiftKey || touch) return 'newline';
  return 'send';
}

/** Whether the main pointer is a finger (phones, tablets): no physical keyboard to count on. */
export function touchDevice(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(pointer: coarse)').matches;
}
