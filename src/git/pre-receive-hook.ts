// The pre-receive hook of every app repository, run by `git receive-pack` for each push. For each
// pushed branch it sends `git archive` of the new commit to the server, prints what the server
// streams back (build, CI, release output: the user sees it as `remote:` lines), and rejects the
// push when the server says the deploy failed.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';
import { PUSH_RESULT_MARKER } from './push-protocol.js';
import { treeOverLimit, treeSize } from './tree-size.js';

const ZERO = /^0+$/;

async function readStdin(): Promise<string> {
  let s = '';
  for await (const c of process.stdin) s += c;
  return s;
}

/**
 * POST the archive to the server; node:http, not fetch: fetch's first call loads undici, tens of
 * milliseconds of every push's wait.
 */
function post(url: URL, token: string, file: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/gzip', 'content-length': fs.statSync(file).size } }, resolve);
    req.on('error', reject);
    fs.createReadStream(file).on('error', reject).pipe(req);
  });
}

async function text(res: http.IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of res) s += c;
  return s;
}

/** The server's `{id, message}` error as a line; anything else with its status. */
function refusal(status: number, body: string): string {
  try { return (JSON.parse(body) as { message: string }).message; } catch { return `HTTP ${status} ${body}`; }
}

async function sendCommit(callback: string, token: string, branch: string, sha: string): Promise<boolean> {
  const env = { ...process.env } as Record<string, string>;
  // The message and the tree's size at once: two git starts of a push's wait.
  const [log, size] = await Promise.all([runHost('git', ['log', '-1', '--format=%B', sha], { env }), treeSize(sha, { env })]);
  const message = log.stdout.trim();
  const limits = { unpackedBytes: Number(env['SLIPWAY_MAX_UNPACKED_BYTES']), entries: Number(env['SLIPWAY_MAX_SOURCE_ENTRIES']) };
  const over = treeOverLimit(`The source of ${sha.slice(0, 7)}`, size, limits);
  if (over) { process.stdout.write(`!     Push rejected: ${over}\n`); return false; }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-push-'));
  try {
    const file = path.join(tmp, 'source.tar.gz');
    const out = fs.createWriteStream(file);
    const r = await runHost('git', ['archive', '--format=tar.gz', sha], { env, stdoutTo: out, timeoutMs: 600_000 });
    await new Promise((res) => out.close(res));
    if (r.exitCode !== 0) { process.stdout.write(`!     git archive of ${sha} failed: ${r.stderr.trim()}\n`); return false; }
    const url = new URL(callback);
    url.searchParams.set('branch', branch);
    url.searchParams.set('sha', sha);
    url.searchParams.set('message', message.slice(0, 4000));
    const res = await post(url, token, file);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) { process.stdout.write(`!     Push rejected: ${refusal(status, await text(res))}\n`); return false; }
    let ok = false;
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of res) {
      pending += decoder.decode(chunk as Buffer, { stream: true });
      const nl = pending.lastIndexOf('\n');
      if (nl < 0) continue;
      for (const line of pending.slice(0, nl + 1).split(/(?<=\n)/)) {
        if (line.startsWith(PUSH_RESULT_MARKER)) ok = line.slice(PUSH_RESULT_MARKER.length).trim() === 'ok';
        else process.stdout.write(line);
      }
      pending = pending.slice(nl + 1);
    }
    if (pending && !pending.startsWith(PUSH_RESULT_MARKER)) process.stdout.write(pending + '\n');
    return ok;
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
}

async function main(): Promise<number> {
  const callback = process.env.SLIPWAY_PUSH_CALLBACK;
  const token = process.env.SLIPWAY_PUSH_TOKEN;
  if (!callback || !token) { process.stdout.write('!     This repository only takes pushes through the Slipway server.\n'); return 1; }
  let ok = true;
  for (const line of (await readStdin()).split('\n').filter(Boolean)) {
    const [, sha, ref] = line.split(' ');
    if (!sha || !ref || ZERO.test(sha)) continue; // deleting a ref is fine
    if (!ref.startsWith('refs/heads/')) { process.stdout.write(`       Ignoring ${ref}: Slipway deploys branches.\n`); continue; }
    ok = (await sendCommit(callback, token, ref.slice('refs/heads/'.length), sha)) && ok;
  }
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e: Error) => { process.stdout.write(`!     ${e.message}\n`); process.exit(1); });
