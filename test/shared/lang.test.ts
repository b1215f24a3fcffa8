import { describe, expect, it } from 'vitest';
import { langAttr, langRuns, scriptLang } from '@lodestone/shared';

describe('the language of a text, by its script', () => {
  it('reads kana or kanji as Japanese, even among Latin letters and digits', () => {
    expect(scriptLang('佐藤 美咲')).toBe('ja');
    expect(scriptLang('ジスプロシウム')).toBe('ja');
    expect(scriptLang('ありがとう')).toBe('ja');
    expect(scriptLang('Dy/Tb 輸出許可の保留')).toBe('ja');
    expect(scriptLang('ﾃｽﾄ')).toBe('ja');
    expect(scriptLang('「確認」')).toBe('ja');
  });

  it('reads Latin letters alone as English, accents included', () => {
    expect(scriptLang('Nd magnet plant outage in Ningbo')).toBe('en');
    expect(scriptLang('Priya Raman')).toBe('en');
    expect(scriptLang('Café Résumé')).toBe('en');
    expect(scriptLang('JBIC')).toBe('en');
  });

  it('says nothing of text without letters', () => {
    expect(scriptLang('2025-001')).toBeNull();
    expect(scriptLang('')).toBeNull();
    expect(scriptLang('✓ · 42 %')).toBeNull();
    expect(scriptLang('한국어')).toBeNull();
  });

  it('gives a lang attribute only where the text differs from the page', () => {
    expect(langAttr('佐藤 美咲', 'en')).toBe('ja');
    expect(langAttr('佐藤 美咲', 'ja')).toBeUndefined();
    expect(langAttr('Priya Raman', 'ja')).toBe('en');
    expect(langAttr('Priya Raman', 'en')).toBeUndefined();
    expect(langAttr('1234', 'ja')).toBeUndefined();
    expect(langAttr(null, 'en')).toBeUndefined();
    expect(langAttr(undefined, 'ja')).toBeUndefined();
  });
});

describe('a text cut into runs of each language', () => {
  const marked = (text: string, page: string) => langRuns(text, page).map((r) => (r.lang ? `[${r.lang}:${r.text}]` : r.text)).join('');

  it('marks the Japanese inside an English page, names, notes and quoted titles, and leaves the English sentence around it', () => {
    expect(marked('佐藤 美咲', 'en')).toBe('[ja:佐藤 美咲]');
    expect(marked('高橋 健 updated the action “在庫を共有”: status Open → Blocked', 'en')).toBe('[ja:高橋 健] updated the action “[ja:在庫を共有]”: status Open → Blocked');
    expect(marked('Export licences now required. 輸出許可制の即日施行により、遅延が見込まれる。', 'en')).toBe('Export licences now required. [ja:輸出許可制の即日施行により、遅延が見込まれる。]');
    expect(marked('選択肢（JBIC・US EXIM）を整理', 'en')).toBe('[ja:選択肢（]JBIC[ja:・]US EXIM[ja:）を整理]');
    expect(marked('Jordan Hayes (DOE)', 'en')).toBe('Jordan Hayes (DOE)');
  });

  it('marks the Latin words inside a Japanese page, and not numbers alone', () => {
    expect(marked('Jordan Hayes (DOE)', 'ja')).toBe('[en:Jordan Hayes (DOE])');
    expect(marked('Jordan Hayes さんが状態を変更', 'ja')).toBe('[en:Jordan Hayes] さんが状態を変更');
    expect(marked('RRG-2025-001 — MOFCOM No. 18: export licensing', 'ja')).toBe('[en:RRG-2025-001 — MOFCOM No. 18: export licensing]');
    expect(marked('2025年5月12日 10:00', 'ja')).toBe('2025年5月12日 10:00');
    expect(marked('佐藤 美咲', 'ja')).toBe('佐藤 美咲');
  });

  it('keeps every character, in order', () => {
    for (const text of ['', '✓ Priya Raman (DOE) 佐藤 美咲 (METI)', 'a\nb 日本\nc', '  spaced  '])
      for (const page of ['en', 'ja']) expect(langRuns(text, page).map((r) => r.text).join('')).toBe(text);
  });
});
