import test from 'node:test';
import assert from 'node:assert/strict';
import { nginxConf, certificateCheckConf, certificateTable, routeTable, PAGE_KINDS, STATUS_HOST, type NginxConfInput } from './nginx-conf.js';

const count = (conf: string, re: RegExp) => conf.match(re)?.length ?? 0;
const input = (): NginxConfInput => ({ prefix: '/d/nginx', listenHost: '127.0.0.1', listenPort: 5080, domain: 'localhost', timeoutSeconds: 30, generation: 7, statusToken: 'ab'.repeat(16), modules: ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'] });

test('the configuration holds no app: one server proxies every request to the one upstream, whose balancer finds the Host\'s route in the route table', () => {
  const conf = nginxConf(input());
  assert.match(conf, /\n {2}upstream dynos \{\n {4}server 0\.0\.0\.1;\n {4}balancer_by_lua_block \{ slipway\.balance\(\) \}\n {4}keepalive 1024;\n {4}keepalive_timeout 1s;\n {2}\}/, 'its dynos are the route table\'s');
  assert.ok(conf.startsWith('# Generated') && conf.includes('\nload_module /usr/lib/nginx/modules/ndk_http_module.so;\nload_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n'));
  assert.ok(conf.includes("init_by_lua_block { slipway = require('slipway'); slipway.init('/d/nginx/routes.tsv', '/d/nginx/certificates.tsv', '/d/nginx/pages') }"));
  assert.ok(conf.includes('listen unix:/d/nginx/control.sock;'), 'the control server on a socket in the router\'s folder');
  assert.ok(conf.includes("location = /routes { content_by_lua_block { slipway.put('routes') } }"));
  assert.ok(conf.includes("location = /certificates { content_by_lua_block { slipway.put('certificates') } }"));
  assert.throws(() => nginxConf({ ...input(), modules: ['/m/x.so; user root'] }), /not a plain absolute path/);
  assert.ok(!conf.includes('map $host') && !conf.includes('server_names_hash'), 'no app\'s name in the configuration');
  // Every server logs to the one buffered file.
  assert.match(conf, /\n {2}access_log \/d\/nginx\/access\.log slipway_line buffer=64k flush=250ms if=\$slipway_line;\n {2}access_log \/d\/nginx\/access\.log slipway buffer=64k flush=250ms if=\$slipway_fields;\n/);
  assert.match(conf, /listen 127\.0\.0\.1:5080 default_server;\n {4}server_name _;\n {4}set \$slipway_request_start '';\n {4}set_by_lua_block \$slipway_request_id \{ return slipway\.request_id\(\) \}\n {4}set \$slipway_app '';\n {4}set \$slipway_dyno '';\n {4}set \$slipway_page '';\n/, 'the variables the balancer sets, started empty');
  assert.match(conf, /\n {6}proxy_pass http:\/\/dynos;\n/, 'the upstream by a literal name (by a variable, nginx looks it up among every upstream, one by one)');
  assert.match(conf, /proxy_read_timeout 30s;/);
  assert.match(conf, /proxy_next_upstream error;/);
});

test('the route table: a line per host name, its app, maintenance, trusted ranges and dynos; internal apps are not routed; a bad app id is refused', () => {
  assert.equal(routeTable([
    { appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001, name: 'web.1', id: 'd1' }, { host: '10.1.0.5', port: 5000, name: 'web.2', id: 'd2' }], hostnames: ['www.shop.test'] },
    { appId: 'id-3', name: 'resting', dynos: [{ host: '127.0.0.1', port: 4002 }], maintenance: true },
    { appId: 'id-2', name: 'idle', dynos: [] },
    { appId: 'inner', name: 'inner', dynos: [{ host: '10.1.0.9', port: 5000 }], internal: true },
  ], 'localhost'), [
    'idle.localhost\tid-2\t\t*\t\n',
    'resting.localhost\tid-3\tm\t*\t127.0.0.1 4002 - 127.0.0.1:4002\n',
    'shop.localhost\tid-1\t\t*\t127.0.0.1 4001 web.1 d1,10.1.0.5 5000 web.2 d2\n',
    'www.shop.test\tid-1\t\t*\t127.0.0.1 4001 web.1 d1,10.1.0.5 5000 web.2 d2\n',
  ].join(''));
  assert.throws(() => routeTable([{ appId: "x') os.execute('id", name: 'x', dynos: [{ host: '127.0.0.1', port: 1 }] }], 'localhost'), /cannot route app id/);
  assert.throws(() => routeTable([{ appId: 'x\tevil', name: 'x', dynos: [] }], 'localhost'), /cannot route app id/);
});

