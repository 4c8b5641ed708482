// A real Slipway server process (the CLI's `slipway server`) on a free port with its own data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres.js';
import { runCommand, type CommandResult } from './run-command.js';
import { partialRunServerEnv } from './tools.js';
import { tempDir } from './temp.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(REPO, 'bin/slipway.js');
export const TOKEN = 'test-admin-token-0123456789';
/** Replicas of a Postgres store share their secret key (SLIPWAY_SECRET_KEY is required with one). */
export const TEST_SECRET_KEY = '5e'.repeat(32);

export interface TestServer {
  url: string;
  routerPort: number;
  dataDir: string;
  env: Record<string, string>;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait (graceful). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

export async function startServer(extraEnv: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? tempDir('slipway-test-');
  const port = await freePort();
  const routerPort = await freePort();
  const env: Record<string, string> = {
    SLIPWAY_ROUTER_PORT: String(routerPort),
    // SLIPWAY_TEST_ROUTER=node (or nginx) runs any suite against that data plane (unset: the server's default, auto: nginx where installed).
    // SLIPWAY_ROUTER itself is not passed on: the servers' environment is built here, whatever the test runner's is.
    ...(process.env['SLIPWAY_TEST_ROUTER'] ? { SLIPWAY_ROUTER: process.env['SLIPWAY_TEST_ROUTER'] } : {}),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root',
    PORT: String(port), SLIPWAY_DATA_DIR: dir, SLIPWAY_ADMIN_TOKEN: TOKEN, SLIPWAY_KILL_GRACE_MS: '1000', ...partialRunServerEnv(),
    ...(/^postgres/.test(extraEnv['DATABASE_URL'] ?? '') ? { SLIPWAY_SECRET_KEY: TEST_SECRET_KEY } : {}), ...extraEnv,
  };
  // As an operator starts it: the bin's own first line (it sets glibc's malloc arenas).
  const proc = spawn(BIN, ['server'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => { out += c; });
  proc.stderr!.on('data', (c) => { out += c; });
  // A restart may keep its port (extraEnv PORT): agents and clients reach it at the same URL.
  const url = `http://127.0.0.1:${env['PORT']}`;
  // A start brings up the router (with its nginx) and the local agent (its host set-up) beside the server: seconds, more on a loaded machine.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited (${proc.exitCode ?? proc.signalCode}): ${out}`);
    // Healthy and said so: the start-up lines are all printed (the port answers a moment before).
    try { if ((await fetch(url + '/health')).ok && out.includes('Slipway listening')) break; } catch { /* not yet */ }
    if (Date.now() > deadline) {
      // Not left running behind the failure (it would keep the test process alive).
      proc.kill('SIGKILL');
      throw new Error(`server did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url, routerPort: Number(env['SLIPWAY_ROUTER_PORT']), dataDir: dir, env, proc, output: () => out,
    async stop() { if (proc.exitCode === null) { proc.kill('SIGTERM'); await exited; } },
    async kill() { if (proc.exitCode === null) { proc.kill('SIGKILL'); await exited; } },
  };
}

/** Why a fetch failed: undici's "fetch failed" says nothing; its cause (refused, reset, closed) does. */
function requestFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${(e as Error).message} (${[cause.code, cause.message].filter(Boolean).join(': ')})` : String(e);
}

/** Whether the server still runs, and its logs' tails: for a failed request's message. */
function serverState(s: TestServer): string {
  const state = s.proc.exitCode !== null || s.proc.signalCode !== null ? `the server exited (${s.proc.exitCode ?? s.proc.signalCode})` : 'the server still runs';
  return `${state}\n${serverLogTails(s)}`;
}

/** The last `n` lines of the server's output and of each companion's log (router, agent): for a failure's message. */
export function serverLogTails(s: Pick<TestServer, 'dataDir' | 'output'>, n = 40): string {
  const tail = (text: string) => text.split('\n').slice(-n).join('\n');
  const dir = path.join(s.dataDir, 'companions');
  const logs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort() : [];
  return [`--- server ---\n${tail(s.output())}`, ...logs.map((f) => `--- ${f} ---\n${tail(fs.readFileSync(path.join(dir, f), 'utf8'))}`)].join('\n');
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** Run the real CLI binary against a server. */
export function cli(server: { url: string }, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; onOutput?: (all: string) => void } = {}): Promise<CliResult> {
  return runCommand(process.execPath, [BIN, ...args], {
    cwd: opts.cwd, timeoutMs: opts.timeoutMs ?? 120_000, onOutput: opts.onOutput,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN, SLIPWAY_CONFIG_DIR: path.join(os.tmpdir(), 'slipway-cli-none'), ...opts.env },
  });
}

/** `git push` in `repo` as a user runs it: the token comes from the CLI's credential helper (`git:remote`). */
export function gitPush(server: { url: string }, repo: string, args: string[]): Promise<CommandResult> {
  return runCommand('git', ['push', ...args], {
    cwd: repo, timeoutMs: 300_000,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN, GIT_TERMINAL_PROMPT: '0', SLIPWAY_CONFIG_DIR: path.join(repo, '.no-login') },
  });
}

/** JSON from the API with the admin token. */
export async function api<T>(server: { url: string } | TestServer, method: string, p: string, body?: unknown): Promise<{ status: number; json: T }> {
  let res: Response;
  try {
    res = await fetch(server.url + p, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new Error(`${method} ${p}: ${requestFailure(e)}${'proc' in server ? `\n${serverState(server)}` : ''}`, { cause: e });
  }
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** A request through the router to `<app>.localhost` (or to `host`, a custom domain). */
export async function viaRouter(s: { routerPort: number }, app: string, p = '/', host = `${app}.localhost`): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.routerPort, path: p, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
