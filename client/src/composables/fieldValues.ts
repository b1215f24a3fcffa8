import { useI18n } from '../i18n/index.ts';
import { mineralsById, provisionsById } from '@lodestone/shared';
import { inBothCapitals, type UiLocale } from '../format.ts';
import { usePersonName, type Named } from './personNames.ts';

/**
 * How the value of an incident's or an action item's field reads to a person, in the UI
 * language. `people`: the names the calling page provides itself (see usePersonName).
 */
export function useFieldValues(kind: 'incident' | 'action', people?: () => Iterable<Named>) {
  const { t, tOr, locale } = useI18n();
  const personName = usePersonName(people);

  function label(field: string): string {
    return tOr(`room.fields.${field}`, field);
  }

  function value(field: string, v: unknown): string {
    if (v === null || v === undefined || v === '') return '—';
    if (field === 'status' && typeof v === 'string') return kind === 'incident' ? tOr(`statuses.${v}`, v) : tOr(`actionStatuses.${v}`, v);
    if (field === 'severity' && typeof v === 'string') return tOr(`severities.${v}`, v);
    if (field === 'priority' && typeof v === 'string') return v.toUpperCase();
    if (field === 'tlp' && typeof v === 'string') return `TLP:${v}`;
    if (field === 'provision' && typeof v === 'string') {
      const p = provisionsById.get(v);
      return p ? p.name[locale.value as UiLocale] : v;
    }
    if ((field === 'ownerId' || field === 'usLeadId' || field === 'jpLeadId') && typeof v === 'string') return personName(v);
    if (field === 'dueAt' && typeof v === 'string') {
      const both = inBothCapitals(v, locale.value as UiLocale);
      return `${both.washington} / ${both.tokyo}`;
    }
    const separator = t('room.entry.separator');
    if (field === 'minerals' && Array.isArray(v)) return v.map((id) => mineralsById.get(String(id))?.name[locale.value as UiLocale] ?? String(id)).join(separator);
    if (Array.isArray(v)) return v.join(separator);
    if (typeof v === 'object') return Object.values(v).filter(Boolean).join(' · ');
    return String(v);
  }

  /** Rows of a conflict: each field the user tried to change, now and as they wanted it. */
  function rows(current: Record<string, unknown>, attempted: Record<string, unknown>) {
    return Object.keys(attempted).map((field) => ({ field, label: label(field), current: value(field, current[field]), yours: value(field, attempted[field]) }));
  }

  return { label, value, rows };
}