test('space apps: trusted ranges as numbers in the route table (bad ranges trust nobody, /0 or none everyone)', () => {
  const table = routeTable([
    { appId: 'b', name: 'open', dynos: [], trusted: ['0.0.0.0/0'] },
    { appId: 'c', name: 'shut', dynos: [], trusted: ['10.2.3.4/8', 'not-a-range; deny all'] },
    { appId: 'e', name: 'none', dynos: [], trusted: ['nonsense'] },
    { appId: 'f', name: 'shut3', dynos: [{ host: '10.1.0.9', port: 5000 }], trusted: ['10.2.3.4/8', '192.168.1.0/24'] },
  ], 'localhost');
  assert.equal(table, [
    'none.localhost\te\t\t\t\n',
    'open.localhost\tb\t\t*\t\n',
    'shut.localhost\tc\t\t167772160/8\t\n',
    'shut3.localhost\tf\t\t167772160/8,3232235776/24\t10.1.0.9 5000 - 10.1.0.9:5000\n',
  ].join(''));
  assert.ok(!table.includes('not-a-range'));
});

test('the page servers: no app (404), refused (403), maintenance (503) and no web dyno (503 with Retry-After), each on a socket in the router\'s folder, unlogged', () => {
  const conf = nginxConf(input());
  assert.match(conf, /server \{ listen unix:\/d\/nginx\/pages\/none\.sock; access_log off; default_type 'text\/html; charset=utf-8'; return 404 '[^\n]*There is no app at this address\.[^\n]*'; \}\n/);
  assert.match(conf, /server \{ listen unix:\/d\/nginx\/pages\/refused\.sock; access_log off; [^\n]*return 403 '[^\n]*trusted IP ranges[^\n]*'; \}\n/);
  assert.match(conf, /server \{ listen unix:\/d\/nginx\/pages\/maintenance\.sock; access_log off; [^\n]*return 503 '<!doctype html>[^\n]*Offline for maintenance[^\n]*'; \}\n/);
  assert.match(conf, /server \{ listen unix:\/d\/nginx\/pages\/idle\.sock; access_log off; [^\n]*add_header Retry-After 5 always; return 503 '[^\n]*No web dyno is running[^\n]*'; \}\n/);
  assert.deepEqual([...PAGE_KINDS], ['none', 'refused', 'maintenance', 'idle'], 'the kinds the balancer names');
});

test('forwarding headers, request id and X-Request-Start in integer milliseconds', () => {
  const conf = nginxConf(input());
  for (const h of ['X-Forwarded-For $proxy_add_x_forwarded_for', 'X-Forwarded-Proto $scheme', 'X-Forwarded-Port $server_port', 'X-Request-Id $slipway_request_id', 'X-Request-Start $slipway_request_start', "Via '1.1 slipway'"]) {
    assert.ok(conf.includes(`proxy_set_header ${h};`), h);
  }
  // Both set by the balancer's Lua before the request is proxied (the client's id when it looks like one), in each server that proxies, and the id given back.
  assert.equal(count(conf, /\n {4}set \$slipway_request_start '';\n {4}set_by_lua_block \$slipway_request_id \{ return slipway\.request_id\(\) \}\n/g), 1);
  assert.equal(count(conf, /\n {4}add_header X-Request-Id \$slipway_request_id always;\n/g), 1);
  assert.ok(!conf.includes('$request_id'), 'not nginx\'s own id: OpenSSL\'s RAND_bytes costs a request ~6,600 instructions');
  assert.match(conf, /log_format slipway escape=json '!\$slipway_app\\t\$request_method\\t.*\\t\$msec';/, 'marked, tab-separated fields (nginx turns \\t into a tab), the time last');
});

