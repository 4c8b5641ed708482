// The agent protocol's dyno routes: an agent reads its desired dynos (long poll on an ETag), reports
// what runs (its heartbeat too), downloads the slugs of its dynos and sends their log lines. An
// agent sees and reports its own dynos only: the rows placed on it, or that it reported before.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { fail } from '../../core/errors.js';
import { desiredDynosOnAgent } from '../../store/desired-dynos.js';
import { observedOnAgent } from '../../store/observed-dynos.js';
import { slugFile } from '../../releases/slugs.js';
import { appendAppLogLines } from '../../releases/app-log.js';
import type { DesiredDynosResponse, ObservedReportResponse } from '../../agent/protocol.js';
import { parseBody } from '../errors.js';
import { agentOf } from './agent-auth.js';
import { dynoLogSchema, dynosQuerySchema, observedSchema } from './wire-schema.js';
import { pollTag } from './etag-poll.js';
import { LOCAL_LABEL, labelled } from '../../store/dyno-agents.js';
import net from 'node:net';
import { reachesThisHost } from '../../core/this-host-address.js';
import { contains, parseCidr, parseIp, spaceSlice } from '../../spaces/cidr.js';

/** The ETag of an agent's desired set: its dyno ids (anything that changes what a dyno runs gives it a new id). */
async function desiredTag(ctx: AppContext, agentId: string): Promise<string> {
  const rows = await ctx.store.db.selectFrom('desired_dynos').select('id').where('agent_id', '=', agentId).orderBy('id').execute();
  return `"${createHash('sha256').update(rows.map((r) => r.id).join(' ')).digest('base64url').slice(0, 22)}"`;
}

