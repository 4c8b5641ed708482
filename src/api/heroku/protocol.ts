// The Platform API v3 protocol around every route: Range pagination of lists (206 + Next-Range),
// the RateLimit-Remaining header, and a readable not_supported answer for endpoints Slipway lacks.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail } from '../../core/errors.js';
import { paginate, parseRange, DEFAULT_MAX, type RangeSpec } from './range.js';

declare module 'fastify' {
  interface FastifyRequest { listRange?: RangeSpec }
}

/** Hooks every route shares; call before the resource plugins register. */
export function registerHerokuProtocol(app: FastifyInstance): void {
  app.addHook('preHandler', async (req: FastifyRequest) => {
    if (req.method !== 'GET') return;
    const header = req.headers.range;
    const r = parseRange(header);
    if (!r.ok) throw fail('invalid_params', r.message);
    if (header) req.listRange = r.range;
  });
  // Lists are paged before they are serialised: the array as the route returned it, never parsed back.
  app.addHook('preSerialization', async (req: FastifyRequest, reply, payload) => {
    if (req.method !== 'GET' || reply.statusCode !== 200 || !Array.isArray(payload)) return payload;
    const items = payload as Record<string, unknown>[];
    // Without a Range header a list keeps its own order, and is cut only when it is long.
    if (!req.listRange && items.length <= DEFAULT_MAX) return payload;
    const page = paginate(items, req.listRange ?? parseRangeOrDefault());
    if (page.contentRange) reply.header('content-range', page.contentRange);
    if (page.nextRange) { reply.header('next-range', page.nextRange); reply.status(206); }
    return page.items;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // No real quota: the header is there because clients read it to pace themselves.
    reply.header('ratelimit-remaining', '4500');
    return payload;
  });
}

const parseRangeOrDefault = (): RangeSpec => { const r = parseRange(undefined); return r.ok ? r.range : { field: 'id', startExclusive: false, max: DEFAULT_MAX, order: 'asc' }; };
