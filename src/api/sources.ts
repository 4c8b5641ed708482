// POST /sources gives a signed put_url/get_url pair, as Heroku's API does; the blob is stored here.
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { createSource, getSource } from '../store/sources.js';
import { storeSource } from '../git/store-source.js';
import { sourceKey } from '../git/source-blobs.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { signedUrl } from './urls.js';

export async function sourceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Uploads are raw bytes of any content type: hand the request stream to the handler.
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.post('/sources', async (req, reply) => {
    const id = await createSource(ctx.store.db);
    const pathname = `/sources/${id}/blob`;
    return reply.status(201).send({ source_blob: { get_url: signedUrl(ctx, req, pathname), put_url: signedUrl(ctx, req, pathname, 'PUT') } });
  });

  app.put<{ Params: { id: string } }>('/sources/:id/blob', async (req) => {
    const src = await getSource(ctx.store.db, req.params.id);
    if (!src) throw fail('source_not_found');
    if (src.uploaded_at) throw fail('conflict', 'This source blob was already uploaded; sources are immutable. Create a new one with POST /sources.');
    const { size, checksum } = await storeSource(ctx, src.id, req.body as Readable);
    return { id: src.id, size, checksum };
  });

  app.get<{ Params: { id: string } }>('/sources/:id/blob', async (req, reply) => {
    const src = await getSource(ctx.store.db, req.params.id);
    if (!src?.uploaded_at) throw fail('source_not_found');
    const body = await ctx.blobs.get(sourceKey(src.id));
    if (!body) throw fail('source_not_found');
    return reply.type('application/gzip').send(body);
  });
}
