// `slipway router`'s configuration, from the environment (flags arrive as the same variables):
// where the server is, the router token, and where and how to route.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod/v3';
import { ConfigError } from '../config.js';

const schema = z.object({
  SLIPWAY_ROUTER_SERVER: z.string({ required_error: 'is required: the server\'s URL (--server)', invalid_type_error: 'must be a string' }).url('must be the server\'s URL, e.g. http://10.0.0.1:5000'),
  SLIPWAY_ROUTER_TOKEN: z.string({ required_error: 'is required: the token `slipway routers:create NAME` printed (--token)', invalid_type_error: 'must be a string' })
    .regex(/^slpr_[A-Za-z0-9_-]{16,}$/, 'is not a router token (router tokens start with slpr_; `slipway routers:create NAME` prints one)'),
  SLIPWAY_ROUTER_PORT: z.coerce.number().int().min(0).max(65535).default(5080),
  SLIPWAY_ROUTER_HOST: z.string().optional(),
  /** A TLS port beside the HTTP one: custom domains' certificates (`certs:add`), by SNI. */
  SLIPWAY_ROUTER_TLS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SLIPWAY_HOST: z.string().default('127.0.0.1'),
  SLIPWAY_DOMAIN: z.string().default('localhost'),
  /** The data plane: auto (the default: nginx when installed, else the Node router), nginx run and configured by this process, or the Node router. */
  SLIPWAY_ROUTER: z.enum(['auto', 'node', 'nginx'], { message: 'must be auto, nginx or node (--data-plane)' }).default('auto'),
  /** nginx's configuration, logs and temporary files go under <this>/nginx (default: a folder of this user and port in the temp dir). */
  SLIPWAY_ROUTER_DATA_DIR: z.string().optional(),
  SLIPWAY_TEST_COMPANION_VERSION_TAG: z.string().regex(/^[\w.-]{1,40}$/).optional(),
  SLIPWAY_ROUTER_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Router log lines kept while the server is away (older ones are dropped first, and counted). */
  SLIPWAY_ROUTER_LOG_BUFFER_LINES: z.coerce.number().int().min(100).max(10_000_000).default(50_000),
  /** Set by `slipway server` for the router it runs: a local socket that answers who this process is. */
  SLIPWAY_COMPANION_SOCKET: z.string().optional(),
  SLIPWAY_COMPANION_INSTANCE: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});

export interface RouterConfig {
  readonly server: string;
  readonly token: string;
  readonly port: number;
  /** Unset: no TLS listener. */
  readonly tlsPort?: number;
  readonly host: string;
  readonly domain: string;
  readonly timeoutMs: number;
  readonly logBufferLines: number;
  readonly dataPlane: 'auto' | 'node' | 'nginx';
  /** Absolute. */
  readonly dataDir: string;
  readonly companion?: { readonly socket: string; readonly instance: string };
  /** Tests and operators only: see SLIPWAY_TEST_COMPANION_VERSION_TAG in src/config.ts. */
  readonly companionVersionTag?: string;
}

/** Validated and frozen; throws ConfigError naming the bad variable. */
export function loadRouterConfig(env: Record<string, string | undefined>): RouterConfig {
  const r = schema.safeParse(env);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`Invalid router configuration: ${i.path.join('.')} ${i.message}`);
  }
  const e = r.data;
  return Object.freeze({
    server: e.SLIPWAY_ROUTER_SERVER.replace(/\/$/, ''), token: e.SLIPWAY_ROUTER_TOKEN, port: e.SLIPWAY_ROUTER_PORT, tlsPort: e.SLIPWAY_ROUTER_TLS_PORT,
    host: e.SLIPWAY_ROUTER_HOST || e.SLIPWAY_HOST, domain: e.SLIPWAY_DOMAIN, timeoutMs: e.SLIPWAY_ROUTER_TIMEOUT_SECONDS * 1000,
    logBufferLines: e.SLIPWAY_ROUTER_LOG_BUFFER_LINES, dataPlane: e.SLIPWAY_ROUTER, dataDir: path.resolve(e.SLIPWAY_ROUTER_DATA_DIR ?? path.join(os.tmpdir(), `slipway-router-${process.getuid?.() ?? 0}-${e.SLIPWAY_ROUTER_PORT}`)),
    companion: e.SLIPWAY_COMPANION_SOCKET && e.SLIPWAY_COMPANION_INSTANCE ? Object.freeze({ socket: e.SLIPWAY_COMPANION_SOCKET, instance: e.SLIPWAY_COMPANION_INSTANCE }) : undefined,
    companionVersionTag: e.SLIPWAY_TEST_COMPANION_VERSION_TAG,
  });
}
