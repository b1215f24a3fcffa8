import type { Role, Side } from '@lodestone/shared';
import { useI18n } from '../i18n/index.ts';
import { usePeopleStore } from '../stores/people.ts';

export interface Affiliated {
  id: string;
  agency: string;
  side: Side;
  /** As recorded with what they wrote; absent on entries from before roles were recorded. */
  role?: Role;
}

/**
 * What is shown beside an author's name: agency, role and side ("DOE Lead · US"), so that a
 * member who took a lead's name still reads as a member. The role recorded with the entry wins;
 * older entries take the account's role from the directory.
 */
export function useAffiliation(): (who: Affiliated) => string {
  const { t } = useI18n();
  const people = usePeopleStore();
  return (who) => {
    const role = who.role ?? people.byId(who.id)?.role;
    return role ? t('room.affiliation', { agency: who.agency, role: t(`roles.${role}`), side: who.side }) : t('room.affiliationNoRole', { agency: who.agency, side: who.side });
  };
}
