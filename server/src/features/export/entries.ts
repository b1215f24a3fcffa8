import { provisionsById, type LodestoneEvent } from '@lodestone/shared';
import type { Labels, Lang } from './labels.ts';
import { threeZones } from './times.ts';

/** Who a user id is, as the record names people ("佐藤 美咲 (METI)"); null when unknown. */
export type NameOf = (userId: string) => { displayName: string; agency: string } | null;

const PEOPLE_FIELDS = new Set(['usLeadId', 'jpLeadId', 'ownerId']);
/** Fields whose values are too long or too structured to quote in one line: only named. */
const NAMED_ONLY = new Set(['title', 'summary', 'description', 'lessons', 'minerals']);

/** A field's value as the record shows it, or null when the change is only named. */
function valueOf(field: string, value: unknown, of: 'incident' | 'action', w: Labels, lang: Lang, nameOf: NameOf): string | null {
  if (NAMED_ONLY.has(field)) return null;
  if (value === null || value === undefined || value === '') return w.none;
  if (typeof value !== 'string') return null;
  if (PEOPLE_FIELDS.has(field)) {
    const person = nameOf(value);
    return person ? w.person(person.displayName, person.agency) : value;
  }
  switch (field) {
    case 'status':
      return (of === 'action' ? (w.actionStatuses as Record<string, string>)[value] : (w.statuses as Record<string, string>)[value]) ?? value;
    case 'severity':
      return (w.severities as Record<string, string>)[value] ?? value;
    case 'priority':
      return value.toUpperCase();
    case 'tlp':
      return `TLP:${value}`;
    case 'provision':
      return provisionsById.get(value)?.name[lang] ?? value;
    case 'dueAt':
      return threeZones(value).utc;
    default:
      return value.length <= 40 ? value : null;
  }
}

/** The changed fields of an update event, in the record's language: "the status from Active to Stabilizing and the summary". */
function changes(data: Record<string, unknown>, of: 'incident' | 'action', w: Labels, lang: Lang, nameOf: NameOf): string {
  const changed = Array.isArray(data.changed) ? (data.changed as string[]) : [];
  const previous = (data.previous ?? {}) as Record<string, unknown>;
  const parts = changed.map((field) => {
    const name = w.fields[field] ?? field;
    const to = valueOf(field, data[field], of, w, lang, nameOf);
    if (to === null) return w.change.plain(name);
    const before = previous[field];
    // Setting what was not set says only what it became ("the JP co-lead to 佐藤 美咲 (METI)").
    if (before === null || before === undefined || before === '') return w.change.to(name, to);
    const from = valueOf(field, before, of, w, lang, nameOf);
    return from === null ? w.change.to(name, to) : w.change.fromTo(name, from, to);
  });
  return w.change.list(parts);
}

/** What a system event of an incident's stream says, in the record's language. */
export function describeEvent(event: LodestoneEvent, w: Labels, lang: Lang, nameOf: NameOf): string {
  const actor = event.actor?.displayName ?? w.system;
  const data = event.data as Record<string, unknown>;
  const title = String(data.title ?? '');
  switch (event.type) {
    case 'incident.created':
      return w.entry.created(actor, String(data.code ?? ''), title);
    case 'incident.updated':
      return w.entry.updated(actor, changes(data, 'incident', w, lang, nameOf));
    case 'member.added':
      return w.entry.memberAdded(actor, w.person(String(data.displayName), String(data.agency)));
    case 'member.removed':
      return w.entry.memberRemoved(actor, w.person(String(data.displayName), String(data.agency)));
    case 'alert.linked':
      return w.entry.alertLinked(actor, title);
    case 'action.created':
      return w.entry.actionCreated(actor, title);
    case 'action.updated':
      return w.entry.actionUpdated(actor, title, changes(data, 'action', w, lang, nameOf));
    default:
      return `${actor}: ${event.type}`;
  }
}
