import { useI18n } from '../i18n/index.ts';
import type { Action, Alert, Incident, IncidentMember, LodestoneEvent, Message } from '@lodestone/shared';
import { useFieldValues } from './fieldValues.ts';

/** Fields whose change is shown with its values ("status Active → Stabilizing"); long texts are named only. */
const WITH_VALUES = new Set(['status', 'severity', 'tlp', 'priority', 'usLeadId', 'jpLeadId', 'ownerId', 'agency', 'provision', 'dueAt', 'minerals']);

/** The note or decision an event carries, else null. */
export function messageOf(event: LodestoneEvent): Message | null {
  return event.type === 'message.posted' || event.type === 'decision.recorded' ? (event.data as Message) : null;
}

/**
 * How timeline entries read, in the UI language: the line of a system entry, and the whole of
 * any entry in one sentence (what the room announces when an entry arrives live).
 */
export function useTimelineText() {
  const { t } = useI18n();
  const incidentValues = useFieldValues('incident');
  const actionValues = useFieldValues('action');

  /** The one who acted, as the subject of a sentence ("佐藤 美咲さん" in Japanese). */
  const actorOf = (e: LodestoneEvent) => (e.actor ? t('room.entry.person', { name: e.actor.displayName }) : t('room.system'));

  /** A changed field as people read it, in the UI language: "status Active → Stabilizing", "JP co-lead → 高橋 健", or just its name. */
  function describeChange(kind: 'incident' | 'action', field: string, previous: Record<string, unknown> | undefined, next: Record<string, unknown>): string {
    const values = kind === 'incident' ? incidentValues : actionValues;
    const name = values.label(field);
    if (!WITH_VALUES.has(field)) return t('room.entry.change', { field: name });
    const owner = field === 'ownerId' ? (next.owner as Action['owner'] | undefined) : undefined;
    const to = owner ? owner.displayName : values.value(field, next[field]);
    const from = previous && field in previous ? values.value(field, previous[field]) : '—';
    if (from === '—') return t('room.entry.setTo', { field: name, to });
    if (to === '—') return t('room.entry.cleared', { field: name, from });
    return t('room.entry.fromTo', { field: name, from, to });
  }

  function describeChanges(kind: 'incident' | 'action', data: Record<string, unknown>): string {
    const changed = (data.changed as string[] | undefined) ?? [];
    const previous = data.previous as Record<string, unknown> | undefined;
    return changed.map((f) => describeChange(kind, f, previous, data)).join(t('room.entry.separator'));
  }

  /** The line of a system entry. */
  function line(e: LodestoneEvent): string {
    const data = e.data as Record<string, unknown>;
    const actor = actorOf(e);
    switch (e.type) {
      case 'incident.created': {
        const i = data as unknown as Incident;
        return t('room.entry.created', { actor, code: i.code, title: i.title });
      }
      case 'incident.updated':
        return t('room.entry.updated', { actor, changes: describeChanges('incident', data) });
      case 'member.added':
      case 'member.removed': {
        const m = data as unknown as IncidentMember;
        return t(e.type === 'member.added' ? 'room.entry.memberAdded' : 'room.entry.memberRemoved', { actor, name: t('room.entry.person', { name: m.displayName }), agency: m.agency });
      }
      case 'alert.linked':
        return t('room.entry.alertLinked', { actor, title: (data as unknown as Alert).title });
      case 'action.created':
        return t('room.entry.actionCreated', { actor, title: String(data.title ?? '') });
      case 'action.updated':
        return t('room.entry.actionUpdated', { actor, title: String(data.title ?? ''), changes: describeChanges('action', data) });
      default:
        return t('room.entry.system', { actor, type: e.type });
    }
  }

  /** Any entry in one sentence: "Decision: 佐藤 美咲: text", or the system line. */
  function sentence(e: LodestoneEvent): string {
    const message = messageOf(e);
    if (!message) return line(e);
    return `${message.kind === 'decision' ? t('room.decision') : t('room.note')}: ${message.author.displayName}: ${message.body}`;
  }

  return { line, sentence };
}
