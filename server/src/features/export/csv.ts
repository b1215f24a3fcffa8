import type { RecordModel } from './record.model.ts';

/** A cell a spreadsheet will not run: formulas (= + - @, tab, CR) become text. */
export function safeCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const COLUMNS = ['seq', 'utc', 'washington', 'tokyo', 'type', 'kind', 'actor', 'agency', 'side', 'text'] as const;

/** The timeline as RFC 4180 CSV: one row per event, CRLF line ends, a header row. */
export function renderCsv(r: RecordModel): string {
  const lines = [COLUMNS.join(',')];
  for (const e of r.timeline) {
    lines.push([e.seq, e.times.utc, e.times.washington, e.times.tokyo, e.type, e.kind, e.actor, e.agency, e.side, e.text].map(safeCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
