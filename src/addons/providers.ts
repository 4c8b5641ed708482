// Add-on providers for test runs: a Postgres started from the local binaries (ephemeral, the
// default), a database on a configured Postgres server, and a Redis server.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Sandbox, Started } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { runHost } from '../sandbox/host.js';
import { chownTree } from '../sandbox/tenant-sandbox.js';
import { startLocalServer, type OutliveOutput } from './local-server.js';
import type { AddonRequest } from './addon-spec.js';
import { addonUrl, newPostgresCredentials, newRedisPassword, type PostgresCredentials } from './credentials.js';
import { ADDON_PG_HBA, clusterSetupSql, dropSql, roleAndDatabaseSql } from './postgres-auth.js';
import { redisAuthFile, writeRedisAuth } from './redis-auth.js';

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
  sandbox: Sandbox; dir: string; marker: string;
  /** Where the server listens and its URL points: its namespace's address, or the host's loopback. */
  host: string;
  netns?: string;
  /** The server outlives this process (an app's add-on on an agent): where its output goes. */
  outlive?: OutliveOutput;
}

/**
 * A Postgres cluster per run, copied from a template made once with initdb (about a second saved per
 * run). The template accepts no login at all; each copy gets its own role and password before it listens.
 */
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
        argv: [path.join(this.pgBin, 'initdb'), '-D', dir, '-U', 'postgres', '--auth=reject', '--no-sync', '-E', 'UTF8', '--locale=C'],
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
    const creds = await this.createCluster(ctx);
    const { port, proc } = await this.startCluster(ctx);
    return { info: { name: req.name, plan: req.plan, service: 'postgresql', provider: 'ephemeral-postgres', url: addonUrl({ host: ctx.host, port }, { scheme: 'postgres', ...creds }) }, proc };
  }

  /** A new cluster in ctx.dir/data, copied from the template, with its own role, password and database. */
  async createCluster(ctx: ProviderContext): Promise<PostgresCredentials> {
    if (!fs.existsSync(path.join(this.pgBin, 'postgres'))) throw new Error(`PostgreSQL binaries not found in ${this.pgBin}; install the Debian package postgresql-15 or set SLIPWAY_ADDON_POSTGRES_URL`);
    const template = await this.makeTemplate();
    const cp = await runHost('cp', ['-a', template, path.join(ctx.dir, 'data')]);
    if (cp.exitCode !== 0) throw new Error(`copying the template cluster failed: ${cp.stderr.trim()}`);
    await chownTree(path.join(ctx.dir, 'data'), ctx.sandbox.user);
    const creds = newPostgresCredentials();
    try {
      await this.secureCluster(ctx, creds);
    } catch (first) {
      // Seen once under heavy load, with nothing said: a second, fresh copy before giving up.
      fs.rmSync(path.join(ctx.dir, 'data'), { recursive: true, force: true });
      const again = await runHost('cp', ['-a', template, path.join(ctx.dir, 'data')]);
      if (again.exitCode !== 0) throw first;
      await chownTree(path.join(ctx.dir, 'data'), ctx.sandbox.user);
      await this.secureCluster(ctx, creds);
    }
    return creds;
  }

  /**
   * Before the copy ever listens: its pg_hba.conf, and the role and database made in single-user mode
   * (no socket, no port). Runs as the add-on's own user; the SQL carries only a SCRAM verifier.
   */
  private async secureCluster(ctx: ProviderContext, creds: PostgresCredentials): Promise<void> {
    const script = 'set -e; printf %s "$HBA" > "$DATA/pg_hba.conf"; printf "\\npassword_encryption = scram-sha-256\\n" >> "$DATA/postgresql.conf"; '
      + 'exec "$POSTGRES" --single -D "$DATA" -F -c exit_on_error=on postgres <<< "$SQL"';
    let out = '';
    const r = await ctx.sandbox.run({
      argv: ['bash', '-c', script], cwd: ctx.dir, writable: [ctx.dir], marker: ctx.marker, timeoutMs: 60_000,
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HBA: ADDON_PG_HBA, DATA: path.join(ctx.dir, 'data'), POSTGRES: path.join(this.pgBin, 'postgres'), SQL: clusterSetupSql(creds).join('\n') },
      onStdout: () => {}, onStderr: (c) => { out += c; },
    });
    // The server's FATAL line, else the last line said (bwrap, bash): never a statement or its detail (they hold the verifier).
    const said = out.split('\n').map((l) => l.trim()).filter((l) => l && !/^(STATEMENT|DETAIL|CONTEXT|QUERY):|SCRAM-SHA-256\$/.test(l));
    if (r.exitCode !== 0) throw new Error(`setting up the cluster's role ${describeResult(r)}: ${said.find((l) => /FATAL|ERROR/.test(l)) ?? said.at(-1) ?? 'no message'}`);
  }

  /** Start the cluster in ctx.dir/data; `durable` keeps fsync on (an app's database, not a test run's). */
  async startCluster(ctx: ProviderContext, opts: { port?: number; durable?: boolean } = {}): Promise<{ port: number; proc: Started }> {
    const data = path.join(ctx.dir, 'data');
    fs.rmSync(path.join(data, 'postmaster.pid'), { force: true }); // left by a crash; the port check below is what counts
    // TCP only: no client uses a socket file, and its path (the data folder's, deep) may pass the 107 bytes a socket path can have.
    return startLocalServer({
      sandbox: ctx.sandbox, dir: ctx.dir, marker: ctx.marker, what: 'postgres', ready: /ready to accept connections/, port: opts.port, netns: ctx.netns, outlive: ctx.outlive,
      argv: (p) => [path.join(this.pgBin, 'postgres'), '-D', data, '-p', String(p), '-c', `listen_addresses=${ctx.host}`, '-c', 'unix_socket_directories=',
        ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'])],
    });
  }
}

