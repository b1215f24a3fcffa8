import type { RecordModel } from './record.model.ts';

/** A cell a spreadsheet will not run: formulas (= + - @, tab, CR) become text. */
export function safeCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The byte order mark: without it Excel reads UTF-8 as the local code page and Japanese becomes mojibake. */
const BOM = '\uFEFF';

/** The timeline as RFC 4180 CSV: a UTF-8 BOM, a header row in the record's language, one row per event, CRLF line ends. */
export function renderCsv(r: RecordModel): string {
  const lines = [r.words.csv.map(safeCell).join(',')];
  for (const e of r.timeline) {
    lines.push([e.seq, e.times.utc, e.times.washington, e.times.tokyo, e.type, e.kind, e.actor, e.agency, e.side, e.text, e.role].map(safeCell).join(','));
  }
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
