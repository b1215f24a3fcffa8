import type { IncidentStatus } from '@lodestone/shared';
import { i18n, t } from '../../client/src/i18n/index.ts';

/*
 * Type tests of message keys, checked by `vue-tsc -p client` (never run): each line after a
 * `@ts-expect-error` must fail to type-check. Keys are derived from the English messages.
 */
declare const status: IncidentStatus;
declare const anyText: string;

t('nav.alerts');
t(`statuses.${status}`);
t('admin.count', 3);
t('room.entry.created', { actor: 'A', code: 'RRG-1', title: 'T' });

// @ts-expect-error: a key that is not among the messages
t('nav.nothingHere');
// @ts-expect-error: a section of messages is not a message
t('nav');
// @ts-expect-error: a key built from any string, not from the values the family has
t(`statuses.${anyText}`);
// @ts-expect-error: the handle for code outside components is typed the same way
i18n.global.t('alerts.nope');
