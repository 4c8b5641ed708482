// The nginx data plane's configuration, and its route table, as pure functions of Slipway's dyno
// registry. The configuration holds no app: one server proxies every request to one upstream whose
// balancer, in nginx's lua module, finds the route of the Host asked for in the table the router
// process keeps (balancer-lua.ts: no app, a private space's refusal, maintenance, no web dyno, else
// the app's next dyno), and whose TLS server gives each name the certificate the certificate table
// holds for it — so no change of the apps ever rewrites or reloads nginx; page servers on sockets
// answer what no dyno is to; and the same headers, error pages and log fields as the Node router
// (src/runtime/router.ts). Nothing in it grows with the apps or their certificates.
import { parseCidr } from '../../spaces/cidr.js';
import { page, MAINTENANCE_PAGE } from '../router.js';

/** The Node router's pages; `$host` is filled in by nginx. */
const PAGES = {
  noApp: { title: 'No such app', text: 'There is no app at this address.' },
  forbidden: { title: 'Forbidden', text: 'This app is in a private space that does not accept requests from your address (trusted IP ranges).' },
  noDyno: { title: 'Application unavailable', text: 'No web dyno is running for this app right now. Try again in a moment.' },
  error: { title: 'Application error', text: '' },
};

export interface NginxConfInput {
  prefix: string;
  listenHost: string;
  listenPort: number;
  /** A TLS port beside the HTTP one: each certificate's host names, by SNI; any other name gets no handshake. */
  tlsPort?: number;
  /**
   * With a TLS port: a certificate and key file (PEM) nginx's TLS server must name to start, never
   * given to a client (the balancer's Lua replaces it in every handshake, or refuses the handshake).
   */
  placeholder?: string;
  domain: string;
  timeoutSeconds: number;
  /**
   * Set when the master runs as root: workers run as the server's own user, as the Node router
   * does, because a private space's firewall lets only the server's uid open connections to dynos.
   */
  user?: string;
  /** The table version served when this nginx starts, answered at STATUS_HOST: the router takes it for started once a worker answers with it. */
  generation: number;
  /** The status path's secret (hex): a dyno reaches the router's port too, and is not told. */
  statusToken: string;
  /** nginx's dynamic modules to load for the route table (ndk, then lua), absolute paths. */
  modules: string[];
}

/** The control socket's path under the prefix: the router process puts route tables there (balancer-lua.ts). */
export const controlSocket = (prefix: string) => `${prefix}/control.sock`;
/** The route table nginx loads at its start (the one last put). */
export const routeTableFile = (prefix: string) => `${prefix}/routes.tsv`;
/** The certificate table nginx loads at its start (the one last put). */
export const certificateTableFile = (prefix: string) => `${prefix}/certificates.tsv`;
/** The folder of the page servers' sockets (one per kind of page: PAGE_KINDS). */
export const pagesDir = (prefix: string) => `${prefix}/pages`;
/** A page server's socket (the balancer names it from pagesDir and the kind). */
export const pageSocket = (prefix: string, kind: string) => `${pagesDir(prefix)}/${kind}.sock`;

/** The status server's name: no app or custom domain can have it (a host name has no underscore). */
export const STATUS_HOST = 'slipway_status';

const HOSTNAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** A dyno's name as the table gives it (web.1): nothing nginx would read as syntax. */
const DYNO_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * What every server that proxies does first: its X-Request-Id and X-Request-Start (balancer-lua.ts:
 * the client's id when it looks like one, else a fresh one), given back to the client too; and it
 * starts the variables the balancer sets (the app and the dyno for the line, the page it sent the
 * request to): nginx's lua module sets only a variable `set` made, and an unset one would warn at
 * each request.
 */
const BALANCER_VARS = `    set $slipway_request_start '';\n    set_by_lua_block $slipway_request_id { return slipway.request_id() }\n    set $slipway_app '';\n    set $slipway_dyno '';\n    set $slipway_page '';\n    add_header X-Request-Id $slipway_request_id always;\n`;

/** Single-quoted nginx string: only ' and \ need escaping. */
const q = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * The fields of an access line nginx cannot write as a Heroku router line itself (see logFormats),
 * in this order, separated by tabs. escape=json escapes every control character inside a value (a tab
 * as \t), so a literal tab only ever separates fields: a path or header cannot forge another field,
 * nor a line. `msec` is when the request ended (the line's time).
 */
export const LOG_FIELDS = {
  app: '$slipway_app', method: '$request_method', path: '$request_uri', host: '$host', request_id: '$slipway_request_id',
  fwd: '$proxy_add_x_forwarded_for', remote: '$remote_addr', upstream: '$upstream_addr', upstream_status: '$upstream_status',
  connect: '$upstream_connect_time', request_time: '$request_time', status: '$status', bytes: '$body_bytes_sent',
  page: '$slipway_page', scheme: '$scheme', msec: '$msec',
} as const;

/** What starts a line of LOG_FIELDS (a wire line starts with an app id, which never holds it). */
export const FIELDS_MARK = '!';

/**
 * Two line formats into one buffered file (nginx shares the buffer, so lines keep their order).
 * A request answered by one known dyno with a status of its own (nearly every one) is written as
 * the router's wire line, `app id \t msec \t Heroku line` (src/router/router-wire.ts), the
 * Heroku line being the one the Node router writes: the router process passes it on unread.
 * Any other (no dyno, a retry on another dyno, nginx's own 403 and 503s, a WebSocket's 101) is
 * written as FIELDS_MARK and LOG_FIELDS, and turned into its line there (nginx-log.ts). Values are
 * escaped as JSON strings are: a quote or a backslash in a path cannot end its quoted value.
 */
const logFormats = () => [
  `log_format slipway_line escape=json '$slipway_app\\t$msec\\tat=info method=$request_method path="$request_uri" host=$host request_id=$slipway_request_id`
    + ` fwd="$proxy_add_x_forwarded_for" dyno=$slipway_line connect=\${slipway_connect_ms}ms service=\${slipway_service_ms}ms status=$status bytes=$body_bytes_sent protocol=$scheme';`,
  `log_format slipway escape=json '${FIELDS_MARK}${Object.values(LOG_FIELDS).join('\\t')}';`,
];

/** Each of nginx's times under a second ("0.012") by its exact key: a hash lookup, where a regular expression cost a request ~700 instructions a map (callgrind). */
const UNDER_A_SECOND = Array.from({ length: 1000 }, (_, ms) => `"0.${String(ms).padStart(3, '0')}" ${ms};`).join(' ');

/** nginx's seconds with milliseconds ("0.012", "-" for none) as whole milliseconds ("12"). */
const millis = (from: string, to: string) => `map ${from} ${to} {\n    ${UNDER_A_SECOND}\n    "~^(?<s>[1-9]\\d*)\\.(?<ms>\\d{3})$" $s$ms; default 0;\n  }`;

/**
 * The maps that write a request's Heroku line: the dyno that answered by name (`$slipway_dyno`, set
 * by the balancer when there was one attempt), and whether that line is written (`$slipway_line`, the
 * dyno's name) or the fields are (`$slipway_fields`; neither for a name no app has, as the Node router
 * logs no line for it).
 */
function lineMaps(): string {
  return `  map $status $slipway_line { 101 ''; 403 ''; 503 ''; default $slipway_dyno; }
  map $slipway_line $slipway_fields { '' $slipway_known; default ''; }
  map $slipway_app $slipway_known { '' ''; default 1; }
  ${millis('$upstream_connect_time', '$slipway_connect_ms')}
  ${millis('$request_time', '$slipway_service_ms')}
`;
}

/**
 * A space's trusted ranges as the route table gives them: `*` for every address (none set, or a /0,
 * which trusts IPv6 too), else `base/bits` of each range that parses (none: nobody is trusted, as in
 * the Node router), the base as a number.
 */
function trustedField(trusted: readonly string[] | undefined): string {
  if (!trusted) return '*';
  const ranges = trusted.map(parseCidr).filter((c) => c !== undefined && c !== null);
  if (ranges.some((c) => c.bits === 0)) return '*';
  return ranges.map((c) => `${c.base}/${c.bits}`).join(',');
}

/**
 * Seconds an idle connection to a dyno is kept for the next request. Shorter than app servers' own
 * idle timeouts (Node's 5 s, gunicorn's 2 s), so nginx closes first: a request sent just as the
 * dyno closed an idle connection fails, and nginx retries only a GET or HEAD (a POST would be an H13).
 */
const IDLE_UPSTREAM = 1;

/** A certificate file nginx may be told to read: an absolute path of plain characters. */
const CERT_FILE = /^\/[\w./-]+$/;

const HTML = `default_type 'text/html; charset=utf-8';`;

/** The host names an app answers: `<name>.<domain>` and its custom domains (checked: nothing the table or nginx would read as syntax). */
function namesOf(a: { name: string; hostnames?: string[] }, domain: string): string[] {
  const names = [`${a.name}.${domain}`, ...(a.hostnames ?? [])];
  const bad = names.find((n) => !HOSTNAME.test(n));
  if (bad) throw new Error(`cannot route ${JSON.stringify(bad)}: not a host name`);
  return names;
}

/**
 * The certificate table for balancer-lua.ts: a line per host name given a certificate on the TLS
 * port, `host \t file` (checked: a host name each, a plain absolute file). Internal apps get none;
 * a name twice stays the first app's, by app name. Sorted: the same registry, the same table.
 */
export function certificateTable(apps: readonly { name: string; internal?: boolean; certificates?: readonly { hostname: string; file: string }[] }[]): string {
  const seen = new Set<string>();
  const certificates = apps.filter((a) => !a.internal).sort((x, y) => x.name.localeCompare(y.name)).flatMap((a) => a.certificates ?? []);
  const bad = certificates.find((x) => !HOSTNAME.test(x.hostname));
  if (bad) throw new Error(`cannot route ${JSON.stringify(bad.hostname)}: not a host name`);
  const badFile = certificates.find((x) => !CERT_FILE.test(x.file) || x.file.includes('..'));
  if (badFile) throw new Error(`cannot serve the certificate of ${badFile.hostname} from ${JSON.stringify(badFile.file)}: not a plain absolute path`);
  return certificates.filter((x) => !seen.has(x.hostname) && seen.add(x.hostname)).map((x) => `${x.hostname}\t${x.file}\n`).join('');
}

/** An app id as the balancer is told it: nothing the table, Lua or nginx would read as syntax. */
const APP_ID = /^[\w.-]{1,128}$/;

/**
 * The one upstream every app is proxied to: its balancer picks the dyno from the route table
 * (balancer-lua.ts) by the app the Host names, and nginx keeps idle connections to dynos for the next
 * request (`keepalive` after the balancer, matched by the dyno's address), as ingress-nginx does. One
 * upstream and one server for every app: nginx's lua module builds a TLS context for each location
 * and server at every reload (~0.3 ms and 30 KB each), so a server per app cost a reload with 1,000
 * apps a second and the master 90 MB more (docs/benchmarks.md).
 */
const UPSTREAM = `  upstream dynos {
    server 0.0.0.1;
    balancer_by_lua_block { slipway.balance() }
    keepalive 1024;
    keepalive_timeout ${IDLE_UPSTREAM}s;
  }
`;

/** An app as its route: its names, state, ranges and dynos (those that are up). */
export interface RoutedApp {
  appId: string;
  name: string;
  /** Custom domains (`domains:add`) answered beside `<name>.<domain>`. */
  hostnames?: string[];
  /** Internal routing: not on the router at all (404). */
  internal?: boolean;
  /** Maintenance mode: Heroku's maintenance page (503, H80), whatever the dynos do. */
  maintenance?: boolean;
  /** A private space's trusted IP ranges (absent: everyone). */
  trusted?: readonly string[];
  /** `name`: how its log lines name it (web.1); absent, by its address. */
  dynos: readonly { host: string; port: number; name?: string; id?: string }[];
}

/**
 * The route table for balancer-lua.ts: a line per host name an app answers, `host \t app id \t m
 * (maintenance) or nothing \t trusted ranges \t dynos`, a dyno as `host port name id`. Internal apps
 * are not routed; a name twice (the store keeps names unique) stays the first app's, by app name; a
 * dyno with a value that could end a field is left out. Sorted: the same registry, the same table.
 */
export function routeTable(apps: readonly RoutedApp[], domain: string): string {
  const field = /^[\w.:-]{1,128}$/;
  const bad = apps.find((a) => !APP_ID.test(a.appId));
  if (bad) throw new Error(`cannot route app id ${JSON.stringify(bad.appId)}`);
  const seen = new Set<string>();
  return apps.filter((a) => !a.internal).sort((x, y) => x.name.localeCompare(y.name)).flatMap((a) => {
    const dynos = a.dynos
      .filter((d) => field.test(d.host) && Number.isInteger(d.port) && d.port > 0 && d.port < 65536 && field.test(d.name ?? '-') && field.test(d.id ?? '-'))
      .map((d) => `${d.host} ${d.port} ${d.name && DYNO_NAME.test(d.name) ? d.name : '-'} ${d.id ?? `${d.host}:${d.port}`}`).join(',');
    const route = `${a.appId}\t${a.maintenance ? 'm' : ''}\t${trustedField(a.trusted)}\t${dynos}\n`;
    return namesOf(a, domain).filter((n) => !seen.has(n) && seen.add(n)).map((n) => `${n}\t${route}`);
  }).join('');
}

/** The pages a request no dyno is to answer gets, each from a server of its own on a socket (the balancer picks one). */
export const PAGE_KINDS = ['none', 'refused', 'maintenance', 'idle'] as const;

/**
 * The page servers: no app at the name (404), a client outside a space's trusted ranges (403),
 * maintenance (503, H80), no web dyno (503, H14, with Retry-After). The server that proxied the
 * request adds its X-Request-Id and writes its line ($slipway_page says which page it was).
 */
function pageServers(prefix: string): string {
  const pages: Record<(typeof PAGE_KINDS)[number], string> = {
    none: `return 404 ${q(page(PAGES.noApp.title, PAGES.noApp.text))};`,
    refused: `return 403 ${q(page(PAGES.forbidden.title, PAGES.forbidden.text))};`,
    maintenance: `return 503 ${q(MAINTENANCE_PAGE)};`,
    idle: `add_header Retry-After 5 always; return 503 ${q(page(PAGES.noDyno.title, PAGES.noDyno.text))};`,
  };
  return PAGE_KINDS.map((k) => `  server { listen unix:${pageSocket(prefix, k)}; access_log off; ${HTML} ${pages[k]} }\n`).join('');
}

const named = (n: string, status: number, title: string, text: string) => `    location @${n} { ${HTML} return ${status} ${q(page(title, text))}; }\n`;

/**
 * A timeout (504) becomes H12's page and a refused or closed connection (502) H13's, both as 503:
 * one location for both (each location is a whole set of every module's settings to nginx), its
 * text by the last attempt's status (`$slipway_failure`).
 */
const upstreamErrors = () => `    error_page 502 504 =503 @error;
${named('error', 503, PAGES.error.title, '$slipway_failure')}`;

/**
 * What a server does with a request (the plain one and the TLS one): the upstream,
 * whose balancer sends it to its app's dyno or to a page server, with the upstream errors' page. A
 * dyno's own responses are never intercepted (`proxy_intercept_errors` is off), and keep their own type.
 */
function routes(): string {
  return `${upstreamErrors()}    location / {
      proxy_pass http://dynos;
    }
`;
}

/** A configuration that only loads one certificate file (for `nginx -t`): whether nginx can serve it, before it goes into the real one. */
export function certificateCheckConf(prefix: string, file: string): string {
  if (!CERT_FILE.test(file) || file.includes('..')) throw new Error(`${JSON.stringify(file)} is not a plain absolute path`);
  return `pid ${prefix}/certificate-check.pid;
error_log stderr warn;
events {}
http {
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  server { listen 127.0.0.1:1 ssl; ssl_certificate ${file}; ssl_certificate_key ${file}; }
}
`;
}

export function nginxConf(c: NginxConfInput): string {
  if (!HOSTNAME.test(c.domain)) throw new Error(`SLIPWAY_DOMAIN ${JSON.stringify(c.domain)} is not a host name`);
  if (!/^[0-9a-f]{32,}$/.test(c.statusToken)) throw new Error('the status token must be 32 or more hex digits');
  if (c.tlsPort !== undefined && c.placeholder === undefined) throw new Error('a TLS port needs a placeholder certificate');
  const plain = [c.prefix, ...c.modules, ...(c.placeholder === undefined ? [] : [c.placeholder])].find((f) => !CERT_FILE.test(f) || f.includes('..'));
  if (plain !== undefined) throw new Error(`cannot give nginx ${JSON.stringify(plain)}: not a plain absolute path`);
  const t = `${c.timeoutSeconds}s`;
  return `# Generated by Slipway from its dyno registry; rewritten on every change. Do not edit.
${c.modules.map((m) => `load_module ${m};\n`).join('')}${c.user ? `user ${c.user};\n` : ''}worker_processes 1;
pcre_jit on;
daemon off;
master_process on;
pid ${c.prefix}/nginx.pid;
# nginx's errors go to its supervisor's output (the router process's log).
error_log stderr warn;
# A worker left over from a reload (a long WebSocket, say) goes after the router's timeout.
worker_shutdown_timeout ${t};
events { worker_connections 4096; }
http {
  client_body_temp_path ${c.prefix}/temp/body;
  proxy_temp_path ${c.prefix}/temp/proxy;
  fastcgi_temp_path ${c.prefix}/temp/fastcgi;
  uwsgi_temp_path ${c.prefix}/temp/uwsgi;
  scgi_temp_path ${c.prefix}/temp/scgi;
  server_tokens off;
  client_max_body_size 0;
  keepalive_requests 100000;
${logFormats().map((f) => `  ${f}\n`).join('')}  access_log ${c.prefix}/access.log slipway_line buffer=64k flush=250ms if=$slipway_line;
  access_log ${c.prefix}/access.log slipway buffer=64k flush=250ms if=$slipway_fields;
  # The route and certificate tables (balancer-lua.ts): kept across reloads, loaded from the last ones put at each.
  lua_package_path '${c.prefix}/lua/?.lua;;';
  lua_shared_dict slipway 32m;
  lua_shared_dict slipway_certificates 4m;
  init_by_lua_block { slipway = require('slipway'); slipway.init('${routeTableFile(c.prefix)}', '${certificateTableFile(c.prefix)}', '${pagesDir(c.prefix)}') }
${lineMaps()}  map $http_upgrade $slipway_connection { default upgrade; '' ''; }
  # The error page's text after a failed attempt at a dyno (H12 after a timeout, else H13), as the router's line says.
  map $upstream_status $slipway_failure { "~504$" 'Request timeout'; default 'Connection closed without response'; }
  proxy_http_version 1.1;
  proxy_set_header Host $http_host;
  proxy_set_header Connection $slipway_connection;
  proxy_set_header Upgrade $http_upgrade;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-Port $server_port;
  proxy_set_header X-Request-Id $slipway_request_id;
  proxy_set_header X-Request-Start $slipway_request_start;
  proxy_set_header Via '1.1 slipway';
  proxy_hide_header X-Request-Id;
  # Responses are buffered in memory only: nginx reads a small one whole and answers it in one go
  # (a quarter more requests a second than unbuffered, bench/router), while a stream still reaches the
  # client as the dyno writes it. A response larger than the buffers goes at the client's pace (the
  # dyno waits), never into a temporary file: a tenant's responses cannot fill the router's disk.
  proxy_buffering on;
  proxy_max_temp_file_size 0;
  proxy_request_buffering off;
  proxy_connect_timeout ${t};
  proxy_read_timeout ${t};
  proxy_send_timeout ${t};
  # A GET or HEAD that never reached a dyno goes to another one (nginx never retries other methods).
  proxy_next_upstream error;
  proxy_next_upstream_tries 3;
${UPSTREAM}  # Every app, by the Host it is asked for (the balancer's route table); any other name gets the 404 page.
  server {
    listen ${c.listenHost}:${c.listenPort} default_server;
    server_name _;
${BALANCER_VARS}${routes()}  }
  # Which table this configuration serves; asked by the router process, at a path only it knows.
  server {
    listen ${c.listenHost}:${c.listenPort};
    server_name ${STATUS_HOST};
    access_log off;
    location = /${c.statusToken} { default_type text/plain; return 200 '${c.generation}'; }
    location / { ${HTML} return 404 ${q(page(PAGES.noApp.title, PAGES.noApp.text))}; }
  }
  # The router process puts route and certificate tables here (a socket in its private folder: no dyno reaches it).
  server {
    listen unix:${controlSocket(c.prefix)};
    access_log off;
    client_body_buffer_size 64m;
    client_max_body_size 64m;
    location = /routes { content_by_lua_block { slipway.put('routes') } }
    location = /certificates { content_by_lua_block { slipway.put('certificates') } }
    location / { return 404; }
  }
  # The pages of requests no dyno is to answer (the balancer sends them here, by kind).
${pageServers(c.prefix)}${c.tlsPort === undefined ? '' : `  # Every custom domain's certificate, by SNI (the certificate table, read at each handshake); a name
  # without one (or none sent) gets no handshake: the placeholder is never given away. A request is
  # routed by its Host, as on the plain port and in the Node router.
  server {
    listen ${c.listenHost}:${c.tlsPort} ssl default_server;
    server_name _;
    ssl_certificate ${c.placeholder};
    ssl_certificate_key ${c.placeholder};
    ssl_certificate_by_lua_block { slipway.certificate() }
${BALANCER_VARS}${routes()}  }
`}}
`;
}
