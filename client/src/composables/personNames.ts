import { inject, provide, type InjectionKey } from 'vue';
import { useI18n } from '../i18n/index.ts';
import { usePeopleStore } from '../stores/people.ts';

export interface Named {
  id: string;
  displayName: string;
}

const PERSON_NAMES: InjectionKey<() => Iterable<Named>> = Symbol('person names');

/** Gives the components of a page the people it already knows (an incident's members, a record's participants). */
export function providePersonNames(source: () => Iterable<Named>): void {
  provide(PERSON_NAMES, source);
}

/**
 * A person's name from an id: the page's own people first (`own`, for the component that
 * provides them, which cannot inject its own), then the directory. An id is never shown:
 * someone the page cannot name (an account since removed) reads "former member", and "…"
 * while the directory is still loading.
 */
export function usePersonName(own?: () => Iterable<Named>): (id: string) => string {
  const local = own ?? inject(PERSON_NAMES, null);
  const people = usePeopleStore();
  const { t } = useI18n();
  return (id: string) => {
    if (local) for (const p of local()) if (p.id === id) return p.displayName;
    const known = people.byId(id);
    if (known) return known.displayName;
    return people.loaded ? t('people.unknown') : '…';
  };
}
