import { z } from 'zod';

/**
 * The JSON schema of a zod schema, for the route's OpenAPI description. Fastify does not
 * validate with it (the validator compiler is a no-op): routes validate with zod itself.
 */
export function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' }, params: { type: 'object' } } },
    },
  },
  required: ['type', 'title', 'status'],
} as const;

/** Standard refusals every authenticated route may answer. */
export function refusals(...statuses: number[]): Record<number, typeof problemSchema> {
  const out: Record<number, typeof problemSchema> = {};
  for (const s of [401, 403, ...statuses]) out[s] = problemSchema;
  return out;
}

/** Response header of list routes: the stream seq the list reflects, to follow the stream from. */
export const STREAM_HEAD_HEADER = 'lodestone-stream-head';
