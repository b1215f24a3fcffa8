import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { User } from '@lodestone/shared';
import { DRAFT_MAX_AGE_MS, readDraft, writeDraft } from '../../client/src/drafts.ts';
import { useDraft } from '../../client/src/composables/useDraft.ts';
import { useSessionStore } from '../../client/src/stores/session.ts';
import { i18n } from '../../client/src/i18n/index.ts';

const person = (id: string) => ({ id, username: id, displayName: id, role: 'member', agency: 'DOE', side: 'US', locale: 'en', timeZone: 'America/New_York' }) as unknown as User;

describe('drafts kept on the device', () => {
  beforeEach(() => localStorage.clear());

  it('keeps a draft per user and place, and drops one nobody came back to for a month', () => {
    const now = new Date('2026-12-07T10:00:00Z');
    writeDraft('u1', 'note:I1', { body: 'half a note' }, now);
    expect(readDraft('u1', 'note:I1', now)).toEqual({ body: 'half a note' });
    expect(readDraft('u2', 'note:I1', now)).toBeUndefined();
    expect(readDraft('u1', 'note:I2', now)).toBeUndefined();
    expect(readDraft('u1', 'note:I1', new Date(now.getTime() + DRAFT_MAX_AGE_MS + 1))).toBeUndefined();
    expect(readDraft('u1', 'note:I1', now)).toBeUndefined();
  });

  it('restores a form for its user only, saves every change, and forgets it when emptied or cleared', async () => {
    const pinia = createPinia();
    setActivePinia(pinia);
    const session = useSessionStore();
    session.user = person('u1');
    let api: ReturnType<typeof useDraft> | undefined;
    const form = reactive({ body: '' });
    const Composer = defineComponent({
      setup() {
        api = useDraft('note:I1', form, { blank: () => ({ body: '' }), isEmpty: (f) => f.body === '' });
        return () => h('p', form.body);
      },
    });
    const wrapper = mount(Composer, { global: { plugins: [pinia, i18n] } });
    form.body = 'Dy shipments held at Tianjin';
    await nextTick();
    expect(readDraft('u1', 'note:I1')).toEqual({ body: 'Dy shipments held at Tianjin' });

    // Another user signs in on this browser: the form empties, nothing of u1's shows.
    session.user = person('u2');
    await nextTick();
    expect(form.body).toBe('');
    expect(api?.restored.value).toBe(false);
    // u1 comes back: the draft is there again.
    session.user = person('u1');
    await nextTick();
    expect(form.body).toBe('Dy shipments held at Tianjin');
    expect(api?.restored.value).toBe(true);

    api?.clear();
    form.body = '';
    await nextTick();
    expect(readDraft('u1', 'note:I1')).toBeUndefined();
    wrapper.unmount();
  });
});
