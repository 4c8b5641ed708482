// The dashboard's forms act through the API's own routes (the same validation, releases and, with
// accounts, the same permissions), as the signed-in principal: an in-process request (Fastify's
// inject) carrying a key that exists only in this process's memory and the principal's token id.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const KEY = randomBytes(32).toString('hex');
const KEY_HEADER = 'x-slipway-internal';
const ACTOR_HEADER = 'x-slipway-actor';

/** The token id an in-process call acts as, when it carries this process's key; else undefined. */
export function internalActor(req: FastifyRequest): string | undefined {
  const key = req.headers[KEY_HEADER];
  const actor = req.headers[ACTOR_HEADER];
  if (typeof key !== 'string' || typeof actor !== 'string' || key.length !== KEY.length) return undefined;
  return timingSafeEqual(Buffer.from(key), Buffer.from(KEY)) ? actor : undefined;
}

export interface ApiAnswer { status: number; body: { id?: string; message?: string } & Record<string, unknown> }

/** Call an API route in-process as the token `actorId`; the answer's status and JSON. */
export async function callApiAs(app: FastifyInstance, actorId: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiAnswer> {
  const r = await app.inject({
    method, url,
    headers: { [KEY_HEADER]: KEY, [ACTOR_HEADER]: actorId, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  try { return { status: r.statusCode, body: r.body ? JSON.parse(r.body) as ApiAnswer['body'] : {} }; } catch { return { status: r.statusCode, body: { message: r.body } }; }
}
