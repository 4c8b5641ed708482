// Which add-on an app.json entry asks for, and the config var it sets (Heroku's naming).
import type { AddonSpec } from '../core/app-json.js';

export type AddonService = 'postgresql' | 'redis';

export interface AddonRequest {
  service: AddonService;
  /** As written in app.json, e.g. "heroku-postgresql:in-dyno". */
  plan: string;
  /** Attachment name: the config var is `<name>_URL`. */
  name: string;
}

const SERVICES: Record<string, { service: AddonService; defaultName: string }> = {
  'heroku-postgresql': { service: 'postgresql', defaultName: 'DATABASE' },
  'heroku-redis': { service: 'redis', defaultName: 'REDIS' },
};

export type AddonParse = { ok: true; addons: AddonRequest[] } | { ok: false; message: string };

/** Resolve app.json add-ons; an unknown service or a clash of config vars fails with its position. */
export function parseAddons(specs: AddonSpec[]): AddonParse {
  const out: AddonRequest[] = [];
  for (const [i, spec] of specs.entries()) {
    const [service] = spec.plan.split(':');
    const known = SERVICES[service!];
    if (!known) {
      return { ok: false, message: `Unknown add-on "${spec.plan}" at app.json environments.test.addons[${i}]. Slipway provides ${Object.keys(SERVICES).join(' and ')} (with or without :in-dyno) for test runs.` };
    }
    const name = (spec.as ?? known.defaultName).toUpperCase();
    if (out.some((a) => a.name === name)) {
      return { ok: false, message: `Two add-ons at app.json environments.test.addons would both set ${name}_URL; give one of them "as": "OTHER_NAME".` };
    }
    out.push({ service: known.service, plan: spec.plan, name });
  }
  return { ok: true, addons: out };
}

/** One add-on an app asks for by plan (`heroku-postgresql`, `heroku-redis:mini`) and optional attachment name. */
export function resolveAddonPlan(plan: string, as?: string): { ok: true; addon: AddonRequest } | { ok: false; message: string } {
  const known = SERVICES[plan.split(':')[0]!];
  if (!known) return { ok: false, message: `Unknown add-on "${plan}". Slipway provides ${Object.keys(SERVICES).join(' and ')}.` };
  const name = (as ?? known.defaultName).toUpperCase().replace(/_URL$/, '');
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) return { ok: false, message: `"${as}" cannot name a config var: use letters, digits and _ (e.g. DATABASE).` };
  return { ok: true, addon: { service: known.service, plan, name } };
}
