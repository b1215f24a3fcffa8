import { ref } from 'vue';
import { useI18n } from '../i18n/index.ts';
import { describeFieldErrors } from '../i18n/field-errors.ts';
import { check } from '@lodestone/shared';
import { ApiError } from '../api.ts';

/**
 * Runs one user action against the API: busy while it runs, then a message a person can
 * read (in the UI language where the refusal says what was wrong) and the errors of each field.
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
    const fields = Object.values(describeFieldErrors(e.fieldErrors));
    if (e.status === 400 && fields.length > 0) return t('errors.invalid', { errors: [...new Set(fields)].join(' ') });
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
      if (e instanceof ApiError) fieldErrors.value = describeFieldErrors(e.fieldErrors);
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

/**
 * Checks a form against its shared schema before sending: the field errors in the UI language
 * (the same codes and wording as the server's refusals), empty when valid.
 */
export function checkForm(schema: Parameters<typeof check>[0], value: unknown): Record<string, string> {
  const result = check(schema, value);
  return result.ok ? {} : describeFieldErrors(result.errors);
}
