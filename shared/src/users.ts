import { z } from 'zod';
import { Agency, Locale, Role, Side, TimeZone } from './common.ts';
import { hasLoneSurrogate, text } from './text.ts';

/** Runs a whole-object refinement only when the fields themselves passed. */
export const onlyIfValid = (payload: { issues: readonly unknown[] }): boolean => payload.issues.length === 0;

/** Letters (any case), digits, dot, dash, underscore or @; unique and signed in with regardless of case. */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1–64 letters, digits, dot, dash, underscore or @, starting with a letter or digit');

export const Password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  // Hashed as UTF-8, an unpaired surrogate would become U+FFFD: another password would then match.
  .refine((v) => !hasLoneSurrogate(v), { message: 'contains an unpaired surrogate and cannot be stored exactly', params: { code: 'unpaired_surrogate' } });

/**
 * A password given to be checked (sign-in, current password): refused when it has an unpaired
 * surrogate, which hashing as UTF-8 would turn into U+FFFD and so match another password.
 */
const GivenPassword = z
  .string()
  .min(1, 'is required')
  .max(256)
  .refine((v) => !hasLoneSurrogate(v), { message: 'contains an unpaired surrogate; no password can', params: { code: 'unpaired_surrogate' } });

/** Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069): they can make a name read as another. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/u;
/**
 * Control characters, format characters and every default-ignorable code point (zero-width
 * space and joiners, LRM/RLM, BOM, soft hyphen, the combining grapheme joiner, Hangul fillers,
 * Khmer inherent vowels…): each draws nothing, so a name holding one looks like the name without
 * it. Variation selectors are the exception: they choose a glyph of the character before them
 * (an emoji's colour form, a kanji's variant in a Japanese name), and the comparison key drops them.
 */
const INVISIBLE = /(?![\uFE00-\uFE0F\u{E0100}-\u{E01EF}])[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** What draws nothing: left out of the comparison key. */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
/** White space, and what draws as white space without being it (U+2800 BRAILLE PATTERN BLANK). */
const SPACE_LIKE = /[\s\u2800]+/gu;

/**
 * The form in which two display names are compared: NFKC (full-width and compatibility forms
 * fold to their plain letters), lower case, without what draws nothing (variation selectors),
 * runs of white space (and blank look-alikes) as one space, no leading or trailing space. "Jordan Hayes", "jordan  hayes" and "Ｊｏｒｄａｎ Ｈａｙｅｓ" are one name.
 */
export function displayNameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC').replace(IGNORABLE, '').replace(SPACE_LIKE, ' ').trim();
}

/**
 * A person's name as others see it beside what they write: 1–100 characters, not blank, no
 * bidi controls, no control or invisible characters. Unique among enabled accounts by
 * `displayNameKey` (checked by the server: `name_taken`).
 */
export const DisplayName = text(100, { min: 1, blank: false })
  .refine((v) => !BIDI_CONTROLS.test(v), { message: 'must not contain bidirectional control characters (U+202A–202E, U+2066–2069)', params: { code: 'bidi_control' } })
  .refine((v) => BIDI_CONTROLS.test(v) || !INVISIBLE.test(v), { message: 'must not contain control or invisible characters', params: { code: 'invisible_character' } });

/** What an account looks like to the admin and to its owner. Never carries the password. */
export const User = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: Role,
  agency: z.string(),
  side: Side,
  locale: Locale,
  timeZone: z.string(),
  disabled: z.boolean(),
  /** The account must choose a new password before it may do anything else. */
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type User = z.infer<typeof User>;

/** An entry of the people directory, visible to every signed-in user. */
export const Person = z.object({ id: z.string(), displayName: z.string(), role: Role, agency: z.string(), side: Side });
export type Person = z.infer<typeof Person>;

/**
 * The actor of an event: who did it, as they were at that moment. `role` is shown beside the
 * name wherever an author is shown; events recorded before it was kept have none.
 */
export const Actor = z.object({ id: z.string(), displayName: z.string(), agency: z.string(), side: Side, role: Role.optional() });
export type Actor = z.infer<typeof Actor>;

export const SignIn = z.strictObject({
  username: z.string().min(1, 'is required').max(64),
  password: GivenPassword,
});
export type SignIn = z.infer<typeof SignIn>;

export const UserCreate = z.strictObject({
  username: Username,
  displayName: DisplayName,
  password: Password,
  role: Role,
  agency: Agency,
  side: Side,
  locale: Locale.optional(),
  timeZone: TimeZone.optional(),
  /**
   * The new account must choose its own password at first sign-in. False unless asked: scripts
   * create accounts over the API and use them at once.
   */
  mustChangePassword: z.boolean().optional(),
});
export type UserCreate = z.infer<typeof UserCreate>;

export const UserUpdate = z
  .strictObject({
    displayName: DisplayName.optional(),
    role: Role.optional(),
    agency: Agency.optional(),
    side: Side.optional(),
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
    password: Password.optional(),
    disabled: z.boolean().optional(),
    /** With a password reset, false unless given (the admin chose it for use at once); alone, sets or clears it. */
    mustChangePassword: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'names no field to change', params: { code: 'no_change' }, when: onlyIfValid });
export type UserUpdate = z.infer<typeof UserUpdate>;

/** What a user may change of their own account. */
export const ProfileUpdate = z
  .strictObject({
    displayName: DisplayName.optional(),
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'names no field to change', params: { code: 'no_change' }, when: onlyIfValid });
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

export const PasswordChange = z.strictObject({
  currentPassword: GivenPassword,
  newPassword: Password,
  /**
   * Also revoke every API token of the account ("sign out everywhere"). Other sessions end with
   * any password change; this session is kept. Absent or false: tokens keep working, as before.
   */
  signOutEverywhere: z.boolean().optional(),
});
export type PasswordChange = z.infer<typeof PasswordChange>;

export const TokenCreate = z.strictObject({ name: text(100, { min: 1, blank: false }) });
export type TokenCreate = z.infer<typeof TokenCreate>;

/** A personal API token as listed; the secret appears only once, in the creation answer. */
export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  userId: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const CreatedApiToken = z.object({
  id: z.string(),
  name: z.string(),
  /** Null in a replay of the creation (same Idempotency-Key): the secret is never stored. */
  token: z.string().nullable().describe('the secret, shown this once; null when this answer is the replay of an earlier creation (Idempotency-Key), whose secret was shown then and is not kept'),
  userId: z.string(),
  createdAt: z.string(),
});
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

/** Time zone a new account gets when none is given: the capital of its side. */
export function defaultTimeZone(side: Side): string {
  return side === 'JP' ? 'Asia/Tokyo' : 'America/New_York';
}

export function defaultLocale(side: Side): Locale {
  return side === 'JP' ? 'ja' : 'en';
}
