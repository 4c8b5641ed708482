// A read-only git repository over "dumb" HTTP, for git-URL buildpacks in tests, and a gate a test
// node polls: on loopback, or, where sandboxes have network namespaces of their own (root), from
// the fake internet they reach.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { git } from './apps.js';
import { fakeInternet, INTERNET } from './fake-internet.js';
import { netAdminProblem } from './netns.js';
import { tempDir } from './temp.js';

export interface GitHttp { url: string; bare: string; close(): Promise<void> }

/** Serve a bare clone of `worktree` at http://127.0.0.1:PORT/<name>.git, or from the fake internet as root (clone-only). */
export async function serveGitRepo(worktree: string, name: string): Promise<GitHttp> {
  const root = tempDir('slipway-githttp-');
  const bare = path.join(root, `${name}.git`);
  git(root, 'clone', '-q', '--bare', worktree, bare);
  git(bare, 'update-server-info');
  if (!netAdminProblem()) {
    const internet = await fakeInternet(root);
    return { url: `http://${INTERNET.addr}:${INTERNET.httpPort}/${name}.git`, bare, close: async () => internet.close() };
  }
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200);
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}.git`, bare,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/**
 * A URL a sandbox polls, answering 404 until `open()` (a test holding a node until it has seen
 * something): from the fake internet as root (a sandbox reaches nothing on the host), else on loopback.
 */
export async function httpGate(): Promise<{ url: string; open(): void; close(): Promise<void> }> {
  const root = tempDir('slipway-gate-');
  const flag = path.join(root, 'open');
  if (!netAdminProblem()) {
    const internet = await fakeInternet(root);
    return { url: `http://${INTERNET.addr}:${INTERNET.httpPort}/open`, open: () => fs.writeFileSync(flag, ''), close: async () => internet.close() };
  }
  const server = http.createServer((_req, res) => { res.writeHead(fs.existsSync(flag) ? 200 : 404).end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/open`, open: () => fs.writeFileSync(flag, ''),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
