// Real public projects for test/realworld/: downloaded at test time from the npm registry (`npm pack`
// of a release that ships its tests; nothing of theirs is committed here), run through `slipway
// ci:run` cold and warm, and run directly on this machine, so the two can be compared.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { commitAll, git } from '../helpers/apps.js';
import { runCommand } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp.js';

export interface Project {
  /** name@version on the npm registry. */
  spec: string;
  /**
   * The only change to the project: its devDependencies cut to what its tests need (linters,
   * coverage and bundlers left out), so both runs install the same, smaller set.
   */
  devDependencies: Record<string, string>;
  /**
   * Scripts left out for the same reason: a `build` that needs the project's monorepo tools (the
   * buildpack runs `build`, as Heroku's does; the published package is built already).
   */
  dropScripts?: string[];
  /** The test command, for app.json's scripts.test and the direct run alike. */
  test: string;
  /** Extra app.json test env (a reporter's output folder, say). */
  env?: Record<string, string>;
  /** Commit a package-lock.json, as a project's own repository would (npm does not publish it; made here). */
  lockfile?: boolean;
}

export interface Counts { passed: number; failed: number }
export interface Verdict { status: 'succeeded' | 'failed'; counts: Counts }

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, stdio: 'pipe', timeout: 120_000 }).toString();

/** The project's release unpacked into a new git repository, with app.json saying how to test it. */
export function fetchProject(p: Project): string {
  const tmp = tempDir('slipway-realworld-');
  const file = npm(['pack', p.spec, '--silent'], tmp).trim().split('\n').pop()!;
  execFileSync('tar', ['-xzf', file, '-C', tmp], { cwd: tmp, stdio: 'pipe' });
  fs.rmSync(path.join(tmp, file));
  const dir = path.join(tmp, 'package');
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
  const scripts = Object.fromEntries(Object.entries((pkg['scripts'] ?? {}) as Record<string, string>).filter(([k]) => !p.dropScripts?.includes(k)));
  fs.writeFileSync(pkgFile, JSON.stringify({ ...pkg, scripts, devDependencies: p.devDependencies }, null, 2));
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ environments: { test: { scripts: { test: p.test }, ...(p.env ? { env: p.env } : {}) } } }, null, 2));
  if (p.lockfile) npm(['install', '--package-lock-only', '--no-audit', '--no-fund'], dir);
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, `${p.spec} from the npm registry`);
  return dir;
}

/**
 * Install and run the tests straight on this machine, in a copy of the repository made before this
 * returns its promise (so Slipway's runs may go on in the repository meanwhile); the runner's own output.
 */
export async function runDirectly(p: Project, repo: string): Promise<{ code: number; stdout: string; dir: string }> {
  const dir = tempDir('slipway-realworld-direct-');
  fs.cpSync(repo, dir, { recursive: true });
  const install = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--include=dev'], { cwd: dir, env: { ...process.env } as Record<string, string>, timeoutMs: 120_000 });
  assert.equal(install.code, 0, `npm install for the direct run: ${install.output}`);
  const reports = path.join(dir, 'reports');
  fs.mkdirSync(reports);
  const r = await runCommand('/bin/bash', ['-c', `export PATH="$PWD/node_modules/.bin:$PATH"\n${p.test}`], {
    cwd: dir, timeoutMs: 120_000,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, CI: 'true', CI_REPORTS_DIR: reports, ...p.env },
  });
  return { code: r.code, stdout: r.stdout, dir };
}

/** Counts from a TAP runner's own closing summary (`# pass N`, `# fail N`). */
export function tapSummary(stdout: string): Counts {
  const n = (k: string) => Number(stdout.match(new RegExp(`^# ${k}\\s+(\\d+)\\s*$`, 'm'))?.[1] ?? 0);
  return { passed: n('pass'), failed: n('fail') };
}

/** `ci:run` of the repository in `pipeline` twice: cold (no cache), then warm on a new commit. */
export async function runThroughSlipway(s: TestServer, pipeline: string, repo: string): Promise<{ cold: Verdict; warm: Verdict; output: string }> {
  if ((await cli(s, ['pipelines:create', pipeline])).code !== 0) throw new Error(`pipelines:create ${pipeline} failed`);
  let output = '';
  const once = async (): Promise<Verdict> => {
    const r = await cli(s, ['ci:run', '-p', pipeline], { cwd: repo, timeoutMs: 180_000 });
    output += r.stdout + r.stderr;
    const [run] = (await api<{ status: string; counts: Record<string, number> }[]>(s, 'GET', `/pipelines/${pipeline}/test-runs?limit=1`)).json;
    return { status: run!.status as Verdict['status'], counts: { passed: run!.counts['passed'] ?? 0, failed: run!.counts['failed'] ?? 0 } };
  };
  const cold = await once();
  commitAll(repo, 'the same tests again');
  const warm = await once();
  return { cold, warm, output };
}

/**
 * The whole comparison for a project whose runner speaks TAP (its `# pass`/`# fail` summary is the
 * direct run's verdict): one server, the direct run, then Slipway cold and warm.
 */
export function compareTapProject(p: Project, pipeline: string, stack: string, minPassed: number): void {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(async () => { await s.stop(); });
  test(`${p.spec} with ${stack}: Slipway's verdict and counts equal a direct run's, cold and warm`, { timeout: 240_000 }, async () => {
    const repo = fetchProject(p);
    // Independent runs (the direct one in its own copy) whose installs mostly wait on the registry: side by side.
    const [direct, { cold, warm, output }] = await Promise.all([runDirectly(p, repo), runThroughSlipway(s, pipeline, repo)]);
    const expected = { status: direct.code === 0 ? 'succeeded' : 'failed', counts: tapSummary(direct.stdout) };
    assert.ok(expected.counts.passed >= minPassed, `the direct run ran the suite: ${direct.stdout.slice(-300)}`);
    assert.deepEqual(cold, expected, output);
    assert.deepEqual(warm, expected, output);
  });
}

/**
 * The whole comparison for a project whose runner writes a jest-shaped JSON summary (jest's
 * `--json`, vitest's json reporter) to `resultFile` and JUnit into $CI_REPORTS_DIR: one server,
 * the direct run, then Slipway cold and warm, read from the JUnit reports.
 */
export function compareJsonSummaryProject(p: Project, o: { pipeline: string; stack: string; resultFile: string; minPassed: number; timeoutMs: number }): void {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(async () => { await s.stop(); });
  test(`${p.spec} with ${o.stack}: Slipway's verdict and counts equal ${o.stack}'s own, cold and warm`, { timeout: o.timeoutMs }, async () => {
    const repo = fetchProject(p);
    // Independent runs (the direct one in its own copy) whose installs mostly wait on the registry: side by side.
    const [direct, { cold, warm, output }] = await Promise.all([runDirectly(p, repo), runThroughSlipway(s, o.pipeline, repo)]);
    const own = JSON.parse(fs.readFileSync(path.join(direct.dir, o.resultFile), 'utf8')) as { numPassedTests: number; numFailedTests: number; success: boolean };
    const expected = { status: own.success ? 'succeeded' : 'failed', counts: { passed: own.numPassedTests, failed: own.numFailedTests } };
    assert.ok(expected.counts.passed >= o.minPassed, 'the direct run ran the suite');
    assert.deepEqual(cold, expected, output);
    assert.deepEqual(warm, expected, output);
    assert.match(output, /Read \d+ test results from JUnit reports/);
    if (p.lockfile) assert.match(output, /Installing dependencies: the cached node_modules is the lockfile's tree, up to date/, 'the warm run started from the cached tree');
  });
}
