import type { FastifyRequest } from 'fastify';
import { signedQuery, type SignedMethod } from '../core/signed-url.js';
import type { AppContext } from '../app-context.js';

/** The server's own base URL as the client reached it (or SLIPWAY_PUBLIC_URL). */
export function baseUrl(ctx: AppContext, req: FastifyRequest): string {
  return ctx.config.publicUrl ?? `${req.protocol}://${req.headers.host ?? `${ctx.config.host}:${ctx.config.port}`}`;
}

/** An absolute URL for `pathname` that works without a token, for `method` only and for a while. */
export function signedUrl(ctx: AppContext, req: FastifyRequest, pathname: string, method: SignedMethod = 'GET'): string {
  return `${baseUrl(ctx, req)}${pathname}?${signedQuery(ctx, pathname, method)}`;
}
