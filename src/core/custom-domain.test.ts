import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { certCovers, checkHostname, readCertificate } from './custom-domain.js';

test('host names: lower-cased, at least two labels, never under the router\'s own domain', () => {
  assert.deepEqual(checkHostname('WWW.Example.COM.', 'localhost'), { ok: true, hostname: 'www.example.com' });
  for (const bad of ['example', '*.example.com', 'a..b', '-a.example.com', 'a b.com', `${'a'.repeat(64)}.com`, 'exa_mple.com']) assert.equal(checkHostname(bad, 'localhost').ok, false, bad);
  assert.match((checkHostname('shop.apps.example.net', 'apps.example.net') as { message: string }).message, /under apps\.example\.net/);
  assert.equal(checkHostname('apps.example.net', 'apps.example.net').ok, false);
});

test('certificates: names from the SAN (else CN), dates, self-signed, and the key must match', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cert-'));
  const make = (name: string, args: string[]) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3', ...args, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)], { stdio: 'pipe' });
    return [fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8'), fs.readFileSync(path.join(dir, `${name}.key`), 'utf8')] as const;
  };
  try {
    const [crt, key] = make('a', ['-subj', '/CN=www.example.test', '-addext', 'subjectAltName=DNS:www.example.test,DNS:*.shop.example.test']);
    const d = readCertificate(crt, key);
    assert.deepEqual(d.cert_domains, ['www.example.test', '*.shop.example.test']);
    assert.equal(d.self_signed, true);
    assert.ok(Date.parse(d.expires_at) - Date.parse(d.starts_at) >= 2 * 86_400_000);
    const [, other] = make('b', ['-subj', '/CN=other.test']);
    assert.throws(() => readCertificate(crt, other), /does not belong to the certificate/);
    assert.throws(() => readCertificate('not a cert', key), /not a PEM certificate/);
    assert.throws(() => readCertificate(crt, 'nope'), /not a PEM private key/);
    assert.ok(certCovers(d.cert_domains, 'www.example.test'));
    assert.ok(certCovers(d.cert_domains, 'a.shop.example.test'));
    assert.ok(!certCovers(d.cert_domains, 'a.b.shop.example.test'), 'a wildcard covers one label');
    assert.ok(!certCovers(d.cert_domains, 'example.test'));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('certificates: an RSA key under 2048 bits is refused with what to do (nginx would refuse to load it); 2048 bits pass', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cert-'));
  const rsa = (bits: number) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-days', '3', '-subj', '/CN=www.example.test', '-keyout', path.join(dir, `${bits}.key`), '-out', path.join(dir, `${bits}.crt`)], { stdio: 'pipe' });
    return [fs.readFileSync(path.join(dir, `${bits}.crt`), 'utf8'), fs.readFileSync(path.join(dir, `${bits}.key`), 'utf8')] as const;
  };
  try {
    assert.throws(() => readCertificate(...rsa(1024)), /the key is RSA of 1024 bits, which the router's TLS refuses: issue the certificate for an RSA key of 2048 bits or more, or an EC key/);
    assert.deepEqual(readCertificate(...rsa(2048)).cert_domains, ['www.example.test']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
