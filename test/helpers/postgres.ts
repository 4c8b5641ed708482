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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
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
