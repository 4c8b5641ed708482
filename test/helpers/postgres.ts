// A throwaway PostgreSQL cluster from the installed binaries (initdb + pg_ctl), on a free port, as an
// unprivileged user (initdb refuses root). Used to run the store's tests against Postgres too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { tempDir } from './temp.js';
import pg from 'pg';

const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export const postgresAvailable = (): boolean => fs.existsSync(path.join(PG_BIN, 'initdb'));

/** Whether a server can listen on 127.0.0.1:`port` now (0: the kernel's choice); the port it got, or undefined. */
const listenable = (port: number): Promise<number | undefined> => new Promise((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(undefined));
  s.listen(port, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

/** The kernel's range for the local ports of outgoing connections (`ip_local_port_range`). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch { /* not Linux */ }
  return [32768, 60999];
}

/**
 * A port free to listen on, chosen below the kernel's ephemeral range: a port from that range, once
 * released, may be taken at any moment as the local port of a connection some other test opens, and
 * a server (or its router's nginx) told to listen there would find it in use.
 */
export async function freePort(): Promise<number> {
  const [lo] = ephemeralRange();
  const from = Math.max(10_000, lo - 12_000);
  for (let i = 0; i < 50 && from < lo; i++) {
    const port = await listenable(from + Math.floor(Math.random() * (lo - from)));
    if (port) return port;
  }
  const any = await listenable(0);
  if (!any) throw new Error('no free port on 127.0.0.1');
  return any;
}

export interface PgCluster { url: string; stop(): void }

/** `password`: the superuser needs it (SCRAM), as on a server an operator runs; else trust. */
export async function startPostgres(opts: { password?: string } = {}): Promise<PgCluster> {
  const dir = tempDir('slipway-pg-');
  fs.chmodSync(dir, 0o755);
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
  if (asUser.length) execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
  const run = (bin: string, args: string[]) => {
    const argv = [...asUser, path.join(PG_BIN, bin), ...args];
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe', cwd: dir });
  };
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pwfile');
  if (opts.password) { fs.writeFileSync(pwfile, opts.password); if (asUser.length) execFileSync('chown', ['nobody:nogroup', pwfile]); }
  run('initdb', ['-D', data, '-U', 'postgres', ...(opts.password ? ['--auth=scram-sha-256', `--pwfile=${pwfile}`] : ['--auth=trust']), '--no-sync', '-E', 'UTF8']);
  fs.rmSync(pwfile, { force: true });
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-w', '-l', path.join(dir, 'log'), '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`, 'start']);
  return {
    url: `postgres://postgres${opts.password ? `:${opts.password}` : ''}@127.0.0.1:${port}/postgres`,
    stop() {
      try { run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']); } catch { /* already down */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let databases = 0;
/** The URL of a new, empty database on `cluster` (one per test, so tests share the cluster, not data). */
export async function freshDatabase(cluster: PgCluster, prefix: string): Promise<string> {
  const name = `${prefix}${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try { await admin.query(`CREATE DATABASE ${name}`); } finally { await admin.end(); }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}
