// The agent's configuration, from the environment (flags arrive as the same variables): where the
// server is, the token, capacity; the host settings (sandbox, network, limits) are the server's own.
import net from 'node:net';
import os from 'node:os';
import { z } from 'zod/v3';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { neverADyno } from '../core/this-host-address.js';

const schema = z.object({
  SLIPWAY_AGENT_SERVER: z.string({ required_error: 'is required: the server\'s URL (--server)', invalid_type_error: 'must be a string' }).url('must be the server\'s URL, e.g. http://10.0.0.1:5000'),
  SLIPWAY_AGENT_TOKEN: z.string({ required_error: 'is required: the token `slipway agents:create NAME` printed (--token)', invalid_type_error: 'must be a string' }).min(16, 'is not an agent token (too short)'),
  SLIPWAY_AGENT_DATA_DIR: z.string().default('./.slipway-agent'),
  SLIPWAY_AGENT_SLOTS: z.coerce.number().int().min(0).max(256).default(2),
  SLIPWAY_AGENT_MEMORY_MB: z.coerce.number().int().min(64).optional(),
  SLIPWAY_AGENT_NAME: z.string().optional(),
  SLIPWAY_AGENT_ADDRESS: z.string().refine((a) => net.isIP(a) !== 0, 'must be an IP address of this host (the router reaches its dynos there; a name could resolve elsewhere)')
    .refine((a) => !neverADyno(a), 'must be an address of this host the router reaches: not link-local, multicast or broadcast').optional(),
  // on: the router runs on this host as root (the local agent of `slipway server`) and reaches the dynos at their own addresses.
  SLIPWAY_AGENT_DIRECT_DYNOS: z.enum(['on', 'off']).default('off'),
  SLIPWAY_AGENT_ROUTER: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be HOST:PORT (where this host reaches the router)').optional(),
  /** The router's addresses (comma-separated IPs): the only peers the agent's dyno ports accept. */
  SLIPWAY_AGENT_ROUTER_FROM: z.string().regex(/^[\d.:a-fA-F]+(,[\d.:a-fA-F]+)*$/, 'must be IP addresses separated by commas').optional(),
  SLIPWAY_AGENT_LABELS: z.string().optional(),
  /** How many bytes of events an agent keeps while the server is away (then it drops output, saying so). */
  SLIPWAY_AGENT_BUFFER_MB: z.coerce.number().int().min(1).max(4096).default(64),
});

export interface AgentConfig {
  readonly server: string;
  readonly token: string;
  readonly name?: string;
  readonly slots: number;
  readonly memoryMb: number;
  /** The address the agent advertises: reported at registration, and where the router reaches its dynos (else the address it reaches the server from). */
  readonly address: string | null;
  /** Where this host reaches the router: offered to its dynos at their gateway, so apps' public names work inside as on the server. */
  readonly router: { host: string; port: number } | null;
  /** The router's addresses (else the server's address as the agent reaches it). */
  readonly routerFrom: readonly string[] | null;
  /**
   * The router reaches this host's dynos at their own addresses, not through a port of this process
   * (the local agent: the router runs on this host as root, which the default network's firewall
   * lets in), so routing does not stop while this process is replaced.
   */
  readonly directDynos: boolean;
  readonly hostname: string;
  readonly labels: readonly string[];
  readonly bufferBytes: number;
  /** Sandbox, network, limits, timeouts, buildpack folders: the same settings as a server's, for this host. */
  readonly host: Config;
}

/** Validated and frozen; throws ConfigError naming the bad variable. */
export function loadAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const r = schema.safeParse(env);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`Invalid agent configuration: ${i.path.join('.')} ${i.message}`);
  }
  const e = r.data;
  const host = loadConfig({ ...env, SLIPWAY_DATA_DIR: e.SLIPWAY_AGENT_DATA_DIR, SLIPWAY_RUNNER_CONCURRENCY: String(Math.max(1, Math.min(64, e.SLIPWAY_AGENT_SLOTS))) });
  return Object.freeze({
    server: e.SLIPWAY_AGENT_SERVER.replace(/\/$/, ''), token: e.SLIPWAY_AGENT_TOKEN, name: e.SLIPWAY_AGENT_NAME || undefined,
    slots: e.SLIPWAY_AGENT_SLOTS, memoryMb: e.SLIPWAY_AGENT_MEMORY_MB ?? Math.floor(os.totalmem() / 1024 / 1024),
    address: e.SLIPWAY_AGENT_ADDRESS || null, hostname: os.hostname(),
    router: e.SLIPWAY_AGENT_ROUTER ? { host: e.SLIPWAY_AGENT_ROUTER.split(':')[0]!, port: Number(e.SLIPWAY_AGENT_ROUTER.split(':')[1]) } : null,
    routerFrom: e.SLIPWAY_AGENT_ROUTER_FROM ? Object.freeze(e.SLIPWAY_AGENT_ROUTER_FROM.split(',')) : null,
    directDynos: e.SLIPWAY_AGENT_DIRECT_DYNOS === 'on',
    labels: Object.freeze(e.SLIPWAY_AGENT_LABELS?.split(',').map((l) => l.trim()).filter(Boolean) ?? []),
    bufferBytes: e.SLIPWAY_AGENT_BUFFER_MB * 1024 * 1024,
    host,
  });
}