/**
 * A fresh database per add-on on a Postgres server the operator runs (SLIPWAY_ADDON_POSTGRES_URL),
 * owned by a role of its own that no other add-on's role can use or connect as.
 */
export class ServerPostgres {
  constructor(private adminUrl: string) {}

  async provision(req: AddonRequest): Promise<LiveAddon> {
    const { url, database } = await this.create();
    return { info: { name: req.name, plan: req.plan, service: 'postgresql', provider: 'server-postgres', url, database } };
  }

  private async admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    const { default: pgDriver } = await import('pg');
    const client = new pgDriver.Client({ connectionString: this.adminUrl });
    await client.connect();
    try { return await work(client); } finally { await client.end(); }
  }

  /** Create a role and its database; the URL with the role's credentials. */
  async create(): Promise<{ url: string; database: string }> {
    const creds = newPostgresCredentials();
    await this.admin(async (c) => { for (const sql of roleAndDatabaseSql(creds)) await c.query(sql); });
    const admin = new URL(this.adminUrl);
    return { url: addonUrl({ host: admin.hostname.replace(/^\[|\]$/g, ''), port: Number(admin.port || 5432) }, { scheme: 'postgres', ...creds }), database: creds.database };
  }

  /** Drop a database and the role that owned it (unless that is a superuser or the admin itself). */
  async drop(database: string): Promise<void> {
    await this.admin(async (c) => {
      const owner = (await c.query<{ rolname: string }>(
        'SELECT r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1 AND NOT r.rolsuper AND r.rolname <> current_user', [database])).rows[0]?.rolname;
      for (const sql of dropSql(database, owner)) await c.query(sql);
    });
  }
}

export async function provisionRedis(req: AddonRequest, ctx: ProviderContext): Promise<LiveAddon> {
  const password = newRedisPassword();
  writeRedisAuth(ctx.dir, password);
  const { port, proc } = await startRedis(ctx);
  return { info: { name: req.name, plan: req.plan, service: 'redis', provider: 'redis', url: addonUrl({ host: ctx.host, port }, { scheme: 'redis', password }) }, proc };
}

/** A redis-server in ctx.dir with the auth config written there; `durable` keeps an append-only file there (an app's Redis). */
export async function startRedis(ctx: ProviderContext, opts: { port?: number; durable?: boolean } = {}): Promise<{ port: number; proc: Started }> {
  return startLocalServer({
    sandbox: ctx.sandbox, dir: ctx.dir, marker: ctx.marker, what: 'redis-server', ready: /Ready to accept connections/i, port: opts.port, netns: ctx.netns, outlive: ctx.outlive,
    argv: (p) => ['redis-server', redisAuthFile(ctx.dir), '--port', String(p), '--bind', ctx.host, '--save', '', '--appendonly', opts.durable ? 'yes' : 'no', '--dir', ctx.dir, '--protected-mode', 'no', '--daemonize', 'no'],
  }).catch((e: Error) => { throw new Error(/ENOENT|not found|No such file/i.test(e.message) ? 'redis-server is not installed; install the Debian package redis-server' : e.message); });
}
