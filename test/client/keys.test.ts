import { describe, expect, it } from 'vitest';
import { enterIntent } from '../../client/src/keys.ts';

const key = (over: Partial<{ key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; isComposing: boolean; keyCode: number }> = {}) => ({
  key: 'Enter', shiftKey: false, ctrlKey: false, metaKey: false, isComposing: false, keyCode: 13, ...over,
});

describe('Enter in the room composer', () => {
  it('sends on a desktop, Shift+Enter breaks the line, Ctrl/Cmd+Enter sends', () => {
    expect(enterIntent(key(), false)).toBe('send');
    expect(enterIntent(key({ shiftKey: true }), false)).toBe('newline');
    expect(enterIntent(key({ ctrlKey: true }), false)).toBe('send');
    expect(enterIntent(key({ metaKey: true }), false)).toBe('send');
  });

  it('breaks the line on a touch screen, where the Send button sends (Ctrl/Cmd+Enter of an attached keyboard still sends)', () => {
    expect(enterIntent(key(), true)).toBe('newline');
    expect(enterIntent(key({ ctrlKey: true }), true)).toBe('send');
  });

  it('does nothing while a Japanese input method is converting', () => {
    expect(enterIntent(key({ isComposing: true }), false)).toBe('none');
    expect(enterIntent(key({ keyCode: 229 }), false)).toBe('none');
    expect(enterIntent(key({ key: 'a' }), false)).toBe('none');
  });
});
