// Routes of router processes (`slipway router`), under /agent/v1/router/: the routing table as an
// NDJSON stream, router log lines in batches, and the router's state (table version, requests in
// flight). Router tokens open these and nothing else; agent and API tokens do not open them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import type { AppContext } from '../../app-context.js';
import { presentedToken } from '../auth.js';
import { noteSignInFailure, sendTooMany, signInBlockedFor } from '../sign-in-throttle.js';
import { routerForToken, touchRouter } from '../../store/routers.js';
import { appendAppLog, appendAppLogBytes, appendAppLogLines, lineTime, type WireLines } from '../../releases/app-log.js';
import { overflowMessage } from '../../logs/drains/drain-frame.js';
import { parseBody } from '../errors.js';
import { fail } from '../../core/errors.js';
import { DROPPED_APPS_HEADER, LOGS_PATH, PING_MS, STATE_PATH, TABLE_PATH, eachWireLine, parseDroppedApps, type TableMessage } from '../../router/router-wire.js';
import { routerSampleOf } from '../../metrics/router-sample.js';

const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;
const stateSchema = z.object({
  instance: z.string().regex(INSTANCE), seq: z.number().int().min(0), version: z.number().int().min(-1),
  in_flight: z.record(z.string().max(64), z.number().int().min(0)).refine((o) => Object.keys(o).length <= 100_000, 'too many dynos'),
});
/** The JSON older routers send (`application/json`; `at` in ISO 8601). */
const logsSchema = z.object({ lines: z.array(z.object({ app_id: z.string().max(64), line: z.string().max(16_384), at: z.string().datetime().optional() })).max(10_000), dropped: z.number().int().min(0) });

/**
 * A connection's router, once its token was checked, is taken as it is for this long: a router
 * posts its log lines several times a second on one connection, and three queries a request were
 * most of what a small batch cost. A revoked token stops working within it on a connection that
 * was open; a new connection is checked at once.
 */
const CHECKED_FOR_MS = 1000;

