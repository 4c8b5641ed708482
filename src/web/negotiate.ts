// Pages share paths with the Platform API (`/pipelines/NAME`, `/apps/NAME`): a route constraint sends
// a browser (Accept: text/html) to the page and everyone else to the JSON, on the same URL.
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const HTML_ROUTE = { dashboard: 'html' } as const;

/** A browser navigation asks for text/html; API clients (heroku CLI, slipway CLI, curl) do not. */
export const wantsHtml = (req: { headers: Record<string, string | string[] | undefined> }): boolean =>
  String(req.headers['accept'] ?? '').includes('text/html');

export function registerHtmlConstraint(app: FastifyInstance): void {
  app.addConstraintStrategy({
    name: 'dashboard',
    storage() {
      const stores = new Map<string, unknown>();
      return { get: (k: string) => (stores.get(k) ?? null) as never, set: (k: string, s: unknown) => { stores.set(k, s); } };
    },
    deriveConstraint: (req: FastifyRequest['raw']) => (wantsHtml(req) ? 'html' : undefined) as never,
    mustMatchWhenDerived: false,
  });
}
