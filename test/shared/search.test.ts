import { describe, expect, it } from 'vitest';
import { searchMinerals } from '@lodestone/shared';

describe('mineral search', () => {
  it('finds dysprosium by symbol, English name and Japanese name alike, first', () => {
    for (const q of ['Dy', 'dy', 'ＤＹ', 'dysprosium', 'Dyspro', 'ジスプロシウム', 'ジスプロ', 'じすぷろしうむ']) {
      expect(searchMinerals(q)[0]?.id, q).toBe('dysprosium');
    }
  });

  it('ranks an exact symbol above names that merely contain the letters', () => {
    expect(searchMinerals('Ga')[0]?.id).toBe('gallium');
    expect(searchMinerals('ga').map((m) => m.id)).toContain('gadolinium');
  });

  it('returns everything for an empty query and nothing for nonsense', () => {
    expect(searchMinerals('').length).toBeGreaterThan(60);
    expect(searchMinerals('unobtainium')).toEqual([]);
  });
});
