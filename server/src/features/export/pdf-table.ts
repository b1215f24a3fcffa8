/** A column of a PDF table: its header, and whether its cells' lines must stay whole (times). */
export interface TableColumn {
  header: string;
  keepLines?: boolean;
}

/** The widths pdfkit text is measured with: a document with its font and size set. */
export interface Measure {
  widthOfString(text: string): number;
}

const CJK = '\\u2e80-\\u2fff\\u3000-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef';
/**
 * The pieces a line may not be broken inside: a word of Latin text, or, in Japanese (where a line
 * may break between almost any two characters), two characters, as line-start and line-end rules
 * can keep a pair together.
 */
const UNBREAKABLE = new RegExp(`[${CJK}]{1,2}|[^\\s${CJK}]+`, 'g');

/** A cell's lines, each but the last with its line break: pdfkit counts the break's (missing) glyph in the line's width. */
const linesOf = (text: string) => text.split('\n').map((line, i, all) => (i < all.length - 1 ? `${line}\n` : line));

/** The narrowest width a cell can take without a word broken inside. */
function narrowest(text: string, keepLines: boolean, m: Measure, space: number): number {
  const pieces = keepLines ? linesOf(text) : (text.match(UNBREAKABLE) ?? []);
  return Math.max(0, ...pieces.map((p) => m.widthOfString(p) + space));
}

/** The width a cell takes on as many lines as it has (no wrapping at all). */
function widest(text: string, m: Measure, space: number): number {
  return Math.max(0, ...linesOf(text).map((line) => m.widthOfString(line) + space));
}

/**
 * Column widths that fill `width` and break no word: every column gets at least the width of its
 * longest word (of its lines, for `keepLines` columns; of its whole header), and what is left goes
 * to the columns that would otherwise wrap, in proportion to how much they would. Null when the
 * words alone are wider than the table: the caller tries a smaller font.
 */
export function fitColumns(columns: TableColumn[], rows: string[][], width: number, pad: number, m: Measure): number[] | null {
  const space = m.widthOfString(' ') + 2 * pad + 1;
  const min = columns.map((c, k) => Math.max(m.widthOfString(c.header) + space, ...rows.map((r) => narrowest(r[k] ?? '', c.keepLines ?? false, m, space))));
  const natural = columns.map((c, k) => Math.max(min[k] ?? 0, ...rows.map((r) => widest(r[k] ?? '', m, space))));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (sum(min) > width) return null;
  if (sum(natural) <= width) {
    const spare = width - sum(natural);
    return natural.map((n) => n + (spare * n) / sum(natural));
  }
  const wants = natural.map((n, k) => n - (min[k] ?? 0));
  const spare = width - sum(min);
  return min.map((n, k) => n + (spare * (wants[k] ?? 0)) / sum(wants));
}
