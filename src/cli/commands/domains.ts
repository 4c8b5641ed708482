// `domains`, `domains:add`, `domains:remove`, `certs`, `certs:add`, `certs:remove`: custom host names
// of an app (the router answers for them) and the certificates it serves for them by SNI.
import type { Command } from 'commander';
import fs from 'node:fs';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table } from '../format.js';
import { appOption } from '../app-option.js';
import { CliError } from '../errors.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface DomainJson { id: string; hostname: string; kind: string; cname: string | null; sni_endpoint: { name: string } | null }
interface CertJson { id: string; name: string; domains: string[]; ssl_cert: { cert_domains: string[]; expires_at: string; self_signed: boolean } }

const readPem = (file: string, what: string): string => {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) { throw new CliError(`Cannot read the ${what} ${file}: ${(e as Error).message}.`); }
};

export function registerDomains(program: Command): void {
  appOption(program.command('domains').description('an app\'s domains and the DNS target to point them at'), 'app').option('--json', 'output JSON')
    .action(async (o: { app: string; json?: boolean }) => {
      const list = await client().get<DomainJson[]>(`/apps/${enc(o.app)}/domains`);
      if (o.json) return printJson(list);
      console.log(`${o.app}: ${list.find((d) => d.kind === 'heroku')?.hostname ?? ''}`);
      const custom = list.filter((d) => d.kind === 'custom');
      if (!custom.length) return console.log(`No custom domains. Add one with \`slipway domains:add www.example.com -a ${o.app}\`.`);
      console.log(table(custom.map((d) => [d.hostname, 'CNAME', d.cname ?? '', d.sni_endpoint?.name ?? '-']), ['domain name', 'dns record type', 'dns target', 'certificate']));
    });

  appOption(program.command('domains:add <hostname>').description('route a host name to the app; point its DNS at the target shown'), 'app').option('--cert <name>', 'the certificate (certs) to serve for it')
    .action(async (hostname: string, o: { app: string; cert?: string }) => {
      const d = await client().post<DomainJson>(`/apps/${enc(o.app)}/domains`, { hostname, sni_endpoint: o.cert ?? null });
      console.log(`Added ${d.hostname} to ${o.app}. Point its DNS at the DNS target ${d.cname} (a CNAME; at the apex, an ALIAS/ANAME or the router's address).`);
      console.log(d.sni_endpoint ? `HTTPS: served with certificate ${d.sni_endpoint.name} on the router's TLS port.` : `HTTPS: no certificate covers it yet (\`slipway certs:add CRT KEY -a ${o.app}\`).`);
    });

  appOption(program.command('domains:remove <hostname>').description('stop routing a host name to the app'), 'app')
    .action(async (hostname: string, o: { app: string }) => {
      const d = await client().delete<DomainJson>(`/apps/${enc(o.app)}/domains/${enc(hostname)}`);
      console.log(`Removed ${d.hostname} from ${o.app}.`);
    });

  appOption(program.command('certs').description('an app\'s certificates (served by SNI on the router\'s TLS port)'), 'app').option('--json', 'output JSON')
    .action(async (o: { app: string; json?: boolean }) => {
      const list = await client().get<CertJson[]>(`/apps/${enc(o.app)}/sni-endpoints`);
      if (o.json) return printJson(list);
      if (!list.length) return console.log(`${o.app} has no certificates. Add one with \`slipway certs:add CRT KEY -a ${o.app}\`.`);
      console.log(table(list.map((c) => [c.name, c.ssl_cert.cert_domains.join(', '), c.ssl_cert.expires_at, c.ssl_cert.self_signed ? 'self-signed' : 'CA-signed', String(c.domains.length)]), ['name', 'common names', 'expires', 'trust', 'domains']));
    });

  appOption(program.command('certs:add <crt> <key>').description('install a certificate and key (PEM) for the app\'s domains it covers'), 'app')
    .action(async (crt: string, key: string, o: { app: string }) => {
      const c = await client().post<CertJson>(`/apps/${enc(o.app)}/sni-endpoints`, { certificate_chain: readPem(crt, 'certificate'), private_key: readPem(key, 'private key') });
      console.log(`Added certificate ${c.name} to ${o.app} for ${c.ssl_cert.cert_domains.join(', ')} (expires ${c.ssl_cert.expires_at}); it serves ${c.domains.length} of the app's domains.`);
    });

  appOption(program.command('certs:remove <name>').description('remove a certificate (its domains are then served over plain HTTP only)'), 'app')
    .action(async (name: string, o: { app: string }) => {
      const c = await client().delete<CertJson>(`/apps/${enc(o.app)}/sni-endpoints/${enc(name)}`);
      console.log(`Removed certificate ${c.name} from ${o.app}.`);
    });
}
