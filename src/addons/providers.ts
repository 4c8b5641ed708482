// Add-on providers for test runs: a Postgres started from the local binaries (ephemeral, the
// default), a database on a configured Postgres server, and a Redis server.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Sandbox, Started } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { runHost } from '../sandbox/host.js';
import { startLocalServer } from './local-server.js';
import type { AddonRequest } from './addon-spec.js';

export interface Provisioned {
  name: string;
  plan: string;
  service: AddonRequest['service'];
  provider: 'ephemeral-postgres' | 'server-postgres' | 'redis';
  url: string;
  /** For server-postgres: the database to drop. */
  database?: string;
}

export interface LiveAddon { info: Provisioned; proc?: Started }

export interface ProviderContext {
  sandbox: Sandbox; dir: string; marker: string; runId: string;
  /** Where the server listens and its URL points: its namespace's address, or the host's loopback. */
  host: string;
  netns?: string;
}

/** A Postgres cluster per run, copied from a template made once with initdb (about a second saved per run). */
export class EphemeralPostgres {
  private template?: Promise<string>;
  constructor(private sandbox: Sandbox, private templateRoot: string, private pgBin: string) {}

  private makeTemplate(): Promise<string> {
    this.template ??= (async () => {
      const dir = path.join(this.templateRoot, 'postgres-15');
      if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(this.templateRoot, { recursive: true, mode: 0o711 });
      fs.chmodSync(this.templateRoot, 0o711);
      this.sandbox.ownedDir(dir);
      let out = '';
      const r = await this.sandbox.run({
        argv: [path.join(this.pgBin, 'initdb'), '-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
        cwd: dir, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, writable: [dir], marker: `addon-template-${process.pid}`, timeoutMs: 120_000,
        onStdout: (c) => { out += c; }, onStderr: (c) => { out += c; },
      });
      if (r.exitCode !== 0) {
        this.template = undefined;
        throw new Error(`initdb ${describeResult(r)}: ${out.trim().split('\n').slice(-2).join(' / ')}`);
      }
      return dir;
    })();
    return this.template;
  }

  async provision(req: AddonRequest, ctx: ProviderContext): Promise<LiveAddon> {
    await this.createCluster(ctx.dir);
    const { port, proc } = await this.startCluster(ctx);
    return { info: { name: req.name, plan: req.plan, service: 'postgresql', provider: 'ephemeral-postgres', url: `postgres://postgres@${ctx.host}:${port}/postgres` }, proc };
  }

  /** A new cluster in `dir`/data, copied from the template. */
  async createCluster(dir: string): Promise<void> {
    if (!fs.existsSync(path.join(this.pgBin, 'postgres'))) throw new Error(`PostgreSQL binaries not found in ${this.pgBin}; install the Debian package postgresql-15 or set SLIPWAY_ADDON_POSTGRES_URL`);
    const template = await this.makeTemplate();
    const cp = await runHost('cp', ['-a', template, path.join(dir, 'data')]);
    if (cp.exitCode !== 0) throw new Error(`copying the template cluster failed: ${cp.stderr.trim()}`);
  }

  /** Start the cluster in ctx.dir/data; `durable` keeps fsync on (an app's database, not a test run's). */
  async startCluster(ctx: ProviderContext, opts: { port?: number; durable?: boolean } = {}): Promise<{ port: number; proc: Started }> {
    const data = path.join(ctx.dir, 'data');
    fs.rmSync(path.join(data, 'postmaster.pid'), { force: true }); // left by a crash; the port check below is what counts
    return startLocalServer({
      sandbox: ctx.sandbox, dir: ctx.dir, marker: ctx.marker, what: 'postgres', ready: /ready to accept connections/, port: opts.port, netns: ctx.netns,
      argv: (p) => acceptFromNetwork(ctx, data, [path.join(this.pgBin, 'postgres'), '-D', data, '-p', String(p), '-c', `listen_addresses=${ctx.host}`, '-c', `unix_socket_directories=${ctx.dir}`,
        ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'])]),
    });
  }
}

/**
 * On the default network clients come from their own addresses, not 127.0.0.1: the cluster's
 * pg_hba.conf, with its loopback lines opened to any address (same auth methods), becomes the
 * hba_file. Done by the sandboxed command itself (root never writes a tenant's folder); who may
 * connect at all is the host firewall's decision (spaces/default-rules.ts).
 */
function acceptFromNetwork(ctx: ProviderContext, data: string, argv: string[]): string[] {
  if (!ctx.netns) return argv;
  const hba = path.join(ctx.dir, 'pg_hba_network.conf');
  return ['sh', '-c', 'sed "s#127\\.0\\.0\\.1/32#0.0.0.0/0#" "$1" > "$2" && shift 2 && exec "$@"', 'postgres-on-network',
    path.join(data, 'pg_hba.conf'), hba, ...argv, '-c', `hba_file=${hba}`];
}

/** A fresh database per run on a Postgres server the operator runs (SLIPWAY_ADDON_POSTGRES_URL). */
export class ServerPostgres {
  constructor(private adminUrl: string) {}

  async provision(req: AddonRequest, ctx: ProviderContext): Promise<LiveAddon> {
    const database = `slipway_ci_${ctx.runId.replace(/-/g, '').slice(0, 16)}_${req.name.toLowerCase()}`;
    return { info: { name: req.name, plan: req.plan, service: 'postgresql', provider: 'server-postgres', url: await this.create(database), database } };
  }

  /** Create a database; its URL. */
  async create(database: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try { await client.query(`CREATE DATABASE "${database}"`); } finally { await client.end(); }
    const url = new URL(this.adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  async drop(database: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try { await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`); } finally { await client.end(); }
  }
}

export async function provisionRedis(req: AddonRequest, ctx: ProviderContext): Promise<LiveAddon> {
  const { port, proc } = await startRedis(ctx);
  return { info: { name: req.name, plan: req.plan, service: 'redis', provider: 'redis', url: `redis://${ctx.host}:${port}` }, proc };
}

/** A redis-server in ctx.dir; `durable` keeps an append-only file there (an app's Redis). */
export async function startRedis(ctx: ProviderContext, opts: { port?: number; durable?: boolean } = {}): Promise<{ port: number; proc: Started }> {
  return startLocalServer({
    sandbox: ctx.sandbox, dir: ctx.dir, marker: ctx.marker, what: 'redis-server', ready: /Ready to accept connections/i, port: opts.port, netns: ctx.netns,
    argv: (p) => ['redis-server', '--port', String(p), '--bind', ctx.host, '--save', '', '--appendonly', opts.durable ? 'yes' : 'no', '--dir', ctx.dir, '--protected-mode', 'no', '--daemonize', 'no'],
  }).catch((e: Error) => { throw new Error(/ENOENT|not found|No such file/i.test(e.message) ? 'redis-server is not installed; install the Debian package redis-server' : e.message); });
}
