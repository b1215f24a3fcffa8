import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FIELD_ERROR_CODES, UserCreate, type FieldErrorCode, type Problem } from '@lodestone/shared';
import { sourceMessages } from '../helpers/catalogues.ts';
import type * as I18n from '../../client/src/i18n/index.ts';
import type * as FieldErrors from '../../client/src/i18n/field-errors.ts';
import type * as UseAction from '../../client/src/composables/useAction.ts';
import type * as Api from '../../client/src/api.ts';

/*
 * Field errors in the user's language: every code the server can send (test/server/field-error-
 * codes.test.ts sends each one) has wording in English and Japanese, with its params filled in;
 * the client's own checks before sending use the same codes and wording.
 */

/** Params as the server sends them, for the codes that have any. */
const PARAMS: Partial<Record<FieldErrorCode, Record<string, string | number>>> = {
  wrong_type: { expected: 'string' },
  not_one_of: { values: 'critical, high, moderate, low' },
  invalid_format: { format: 'regex' },
  too_long: { max: 10_000 },
  too_short: { min: 8 },
  too_many_items: { max: 100 },
  too_small: { min: 1 },
  wrong_side: { side: 'US' },
  status_transition: { from: 'closed', to: 'stabilizing' },
  in_future: { maxSkewMinutes: 5 },
  too_old: { maxDays: 30 },
};
/** How a param reads once filled in: numbers as the language writes them, codes by their names. */
const NAMES: Record<'en' | 'ja', Record<string, string>> = {
  en: { US: 'United States', closed: 'Closed', stabilizing: 'Stabilizing' },
  ja: { US: '米国', closed: 'クローズ', stabilizing: '安定化' },
};
const filled = (lang: 'en' | 'ja', value: string | number) => (typeof value === 'number' ? value.toLocaleString('en-US') : (NAMES[lang][value] ?? value));
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;
const SERVER_MESSAGE = 'server wording in English';

type Modules = { i18n: typeof I18n; errors: typeof FieldErrors; action: typeof UseAction; api: typeof Api };

async function inLanguage(lang: 'en' | 'ja'): Promise<Modules> {
  vi.resetModules();
  localStorage.setItem('lodestone.locale', lang);
  const i18n = await import('../../client/src/i18n/index.ts');
  await i18n.startI18n();
  return {
    i18n,
    errors: await import('../../client/src/i18n/field-errors.ts'),
    action: await import('../../client/src/composables/useAction.ts'),
    api: await import('../../client/src/api.ts'),
  };
}

beforeEach(() => localStorage.clear());

describe('field errors in the user’s language', () => {
  const english = sourceMessages('en');

  it('have a sample of the params of every code whose wording uses them', () => {
    for (const code of FIELD_ERROR_CODES) {
      const used = [...(english.get(`fieldErrors.${code}`) ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      for (const name of used) expect(PARAMS[code], `${code} uses {${name}}`).toHaveProperty(name);
    }
  });

  describe.each(['en', 'ja'] as const)('in %s', (lang) => {
    it.each([...FIELD_ERROR_CODES])('%s reads in the language, with its params filled in', async (code) => {
      const { errors } = await inLanguage(lang);
      const params = PARAMS[code];
      const text = errors.describeFieldError({ path: 'someField', message: SERVER_MESSAGE, code, ...(params ? { params } : {}) });
      expect(text).not.toBe(SERVER_MESSAGE);
      expect(text).not.toMatch(/fieldErrors|[{}]/);
      expect(text.trim().length).toBeGreaterThan(3);
      expect(JAPANESE.test(text), text).toBe(lang === 'ja');
      for (const [name, value] of Object.entries(params ?? {})) {
        if (english.get(`fieldErrors.${code}`)?.includes(`{${name}}`)) expect(text).toContain(filled(lang, value));
      }
    });
  });

  it('use a field’s own wording where it has one, the code’s otherwise, and the server’s for a code this client does not know', async () => {
    const { errors } = await inLanguage('ja');
    expect(errors.describeFieldError({ path: 'username', message: 'is taken', code: 'taken' })).toBe('このユーザー名はすでに使われています。');
    expect(errors.describeFieldError({ path: 'agency', message: 'is taken', code: 'taken' })).toBe('すでに使われています。');
    expect(errors.describeFieldError({ path: 'username', message: 'must be …', code: 'invalid_format', params: { format: 'regex' } })).toContain('英字・数字');
    expect(errors.describeFieldError({ path: 'x', message: 'is tomorrow', code: 'from_the_future' })).toBe('is tomorrow');
    expect(errors.describeFieldError({ path: 'x', message: 'is odd' })).toBe('is odd');
  });

  it('show a server refusal by field and, above the form, in the user’s language', async () => {
    const { action, api } = await inLanguage('ja');
    const problem: Problem = {
      type: 'urn:lodestone:problem:invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'The username "kenji" is taken.',
      errors: [
        { path: 'username', message: 'is taken', code: 'taken' },
        { path: 'displayName', message: 'must be at most 100 characters', code: 'too_long', params: { max: 100 } },
      ],
    };
    const run = action.useAction();
    await run.run(() => Promise.reject(new api.ApiError(problem)));
    expect(run.fieldErrors.value).toEqual({ username: 'このユーザー名はすでに使われています。', displayName: '100 文字以内で入力してください。' });
    expect(run.error.value).toBe('次の点を確認してください: このユーザー名はすでに使われています。 100 文字以内で入力してください。');
  });

  it('check a form before sending with the same codes and wording', async () => {
    const input = { username: 'has space', displayName: '', password: 'short', role: 'member', agency: 'DOE', side: 'US' };
    const { action } = await inLanguage('ja');
    expect(action.checkForm(UserCreate, input)).toEqual({
      username: '英字・数字・ドット・ハイフン・アンダースコア・@ の 1〜64 文字（先頭は英字か数字）。',
      displayName: '入力してください。',
      password: '8 文字以上で入力してください。',
    });
    expect(action.checkForm(UserCreate, { ...input, username: 'kenji', displayName: 'Kenji', password: 'long-enough', role: 7 })).toEqual({ role: '次のいずれかを選んでください: admin, lead, member, liaison, staff。' });
    const { action: inEnglish } = await inLanguage('en');
    expect(inEnglish.checkForm(UserCreate, input).password).toBe('At least 8 characters.');
    expect(inEnglish.checkForm(UserCreate, { ...input, username: 'kenji', displayName: 'Kenji', password: 'long-enough' })).toEqual({});
  });
});
