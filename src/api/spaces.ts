// Private spaces — Heroku Platform API v3 paths: /spaces, /spaces/{id}/nat, /spaces/{id}/inbound-ruleset,
// /spaces/{id}/topology; beyond Heroku, /spaces/{id}/outbound-ruleset is an egress allow-list.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { appsInSpace, createSpace, deleteSpace, egressRules, getSpace, listSpaces, SPACE_NAME, trustedIps, updateSpace, type Space } from '../store/spaces.js';
import { fail } from '../core/errors.js';
import { formatCidr, overlaps, parseCidr, spaceCidrProblem } from '../spaces/cidr.js';
import { hostRoutes } from '../spaces/net.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';

const spec = (s: Space) => ({ id: s.id, name: s.name, cidr: s.cidr, trustedIps: trustedIps(s), egressRules: egressRules(s) });
const cidrText = z.string().refine((c) => parseCidr(c) !== undefined && c.includes('/'), 'a CIDR block such as 203.0.113.0/24');

/** A CIDR for a new space: the one asked for, checked, or the first free 10.X.0.0/16 from 10.100. */
async function chooseCidr(ctx: AppContext, asked: string | undefined): Promise<string> {
  const taken = [...(await listSpaces(ctx.store.db)).map((s) => ({ prefix: s.cidr, dev: `space ${s.name}` })),
    ...(await hostRoutes()).filter((r) => r.prefix !== '0.0.0.0/0' && !r.dev.startsWith(ctx.spaces.bridgePrefix))];
  const clash = (c: string) => taken.find((t) => { const p = parseCidr(t.prefix); return p && overlaps(p, parseCidr(c)!); });
  if (asked) {
    const problem = spaceCidrProblem(asked);
    if (problem) throw fail('invalid_params', problem);
    const c = formatCidr(parseCidr(asked)!);
    const hit = clash(c);
    if (hit) throw fail('cidr_in_use', `${c} overlaps ${hit.prefix} (${hit.dev.startsWith('space ') ? hit.dev : `a route of this host on ${hit.dev}`}); choose another /16 with --cidr.`);
    return c;
  }
  for (let x = 100; x < 255; x++) if (!clash(`10.${x}.0.0/16`)) return `10.${x}.0.0/16`;
  throw fail('cidr_in_use', 'No free 10.X.0.0/16 is left on this host; pass --cidr with a free private /16.');
}