test('a name or domain that is not a host name cannot reach the config or the table', () => {
  assert.throws(() => routeTable([{ appId: 'x', name: 'a;b', dynos: [] }], 'localhost'), /not a host name/);
  assert.throws(() => routeTable([{ appId: 'x', name: 'a', dynos: [], hostnames: ['a\tb'] }], 'localhost'), /not a host name/);
  assert.throws(() => nginxConf({ ...input(), domain: 'x { }' }), /not a host name/);
});

test('the tables are stable for the same registry (nothing put without a change)', () => {
  const apps = [{ appId: 'b', name: 'b', dynos: [], certificates: [{ hostname: 'www.b.test', file: '/d/b.pem' }] }, { appId: 'a', name: 'a', dynos: [{ host: '127.0.0.1', port: 1 }], certificates: [{ hostname: 'www.a.test', file: '/d/a.pem' }] }];
  assert.equal(routeTable(apps, 'localhost'), routeTable([...apps].reverse(), 'localhost'));
  assert.equal(certificateTable(apps), certificateTable([...apps].reverse()));
});

test('a dyno\'s timeout and refused upstream become the Node router\'s 503 pages', () => {
  const conf = nginxConf(input());
  assert.match(conf, /\n {4}error_page 502 504 =503 @error;\n/);
  // One page for a dyno's timeout (H12) and a refused or closed connection (H13), its text by the last attempt's status, as the line's code is.
  assert.match(conf, /location @error \{[^\n]*return 503 '[^\n]*<h1>Application error<\/h1><p>\$slipway_failure<\/p>/);
  assert.ok(conf.includes(`map $upstream_status $slipway_failure { "~504$" 'Request timeout'; default 'Connection closed without response'; }`));
  assert.ok(!conf.includes('if ('), 'no condition in any request\'s path');
});

test('the route table: a line per name, whatever the apps\' states', () => {
  const apps = (n: number) => Array.from({ length: n }, (_, i) => ({ appId: `id-${i}`, name: `app-${i}`, dynos: i % 3 ? [{ host: '10.1.0.9', port: 5000 + i }] : [], maintenance: i % 7 === 0, trusted: i % 5 ? undefined : ['10.0.0.0/8'], hostnames: [`www.app-${i}.test`] }));
  assert.equal(routeTable(apps(1000), 'localhost').split('\n').length, 2001, 'the table: a line per name');
});

test('custom domains lead to their app as its own name does (a name twice: the first app keeps it); a name that is not a host name is refused', () => {
  const table = routeTable([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['www.shop.test', 'shop.test'] }, { appId: 'id-2', name: 'zoo', dynos: [], hostnames: ['shop.test', 'shop.localhost', 'default'] }], 'localhost');
  assert.deepEqual(table.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 2).join(' ')), ['shop.localhost id-1', 'www.shop.test id-1', 'shop.test id-1', 'zoo.localhost id-2', 'default id-2']);
  assert.throws(() => routeTable([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['x; return 200 pwned'] }], 'localhost'), /not a host name/);
});

