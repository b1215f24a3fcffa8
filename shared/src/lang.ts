/**
 * The language of a piece of text, told by its script, for the `lang` attribute that makes a
 * screen reader read it with the right voice (WCAG 3.1.2, language of parts): Japanese when it
 * has kana or kanji, English when its letters are Latin only.
 */
export type TextLang = 'en' | 'ja';

const JAPANESE = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}\u3000-\u303f\uff66-\uff9f]/u;
const LATIN = /\p{Script=Latin}/u;

/** 'ja' for text with kana or kanji, 'en' for text whose letters are all Latin, null when it has no letters of either (numbers, codes of digits, emoji). */
export function scriptLang(text: string): TextLang | null {
  if (JAPANESE.test(text)) return 'ja';
  if (LATIN.test(text)) return 'en';
  return null;
}

/** The `lang` attribute for a text shown on a page in `pageLang`: its language when that differs, else undefined (it inherits the page's). */
export function langAttr(text: string | null | undefined, pageLang: string): TextLang | undefined {
  const lang = text ? scriptLang(text) : null;
  return lang && lang !== pageLang ? lang : undefined;
}

export interface LangRun {
  text: string;
  /** Set on a run in the other language than the page's. */
  lang?: TextLang;
}

const J = '[\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Han}\\u3000-\\u303f\\u30fb\\u30fc\\uff01-\\uff9f]';
/** Japanese, with the spaces, digits and ASCII signs between its characters (never Latin words: "高橋 健 updated …" keeps its English). */
const JAPANESE_RUN = new RegExp(`${J}(?:[\\s\\d.,:;/()\\-]*${J})*`, 'gu');
const L = '[\\p{Script=Latin}\\d]';
/** Latin words, with the spaces, digits and signs between them ("MOFCOM No. 18: export licensing", "Jordan Hayes (DOE"). */
const LATIN_RUN = new RegExp(`${L}(?:[\\s.,:;'’"“”!?&/()%+\\-–—]*${L})*`, 'gu');

/**
 * A text cut into runs, the runs in the other language than the page's marked with it: the
 * Japanese in an English page ("佐藤 美咲", a note in Japanese, a Japanese title quoted in an English
 * line), the Latin words in a Japanese page. Runs of digits and signs alone are left unmarked.
 */
export function langRuns(text: string, pageLang: string): LangRun[] {
  const other: TextLang = pageLang === 'ja' ? 'en' : 'ja';
  const pattern = other === 'ja' ? JAPANESE_RUN : LATIN_RUN;
  const runs: LangRun[] = [];
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    const run = match[0];
    if (other === 'en' && !LATIN.test(run)) continue;
    const start = match.index;
    if (start > at) runs.push({ text: text.slice(at, start) });
    runs.push({ text: run, lang: other });
    at = start + run.length;
  }
  if (at < text.length) runs.push({ text: text.slice(at) });
  return runs;
}
