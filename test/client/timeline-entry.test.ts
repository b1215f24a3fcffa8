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

describe('the author of a note or decision', () => {
  beforeEach(() => setUiLocale('en'));

  /** The affiliation shown beside an entry's author. */
  function affiliation(author: Record<string, unknown>): string {
    const e = event('message.posted', { id: 'M1', incidentId: 'I1', kind: 'note', body: 'Decision (DOE lead): we release the stockpile now.', author, at: '2025-05-12T14:30:00.000Z', seq: 7 });
    const wrapper = mount(TimelineEntry, { props: { event: e }, global: { plugins: [createPinia(), i18n] } });
    const text = wrapper.get('[data-testid="author-affiliation"]').text();
    wrapper.unmount();
    return text;
  }

  it('shows the role beside the name, so a member who took a lead’s name still reads as a member', async () => {
    const member = { id: 'U-P', displayName: 'Jordan Hayes', agency: 'DOE', side: 'US', role: 'member' };
    expect(affiliation(member)).toBe('DOE Member · US');
    expect(affiliation({ ...member, role: 'lead' })).toBe('DOE Lead · US');
    await setUiLocale('ja');
    expect(affiliation(member)).toBe('DOE メンバー・US');
  });

  it('shows agency and side alone for an entry recorded before roles were (and an author the directory does not know)', () => {
    expect(affiliation({ id: 'U-OLD', displayName: 'Jordan Hayes', agency: 'DOE', side: 'US' })).toBe('DOE · US');
  });
});