export async function agentDynoRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;

  // Long poll: with If-None-Match, the answer waits (up to wait_ms) until the set differs; 304 if it never does.
  app.get('/agent/v1/dynos', async (req, reply) => {
    const agent = agentOf(req);
    const q = parseBody(dynosQuerySchema, req.query);
    const { tag, unchanged } = await pollTag(req, q.wait_ms ?? 0, () => desiredTag(ctx, agent.id));
    if (unchanged) return reply.status(304).header('etag', tag).send();
    const dynos = await ctx.desiredState.desired(agent.id);
    return reply.header('etag', tag).send({ etag: tag, dynos } satisfies DesiredDynosResponse);
  });

  app.put('/agent/v1/dynos/observed', { bodyLimit: 4 * 1024 * 1024 }, async (req): Promise<ObservedReportResponse> => {
    const agent = agentOf(req);
    const report = parseBody(observedSchema, req.body);
    const [row, desired, before] = await Promise.all([
      db.selectFrom('agents').select(['address', 'labels']).where('id', '=', agent.id).executeTakeFirstOrThrow(), desiredDynosOnAgent(db, agent.id), observedOnAgent(db, agent.id),
    ]);
    // The local agent process (the label only the server gives it) runs beside the router, which reaches its dynos at their own addresses.
    const local = labelled(row, LOCAL_LABEL);
    // Any other agent: never an address that reaches the server's host itself, even one it registered,
    // and an IP address (a name could be made to resolve anywhere, the server's host included, after this check).
    const here = local ? undefined : report.dynos.find((d) => reachesThisHost(d.host));
    if (here) throw fail('agent_dyno_loopback', `Agent ${agent.name} reports ${here.name} at ${here.host}:${here.port}, an address of the server's own host to the router; only the server's local agent may report one. Start the agent with --advertise ADDR, an address of its host the router reaches.`);
    const named = local ? undefined : report.dynos.find((d) => !net.isIP(d.host.replace(/^\[(.*)\]$/, '$1')));
    if (named) throw fail('agent_dyno_address', `Agent ${agent.name} reports ${named.name} at ${named.host}, a host name; the router reaches a remote agent's dynos at an IP address only, as a name can be made to resolve to another host (the server's own included). Start the agent with --advertise IP.`);
    const wrong = local ? undefined : report.dynos.find((d) => d.host !== row.address);
    if (wrong) throw fail('agent_dyno_address', `Agent ${agent.name} registered ${row.address ? `the address ${row.address}` : 'no address'} but reports ${wrong.name} at ${wrong.host}; the router reaches an agent's dynos at its registered address only (start the agent with --advertise ADDR).`);
    // What a dyno is (its app, release, name) comes from the store, never from the agent: a report cannot route another app's traffic.
    const ignored: string[] = [];
    const mine = report.dynos.flatMap((d) => {
      const own = desired.find((r) => r.id === d.id);
      const prev = before.find((r) => r.dyno_id === d.id);
      if (!own && !prev) { ignored.push(d.id); return []; }
      const who = own ? { appId: own.app_id, releaseId: own.release_id, type: own.process_type, name: own.name } : { appId: prev!.app_id, releaseId: prev!.release_id, type: prev!.process_type, name: prev!.name };
      return [{ ...d, ...who }];
    });
    if (ignored.length) ctx.log.warn(`agent ${agent.name} reported dynos that are not its own (ignored): ${ignored.slice(0, 5).join(', ')}`);
    // A remote agent's space addresses come from its own slice of the dyno's space (the other hosts'
    // DNS and routes follow them): never another host's dyno's address, nor one outside the space.
    const spaced = local ? [] : mine.filter((d) => d.spaceAddress !== undefined);
    if (spaced.length) {
      const [{ space_slice: slice }, apps] = await Promise.all([
        db.selectFrom('agents').select('space_slice').where('id', '=', agent.id).executeTakeFirstOrThrow(),
        db.selectFrom('apps as a').innerJoin('spaces as s', 's.id', 'a.space_id').select(['a.id', 's.cidr']).where('a.id', 'in', [...new Set(spaced.map((d) => d.appId))]).execute(),
      ]);
      const outside = spaced.find((d) => {
        const cidr = parseCidr(apps.find((a) => a.id === d.appId)?.cidr ?? '');
        const ip = parseIp(d.spaceAddress!);
        return slice === null || !cidr || ip === undefined || !contains(spaceSlice(cidr, Number(slice)), ip);
      });
      if (outside) throw fail('agent_dyno_address', `Agent ${agent.name} reports ${outside.name} at the space address ${outside.spaceAddress}, outside its own slice of the app's space${slice === null ? ' (it runs no spaces)' : ''}; an agent hands out space addresses only from its slice.`);
    }
    await ctx.desiredState.report(agent.id, mine);
    return { ok: true, ignored };
  });

  // A slug the agent's dynos run, and no other.
  app.get<{ Params: { id: string } }>('/agent/v1/slugs/:id', async (req, reply) => {
    const agent = agentOf(req);
    const wanted = (await desiredDynosOnAgent(db, agent.id)).some((r) => r.slug_id === req.params.id);
    const file = wanted ? await slugFile(ctx.blobs, req.params.id).catch(() => undefined) : undefined;
    if (!file || !fs.existsSync(file)) throw fail('not_found', `No dyno on agent ${agent.name} runs slug ${req.params.id}.`);
    return reply.type('application/gzip').send(fs.createReadStream(file));
  });

  // Dyno output and add-on server events for the apps' logs: lines of apps with no dyno nor add-on server on this agent are dropped.
  app.post('/agent/v1/dynos/logs', { bodyLimit: 4 * 1024 * 1024 }, async (req) => {
    const agent = agentOf(req);
    const batch = parseBody(dynoLogSchema, req.body);
    const [desired, before, addons] = await Promise.all([desiredDynosOnAgent(db, agent.id), observedOnAgent(db, agent.id), db.selectFrom('app_addons').select('app_id').where('agent_id', '=', agent.id).execute()]);
    const apps = new Set([...desired.map((r) => r.app_id), ...before.map((r) => r.app_id), ...addons.map((r) => r.app_id)]);
    const kept = batch.lines.filter((l) => apps.has(l.app_id));
    // A run of lines of one app and source goes in one write (a dyno that writes fast sends thousands a batch).
    for (let i = 0, j = 0; i < kept.length; i = j) {
      const { app_id: app, source } = kept[i]!;
      while (j < kept.length && kept[j]!.app_id === app && kept[j]!.source === source) { ctx.metrics.line(app, source, kept[j]!.line, kept[j]!.at); j++; }
      const run = kept.slice(i, j);
      appendAppLogLines(ctx.logs, app, source, run.map((l) => l.line), run.map((l) => l.at));
    }
    return { ok: true, dropped: batch.lines.length - kept.length };
  });
}