test('the status server answers the table version it serves at a secret path, under a name no app can have', () => {
  const conf = nginxConf({ ...input(), generation: 1764450000123 });
  const status = /server \{\n {4}listen 127\.0\.0\.1:5080;\n {4}server_name slipway_status;[^]*?\n {2}\}\n/.exec(conf)?.[0] ?? '';
  assert.match(status, new RegExp(`location = /${'ab'.repeat(16)} \\{ default_type text/plain; return 200 '1764450000123'; \\}`));
  assert.match(status, /access_log off;\n[^]*location \/ \{[^\n]*return 404 '[^\n]*There is no app at this address\./);
  assert.equal(STATUS_HOST, 'slipway_status');
  assert.throws(() => routeTable([{ appId: 'x', name: 'a', dynos: [], hostnames: [STATUS_HOST] }], 'localhost'), /not a host name/);
  assert.throws(() => nginxConf({ ...input(), statusToken: 'x; }' }), /status token/);
});

test('a TLS port: one ssl server for every name, each handshake given its name\'s certificate by the balancer\'s Lua; a placeholder only to start', () => {
  const conf = nginxConf({ ...input(), tlsPort: 5443, placeholder: '/d/nginx/placeholder.pem' });
  assert.match(conf, /listen 127\.0\.0\.1:5443 ssl default_server;\n {4}server_name _;\n {4}ssl_certificate \/d\/nginx\/placeholder\.pem;\n {4}ssl_certificate_key \/d\/nginx\/placeholder\.pem;\n {4}ssl_certificate_by_lua_block \{ slipway\.certificate\(\) \}\n {4}set \$slipway_request_start '';\n {4}set_by_lua_block \$slipway_request_id \{ return slipway\.request_id\(\) \}\n {4}set \$slipway_app '';\n {4}set \$slipway_dyno '';\n {4}set \$slipway_page '';\n {4}add_header X-Request-Id \$slipway_request_id always;\n {4}error_page 502 504 =503 @error;[^]*?proxy_pass http:\/\/dynos;\n {4}\}\n {2}\}/, 'the same routes as the plain port, by the Host asked for');
  assert.equal(conf.match(/ ssl[ ;]/g)?.length, 1, 'one TLS server');
  assert.ok(conf.includes('lua_shared_dict slipway_certificates 4m;'));
  assert.ok(!nginxConf(input()).includes('ssl'), 'without a TLS port, no TLS server at all');
  assert.throws(() => nginxConf({ ...input(), tlsPort: 5443 }), /placeholder/);
  assert.throws(() => nginxConf({ ...input(), tlsPort: 5443, placeholder: '/d/x.pem; include /etc/passwd' }), /not a plain absolute path/);
});

test('the certificate table: a line per certificate\'d name and its file (a name twice: the first app\'s); internal apps none; a bad name or file is refused', () => {
  const shop = { name: 'shop', certificates: [{ hostname: 'www.shop.test', file: '/d/nginx/certs/abc.pem' }, { hostname: 'api.shop.test', file: '/d/nginx/certs/abc.pem' }] };
  assert.equal(certificateTable([
    { name: 'zoo', certificates: [{ hostname: 'www.shop.test', file: '/d/nginx/certs/zoo.pem' }] },
    shop,
    { name: 'inner', internal: true, certificates: [{ hostname: 'inner.test', file: '/d/nginx/certs/inner.pem' }] },
  ]), 'www.shop.test\t/d/nginx/certs/abc.pem\napi.shop.test\t/d/nginx/certs/abc.pem\n');
  assert.equal(certificateTable([]), '');
  assert.throws(() => certificateTable([{ name: 'shop', certificates: [{ hostname: 'www.shop.test', file: '/d/x.pem\tevil' }] }]), /not a plain absolute path/);
  assert.throws(() => certificateTable([{ name: 'shop', certificates: [{ hostname: 'www.shop.test', file: '/d/nginx/../x.pem' }] }]), /not a plain absolute path/);
  assert.throws(() => certificateTable([{ name: 'shop', certificates: [{ hostname: 'www.shop.test\nx', file: '/d/x.pem' }] }]), /not a host name/);
});

