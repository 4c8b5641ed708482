// Heroku's app webhook event types ("entities"), the levels, and the signature a receiver checks.
import { createHmac } from 'node:crypto';

/** The event types Heroku offers for app webhooks (docs/heroku-cli.md says which Slipway sends). */
export const EVENT_TYPES = [
  'api:addon-attachment', 'api:addon', 'api:app', 'api:build', 'api:collaborator', 'api:domain', 'api:dyno',
  'api:formation', 'api:release', 'api:sni-endpoint', 'dyno',
] as const;
export type EventType = typeof EVENT_TYPES[number];
export const LEVELS = ['notify', 'sync'] as const;

/** Check `include` against Heroku's list; the message says which names are unknown and what exists. */
export function checkInclude(include: string[]): { ok: true; include: EventType[] } | { ok: false; message: string } {
  const list = [...new Set(include.map((s) => s.trim()).filter(Boolean))];
  if (!list.length) return { ok: false, message: 'include names no event type: pass at least one, e.g. -i api:release' };
  const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length) return { ok: false, message: `unknown event type(s) ${unknown.join(', ')}: use ${EVENT_TYPES.join(', ')}` };
  return { ok: true, include: list as EventType[] };
}

/** The `Heroku-Webhook-Hmac-SHA256` header: base64 HMAC-SHA256 of the exact body with the webhook's secret. */
export const signDelivery = (secret: string, body: string | Buffer): string => createHmac('sha256', secret).update(body).digest('base64');
