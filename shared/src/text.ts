import { z } from 'zod';

/** Number of Unicode code points, the unit every length limit of the contract counts in. */
export function codePointLength(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** True when the string holds a surrogate half without its pair: UTF-8 cannot store it exactly. */
export function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  }
  return false;
}

export const LIMITS = { title: 200, body: 10_000, list: 100, name: 100, short: 500 } as const;

/**
 * A text field stored exactly as given: length counted in code points, no trimming,
 * refused when it cannot be stored byte for byte (lone surrogates; U+0000, which PostgreSQL
 * cannot store, refused on every store alike).
 */
export function text(max: number, options: { min?: number; blank?: boolean } = {}) {
  const min = options.min ?? 0;
  return z
    .string()
    .refine((v) => !v.includes('\u0000'), { message: 'must not contain the NUL character (U+0000)', params: { code: 'nul_character' } })
    .refine((v) => !hasLoneSurrogate(v), { message: 'contains an unpaired surrogate and cannot be stored exactly', params: { code: 'unpaired_surrogate' } })
    .refine((v) => codePointLength(v) <= max, { message: `must be at most ${max} characters`, params: { code: 'too_long', max } })
    .refine((v) => codePointLength(v) >= min, {
      message: min === 1 ? 'must not be empty' : `must be at least ${min} characters`,
      params: min === 1 ? { code: 'empty' } : { code: 'too_short', min },
    })
    .refine((v) => options.blank !== false || min === 0 || v.trim().length > 0, {
      message: 'must not be blank',
      params: { code: 'blank' },
    });
}

/** A required single-line title: 1–200 characters, not only whitespace. */
export const Title = text(LIMITS.title, { min: 1, blank: false });
/** A free-text body or description: up to 10,000 characters. */
export const Body = text(LIMITS.body);