export async function spaceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const json = (s: Space) => ({
    id: s.id, name: s.name, state: s.state, cidr: s.cidr, data_cidr: null, region: { id: s.region, name: s.region }, shield: s.shield === 1,
    organization: null, team: null, created_at: s.created_at, updated_at: s.updated_at,
    outbound_ips: ctx.spaces.egressOf(s.id) ? [ctx.spaces.egressOf(s.id)!] : [],
  });

  app.post('/spaces', async (req, reply) => {
    const b = parseBody(z.object({ name: z.string().regex(SPACE_NAME, 'space names start with a lowercase letter and use lowercase letters, digits and dashes (3–30 characters)'), cidr: z.string().optional(), shield: z.boolean().optional() }).passthrough(), req.body);
    const why = await ctx.spaces.unavailable();
    if (why) throw fail('spaces_unavailable', `Private spaces need to create bridges, namespaces and firewall rules, which this server cannot do: ${why}. Run the server as root (CAP_NET_ADMIN) with iproute2 and nftables installed; everything else keeps working without spaces.`);
    const s = await createSpace(db, b.name, await chooseCidr(ctx, b.cidr));
    try {
      await ctx.spaces.up(spec(s));
    } catch (e) {
      await deleteSpace(db, s.id);
      throw fail('spaces_unavailable', `The network of space ${s.name} could not be built: ${(e as Error).message}`);
    }
    return reply.status(201).send(json(await updateSpace(db, s.id, { state: 'allocated' })));
  });
  app.get('/spaces', async () => (await listSpaces(db)).map(json));
  app.get<{ Params: { space: string } }>('/spaces/:space', async (req) => json(await getSpace(db, req.params.space)));
  app.delete<{ Params: { space: string } }>('/spaces/:space', async (req) => {
    const s = await getSpace(db, req.params.space);
    const apps = await appsInSpace(db, s.id);
    if (apps.length) throw fail('space_not_empty', `Space ${s.name} still has ${apps.length} app(s): ${apps.map((a) => a.name).join(', ')}. Destroy them first (\`slipway apps:destroy -a APP --confirm APP\`).`);
    await ctx.spaces.down(s.id);
    await deleteSpace(db, s.id);
    return json(s);
  });

  app.get<{ Params: { space: string } }>('/spaces/:space/nat', async (req) => {
    const s = await getSpace(db, req.params.space);
    const egress = ctx.spaces.egressOf(s.id);
    return { created_at: s.created_at, sources: egress ? [egress] : [], state: egress ? 'enabled' : 'disabled', updated_at: s.updated_at };
  });

  const inbound = (s: Space) => ({ id: s.id, space: { id: s.id, name: s.name }, rules: trustedIps(s).map((source) => ({ action: 'allow', source })), created_at: s.updated_at, created_by: null });
  app.get<{ Params: { space: string } }>('/spaces/:space/inbound-ruleset', async (req) => inbound(await getSpace(db, req.params.space)));
  app.put<{ Params: { space: string } }>('/spaces/:space/inbound-ruleset', async (req) => {
    const s = await getSpace(db, req.params.space);
    const b = parseBody(z.object({ rules: z.array(z.object({ action: z.literal('allow').default('allow'), source: cidrText })).max(60) }), req.body);
    const sources = [...new Set(b.rules.map((r) => formatCidr(parseCidr(r.source)!)))];
    const next = await updateSpace(db, s.id, { trusted_ips: JSON.stringify(sources) });
    await ctx.spaces.update(spec(next));
    return inbound(next);
  });

  const outbound = (s: Space) => ({ id: s.id, space: { id: s.id, name: s.name }, rules: egressRules(s).map((r) => ({ target: r.cidr, from_port: r.port ?? 0, to_port: r.port ?? 65535, protocol: 'any' })), created_at: s.updated_at, created_by: null });
  app.get<{ Params: { space: string } }>('/spaces/:space/outbound-ruleset', async (req) => outbound(await getSpace(db, req.params.space)));
  app.put<{ Params: { space: string } }>('/spaces/:space/outbound-ruleset', async (req) => {
    const s = await getSpace(db, req.params.space);
    const port = z.number().int().min(0).max(65535);
    const b = parseBody(z.object({ rules: z.array(z.object({ target: cidrText, from_port: port.optional(), to_port: port.optional() })
      .refine((r) => (r.from_port ?? 0) === (r.to_port ?? r.from_port ?? 0) || (r.from_port ?? 0) === 0 && (r.to_port ?? 65535) === 65535, 'one port (from_port = to_port) or all ports')).max(60) }), req.body);
    const rules = b.rules.map((r) => ({ cidr: formatCidr(parseCidr(r.target)!), ...(r.from_port ? { port: r.from_port } : {}) }));
    const next = await updateSpace(db, s.id, { egress_rules: JSON.stringify(rules) });
    await ctx.spaces.update(spec(next));
    return outbound(next);
  });

  app.get<{ Params: { space: string } }>('/spaces/:space/topology', async (req) => {
    const s = await getSpace(db, req.params.space);
    const zone = await ctx.spaces.zone(s.id);
    return {
      version: 1,
      apps: (await appsInSpace(db, s.id)).map((a) => {
        const mine = zone.filter((e) => e.app === a.name);
        const types = [...new Set(mine.map((e) => e.process))].sort();
        return {
          id: a.id, domains: [], internal_routing: a.internal_routing === 1,
          formation: types.map((t) => ({ process_type: t, dynos: mine.filter((e) => e.process === t).sort((x, y) => x.index - y.index).map((e) => ({ number: e.index, private_ip: e.address, hostname: `${e.index}.${t}.${a.name}.app.localspace` })) })),
        };
      }),
    };
  });
}
