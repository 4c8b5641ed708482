// app.json: the schema Heroku documents, and the test environment resolved from it.
import { randomBytes } from 'node:crypto';
import { z } from 'zod/v3';
import { parseJsonWithPosition } from './json-position.js';
import { keyProblem } from './tenant-keys.js';

const envValue = z.union([
  z.string(),
  z.object({
    description: z.string().optional(),
    value: z.string().optional(),
    required: z.boolean().optional(),
    generator: z.literal('secret').optional(),
  }),
]);
const addon = z.union([
  z.string().min(1),
  z.object({ plan: z.string().min(1), as: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).optional(), options: z.record(z.string(), z.unknown()).optional() }),
]);
const formationEntry = z.object({ quantity: z.number().int().min(0).optional(), size: z.string().optional() });

const base = {
  scripts: z.record(z.string(), z.string()).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'config var names are letters, digits and _'), envValue).optional(),
  formation: z.record(z.string(), formationEntry).optional(),
  addons: z.array(addon).optional(),
  buildpacks: z.array(z.object({ url: z.string().min(1) })).optional(),
  stack: z.string().optional(),
};

const environment = z.object({ ...base, timeout: z.number().int().positive().max(86_400).optional() }).passthrough();

export const appJsonSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    keywords: z.array(z.string()).optional(),
    website: z.string().optional(),
    repository: z.string().optional(),
    logo: z.string().optional(),
    success_url: z.string().optional(),
    image: z.string().optional(),
    ...base,
    environments: z.record(z.string(), environment).optional(),
  })
  .passthrough();

export type AppJson = z.infer<typeof appJsonSchema>;
export type AddonSpec = { plan: string; as?: string; options?: Record<string, unknown> };

/** What a test run needs from app.json once `environments.test` is laid over the top level. */
export interface TestConfig {
  testSetup?: string;
  test?: string;
  env: Record<string, string>;
  buildpacks: string[];
  addons: AddonSpec[];
  quantity: number;
  /** `formation.test.size` (top level or under environments.test), as written; checked when the run starts. */
  size?: string;
  timeoutSeconds?: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parse and validate app.json text; a failure names the JSON path (or line/column) of the problem. */
// zod skips a `__proto__` key of a record without a word, so names are checked on the raw JSON.
function reservedName(json: unknown): string | null {
  const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});
  const sections = [['', obj(json)], ...Object.entries(obj(obj(json)['environments'])).map(([n, e]) => [`environments.${n}.`, obj(e)] as const)] as const;
  for (const [at, section] of sections) {
    for (const [field, what] of [['env', 'config var'], ['formation', 'process type']] as const) {
      for (const k of Object.keys(obj(section[field]))) {
        const p = keyProblem(what, k);
        if (p) return `${at}${field}: ${p}`;
      }
    }
  }
  return null;
}

export function parseAppJson(text: string): ParseResult<AppJson> {
  const json = parseJsonWithPosition(text, 'app.json');
  if (!json.ok) return json;
  const reserved = reservedName(json.value);
  if (reserved) return { ok: false, message: `app.json is invalid: ${reserved}.` };
  const parsed = appJsonSchema.safeParse(json.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  return { ok: false, message: `app.json is invalid: ${issues.join('; ')}. See https://devcenter.heroku.com/articles/app-json-schema` };
}

const merge = <T extends object>(a: T | undefined, b: T | undefined): T | undefined => (a || b ? { ...a, ...b } as T : undefined);

/** `environments.test` over the top level: maps (env, scripts, formation) merge key by key, lists replace. */
export function resolveTestConfig(app: AppJson): TestConfig {
  const t = app.environments?.['test'] ?? {};
  const scripts = merge(app.scripts, t.scripts) ?? {};
  const envSpec = merge(app.env, t.env) ?? {};
  const formation = merge(app.formation, t.formation) ?? {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(envSpec)) {
    if (typeof v === 'string') env[k] = v;
    else if (v.value !== undefined) env[k] = v.value;
    else if (v.generator === 'secret') env[k] = randomBytes(32).toString('hex');
  }
  return {
    testSetup: scripts['test-setup'],
    test: scripts['test'],
    env,
    buildpacks: (t.buildpacks ?? app.buildpacks ?? []).map((b) => b.url),
    addons: (t.addons ?? app.addons ?? []).map((a) => (typeof a === 'string' ? { plan: a } : a)),
    quantity: formation['test']?.quantity ?? 1,
    ...(formation['test']?.size !== undefined ? { size: formation['test'].size } : {}),
    timeoutSeconds: t.timeout,
  };
}
