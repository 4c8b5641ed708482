// The View of a signed-in dashboard request.
import type { FastifyRequest } from 'fastify';
import { fail } from '../core/errors.js';
import type { View } from './layout.js';

export function viewOf(req: FastifyRequest): View {
  if (!req.web) throw fail('unauthorized');
  // Who is signed in: the user's email (a session made with a password is named after the session, not the person).
  return { user: req.principal?.email ?? req.web.name, csrf: req.web.csrf, now: Date.now() };
}
