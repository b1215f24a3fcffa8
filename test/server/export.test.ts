import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRecord, type RecordFile } from '@lodestone/shared';
import { alertInput, buildTestApp, createCast, createUser, type TestApp, type TestUser } from '../helpers/app.ts';
import { parseCsv } from '../helpers/csv.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('after-action record', () => {
  let t: TestApp;
  let cast: Awaited<ReturnType<typeof createCast>>;
  let outsider: TestUser;
  let newJpLead: TestUser;
  let incidentId = '';
  let code = '';
  const notes = ['Tianjin port holds Dy oxide shipments', '天津港でジスプロシウムの出荷保留を確認', '=HYPERLINK("http://evil.example","click")', '+1 call at 09:00, "urgent"', 'Line one\n# not a heading <b>nor bold</b>'];
  const decisions = ['Share inventory weekly / 在庫を毎週共有する', 'Joint request to MOFCOM'];
  const actionTitles = ['Confirm JOGMEC stocks', 'Brief the export-control office', 'Survey magnet scrap'];
  let clock = new Date('2026-04-06T00:00:00Z');

  beforeAll(async () => {
    t = await buildTestApp({ clock: () => clock });
    cast = await createCast(t);
    outsider = await createUser(t, 'member');
    const at = async (iso: string, work: () => Promise<unknown>) => {
      clock = new Date(iso);
      return work();
    };
    const post = (who: TestUser, url: string, payload: unknown) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie: who.cookie }, payload: payload as object });
    // Written at 05:45 (kept offline), posted at 06:00.
    const alert = (await at('2026-04-04T06:00:00Z', () => post(cast.liaison, '/alerts', alertInput({ title: 'MOFCOM licensing of seven heavy rare earths', tlp: 'AMBER', observedAt: '2026-04-04T05:45:00Z' })))) as { json(): { id: string } };
    const alertId = alert.json().id;
    await at('2026-04-04T06:20:00Z', () => post(cast.jpMember, `/alerts/${alertId}/acknowledgements`, {}));
    await at('2026-04-04T07:00:00Z', () => post(cast.member, `/alerts/${alertId}/acknowledgements`, {}));
    const escalated = (await at('2026-04-04T08:00:00Z', () => post(cast.jpLead, `/alerts/${alertId}/escalation`, { incident: { title: 'Heavy rare earth licences / 重希土類の輸出許可', usLeadId: cast.lead.user.id } }))) as {
      json(): { incident: { id: string; code: string } };
    };
    incidentId = escalated.json().incident.id;
    code = escalated.json().incident.code;
    for (const m of [cast.member, cast.jpMember, cast.liaison]) {
      await at('2026-04-04T08:05:00Z', () => t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incidentId}/members/${m.user.id}`, headers: { cookie: cast.jpLead.cookie } }));
    }
    for (const [n, body] of notes.entries()) await at(`2026-04-04T09:0${n}:00Z`, () => post(n % 2 ? cast.jpMember : cast.member, `/incidents/${incidentId}/messages`, { body }));
    await at('2026-04-04T10:00:00Z', () => post(cast.jpLead, `/incidents/${incidentId}/messages`, { body: decisions[0], kind: 'decision' }));
    await at('2026-04-05T14:00:00Z', () => post(cast.lead, `/incidents/${incidentId}/messages`, { body: decisions[1], kind: 'decision' }));
    const made: { id: string }[] = [];
    for (const [n, title] of actionTitles.entries()) {
      made.push(((await at('2026-04-05T15:00:00Z', () => post(cast.member, `/incidents/${incidentId}/actions`, { title, ownerId: n % 2 ? cast.jpMember.user.id : cast.member.user.id, dueAt: '2026-04-05T20:00:00Z', provision: 'stockpiling' }))) as { json(): { id: string } }).json());
    }
    await at('2026-04-05T16:00:00Z', () => t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${made[0]?.id}`, headers: { cookie: cast.member.cookie }, payload: { version: 1, status: 'done' } }));
    await at('2026-04-05T16:15:00Z', () => t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${made[1]?.id}`, headers: { cookie: cast.member.cookie }, payload: { version: 1, status: 'in_progress' } }));
    await at('2026-04-05T16:30:00Z', () => t.app.inject({ method: 'PATCH', url: `/api/v1/actions/${made[2]?.id}`, headers: { cookie: cast.member.cookie }, payload: { version: 1, status: 'cancelled' } }));
    await at('2026-04-06T00:00:00Z', () =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incidentId}`, headers: { cookie: cast.lead.cookie }, payload: { version: 1, lessons: { summary: 'Both sides shared inventories within a day.', strengths: '日米の情報共有が迅速だった', improvements: 'Pre-agree licence data formats' } } }),
    );
    newJpLead = await createUser(t, 'lead', { side: 'JP', displayName: '鈴木 一郎', agency: 'METI' });
    await at('2026-04-06T00:00:00Z', () =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incidentId}`, headers: { cookie: cast.lead.cookie }, payload: { version: 2, status: 'stabilizing', severity: 'moderate', jpLeadId: newJpLead.user.id, summary: 'Licences flow again, slowly.' } }),
    );
    clock = new Date('2026-04-06T00:00:00Z');
  });
  afterAll(() => t.close());

  const exportAs = (who: TestUser, query: string) => t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incidentId}/export?${query}`, headers: { cookie: who.cookie } });
  const eventCount = () => t.app.lodestone.log.head(`incident:${incidentId}`);
  /** A PDF export as pdftotext reads it, in its raw order (a cell's lines stay together). */
  const pdfText = async (who: TestUser, query: string) => {
    const res = await exportAs(who, query);
    const file = join(mkdtempSync(join(tmpdir(), 'lodestone-pdf-')), 'record.pdf');
    writeFileSync(file, res.rawPayload);
    return execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
  };

  it('is a download for leads, members and staff with a good file name; refused to others', async () => {
    for (const [format, ext, type] of [['markdown', 'md', 'text/markdown'], ['pdf', 'pdf', 'application/pdf'], ['csv', 'csv', 'text/csv'], ['json', 'json', 'application/json']] as const) {
      const res = await exportAs(cast.staff, `format=${format}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain(type);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${code}-after-action.en.${ext}"`);
      // The Japanese record of the same incident is another file.
      expect((await exportAs(cast.staff, `format=${format}&lang=ja`)).headers['content-disposition']).toBe(`attachment; filename="${code}-after-action.ja.${ext}"`);
    }
    expect((await exportAs(cast.member, 'format=json')).statusCode).toBe(200);
    expect((await exportAs(cast.lead, 'format=json')).statusCode).toBe(200);
    expect((await exportAs(cast.liaison, 'format=json')).statusCode).toBe(403);
    expect((await exportAs(outsider, 'format=json')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incidentId}/export?format=json`, headers: { cookie: t.admin } })).statusCode).toBe(403);
    expect((await exportAs(cast.lead, 'format=docx')).statusCode).toBe(400);
    expect((await exportAs(cast.lead, 'format=json&lang=fr')).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/incidents/NOPE/export?format=json', headers: { cookie: cast.lead.cookie } })).statusCode).toBe(404);
  });

  it('Markdown: titles, marking, lessons, every note, decision and action item, three time zones, metrics', async () => {
    const md = (await exportAs(cast.lead, 'format=markdown&lang=en')).body;
    expect(md.startsWith('**TLP:AMBER**')).toBe(true);
    expect(md).toContain(`# ${code} — Heavy rare earth licences / 重希土類の輸出許可`);
    for (const heading of ['1. Overview', '2. Executive summary and lessons learned', '3. Timeline', '4. Decisions', '5. Linked alerts and acknowledgements', '6. Improvement plan (action items)', '7. Metrics']) expect(md).toContain(`## ${heading}`);
    for (const text of ['Tianjin port holds Dy oxide shipments', '天津港でジスプロシウムの出荷保留を確認', 'Joint request to MOFCOM', 'Both sides shared inventories within a day.', '日米の情報共有が迅速だった', 'Pre\\-agree licence data formats', ...actionTitles]) {
      expect(md, text).toContain(text.startsWith('Pre') ? 'Pre-agree licence data formats' : text);
    }
    expect(md).toContain('Share inventory weekly / 在庫を毎週共有する');
    // Opened 2026-04-04 08:00 UTC: 04:00 EDT in Washington, 17:00 JST in Tokyo.
    expect(md).toContain('2026-04-04 08:00 UTC · 2026-04-04 04:00 EDT · 2026-04-04 17:00 JST');
    expect(md).toContain('- First alert → incident opened: 2 h');
    expect(md).toContain('- Alert → first acknowledgement (US): 1 h');
    expect(md).toContain('- Alert → first acknowledgement (JP): 20 min');
    expect(md).toContain('- Incident opened → first decision: 2 h');
    expect(md).toContain('- Action items: done / open / overdue: 1 / 1 / 1');
    // User text cannot turn into Markdown structure or HTML.
    expect(md).toContain('Line one  \n\\# not a heading \\<b\\>nor bold\\</b\\>');
    expect(md).not.toMatch(/^# not a heading/m);
    expect(md).not.toContain('<b>');
  });

  it('Markdown in Japanese by the caller’s language, or as asked', async () => {
    const ja = (await exportAs(cast.jpLead, 'format=markdown')).body;
    expect(ja).toContain('## 1. 概要');
    expect(ja).toContain('## 7. 指標');
    const en = (await exportAs(cast.jpLead, 'format=markdown&lang=en')).body;
    expect(en).toContain('## 1. Overview');
  });

  it('PDF: Japanese text extracts, the marking heads every page, pages are numbered, action items are tabled', async () => {
    const res = await exportAs(cast.jpLead, 'format=pdf&lang=ja');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-pdf-'));
    const file = join(dir, 'record.pdf');
    writeFileSync(file, res.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, n) => {
      expect(page.trimStart().startsWith('TLP:AMBER'), `page ${n + 1}`).toBe(true);
      expect(page).toContain(`${code} · ページ ${n + 1} / ${pages.length}`);
    });
    const flat = text.replace(/\s+/g, '');
    for (const s of ['天津港でジスプロシウムの出荷保留を確認', '日米の情報共有が迅速だった', '事後評価報告書', '6.改善計画（アクション）', ...actionTitles, ...decisions]) {
      expect(flat, s).toContain(s.replace(/\s+/g, ''));
    }
    expect(flat).toContain('2026-04-0408:00UTC');
    expect(flat).toContain('JST');
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fonts).toMatch(/NotoSansJP-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes/);
  });

  it('CSV: a UTF-8 BOM, RFC 4180, one row per event, formulas neutralized', async () => {
    const res = await exportAs(cast.lead, 'format=csv');
    // Excel needs the BOM to read UTF-8 (and so the Japanese) as such.
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(res.body.replace(/^\uFEFF/, ''));
    // `role` (issue 14) comes last, so that the columns before it keep their places.
    expect(rows[0]).toEqual(['seq', 'utc', 'washington', 'tokyo', 'type', 'kind', 'actor', 'agency', 'side', 'text', 'role']);
    const data = rows.slice(1);
    expect(data).toHaveLength(await eventCount());
    expect(data.map((r) => Number(r[0]))).toEqual(Array.from({ length: await eventCount() }, (_, i) => i + 1));
    const texts = data.map((r) => r[9]);
    expect(texts).toContain('天津港でジスプロシウムの出荷保留を確認');
    expect(texts).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(texts).toContain(`'+1 call at 09:00, "urgent"`);
    for (const cell of data.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('CSV in Japanese: the header row in Japanese, the same rows, Japanese text intact after the BOM', async () => {
    const res = await exportAs(cast.jpLead, 'format=csv&lang=ja');
    const text = res.rawPayload.toString('utf8');
    expect(text.startsWith('\uFEFF番号,UTC,ワシントン,東京,')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual(['番号', 'UTC', 'ワシントン', '東京', '種類', '区分', '実行者', '機関', '側', '内容', '役割']);
    expect(rows.slice(1)).toHaveLength(await eventCount());
    expect(rows.map((r) => r[9])).toContain('天津港でジスプロシウムの出荷保留を確認');
    expect(rows.map((r) => r[9])).toContain(`${cast.lead.user.displayName}が概要を、状態を「対応中」から「安定化」に、深刻度を「高」から「中」に、日本側共同リードを「${cast.jpLead.user.displayName}（METI）」から「鈴木 一郎（METI）」に変更`);
  });

  it('says in natural words who changed what, to whom, in English and Japanese', async () => {
    const en = (await exportAs(cast.lead, 'format=markdown&lang=en')).body;
    expect(en).toContain(`${cast.lead.user.displayName} changed the summary, the status from Active to Stabilizing, the severity from High to Moderate and the JP co-lead from ${cast.jpLead.user.displayName} (METI) to 鈴木 一郎 (METI)`);
    expect(en).toContain(`${cast.member.user.displayName} updated the action item “${actionTitles[1]}”, changing the status from Open to In progress`);
    expect(en).toContain(`${cast.jpLead.user.displayName} added ${cast.member.user.displayName} (DOE) to the incident`);
    const ja = (await exportAs(cast.jpLead, 'format=markdown&lang=ja')).body;
    expect(ja).toContain(`${cast.member.user.displayName}がアクション「${actionTitles[1]}」の状態を「未着手」から「対応中」に変更`);
    expect(ja).toContain(`${cast.jpLead.user.displayName}が${cast.member.user.displayName}（DOE）をメンバーに追加`);
    // No English comma between Japanese clauses, no spaced-out particles.
    expect(ja).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff」], [\u3040-\u30ff\u4e00-\u9fff「]/);
    expect(ja).not.toContain(' が ');
  });

  it('shows when an alert was written beside when it was posted (Markdown, PDF); the JSON carries observedAt', async () => {
    const md = (await exportAs(cast.lead, 'format=markdown&lang=en')).body;
    expect(md).toContain('- Posted: 2026-04-04 06:00 UTC');
    expect(md).toContain('- Written: 2026-04-04 05:45 UTC · 2026-04-04 01:45 EDT · 2026-04-04 14:45 JST');
    const ja = (await exportAs(cast.lead, 'format=markdown&lang=ja')).body;
    expect(ja).toContain('- 作成: 2026-04-04 05:45 UTC');
    const record = JSON.parse((await exportAs(cast.lead, 'format=json')).body) as RecordFile;
    expect(record.alerts[0]).toMatchObject({ observedAt: '2026-04-04T05:45:00.000Z', postedAt: '2026-04-04T06:00:00.000Z' });
    const pdf = await pdfText(cast.lead, 'format=pdf&lang=en');
    expect(pdf).toContain('Written: 2026-04-04 05:45 UTC');
  });

  it('PDF: the action table breaks no word, in English and in Japanese', async () => {
    const en = await pdfText(cast.lead, 'format=pdf&lang=en');
    const enLines = en.split('\n').map((l) => l.trim());
    for (const word of ['Priority', 'Provision', 'Completed', 'Owner', 'Agency', 'In progress', 'Cancelled', 'Stockpiling', 'Confirm JOGMEC stocks', 'export-control']) {
      expect(enLines.some((l) => l.includes(word)), word).toBe(true);
    }
    for (const z of ['2026-04-05 20:00 UTC', '2026-04-05 16:00 EDT', '2026-04-06 05:00 JST']) expect(enLines.some((l) => l.includes(z)), z).toBe(true);
    const ja = await pdfText(cast.jpLead, 'format=pdf&lang=ja');
    const jaLines = ja.split('\n').map((l) => l.trim());
    for (const word of ['優先度', '担当者', '条項', '完了', '対応中', '中止']) expect(jaLines.some((l) => l.includes(word)), word).toBe(true);
  });

  it('JSON: the whole stream and its chain; verifies, and fails on any single changed byte of an event', async () => {
    const text = (await exportAs(cast.staff, 'format=json')).body;
    const record = JSON.parse(text) as RecordFile;
    expect(Object.keys(record)).toEqual(expect.arrayContaining(['incident', 'members', 'alerts', 'actions', 'metrics', 'events', 'chain']));
    expect(record.chain.algorithm).toBe('sha256-jcs');
    expect(record.events).toHaveLength(await eventCount());
    expect(record.chain.head).toBe(record.events.at(-1)?.hash);
    expect(await verifyRecord(record, sha256)).toMatchObject({ ok: true, events: await eventCount() });

    const bytes = Buffer.from(text, 'utf8');
    const eventsStart = bytes.indexOf('"events":[') + '"events":['.length;
    // Every byte of three events (one with Japanese text) is flipped in turn.
    const spans: [number, number][] = [];
    let cursor = eventsStart;
    for (let n = 0; n < record.events.length; n++) {
      const length = Buffer.byteLength(JSON.stringify(record.events[n]), 'utf8');
      if (n === 0 || n === 9 || n === record.events.length - 1) spans.push([cursor, cursor + length]);
      cursor += length + 1;
    }
    let flips = 0;
    for (const [from, to] of spans) {
      for (let at = from; at < to; at++) {
        const changed = Buffer.from(bytes);
        changed[at] = (changed[at] ?? 0) ^ 0x01;
        flips++;
        let parsed: unknown;
        try {
          parsed = JSON.parse(changed.toString('utf8'));
        } catch {
          continue; // not even JSON: certainly not verified
        }
        const check = await verifyRecord(parsed, sha256);
        expect(check.ok, `byte ${at} (${String.fromCharCode(bytes[at] ?? 0)})`).toBe(false);
      }
    }
    expect(flips).toBeGreaterThan(1000);
  });

  it('npm run verify-record verifies the file offline and names the first bad event', async () => {
    const text = (await exportAs(cast.staff, 'format=json')).body;
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-record-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, text);
    writeFileSync(bad, text.replace('Joint request to MOFCOM', 'Joint request to MOFCON'));
    const cli = new URL('../../server/src/cli/verify-record.ts', import.meta.url).pathname;
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    expect(execFileSync(tsx, [cli, good], { encoding: 'utf8' })).toMatch(/^VERIFIED: \d+ events, chain head [0-9a-f]{64}/);
    let out = '';
    let status = 0;
    try {
      execFileSync(tsx, [cli, bad], { encoding: 'utf8' });
    } catch (error) {
      out = String((error as { stdout: string }).stdout);
      status = (error as { status: number }).status;
    }
    const seq = (JSON.parse(text) as RecordFile).events.find((e) => (e.data as { body?: string }).body === 'Joint request to MOFCOM')?.seq;
    expect(status).toBe(1);
    expect(out).toContain(`NOT VERIFIED: first bad event is incident:${incidentId} seq ${seq}`);
  });
});
