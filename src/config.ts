// The only place that reads process.env for the server: validated, defaulted, frozen.
import path from 'node:path';
import { z } from 'zod/v3';
import { BUILTIN_DIR } from './buildpacks/builtin.js';
import { parseKey } from './core/secret-box.js';

const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const keyIssue = (v: string | undefined, ctx: z.RefinementCtx): void => {
  if (!v) return;
  try { parseKey(v, 'key'); } catch { ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not a 256-bit key: give 64 hex characters or base64 of 32 bytes (make one with `openssl rand -hex 32`)' }); }
};

const schema = z.object({
  PORT: intFrom(5000, 0, 65535),
  SLIPWAY_HOST: z.string().default('127.0.0.1'),
  SLIPWAY_ROUTER_PORT: intFrom(5080, 0, 65535),
  SLIPWAY_ROUTER_HOST: z.string().optional(),
  // Custom domains' certificates (certs:add) are served by SNI here; unset: no TLS on the router.
  SLIPWAY_ROUTER_TLS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // The router process's data plane: auto (nginx when it is installed, else the Node router, said at
  // start with why), nginx (required) or node (Slipway's own proxy, slower).
  SLIPWAY_ROUTER: z.enum(['auto', 'node', 'nginx']).default('auto'),
  // The router as a process of its own beside the server (outlives it), or inside the server as before.
  SLIPWAY_COMPANIONS: z.enum(['process', 'in-process']).default('process'),
  // process: dynos run under a local `slipway agent` beside the server (they outlive it); in-process: inside the server.
  SLIPWAY_LOCAL_AGENT: z.enum(['process', 'in-process']).default('process'),
  // small: V8 favours memory over speed while the server starts, and the start-up's garbage is dropped
  // once it has (idle RSS ~0.9x); speed: V8's own sizing throughout.
  SLIPWAY_SERVER_HEAP: z.enum(['small', 'speed']).default('small'),
  // on: a clean stop (SIGTERM/SIGINT) of the server leaves its router process running (an upgrade, a restart).
  SLIPWAY_LEAVE_COMPANIONS: z.enum(['on', 'off']).default('off'),
  // Tests and operators only: appended to the companion version this server expects (and its companions report), so
  // a restart with another tag replaces the router and local agent exactly as an upgrade would.
  SLIPWAY_TEST_COMPANION_VERSION_TAG: z.string().regex(/^[\w.-]{1,40}$/, 'must be 1-40 letters, digits, dots, dashes or underscores').optional(),
  SLIPWAY_DOMAIN: z.string().default('localhost'),
  SLIPWAY_DATA_DIR: z.string().default('./.slipway'),
  // This host's unpacked slugs (default: the data folder's slug-trees); a local agent process is given its server's, so the
  // release phase and the dynos of a release on one host share one tree.
  SLIPWAY_SLUG_TREES_DIR: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  SLIPWAY_BLOB_STORE: z.enum(['folder', 'postgres']).optional(),
  SLIPWAY_ADMIN_TOKEN: z.string().min(16, 'SLIPWAY_ADMIN_TOKEN must be at least 16 characters').optional(),
  SLIPWAY_RUNNER_CONCURRENCY: intFrom(2, 1, 64),
  SLIPWAY_EMBEDDED_RUNNER: z.enum(['on', 'off']).default('on'),
  SLIPWAY_SANDBOX: z.enum(['auto', 'bwrap', 'process']).default('auto'),
  SLIPWAY_SANDBOX_USER: z.string().default('nobody'),
  SLIPWAY_TENANT_UIDS: z.string().default('200000-299999').transform((v, ctx) => {
    if (v === 'off') return undefined;
    const m = /^(\d+)-(\d+)$/.exec(v);
    const [first, last] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    // Below 1000 are system accounts; above 2^31 some tools misbehave (uid_t is signed in places).
    if (!m || first < 1000 || last > 2_147_483_646 || last < first) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a uid range: give FIRST-LAST with 1000 <= FIRST <= LAST < 2147483647 (e.g. 200000-299999), or "off"` });
      return z.NEVER;
    }
    return { first, last };
  }),
  SLIPWAY_NETWORK: z.enum(['auto', 'isolated', 'host']).default('auto'),
  SLIPWAY_NETWORK_CIDR: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, 'must be an IPv4 range from /16 to /24, e.g. 100.80.0.0/20').optional(),
  SLIPWAY_NETWORK_DNS: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(,\d{1,3}(\.\d{1,3}){3})*$/, 'must be IPv4 addresses separated by commas').optional(),
  SLIPWAY_JOB_LEASE_SECONDS: intFrom(30, 2, 3600),
  SLIPWAY_AGENT_LOST_SECONDS: intFrom(30, 2, 3600),
  SLIPWAY_CI_TIMEOUT_SECONDS: intFrom(3600, 1, 7 * 86_400),
  SLIPWAY_KILL_GRACE_MS: intFrom(5000, 0, 120_000),
  SLIPWAY_PUBLIC_URL: z.string().url().optional(),
  SLIPWAY_ADDON_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  SLIPWAY_PG_BIN: z.string().default('/usr/lib/postgresql/15/bin'),
  SLIPWAY_RELEASE_TIMEOUT_SECONDS: intFrom(3600, 1, 86_400),
  SLIPWAY_BUILD_TIMEOUT_SECONDS: intFrom(900, 1, 86_400),
  SLIPWAY_BOOT_TIMEOUT_SECONDS: intFrom(60, 1, 3600),
  SLIPWAY_DYNO_STOP_GRACE_SECONDS: intFrom(30, 0, 3600),
  SLIPWAY_ROUTER_TIMEOUT_SECONDS: intFrom(30, 1, 3600),
  SLIPWAY_REVIEW_SWEEP_SECONDS: intFrom(300, 1, 86_400),
  SLIPWAY_TLS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SLIPWAY_TLS_CERT: z.string().optional(),
  SLIPWAY_TLS_KEY: z.string().optional(),
  SLIPWAY_MAX_SOURCE_MB: intFrom(500, 1, 1_000_000),
  SLIPWAY_MAX_UNPACKED_MB: intFrom(1024, 1, 1_000_000),
  SLIPWAY_MAX_SOURCE_ENTRIES: intFrom(100_000, 1, 100_000_000),
  SLIPWAY_MAX_SLUG_MB: intFrom(500, 1, 1_000_000),
  SLIPWAY_BUILDPACK_DIRS: z.string().optional(),
  SLIPWAY_SECRET_KEY: z.string().optional().superRefine((v, ctx) => keyIssue(v, ctx)),
  SLIPWAY_SECRET_KEY_PREVIOUS: z.string().optional().superRefine((v, ctx) => { for (const k of v?.split(',').filter(Boolean) ?? []) keyIssue(k, ctx); }),
  SLIPWAY_SIGNED_URL_MINUTES: intFrom(15, 1, 7 * 24 * 60),
  SLIPWAY_AUDIT_RETENTION_DAYS: intFrom(365, 1, 36_500),
  SLIPWAY_TEST_CRASH_AFTER: z.string().regex(/^(test-run-ended|build-ended|release-settled)(:[a-z0-9-]+)?$/, 'is for tests only: test-run-ended, build-ended or release-settled, optionally :APP').optional(),
}).refine((e) => e.SLIPWAY_BLOB_STORE !== 'postgres' || /^postgres(ql)?:\/\//.test(e.DATABASE_URL ?? ''), {
  message: 'SLIPWAY_BLOB_STORE=postgres keeps blobs in the state store: set DATABASE_URL to a postgres:// URL, or use SLIPWAY_BLOB_STORE=folder', path: ['SLIPWAY_BLOB_STORE'],
}).refine((e) => e.SLIPWAY_TLS_PORT === undefined || (e.SLIPWAY_TLS_CERT && e.SLIPWAY_TLS_KEY), {
  message: 'SLIPWAY_TLS_PORT needs SLIPWAY_TLS_CERT and SLIPWAY_TLS_KEY (PEM files)', path: ['SLIPWAY_TLS_PORT'],
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly routerPort: number;
  /** Where the router listens (default: SLIPWAY_HOST), e.g. an address clients outside loopback reach. */
  readonly routerHost: string;
  /** The router's TLS port (SNI, certificates from `certs:add`); undefined: the router speaks plain HTTP only. 0 picks a free port. */
  readonly routerTlsPort?: number;
  readonly domain: string;
  /** The router process's data plane: auto (the default: nginx when installed), an nginx it runs and configures, or Slipway's Node proxy (slower). */
  readonly router: 'auto' | 'node' | 'nginx';
  /** `process`: the router runs as `slipway router` beside the server and outlives it; `in-process`: inside the server. */
  readonly companions: 'process' | 'in-process';
  /** `process`: the server's dynos run under a local `slipway agent` of their own (they outlive the server). */
  readonly localAgent: 'process' | 'in-process';
  /** The host settings a local agent process is started with (the server's own SLIPWAY_* sandbox, network and limit settings). */
  readonly companionEnv: Readonly<Record<string, string>>;
  /** `small`: V8 favours memory over speed while the server starts, then drops the start-up's garbage (src/server-heap.ts); `speed`: V8's defaults. */
  readonly serverHeap: 'small' | 'speed';
  /** A clean stop of the server leaves its companion processes running (they are adopted on the next start). */
  readonly leaveCompanions: boolean;
  /** Tests and operators only (SLIPWAY_TEST_COMPANION_VERSION_TAG): appended to the companion version, so a restart with another one acts as an upgrade. */
  readonly companionVersionTag?: string;
  readonly dataDir: string;
  /** This host's unpacked slugs, shared by the release phases and dynos run here (runtime/slug-trees.ts). */
  readonly slugTreesDir: string;
  readonly databaseUrl?: string;
  /** Where sources, slugs and outputs live: unset → Postgres when it is the store, else the data folder. */
  readonly blobStore?: 'folder' | 'postgres';
  readonly adminToken?: string;
  readonly runnerConcurrency: number;
  /** Whether this server runs test nodes, builds and release phases itself (off: only agents do). */
  readonly embeddedRunner: boolean;
  readonly sandbox: 'auto' | 'bwrap' | 'process';
  readonly sandboxUser: string;
  /** The uids apps, test runs and add-ons get one each of (when the server runs as root); undefined: off. */
  readonly tenantUids?: { first: number; last: number };
  /** Sandboxes in a network namespace each (isolated), on the host's network (host), or isolated where the server can (auto). */
  readonly network: 'auto' | 'isolated' | 'host';
  /** The default network's range (else a free /20 in 100.80.0.0/12). */
  readonly networkCidr?: string;
  /** Nameservers the default network's resolver asks (else the host's /etc/resolv.conf). */
  readonly networkDns?: string[];
  readonly leaseMs: number;
  /** An agent silent this long is lost: the router stops sending to its dynos and they are placed elsewhere. */
  readonly agentLostMs: number;
  readonly ciTimeoutSeconds: number;
  readonly killGraceMs: number;
  readonly publicUrl?: string;
  /** Create test-run databases on this server instead of starting a cluster per run. */
  readonly addonPostgresUrl?: string;
  readonly pgBin: string;
  readonly releaseTimeoutSeconds: number;
  readonly buildTimeoutSeconds: number;
  readonly bootTimeoutSeconds: number;
  /** SIGTERM → SIGKILL for dynos (Heroku: 30 s). */
  readonly dynoStopGraceMs: number;
  /** A dyno must send the first byte of its response this soon (Heroku: 30 s, H12). */
  readonly routerTimeoutMs: number;
  /** How often stale review apps are looked for (autodestroy). */
  readonly reviewSweepMs: number;
  /** A second, HTTPS listener for the same API (the heroku CLI reads CI output streams over https only). */
  readonly tls?: { port: number; certFile: string; keyFile: string };
  /** Bounds on what a tenant uploads or builds: source tarballs, pushed trees and slugs. */
  readonly inputLimits: InputLimits;
  /** Server folders app.json may name as buildpacks (absolute paths); nothing else on the host is. */
  readonly buildpackDirs: readonly string[];
  /** The key secrets are sealed with (SLIPWAY_SECRET_KEY); undefined: the key file in the data folder. */
  readonly secretKey?: string;
  /** Retired keys that still open what they sealed until every value is re-sealed (SLIPWAY_SECRET_KEY_PREVIOUS). */
  readonly secretKeysPrevious: readonly string[];
  /** How long a signed URL (output streams, log sessions, source uploads and downloads) is valid. */
  readonly signedUrlSeconds: number;
  /** Audit events older than this are deleted. */
  readonly auditRetentionDays: number;
  /** Tests only: the server kills itself (SIGKILL) right after this status change is stored, before anything follows it. */
  readonly testCrashAfter?: string;
}

export interface InputLimits {
  /** A source tarball (upload, push, webhook archive) as stored: gzip bytes. */
  readonly compressedBytes: number;
  /** What a source or slug may unpack to. */
  readonly unpackedBytes: number;
  /** Files, folders and links in a source. */
  readonly entries: number;
  /** A compiled slug, gzip bytes (Heroku: 500 MB). */
  readonly slugBytes: number;
}

const MB = 1024 * 1024;

/** SLIPWAY_BUILDPACK_DIRS: colon-separated absolute folders; unset → only Slipway's own buildpacks/. */
function buildpackDirs(value: string | undefined, builtinDir: string): string[] {
  if (value === undefined || value.trim() === '') return [builtinDir];
  const dirs = value.split(':').filter(Boolean);
  const relative = dirs.find((d) => !path.isAbsolute(d));
  if (relative) throw new ConfigError(`Invalid configuration: SLIPWAY_BUILDPACK_DIRS: "${relative}" is not an absolute path (list absolute folders, separated by ":")`);
  return dirs.map((d) => path.resolve(d));
}

export class ConfigError extends Error {}

/** Settings of the server's own (store, ports, credentials, its data folder) that a companion must not inherit. */
const NOT_FOR_COMPANIONS = new Set(['PORT', 'DATABASE_URL', 'SLIPWAY_DATABASE_URL', 'SLIPWAY_DATA_DIR', 'SLIPWAY_ADMIN_TOKEN', 'SLIPWAY_HOST', 'SLIPWAY_TLS_PORT', 'SLIPWAY_TLS_CERT', 'SLIPWAY_TLS_KEY', 'SLIPWAY_PUBLIC_URL']);
const companionEnv = (env: Record<string, string | undefined>): Readonly<Record<string, string>> => Object.freeze(Object.fromEntries(
  Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined && (kv[0] === 'PATH' || kv[0] === 'HOME' || kv[0] === 'MALLOC_ARENA_MAX' || (kv[0].startsWith('SLIPWAY_') && !kv[0].startsWith('SLIPWAY_AGENT_') && !NOT_FOR_COMPANIONS.has(kv[0])))),
));

/** Build the config from an environment (process.env by default); throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const r = schema.safeParse(env);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${i.path.join('.')}: ${i.message}`);
  }
  const e = r.data;
  if (e.SLIPWAY_ROUTER === 'nginx' && e.SLIPWAY_COMPANIONS === 'in-process') {
    throw new ConfigError('Invalid configuration: SLIPWAY_ROUTER=nginx runs nginx under the router process, which needs SLIPWAY_COMPANIONS=process (in-process, the Node router serves inside the server); unset one of them');
  }
  return Object.freeze({
    port: e.PORT,
    host: e.SLIPWAY_HOST,
    routerPort: e.SLIPWAY_ROUTER_PORT,
    routerHost: e.SLIPWAY_ROUTER_HOST || e.SLIPWAY_HOST,
    routerTlsPort: e.SLIPWAY_ROUTER_TLS_PORT,
    domain: e.SLIPWAY_DOMAIN,
    router: e.SLIPWAY_ROUTER,
    companions: e.SLIPWAY_COMPANIONS,
    leaveCompanions: e.SLIPWAY_LEAVE_COMPANIONS === 'on',
    serverHeap: e.SLIPWAY_SERVER_HEAP,
    companionVersionTag: e.SLIPWAY_TEST_COMPANION_VERSION_TAG,
    localAgent: e.SLIPWAY_LOCAL_AGENT,
    companionEnv: companionEnv(env),
    dataDir: path.resolve(e.SLIPWAY_DATA_DIR),
    slugTreesDir: path.resolve(e.SLIPWAY_SLUG_TREES_DIR ?? path.join(e.SLIPWAY_DATA_DIR, 'slug-trees')),
    databaseUrl: e.DATABASE_URL || undefined,
    blobStore: e.SLIPWAY_BLOB_STORE,
    adminToken: e.SLIPWAY_ADMIN_TOKEN,
    runnerConcurrency: e.SLIPWAY_RUNNER_CONCURRENCY,
    embeddedRunner: e.SLIPWAY_EMBEDDED_RUNNER === 'on',
    sandbox: e.SLIPWAY_SANDBOX,
    sandboxUser: e.SLIPWAY_SANDBOX_USER,
    tenantUids: e.SLIPWAY_TENANT_UIDS,
    network: e.SLIPWAY_NETWORK,
    networkCidr: e.SLIPWAY_NETWORK_CIDR,
    networkDns: e.SLIPWAY_NETWORK_DNS?.split(','),
    leaseMs: e.SLIPWAY_JOB_LEASE_SECONDS * 1000,
    agentLostMs: e.SLIPWAY_AGENT_LOST_SECONDS * 1000,
    ciTimeoutSeconds: e.SLIPWAY_CI_TIMEOUT_SECONDS,
    killGraceMs: e.SLIPWAY_KILL_GRACE_MS,
    publicUrl: e.SLIPWAY_PUBLIC_URL?.replace(/\/$/, ''),
    addonPostgresUrl: e.SLIPWAY_ADDON_POSTGRES_URL,
    pgBin: e.SLIPWAY_PG_BIN,
    releaseTimeoutSeconds: e.SLIPWAY_RELEASE_TIMEOUT_SECONDS,
    buildTimeoutSeconds: e.SLIPWAY_BUILD_TIMEOUT_SECONDS,
    bootTimeoutSeconds: e.SLIPWAY_BOOT_TIMEOUT_SECONDS,
    dynoStopGraceMs: e.SLIPWAY_DYNO_STOP_GRACE_SECONDS * 1000,
    routerTimeoutMs: e.SLIPWAY_ROUTER_TIMEOUT_SECONDS * 1000,
    reviewSweepMs: e.SLIPWAY_REVIEW_SWEEP_SECONDS * 1000,
    tls: e.SLIPWAY_TLS_PORT !== undefined ? { port: e.SLIPWAY_TLS_PORT, certFile: path.resolve(e.SLIPWAY_TLS_CERT!), keyFile: path.resolve(e.SLIPWAY_TLS_KEY!) } : undefined,
    inputLimits: Object.freeze({ compressedBytes: e.SLIPWAY_MAX_SOURCE_MB * MB, unpackedBytes: e.SLIPWAY_MAX_UNPACKED_MB * MB, entries: e.SLIPWAY_MAX_SOURCE_ENTRIES, slugBytes: e.SLIPWAY_MAX_SLUG_MB * MB }),
    buildpackDirs: Object.freeze(buildpackDirs(e.SLIPWAY_BUILDPACK_DIRS, BUILTIN_DIR)),
    secretKey: e.SLIPWAY_SECRET_KEY || undefined,
    secretKeysPrevious: Object.freeze(e.SLIPWAY_SECRET_KEY_PREVIOUS?.split(',').filter(Boolean) ?? []),
    signedUrlSeconds: e.SLIPWAY_SIGNED_URL_MINUTES * 60,
    auditRetentionDays: e.SLIPWAY_AUDIT_RETENTION_DAYS,
    testCrashAfter: e.SLIPWAY_TEST_CRASH_AFTER,
    ...overrides,
  });
}
