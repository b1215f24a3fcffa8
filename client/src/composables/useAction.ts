import { ref } from 'vue';
import { useI18n } from '../i18n/index.ts';
import { fieldErrorMap } from '@lodestone/shared';
import { ApiError } from '../api.ts';

/**
 * Runs one user action against the API: busy while it runs, then a message a person can
 * read (localized where the server's words are generic) and the errors of each field.
 */
export function useAction() {
  const { t } = useI18n();
  const busy = ref(false);
  const error = ref<string | null>(null);
  const fieldErrors = ref<Record<string, string>>({});

  function describe(e: unknown): string {
    if (!(e instanceof ApiError)) return t('errors.generic');
    if (e.offline) return t('errors.network');
    if (e.status === 403) return e.problem.detail ?? t('errors.forbidden');
    return e.problem.detail ?? e.problem.title;
  }

  async function run<R>(work: () => Promise<R>): Promise<R | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    error.value = null;
    fieldErrors.value = {};
    try {
      return await work();
    } catch (e) {
      error.value = describe(e);
      if (e instanceof ApiError) fieldErrors.value = localizeFieldErrors(e.fieldErrors, t);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  function reset() {
    error.value = null;
    fieldErrors.value = {};
  }

  return { busy, error, fieldErrors, run, reset, describe };
}

type Translate = (key: string, values?: Record<string, unknown>) => string;

const PATTERNS: [RegExp, string][] = [
  [/^is required$/, 'validation.required'],
  [/^must not be empty$/, 'validation.required'],
  [/^must not be blank$/, 'validation.blank'],
  [/^must be at most (\d+) characters$/, 'validation.tooLong'],
  [/^must be at least (\d+) characters$/, 'validation.tooShort'],
  [/^must have at most (\d+) items$/, 'validation.tooMany'],
  [/^is not a known field$/, 'validation.unknown'],
  [/^must be one of: (.+)$/, 'validation.oneOf'],
  [/^is not a known IANA time zone$/, 'validation.timeZone'],
  [/^must be 1–64 letters, digits/, 'validation.username'],
  [/^must be a short agency code/, 'validation.agency'],
];

/** Server field messages are English; show the known ones in the UI language. */
export function localizeFieldErrors(errors: Record<string, string>, t: Translate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors)) {
    const hit = PATTERNS.find(([re]) => re.test(message));
    out[path] = hit ? t(hit[1], { n: hit[0].exec(message)?.[1] ?? '', values: hit[0].exec(message)?.[1] ?? '' }) : message;
  }
  return out;
}

/** Checks a form against its shared schema before sending; returns the localized field errors, empty when valid. */
export function checkForm(schema: { safeParse(value: unknown): { success: boolean; error?: unknown } }, value: unknown, t: Translate): Record<string, string> {
  const result = schema.safeParse(value);
  if (result.success) return {};
  return localizeFieldErrors(fieldErrorMap(result.error as Parameters<typeof fieldErrorMap>[0]), t);
}
