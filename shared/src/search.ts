import { minerals, type Mineral } from './reference.ts';

/** Lower case, full-width folded (NFKC), hiragana as katakana: "ＤＹ", "dy" and "Dy" are one query. */
export function normalizeQuery(value: string): string {
  return value
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

function score(m: Mineral, q: string): number {
  if (!q) return 1;
  const symbol = m.symbol?.toLowerCase();
  if (symbol === q) return 100;
  const names = [m.id.replace(/_/g, ' '), m.name.en.toLowerCase(), normalizeQuery(m.name.ja)];
  if (names.some((n) => n === q)) return 90;
  if (names.some((n) => n.startsWith(q))) return 70;
  if (symbol?.startsWith(q)) return 60;
  if (names.some((n) => n.includes(q))) return 40;
  return 0;
}

/**
 * Minerals matching a query by symbol, English or Japanese name ("Dy", "dysprosium",
 * "ジスプロシウム", "じすぷろ"), best matches first.
 */
export function searchMinerals(query: string, list: readonly Mineral[] = minerals): Mineral[] {
  const q = normalizeQuery(query);
  return list
    .map((m) => ({ m, s: score(m, q) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.m.name.en.localeCompare(b.m.name.en))
    .map((x) => x.m);
}
