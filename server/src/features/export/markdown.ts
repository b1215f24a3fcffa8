import type { RecordModel } from './record.model.ts';
import type { ThreeZones } from './times.ts';
import { duration } from './times.ts';

/** User text as literal Markdown: no heading, list, link, emphasis or HTML sneaks in. */
export function mdText(value: string): string {
  return value
    .replace(/[\\`*_{}[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#>+-]|\d+\.)/gm, (_m, space: string, mark: string) => `${space}\\${mark}`)
    .replace(/\r?\n/g, '  \n');
}

/** Inside a table cell: one line. */
const cell = (value: string) => mdText(value).replace(/ {2}\n/g, '<br>');
const when = (t: ThreeZones) => `${t.utc} · ${t.washington} · ${t.tokyo}`;

/** The after-action record as Markdown. */
export function renderMarkdown(r: RecordModel): string {
  const w = r.words;
  const i = r.incident;
  const out: string[] = [];
  const marking = `**TLP:${i.tlp}**`;
  out.push(marking, '', `# ${i.code} — ${mdText(i.title)}`, '', `${w.title} · ${w.group}`, '');
  out.push(`${w.generated}: ${when(r.generatedAt)} ${w.by} ${mdText(r.generatedBy)}`, '');

  out.push(`## ${w.overview}`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| ${w.code} | ${i.code} |`);
  out.push(`| ${w.titleField} | ${cell(i.title)} |`);
  out.push(`| ${w.marking} | TLP:${i.tlp} |`);
  out.push(`| ${w.opened} | ${when(r.opened)} |`);
  out.push(`| ${w.closed} | ${r.closed ? when(r.closed) : w.stillOpen} |`);
  out.push(`| ${w.status} | ${w.statuses[i.status]} |`);
  out.push(`| ${w.severity} | ${w.severities[i.severity]} |`);
  out.push(`| ${w.usLead} | ${r.coLeads.US ? cell(w.person(r.coLeads.US.displayName, r.coLeads.US.agency)) : w.none} |`);
  out.push(`| ${w.jpLead} | ${r.coLeads.JP ? cell(w.person(r.coLeads.JP.displayName, r.coLeads.JP.agency)) : w.none} |`);
  out.push(`| ${w.minerals} | ${r.minerals.map((m) => w.mineral(m.name, m.other)).join(w.sep)} |`, '');
  if (i.summary) out.push(`**${w.summary}:** ${mdText(i.summary)}`, '');
  out.push(`### ${w.statusHistory}`, '');
  for (const h of r.history) out.push(`- ${when(h.at)} — ${w.history(h.status, h.severity, mdText(h.actor))}`);
  out.push('', `### ${w.participants}`, '');
  for (const p of r.participantsByAgency) out.push(`- **${mdText(p.agency)}**: ${p.names.map(mdText).join(w.sep)}`);
  out.push('');

  out.push(`## ${w.lessons}`, '');
  for (const [label, text] of [
    [w.lessonsSummary, i.lessons.summary],
    [w.strengths, i.lessons.strengths],
    [w.improvements, i.lessons.improvements],
  ] as const) {
    out.push(`### ${label}`, '', text ? mdText(text) : `_${w.notWritten}_`, '');
  }

  out.push(`## ${w.timeline}`, '', `_${w.timeColumns}_`, '');
  for (const e of r.timeline) {
    const kind = e.kind === 'decision' ? `**${w.decision}** ` : e.kind === 'note' ? '' : `_${w.system}_ `;
    const who = e.kind === 'system' ? '' : `${w.who(mdText(e.actor), mdText(e.agency), e.side, e.role)}: `;
    out.push(`- \`#${e.seq}\` ${when(e.times)} — ${kind}${who}${mdText(e.text)}`);
  }
  out.push('');

  out.push(`## ${w.decisions}`, '');
  if (r.decisions.length === 0) out.push(w.noDecisions);
  r.decisions.forEach((d, n) => out.push(`${n + 1}. ${when(d.times)} — ${w.who(mdText(d.actor), mdText(d.agency), d.side, d.role)}: ${mdText(d.text)}`));
  out.push('');

  out.push(`## ${w.alerts}`, '');
  if (r.alerts.length === 0) out.push(w.noAlerts);
  for (const a of r.alerts) {
    out.push(`### ${mdText(a.title)}`, '', `- ${w.posted}: ${when(a.posted)} — ${w.who(mdText(a.poster.displayName), mdText(a.poster.agency), a.poster.side, a.posterRole)} · TLP:${a.tlp} · ${w.severities[a.severity]}`);
    if (a.written) out.push(`- ${w.written}: ${when(a.written)}`);
    for (const side of ['US', 'JP'] as const) {
      const acks = a.acks.filter((k) => k.side === side);
      out.push(`- ${w.acknowledged} ${side}: ${acks.length ? acks.map((k) => `${w.person(mdText(k.name), mdText(k.agency))} ${when(k.at)}`).join('; ') : w.notAcknowledged}`);
    }
    out.push('');
  }

  out.push(`## ${w.improvementPlan}`, '');
  if (r.actions.length === 0) out.push(w.noActions, '');
  else {
    out.push(`| # | ${w.titleField} | ${w.owner} | ${w.agency} | ${w.provision} | ${w.priority} | ${w.status} | ${w.due} | ${w.completed} |`, '|---|---|---|---|---|---|---|---|---|');
    r.actions.forEach((a, n) => {
      const due = a.due ? `${a.due.utc}<br>${a.due.washington}<br>${a.due.tokyo}` : '—';
      const done = a.completed ? `${a.completed.utc}<br>${a.completed.washington}<br>${a.completed.tokyo}` : '—';
      out.push(`| ${n + 1} | ${cell(a.title)} | ${a.owner ? cell(a.owner.displayName) : w.unassigned} | ${cell(a.agency ?? '—')} | ${cell(a.provisionName || '—')} | ${a.priority.toUpperCase()} | ${a.statusName}${a.overdue ? ' ⚠' : ''} | ${due} | ${done} |`);
    });
    out.push('');
  }

  const m = r.metrics;
  out.push(`## ${w.metrics}`, '');
  out.push(`- ${w.alertToOpened}: ${duration(m.firstAlertToOpenedMs, r.lang)}`);
  out.push(`- ${w.alertToAck} (US): ${duration(m.alertToFirstAckMs.US, r.lang)}`);
  out.push(`- ${w.alertToAck} (JP): ${duration(m.alertToFirstAckMs.JP, r.lang)}`);
  out.push(`- ${w.openedToDecision}: ${duration(m.openedToFirstDecisionMs, r.lang)}`);
  out.push(`- ${w.actionCounts}: ${m.actions.done} / ${m.actions.open} / ${m.actions.overdue}`, '');

  out.push(`## ${w.integrity}`, '', `${w.chainHead}: \`${r.chain.head}\` (${r.events.length} ${w.events})`, '', marking, '');
  return out.join('\n');
}
