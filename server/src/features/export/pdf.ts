import PDFDocument from 'pdfkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RecordModel } from './record.model.ts';
import type { ThreeZones } from './times.ts';
import { duration } from './times.ts';
import { fitColumns, type TableColumn } from './pdf-table.ts';

const require = createRequire(import.meta.url);
/** Noto Sans JP (OFL), shipped in an npm package; pdfkit embeds only the glyphs used (a subset). */
export const FONT_PATH = require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
let fontData: Buffer | undefined;
const font = () => (fontData ??= readFileSync(FONT_PATH));

const TLP_COLOURS: Record<string, string> = { RED: '#FF2B2B', AMBER: '#FFC000', 'AMBER+STRICT': '#FFC000', GREEN: '#33FF00', CLEAR: '#FFFFFF' };
const MARGIN = 50;
const TOP = 64;
const BOTTOM = 56;

const when = (t: ThreeZones) => `${t.utc}  ·  ${t.washington}  ·  ${t.tokyo}`;

/** The after-action record as a PDF: Japanese renders, the TLP marking heads every page, pages are numbered. */
export function renderPdf(r: RecordModel): Promise<Buffer> {
  const w = r.words;
  const i = r.incident;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: TOP, bottom: BOTTOM, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: `${i.code} ${w.title}`, Subject: i.title, Author: r.generatedBy, Creator: 'Lodestone' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('jp', font());
  doc.font('jp');
  const width = doc.page.width - 2 * MARGIN;

  const marking = () => {
    const { x, y } = doc;
    // pdfkit keeps the font size outside save/restore; a page break mid-text must not change it.
    const size = (doc as unknown as { _fontSize: number })._fontSize;
    doc.save();
    doc.rect(0, 0, doc.page.width, 30).fill('#000000');
    doc.fillColor(TLP_COLOURS[i.tlp] ?? '#FFFFFF').fontSize(12).text(`TLP:${i.tlp}`, 0, 9, { width: doc.page.width, align: 'center', lineBreak: false });
    doc.restore();
    doc.fillColor('#000000').fontSize(size);
    doc.x = x;
    doc.y = Math.max(y, TOP);
  };
  marking();
  doc.on('pageAdded', marking);

  const heading = (text: string, size = 15) => {
    if (doc.y > doc.page.height - BOTTOM - 80) doc.addPage();
    doc.moveDown(0.6).fontSize(size).fillColor('#14202e').text(text, MARGIN, doc.y, { width }).fillColor('#000000').moveDown(0.3);
  };
  const para = (text: string, size = 10, colour = '#000000') => doc.fontSize(size).fillColor(colour).text(text, MARGIN, doc.y, { width }).fillColor('#000000');
  const pair = (label: string, value: string) => {
    doc.fontSize(10).fillColor('#4f5b69').text(`${label}: `, MARGIN, doc.y, { continued: true, width }).fillColor('#000000').text(value);
  };

  doc.fontSize(20).text(`${i.code}`, MARGIN, TOP).fontSize(16).text(i.title, { width });
  para(`${w.title} — ${w.group}`, 10, '#4f5b69');
  para(`${w.generated}: ${when(r.generatedAt)} · ${w.by} ${r.generatedBy}`, 8, '#4f5b69');

  heading(w.overview);
  pair(w.marking, `TLP:${i.tlp}`);
  pair(w.opened, when(r.opened));
  pair(w.closed, r.closed ? when(r.closed) : w.stillOpen);
  pair(w.status, w.statuses[i.status]);
  pair(w.severity, w.severities[i.severity]);
  pair(w.usLead, r.coLeads.US ? w.person(r.coLeads.US.displayName, r.coLeads.US.agency) : w.none);
  pair(w.jpLead, r.coLeads.JP ? w.person(r.coLeads.JP.displayName, r.coLeads.JP.agency) : w.none);
  pair(w.minerals, r.minerals.map((m) => w.mineral(m.name, m.other)).join(w.sep));
  if (i.summary) pair(w.summary, i.summary);
  doc.moveDown(0.4).fontSize(11).text(w.statusHistory);
  for (const h of r.history) para(`• ${when(h.at)} — ${w.history(h.status, h.severity, h.actor)}`, 9);
  doc.moveDown(0.4).fontSize(11).text(w.participants);
  for (const p of r.participantsByAgency) para(`• ${p.agency}: ${p.names.join(w.sep)}`, 9);

  heading(w.lessons);
  for (const [label, text] of [
    [w.lessonsSummary, i.lessons.summary],
    [w.strengths, i.lessons.strengths],
    [w.improvements, i.lessons.improvements],
  ] as const) {
    doc.fontSize(11).text(label, MARGIN, doc.y);
    para(text || w.notWritten, 10, text ? '#000000' : '#4f5b69');
    doc.moveDown(0.3);
  }

  heading(w.timeline);
  para(w.timeColumns, 8, '#4f5b69');
  for (const e of r.timeline) {
    const who = e.kind === 'system' ? w.system : w.who(e.actor, e.agency, e.side, e.role);
    const tag = e.kind === 'decision' ? `[${w.decision}] ` : '';
    doc.fontSize(7.5).fillColor('#4f5b69').text(`#${e.seq}  ${when(e.times)}  ${who}`, MARGIN, doc.y, { width });
    doc.fontSize(9).fillColor(e.kind === 'decision' ? '#153a66' : e.kind === 'system' ? '#4f5b69' : '#000000').text(`${tag}${e.text}`, MARGIN + 8, doc.y, { width: width - 8 });
    doc.fillColor('#000000').moveDown(0.25);
  }

  heading(w.decisions);
  if (r.decisions.length === 0) para(w.noDecisions);
  r.decisions.forEach((d, n) => {
    para(`${n + 1}. ${d.text}`, 10);
    para(`${w.who(d.actor, d.agency, d.side, d.role)} — ${when(d.times)}`, 8, '#4f5b69');
    doc.moveDown(0.2);
  });

  heading(w.alerts);
  if (r.alerts.length === 0) para(w.noAlerts);
  for (const a of r.alerts) {
    para(a.title, 10);
    para(`${w.posted}: ${when(a.posted)} — ${w.who(a.poster.displayName, a.poster.agency, a.poster.side, a.posterRole)} · TLP:${a.tlp} · ${w.severities[a.severity]}`, 8, '#4f5b69');
    if (a.written) para(`${w.written}: ${when(a.written)}`, 8, '#4f5b69');
    for (const side of ['US', 'JP'] as const) {
      const acks = a.acks.filter((k) => k.side === side);
      para(`${w.acknowledged} ${side}: ${acks.length ? acks.map((k) => `${w.person(k.name, k.agency)} ${when(k.at)}`).join('; ') : w.notAcknowledged}`, 8);
    }
    doc.moveDown(0.3);
  }

  heading(w.improvementPlan);
  if (r.actions.length === 0) para(w.noActions);
  else actionTable(doc, r, width);

  heading(w.metrics);
  const m = r.metrics;
  pair(w.alertToOpened, duration(m.firstAlertToOpenedMs, r.lang));
  pair(`${w.alertToAck} (US)`, duration(m.alertToFirstAckMs.US, r.lang));
  pair(`${w.alertToAck} (JP)`, duration(m.alertToFirstAckMs.JP, r.lang));
  pair(w.openedToDecision, duration(m.openedToFirstDecisionMs, r.lang));
  pair(w.actionCounts, `${m.actions.done} / ${m.actions.open} / ${m.actions.overdue}`);

  heading(w.integrity);
  para(`${w.chainHead}:`, 9);
  para(`${r.chain.head}  (${r.events.length} ${w.events})`, 8);

  // Page numbers, once every page exists.
  const range = doc.bufferedPageRange();
  for (let p = range.start; p < range.start + range.count; p++) {
    doc.switchToPage(p);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.fontSize(8).fillColor('#4f5b69').text(`${i.code} · ${w.page} ${p + 1} ${w.of} ${range.count}`, MARGIN, doc.page.height - 36, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

/**
 * The improvement plan as a table, its header repeated on each page it spans. Columns are fitted
 * to their content so that no word is broken inside (Japanese wraps between characters, as it
 * may); when even the longest words do not fit, the font gets smaller.
 */
function actionTable(doc: PDFKit.PDFDocument, r: RecordModel, width: number): void {
  const w = r.words;
  const columns: TableColumn[] = [
    { header: '#' },
    { header: w.titleField },
    { header: w.owner },
    { header: w.agency },
    { header: w.provision },
    { header: w.priority },
    { header: w.status },
    { header: w.due, keepLines: true },
    { header: w.completed, keepLines: true },
  ];
  const z = (t: ThreeZones | null) => (t ? `${t.utc}\n${t.washington}\n${t.tokyo}` : '—');
  const rows = r.actions.map((a, n) => [
    String(n + 1),
    a.title,
    a.owner?.displayName ?? w.unassigned,
    a.agency ?? '—',
    a.provisionName || '—',
    a.priority.toUpperCase(),
    `${a.statusName}${a.overdue ? ' (!)' : ''}`,
    z(a.due),
    z(a.completed),
  ]);
  const pad = 3;
  let size = 7.5;
  let widths: number[] | null = null;
  for (; size >= 5; size -= 0.5) {
    doc.fontSize(size);
    widths = fitColumns(columns, rows, width, pad, doc);
    if (widths) break;
  }
  size = Math.max(size, 5);
  // Words longer than a whole table row at 5 pt are the only ones broken.
  const px = widths ?? columns.map(() => width / columns.length);
  const rowHeight = (cells: string[]) => Math.max(...cells.map((text, k) => doc.fontSize(size).heightOfString(text, { width: (px[k] ?? 40) - 2 * pad }))) + 2 * pad;
  const header = columns.map((c) => c.header);
  const drawRow = (cells: string[], fill?: string) => {
    const h = rowHeight(cells);
    if (doc.y + h > doc.page.height - BOTTOM) {
      doc.addPage();
      drawRow(header, '#e2e7ee');
    }
    const y = doc.y;
    let x = MARGIN;
    if (fill) doc.rect(MARGIN, y, width, h).fill(fill).fillColor('#000000');
    cells.forEach((text, k) => {
      const cw = px[k] ?? 40;
      doc.rect(x, y, cw, h).lineWidth(0.3).strokeColor('#9aa5b4').stroke();
      doc.fontSize(size).fillColor('#000000').text(text, x + pad, y + pad, { width: cw - 2 * pad });
      x += cw;
    });
    doc.x = MARGIN;
    doc.y = y + h;
  };
  drawRow(header, '#e2e7ee');
  rows.forEach((cells, n) => drawRow(cells, r.actions[n]?.overdue ? '#fde8e6' : undefined));
}
