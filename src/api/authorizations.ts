// API authorizations in Heroku's `/oauth/authorizations` shape: each user lists, creates, renames,
// regenerates and revokes their own (`heroku authorizations:*`, `slipway authorizations:*`).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod/v3';
import type { Database } from '../store/schema.js';
import { describeToken, issueToken, listTokens, regenerateToken, revokeToken, type TokenRow } from '../store/tokens.js';
import { parseScopes } from '../core/access-policy.js';
import { fail } from '../core/errors.js';
import { parseBody } from './errors.js';
import { principal } from './principal.js';

const MAX_EXPIRY_SECONDS = 10 * 365 * 24 * 3600;

/** One authorization as Heroku shows it; the token itself only when just made. */
export function authorizationJson(t: TokenRow, email: string | null, token?: string) {
  const expiresIn = t.expires_at ? Math.max(0, Math.round((Date.parse(t.expires_at) - Date.now()) / 1000)) : null;
  return {
    id: t.id, description: t.name, scope: t.scopes, created_at: t.created_at, updated_at: t.created_at, last_used_at: t.last_used_at, expires_at: t.expires_at,
    access_token: { id: t.id, token: token ?? null, expires_in: expiresIn }, client: null, grant: null, refresh_token: null, session: null,
    user: { id: t.user_id, email, full_name: null },
  };
}

const createBody = z.object({
  description: z.string().trim().min(1).max(200).optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/, 'a whole number of seconds')]).optional().transform((v) => (v === undefined ? undefined : Number(v))),
  scope: z.union([z.array(z.string()), z.string()]).optional(),
}).passthrough();

export async function authorizationRoutes(app: FastifyInstance, db: Kysely<Database>): Promise<void> {
  const mine = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const who = principal(req);
    const t = who.userId ? (await listTokens(db, who.userId)).find((x) => x.id === req.params.id) : undefined;
    if (!t) throw fail('not_found', `You have no authorization ${req.params.id}; \`slipway authorizations\` lists yours.`);
    return { who, t };
  };

  app.get('/oauth/authorizations', async (req) => {
    const who = principal(req);
    return who.userId ? (await listTokens(db, who.userId)).map((t) => authorizationJson(t, who.email)) : [];
  });
  app.get<{ Params: { id: string } }>('/oauth/authorizations/:id', async (req) => { const { who, t } = await mine(req); return authorizationJson(t, who.email); });

  app.post('/oauth/authorizations', async (req, reply) => {
    const who = principal(req);
    if (!who.userId) throw fail('forbidden', 'This token belongs to no user; sign in as a user to create authorizations.');
    const b = parseBody(createBody, req.body ?? {});
    // Heroku's `global` is everything this user may do: `write` here.
    const scopes = b.scope === undefined ? ['write' as const] : parseScopes((Array.isArray(b.scope) ? b.scope : b.scope.split(',')).map((s) => (s.trim() === 'global' ? 'write' : s)));
    if (!scopes) throw fail('invalid_params', `Unknown scope in "${String(b.scope)}": use read, write, deploy or ci (comma-separated).`);
    // A token cannot make one that may do more than itself.
    if (!scopes.every((s) => who.scopes.includes('write') || who.scopes.includes(s))) throw fail('insufficient_scope', `This authorization (${who.scopes.join(',')}) cannot create one with scopes ${scopes.join(',')}.`);
    if (b.expires_in !== undefined && !(b.expires_in > 0 && b.expires_in <= MAX_EXPIRY_SECONDS)) throw fail('invalid_params', `expires_in is a number of seconds from 1 to ${MAX_EXPIRY_SECONDS} (got ${b.expires_in}).`);
    const expiresAt = b.expires_in ? new Date(Date.now() + b.expires_in * 1000).toISOString() : null;
    const { token, id } = await issueToken(db, b.description ?? 'API token', { userId: who.userId, scopes, expiresAt });
    const t = (await listTokens(db, who.userId)).find((x) => x.id === id)!;
    return reply.status(201).send(authorizationJson(t, who.email, token));
  });

  app.patch<{ Params: { id: string } }>('/oauth/authorizations/:id', async (req) => {
    const { who, t } = await mine(req);
    const b = parseBody(z.object({ description: z.string().trim().min(1).max(200) }).passthrough(), req.body ?? {});
    await describeToken(db, t.id, b.description);
    return authorizationJson({ ...t, name: b.description }, who.email);
  });

  app.post<{ Params: { id: string } }>('/oauth/authorizations/:id/actions/regenerate-tokens', async (req) => {
    const { who, t } = await mine(req);
    const token = await regenerateToken(db, t.id);
    return authorizationJson(t, who.email, token);
  });

  app.delete<{ Params: { id: string } }>('/oauth/authorizations/:id', async (req) => {
    const { who, t } = await mine(req);
    await revokeToken(db, t.id);
    return authorizationJson(t, who.email);
  });
}
