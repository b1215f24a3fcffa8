import { databaseUnavailable } from '../store/unavailable.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { IdempotentReplay } from '../events/idempotency.ts';
import { ProblemError, problems, type FieldError } from '../http/problem.ts';
import type { FieldErrorCode } from '@lodestone/shared';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(problem.toProblem()));
}

/** Sends a stored Idempotency-Key answer exactly as it was first given. */
export function sendReplay(reply: FastifyReply, replay: IdempotentReplay): FastifyReply {
  const { status, body } = replay.response;
  return reply
    .code(status)
    .header('idempotent-replayed', 'true')
    .type(status >= 400 ? PROBLEM_TYPE : 'application/json; charset=utf-8')
    .send(body);
}

/** A 400 always names what was wrong, as the contract's `errors`. */
function invalid(detail: string, path: string, code: FieldErrorCode = 'invalid'): ProblemError {
  const errors: FieldError[] = [{ path, message: detail, code }];
  return new ProblemError(400, { type: 'urn:lodestone:problem:invalid-request', title: 'Invalid request', detail, extras: { errors } });
}

/** Turns any error, Fastify's own included, into an RFC 9457 problem. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (databaseUnavailable(error)) return problems.unavailable(1, 'The database does not answer just now; try again shortly (with the same Idempotency-Key, a change is applied once).');
  const e = error as Partial<FastifyError> & { status?: number };
  const status = e.statusCode ?? e.status;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, { title: 'Request body too large', detail: 'The request body is over the 64 KiB limit.' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemError(415, { title: 'Unsupported media type', detail: 'Send the request body as application/json.' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(400, {
        type: 'urn:lodestone:problem:invalid-request',
        title: 'Invalid request',
        detail: 'The body is empty but the content type says JSON; send {} for no fields.',
        extras: { errors: [{ path: '', message: 'is empty', code: 'empty_body' }] },
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalid('Content-Length does not match the body.', 'Content-Length', 'invalid_header');
    case 'FST_ERR_BAD_URL':
      return invalid('The URL is not valid (bad percent-encoding).', 'url', 'invalid_format');
  }
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && /JSON/i.test(e.message ?? ''))) {
    return new ProblemError(400, {
      type: 'urn:lodestone:problem:invalid-request',
      title: 'Invalid request',
      detail: 'The body is not valid JSON.',
      extras: { errors: [{ path: '', message: e.message ?? 'is not valid JSON', code: 'invalid_json' }] },
    });
  }
  if (status === 400) return invalid(e.message ?? 'The request is not valid.', '');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProblemError(status, { detail: e.message });
  }
  return new ProblemError(500, { title: 'Internal error', detail: 'Something went wrong on our side; it has been logged.' });
}

/** One error handler for every route and hook: every refusal leaves as problem details. */
export const problemsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof IdempotentReplay) return sendReplay(reply, error);
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem);
  });
});