test('a certificate is checked alone before it joins the configuration: a config that loads only it, from a plain absolute path', () => {
  const conf = certificateCheckConf('/d/nginx', '/d/nginx/certs/abc.pem');
  assert.match(conf, /server \{ listen 127\.0\.0\.1:1 ssl; ssl_certificate \/d\/nginx\/certs\/abc\.pem; ssl_certificate_key \/d\/nginx\/certs\/abc\.pem; \}/);
  assert.ok(!conf.includes('daemon'), 'only ever run with -t');
  assert.throws(() => certificateCheckConf('/d/nginx', '/d/x.pem; include /etc/passwd'), /not a plain absolute path/);
  assert.throws(() => certificateCheckConf('/d/nginx', '/d/nginx/../../etc/shadow'), /not a plain absolute path/);
});

test('nginx writes the Heroku line itself for a request one dyno of the table answered, by the dyno\'s name', () => {
  const conf = nginxConf(input());
  assert.ok(conf.includes("log_format slipway_line escape=json '$slipway_app\\t$msec\\tat=info method=$request_method path=\"$request_uri\" host=$host request_id=$slipway_request_id"
    + ' fwd="$proxy_add_x_forwarded_for" dyno=$slipway_line connect=${slipway_connect_ms}ms service=${slipway_service_ms}ms status=$status bytes=$body_bytes_sent protocol=$scheme\';'));
  assert.ok(!conf.includes('4001') && !conf.includes('web.1'), 'the dynos are not in the config: the balancer names the dyno (set $slipway_dyno)');
  assert.equal(count(conf, /\n {4}set \$slipway_dyno '';\n/g), 1, 'the server that proxies starts it empty');
  assert.equal(routeTable([
    { appId: 'id-1', name: 'a', dynos: [{ id: 'd1', host: '127.0.0.1', port: 4001, name: 'web.1' }, { id: 'd2', host: '10.1.0.5', port: 5000, name: 'web.2' }] },
    { appId: 'id-2', name: 'b', dynos: [{ id: 'd3', host: '127.0.0.1', port: 4002, name: "web.1'; evil" }, { id: 'd 4', host: '127.0.0.1', port: 4003, name: 'web.2' }, { id: 'd6', host: '127.0.0.1', port: 0, name: 'web.3' }, { id: 'd7', host: '127.0.0.1\tx', port: 4004 }] },
  ], 'localhost'), 'a.localhost\tid-1\t\t*\t127.0.0.1 4001 web.1 d1,10.1.0.5 5000 web.2 d2\nb.localhost\tid-2\t\t*\t\n', 'a value that could end a field is never written (its dyno is left out)');
  assert.ok(conf.includes("map $status $slipway_line { 101 ''; 403 ''; 503 ''; default $slipway_dyno; }"), 'nginx\'s own answers and a WebSocket\'s are written as fields');
  assert.ok(conf.includes("map $slipway_line $slipway_fields { '' $slipway_known; default ''; }"), 'the fields otherwise');
  assert.ok(conf.includes("map $slipway_app $slipway_known { '' ''; default 1; }"), 'but nothing for a name no app has');
  assert.ok(conf.includes('pcre_jit on;'));
  // A time under a second by its exact key (a hash lookup), a longer one by a regular expression ("1.234": 1234); anything else 0.
  for (const v of ['$upstream_connect_time $slipway_connect_ms', '$request_time $slipway_service_ms']) {
    const at = conf.indexOf(`map ${v} {\n`);
    assert.ok(at > 0, v);
    const map = conf.slice(at).split('\n').slice(1, 3).map((l) => l.trim());
    const keys = map[0]!.split('; ').map((k) => k.replace(/;$/, ''));
    assert.equal(keys.length, 1000);
    assert.deepEqual([keys[0], keys[12], keys[999]], ['"0.000" 0', '"0.012" 12', '"0.999" 999']);
    assert.equal(map[1], '"~^(?<s>[1-9]\\d*)\\.(?<ms>\\d{3})$" $s$ms; default 0;');
  }
});
