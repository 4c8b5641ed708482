// `heroku buildpacks`, `buildpacks:set/add/remove/clear`: the app's own list of buildpacks
// (Platform API v3 buildpack-installations), used by its next builds instead of app.json's.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { appBuildpacks, getApp, setBuildpacks, type App } from '../../store/apps.js';
import { parseBuildpackRef } from '../../buildpacks/buildpack-ref.js';
import { builtinNames } from '../../buildpacks/builtin.js';
import { fail } from '../../core/errors.js';
import type { AppContext } from '../../app-context.js';
import { parseBody } from '../errors.js';

const installations = (a: Pick<App, 'buildpacks'>) => appBuildpacks(a).map((url, ordinal) => ({ ordinal, buildpack: { url, name: url } }));

export async function buildpackRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'store'>): Promise<void> {
  const db = ctx.store.db;
  app.get<{ Params: { app: string } }>('/apps/:app/buildpack-installations', async (req) => installations(await getApp(db, req.params.app)));
  app.put<{ Params: { app: string } }>('/apps/:app/buildpack-installations', async (req) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ updates: z.array(z.object({ buildpack: z.string().min(1).max(2048) })).max(20) }), req.body);
    const urls = b.updates.map((u) => u.buildpack.replace(/^urn:buildpack:/, ''));
    // The same check a build makes, now, so a typo fails at buildpacks:set rather than at the next push.
    for (const [i, url] of urls.entries()) {
      const r = parseBuildpackRef(url, builtinNames());
      if (!r.ok) throw fail('invalid_params', `Buildpack ${i + 1} (${url}): ${r.message}`);
    }
    await setBuildpacks(db, a.id, urls);
    return installations(await getApp(db, a.id));
  });
}
