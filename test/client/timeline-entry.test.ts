import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import type { LodestoneEvent } from '@lodestone/shared';
import TimelineEntry from '../../client/src/components/room/TimelineEntry.vue';
import { i18n, setUiLocale } from '../../client/src/i18n/index.ts';
import { providePersonNames } from '../../client/src/composables/personNames.ts';

const misaki = { id: 'U-MISAKI', displayName: '佐藤 美咲', agency: 'METI', side: 'JP' as const };
const kenji = { id: 'U-KENJI', displayName: '高橋 健' };

function event(type: string, data: Record<string, unknown>): LodestoneEvent {
  return { stream: 'incident:I1', seq: 7, type, at: '2025-05-12T14:30:00.000Z', actor: misaki, data, hash: 'h', prevHash: 'p' } as unknown as LodestoneEvent;
}

/** The system line of one timeline entry, inside a room that knows its members' names. */
function line(e: LodestoneEvent): string {
  const Room = defineComponent({
    setup() {
      providePersonNames(() => [misaki, kenji]);
      return () => h(TimelineEntry, { event: e });
    },
  });
  const wrapper = mount(Room, { global: { plugins: [createPinia(), i18n] } });
  const text = wrapper.find('.system-line .text').text();
  wrapper.unmount();
  return text;
}

const actionCancelled = event('action.updated', { title: 'Survey of magnet scrap', status: 'cancelled', changed: ['status'], previous: { status: 'open' } });
const coLeadNamed = event('incident.updated', { code: 'RRG-2025-001', jpLeadId: kenji.id, status: 'closed', changed: ['status', 'jpLeadId'], previous: { status: 'active', jpLeadId: null } });

describe('timeline system lines', () => {
  beforeEach(() => setUiLocale('en'));

  it('names action statuses in the UI language, never as message keys', async () => {
    expect(line(actionCancelled)).toBe('佐藤 美咲 updated the action “Survey of magnet scrap”: status Open → Cancelled');
    await setUiLocale('ja');
    expect(line(actionCancelled)).toBe('佐藤 美咲さんがアクション「Survey of magnet scrap」の状態を「未着手」から「中止」に変更');
  });

  it('says to whom a co-lead changed, and writes natural Japanese with Japanese punctuation', async () => {
    expect(line(coLeadNamed)).toBe('佐藤 美咲 changed status Active → Closed, JP co-lead → 高橋 健');
    await setUiLocale('ja');
    expect(line(coLeadNamed)).toBe('佐藤 美咲さんが状態を「対応中」から「クローズ」に変更、日本側共同リードを「高橋 健」に設定');
  });

  it('never shows an id for someone the page cannot name', async () => {
    const stranger = event('incident.updated', { usLeadId: '01M98598R8FD1DBGCKGADF54QM', changed: ['usLeadId'], previous: { usLeadId: null } });
    expect(line(stranger)).not.toContain('01M98598R8FD1DBGCKGADF54QM');
  });
});
