// Runs the official heroku CLI (the `heroku` npm package's own binary) against a real Slipway
// server that also listens over HTTPS with a throwaway self-signed certificate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer, REPO, TOKEN, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/postgres.js';
import { runCommand, type CommandResult } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp.js';

export const HEROKU_BIN = path.join(REPO, 'node_modules/.bin/heroku');
const GUARD = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'offline-guard.js')).href;

export interface HerokuServer extends TestServer { tlsUrl: string; certFile: string; keyFile: string; home: string }

/** A Slipway server with an HTTPS listener (the CLI reads CI output with node's https only). */
export async function startHerokuServer(extraEnv: Record<string, string> = {}): Promise<HerokuServer> {
  const dir = tempDir('slipway-heroku-cli-');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'pipe' });
  const tlsPort = await freePort();
  // The server trusts the throwaway certificate too: a syslog+tls drain receiver in the tests uses it.
  const s = await startServer({ SLIPWAY_TLS_PORT: String(tlsPort), SLIPWAY_TLS_CERT: certFile, SLIPWAY_TLS_KEY: keyFile, SLIPWAY_BOOT_TIMEOUT_SECONDS: '20', NODE_EXTRA_CA_CERTS: certFile, ...extraEnv });
  // A HOME of its own: no netrc, config or git credentials of the machine leak in or out.
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  return { ...s, tlsUrl: `https://127.0.0.1:${tlsPort}`, certFile, keyFile, home };
}

/** The environment that points the heroku CLI at Slipway and keeps it off the internet. */
export function herokuEnv(s: HerokuServer): Record<string, string> {
  return {
    // `heroku` on the PATH, as a user has it: git runs `heroku git:credentials` as its credential helper.
    PATH: [path.dirname(HEROKU_BIN), path.dirname(process.execPath), process.env['PATH'] ?? '/usr/bin:/bin'].join(':'), HOME: s.home,
    // git trusts the server's certificate as a user with a self-signed one configures it.
    GIT_SSL_CAINFO: s.certFile, GIT_TERMINAL_PROMPT: '0',
    HEROKU_HOST: s.tlsUrl, HEROKU_API_KEY: TOKEN,
    // The CLI asks this host about payment delinquency beside every GET /account.
    HEROKU_PARTICLEBOARD_URL: s.tlsUrl,
    NODE_EXTRA_CA_CERTS: s.certFile,
    // pg:* and redis:* ask the data API on HEROKU_HOST's port at this host name: Slipway serves it.
    HEROKU_DATA_HOST: new URL(s.tlsUrl).hostname, HEROKU_POSTGRESQL_HOST: new URL(s.tlsUrl).hostname, HEROKU_REDIS_HOST: new URL(s.tlsUrl).hostname,
    // No telemetry, no update check, and no detached `heroku update --autoupdate` left running.
    DISABLE_TELEMETRY: 'true', HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: 'true',
    NODE_OPTIONS: `--import=${GUARD}`,
  };
}

/** Run `heroku <args>` to completion. */
export function heroku(s: HerokuServer, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CommandResult> {
  return runCommand(HEROKU_BIN, args, { cwd: opts.cwd ?? s.home, env: { ...herokuEnv(s), ...opts.env }, timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** Start a long-running `heroku <args>` (logs --tail) and collect its output as it comes. */
export function herokuLive(s: HerokuServer, args: string[]): { proc: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const p = spawn(HEROKU_BIN, args, { cwd: s.home, env: herokuEnv(s), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (c) => { out += c; });
  p.stderr!.on('data', (c) => { out += c; });
  const closed = new Promise<void>((r) => p.once('close', () => r()));
  return { proc: p, output: () => out, stop: async () => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM'); await closed; } };
}