export async function routerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const checked = new WeakMap<object, { token: string; routerId: string; at: number }>();
  app.addHook('onRequest', async (req, reply) => {
    const token = presentedToken(req);
    const known = checked.get(req.raw.socket);
    if (token && known && known.token === token && Date.now() - known.at < CHECKED_FOR_MS) { req.routerId = known.routerId; return; }
    if (token) {
      const wait = await signInBlockedFor(db, req, token);
      if (wait) return sendTooMany(reply, wait);
    }
    const router = token ? await routerForToken(db, token) : undefined;
    if (!router || router.revoked_at) {
      if (token) await noteSignInFailure(db, req, token);
      const message = router?.revoked_at
        ? `This router token (router ${router.name}) was revoked on ${router.revoked_at}. Create a new one with \`slipway routers:create NAME\`.`
        : 'Not a router token. Routers authenticate with the token `slipway routers:create NAME` printed (API and agent tokens do not work here).';
      return reply.status(401).header('www-authenticate', 'Bearer realm="slipway-router"').send({ id: 'unauthorized', message });
    }
    req.routerId = router.id;
    await touchRouter(db, router.id);
    checked.set(req.raw.socket, { token: token!, routerId: router.id, at: Date.now() });
  });

  // Snapshot, then one line per change; pings keep proxies and the router's watchdog content.
  app.get<{ Querystring: { instance?: string } }>(TABLE_PATH, async (req, reply) => {
    const feed = ctx.routerFeed;
    const instance = req.query.instance ?? '';
    if (!feed) throw fail('router_feed_unavailable');
    if (!INSTANCE.test(instance)) throw fail('invalid_params', 'Name the router process in ?instance= (1-64 letters, digits, _ or -).');
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const send = (ms: TableMessage[]) => { reply.raw.write(ms.map((m) => `${JSON.stringify(m)}\n`).join('')); };
    // Instances are the router's own: one router token cannot speak for another router's process.
    const stop = feed.subscribe(`${req.routerId!}/${instance}`, send, () => reply.raw.end());
    const routerId = req.routerId!;
    // A revoked token cuts the stream at the next ping.
    const ping = setInterval(() => {
      routerForToken(db, presentedToken(req)!).then((r) => {
        if (!r || r.revoked_at || r.id !== routerId) { reply.raw.end(); return; }
        send([{ type: 'ping', version: feed.version }]);
        return touchRouter(db, routerId);
      }).catch(() => reply.raw.destroy());
    }, PING_MS);
    reply.raw.once('close', () => { clearInterval(ping); stop(); });
  });

  app.post(STATE_PATH, async (req, reply) => {
    const state = parseBody(stateSchema, req.body);
    ctx.routerFeed?.report({ ...state, instance: `${req.routerId!}/${state.instance}` });
    return reply.status(204).send();
  });

  // Wire lines as text (router-wire.ts), read as bytes; or the JSON of routers before them.
  app.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit: LOGS_BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.post(LOGS_PATH, { bodyLimit: LOGS_BODY_LIMIT }, async (req, reply) => {
    let dropped: number;
    if (Buffer.isBuffer(req.body)) {
      dropped = Number((req.query as Record<string, string | undefined>)['dropped'] ?? 0);
      await routerLogBytes(req.body);
    } else {
      const b = parseBody(logsSchema, req.body);
      dropped = b.dropped;
      await routerLogLines(b.lines);
    }
    if (Number.isSafeInteger(dropped) && dropped > 0) ctx.log.warn(`a router dropped ${dropped} log line(s) while this server was away`);
    const header = req.headers[DROPPED_APPS_HEADER];
    if (typeof header === 'string') await appsDropped(parseDroppedApps(header));
    return reply.status(204).send();
  });

  /** The apps of `ids` that exist: those in the routing table, the rest asked of the store (an app created or deleted since). */
  const knownApps = async (ids: string[]) => {
    const feed = ctx.routerFeed;
    const known = new Set(feed ? ids.filter((id) => feed.has(id)) : []);
    const rest = ids.filter((id) => !known.has(id));
    if (rest.length) for (const a of await db.selectFrom('apps').select('id').where('id', 'in', rest).execute()) known.add(a.id);
    return known;
  };

  /** Each app's log says how many of its router lines were dropped and since when (Logplex's L10), at that time. */
  async function appsDropped(drops: ReturnType<typeof parseDroppedApps>): Promise<void> {
    if (!drops.length) return;
    const known = await knownApps(drops.map((d) => d.appId));
    for (const d of drops) {
      if (!known.has(d.appId)) continue;
      const since = lineTime(new Date(d.since).toISOString());
      appendAppLog(ctx.logs, d.appId, 'heroku[logplex]', overflowMessage(d.count, since), since);
    }
  }

  /** A batch of wire lines: each line's bytes go to its app's log as they came; only what the metrics need is decoded. */
  async function routerLogBytes(body: Buffer): Promise<void> {
    const byApp = new Map<string, WireLines>();
    const bad = eachWireLine(body, (appId, at, start, end) => {
      let mine = byApp.get(appId);
      if (!mine) byApp.set(appId, mine = { ats: [], starts: [], ends: [] });
      mine.ats.push(at);
      mine.starts.push(start);
      mine.ends.push(end);
    });
    if (bad) ctx.log.warn(`a router sent ${bad} line(s) that are not router log lines (app id, tab, time, tab, a line of at most 16 KiB); they were left out`);
    const known = await knownApps([...byApp.keys()]);
    for (const [appId, lines] of byApp) {
      if (!known.has(appId)) continue;
      for (let i = 0; i < lines.starts.length; i++) ctx.metrics.routerLine(appId, routerSampleOf(body, lines.starts[i]!, lines.ends[i]!), lines.ats[i]);
      appendAppLogBytes(ctx.logs, appId, 'heroku[router]', body, lines);
    }
  }

  async function routerLogLines(lines: Array<{ app_id: string; line: string; at?: string }>): Promise<void> {
    const byApp = new Map<string, typeof lines>();
    for (const l of lines) {
      const mine = byApp.get(l.app_id);
      if (mine) mine.push(l); else byApp.set(l.app_id, [l]);
    }
    const known = await knownApps([...byApp.keys()]);
    for (const [appId, mine] of byApp) {
      if (!known.has(appId)) continue;
      for (const l of mine) ctx.metrics.line(appId, 'heroku[router]', l.line, l.at);
      appendAppLogLines(ctx.logs, appId, 'heroku[router]', mine.map((l) => l.line), mine.map((l) => l.at));
    }
  }
}

/** A batch of router log lines may be this large (the router sends at most 1 MiB but one chunk of nginx's log). */
const LOGS_BODY_LIMIT = 8 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest { routerId?: string }
}
