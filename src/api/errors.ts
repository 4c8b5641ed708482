// Every error leaves the API as `{id, message}` with the registry's status; the server keeps running.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod/v3';
import { SlipwayError, ERRORS, fail } from '../core/errors.js';
import { publicErrorId } from './heroku/error-ids.js';
import { configPatchProblem } from '../core/tenant-keys.js';

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    if (err instanceof SlipwayError) return reply.status(err.status).send({ id: publicErrorId(err.id, req.headers.accept), message: err.message });
    // Fastify's JSON parser also refuses a `__proto__` key this way (and does not say which it was).
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return reply.status(400).send({ id: 'invalid_json', message: 'The request body is not valid JSON, or it names "__proto__" (never accepted as a key): check the JSON and the names in it.' });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ id: 'payload_too_large', message: 'The request body is too large.' });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send({ id: 'invalid_params', message: `Unsupported Content-Type; send application/json.` });
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send({ id: 'invalid_params', message: err.message });
    req.log.error(err);
    return reply.status(500).send({ id: 'internal_error', message: ERRORS.internal_error.message });
  });
  // An endpoint Slipway lacks (the heroku CLI calls many): a clear 501, never a hang or a crash.
  app.setNotFoundHandler((req, reply) => reply.status(ERRORS.not_supported.status).send({
    id: 'not_supported', message: `Slipway does not support ${req.method} ${req.url.split('?')[0]}; docs/heroku-cli.md lists what it does support.`,
  }));
}

/** Validate a request body; the error names each bad field by its path. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const detail = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
  throw fail('invalid_params', `Invalid request: ${detail}.`);
}

/** A config-var patch body with a reserved or NUL-holding key or value: 400 invalid_key (checked before zod, which would drop `__proto__`). */
export function refuseBadKeys(body: unknown): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const problem = configPatchProblem(body as Record<string, unknown>);
  if (problem) throw fail('invalid_key', `Invalid config vars: ${problem}.`);
}

