// `POST /secrets/rotate-key` (`slipway secrets:rotate-key`): a new key in the key file, every
// secret re-sealed with it, the old key dropped. Keys from SLIPWAY_SECRET_KEY rotate by restart.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { fail } from '../core/errors.js';
import { rotateKeyFile } from '../secrets/sealed-store.js';

export async function secretKeyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/secrets/rotate-key', async (req) => {
    if (!req.principal?.admin) throw fail('admin_only', 'Only a Slipway admin rotates the secret key.');
    if (!ctx.secretKeys.file) throw fail('secret_key_from_environment');
    const before = ctx.secretKeys.ring.currentId;
    const r = await rotateKeyFile(ctx.store, ctx.secretKeys);
    return { previous_key_id: before, key_id: r.keyId, resealed: r.resealed };
  });
}
