// `slipway heroku …`: the official heroku CLI against a Slipway server anywhere. The CLI sends its
// token only to loopback, so a bridge on 127.0.0.1 (TLS with a certificate made for it, trusted by
// that CLI run only) forwards each connection over TLS to the server, whose certificate is checked
// as usual (system CAs, NODE_EXTRA_CA_CERTS). Everything else the CLI needs is set for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, EXIT } from './errors.js';
import { serverEnv, type CliCredentials } from './context.js';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl', '/opt/homebrew/bin/openssl'];
const GUARD = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'heroku-guard.js')).href;
const isLoopback = (host: string) => host === 'localhost' || /^127\./.test(host) || host === '[::1]';

/** The heroku CLI's entry script, by absolute path (never a PATH lookup). */
function herokuBin(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('heroku/package.json');
    return path.join(path.dirname(pkg), 'bin/run.js');
  } catch {
    throw new CliError('The heroku CLI is not installed beside Slipway: `npm install heroku` in Slipway\'s folder (or globally next to it).', EXIT.usage);
  }
}

/** A certificate for 127.0.0.1, made once per user (openssl) and kept with the CLI's credentials. */
function bridgeCertificate(dir: string): { cert: string; key: string; file: string } {
  const file = path.join(dir, 'heroku-bridge.crt');
  const keyFile = path.join(dir, 'heroku-bridge.key');
  const fresh = fs.existsSync(file) && fs.existsSync(keyFile) && Date.now() - fs.statSync(file).mtimeMs < 300 * 86_400_000;
  if (!fresh) {
    const openssl = OPENSSL.find((p) => fs.existsSync(p));
    if (!openssl) throw new CliError(`slipway heroku makes a certificate for its loopback bridge with openssl, which is not in ${OPENSSL.join(', ')}: install it.`, EXIT.usage);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    execFileSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '365', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', file], { stdio: 'pipe' });
    fs.chmodSync(keyFile, 0o600);
  }
  return { cert: fs.readFileSync(file, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), file };
}

/** Start the bridge: 127.0.0.1:PORT (TLS) → the server (TLS, or plain TCP to a loopback http:// server). */
async function startBridge(server: URL, cert: { cert: string; key: string }): Promise<tls.Server> {
  const https = server.protocol === 'https:';
  const port = Number(server.port || (https ? 443 : 80));
  const host = server.hostname.replace(/^\[|\]$/g, '');
  const bridge = tls.createServer({ cert: cert.cert, key: cert.key }, (client) => {
    const up = https ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect(port, host);
    up.on('error', (e) => { process.stderr.write(`slipway heroku: cannot reach ${server.origin}: ${e.message}\n`); client.destroy(); });
    client.on('error', () => up.destroy());
    client.pipe(up).pipe(client);
  });
  bridge.on('tlsClientError', () => {});
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', () => r()));
  return bridge;
}

/** Run `heroku args…` against the server of `creds`; resolves with its exit code. */
export async function runHeroku(creds: CliCredentials, args: string[], configDir: string): Promise<number> {
  if (!creds.token) throw new CliError('Not logged in: run `slipway login` (or set SLIPWAY_TOKEN) first.', EXIT.unreachable);
  const server = new URL(creds.url);
  if (server.protocol !== 'https:' && !isLoopback(server.hostname)) {
    throw new CliError(`${creds.url} is plain HTTP on another machine: the token would cross the network in clear. Give the server an HTTPS listener (SLIPWAY_TLS_PORT) and log in to its https:// URL.`, EXIT.usage);
  }
  const bin = herokuBin();
  const cert = bridgeCertificate(configDir);
  const bridge = await startBridge(server, cert);
  const local = `https://127.0.0.1:${(bridge.address() as net.AddressInfo).port}`;
  // One CA file for the child: the bridge's certificate and whatever the user trusts already.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-heroku-'));
  const ca = path.join(tmp, 'ca.pem');
  const parent = serverEnv();
  const extra = parent['NODE_EXTRA_CA_CERTS'];
  fs.writeFileSync(ca, cert.cert + (extra && fs.existsSync(extra) ? `\n${fs.readFileSync(extra, 'utf8')}` : ''));
  const env: NodeJS.ProcessEnv = {
    ...parent,
    HEROKU_HOST: local, HEROKU_PARTICLEBOARD_URL: local, HEROKU_DATA_HOST: `127.0.0.1:${new URL(local).port}`, HEROKU_REDIS_HOST: `127.0.0.1:${new URL(local).port}`,
    HEROKU_API_KEY: creds.token, NODE_EXTRA_CA_CERTS: ca,
    DISABLE_TELEMETRY: 'true', HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: 'true',
    NODE_OPTIONS: `${parent['NODE_OPTIONS'] ?? ''} --import=${GUARD}`.trim(),
  };
  try {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'inherit' });
    return await new Promise<number>((resolve) => {
      child.on('error', (e) => { process.stderr.write(`slipway heroku: ${e.message}\n`); resolve(EXIT.failed); });
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : EXIT.failed)));
    });
  } finally {
    bridge.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
