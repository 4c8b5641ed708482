// The View of a signed-in dashboard request.
import type { FastifyRequest } from 'fastify';
import { fail } from '../core/errors.js';
import type { View } from './layout.js';

export function viewOf(req: FastifyRequest): View {
  if (!req.web) throw fail('unauthorized');
  return { user: req.web.name, csrf: req.web.csrf, now: Date.now() };
}
