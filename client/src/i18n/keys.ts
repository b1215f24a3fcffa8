import type { Tlp } from '@lodestone/shared';

/** The key of a TLP marking's meaning: `AMBER+STRICT` is `AMBER_STRICT` among the messages. */
export function tlpKey(tlp: Tlp) {
  return `tlp.${tlp === 'AMBER+STRICT' ? 'AMBER_STRICT' : tlp}` as const;
}
