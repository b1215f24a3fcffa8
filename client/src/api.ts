import { isProblem, type Problem } from '@lodestone/shared';

/** A refusal from the API (an RFC 9457 problem) or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.status = problem.status;
    this.problem = problem;
  }

  /** What was wrong with each field, `{path, message, code, params}`: i18n/field-errors.ts words it for the user. */
  get fieldErrors(): NonNullable<Problem['errors']> {
    return this.problem.errors ?? [];
  }

  get offline(): boolean {
    return this.status === 0;
  }
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

export interface RequestOptions {
  /** For POST: the key that makes a retry safe. A fresh one is made when not given. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

type Listener = (error: ApiError) => void;
const unauthorizedListeners = new Set<Listener>();
const passwordFirstListeners = new Set<Listener>();

/** Problem types the client acts on wherever they come from. */
export const ACCOUNT_DISABLED = 'urn:lodestone:problem:account-disabled';
export const PASSWORD_CHANGE_REQUIRED = 'urn:lodestone:problem:password-change-required';

/** Called when any request answers 401: the session has ended (`problem.type` says when because the account was disabled). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Called when a request is refused because the account must choose a new password first. */
export function onPasswordChangeRequired(listener: Listener): () => void {
  passwordFirstListeners.add(listener);
  return () => passwordFirstListeners.delete(listener);
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** One call to the Lodestone API under /api/v1, with its headers. */
export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST') headers['idempotency-key'] = options.idempotencyKey ?? newIdempotencyKey();
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({ type: 'about:blank', title: 'Network error', status: 0, detail: 'The server could not be reached.' });
  }
  if (response.status === 204) return { data: undefined as T, headers: response.headers, status: 204 };
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): treated as a bare status below.
  }
  if (!response.ok) {
    const problem: Problem = isProblem(parsed)
      ? parsed
      : { type: 'about:blank', title: response.statusText || 'Error', status: response.status };
    const error = new ApiError(problem);
    if (response.status === 401 && path !== '/session') unauthorizedListeners.forEach((l) => l(error));
    if (response.status === 403 && problem.type === PASSWORD_CHANGE_REQUIRED) passwordFirstListeners.forEach((l) => l(error));
    throw error;
  }
  return { data: parsed as T, headers: response.headers, status: response.status };
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options).then((r) => r.data),
  post: <T>(path: string, body: unknown = {}, options?: RequestOptions) => request<T>('POST', path, body, options).then((r) => r.data),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PATCH', path, body, options).then((r) => r.data),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PUT', path, body, options).then((r) => r.data),
  delete: <T = void>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options).then((r) => r.data),
};

/** Builds a query string from the defined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
}
