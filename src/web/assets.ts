// The dashboard's one stylesheet and one script, hand-written and served as they are (no build step).
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

// Compiled code runs from dist/src/web; the files stay in src/web/assets (shipped with the package).
const candidates = ['./assets/', '../../../src/web/assets/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
const assetDir = candidates.find((d) => fs.existsSync(d + 'dashboard.js')) ?? candidates[0]!;

const FILES: Record<string, string> = { 'dashboard.css': 'text/css; charset=utf-8', 'dashboard.js': 'text/javascript; charset=utf-8' };

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  const cache = new Map<string, Buffer>();
  app.get<{ Params: { file: string } }>('/assets/:file', { config: { web: 'public' } }, async (req, reply) => {
    const type = FILES[req.params.file];
    if (!type) return reply.status(404).send({ id: 'not_found', message: `No dashboard asset ${req.params.file}.` });
    let body = cache.get(req.params.file);
    if (!body) { body = fs.readFileSync(assetDir + req.params.file); cache.set(req.params.file, body); }
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  });
}
