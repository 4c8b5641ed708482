import test from 'node:test';
import assert from 'node:assert/strict';
import { nginxConf, certificateCheckConf, dynoTable, STATUS_HOST, type NginxConfInput } from './nginx-conf.js';

const count = (conf: string, re: RegExp) => conf.match(re)?.length ?? 0;
const input = (apps: NginxConfInput['apps']): NginxConfInput => ({ prefix: '/d/nginx', listenHost: '127.0.0.1', listenPort: 5080, domain: 'localhost', timeoutSeconds: 30, apps, generation: 7, statusToken: 'ab'.repeat(16), modules: ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'] });

test('an app with web dynos up, open to every address, is proxied by the one server to the one upstream, whose balancer picks its dyno from the dyno table by the app its Host names', () => {
  const conf = nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001 }, { host: '10.1.0.5', port: 5000 }], hostnames: ['www.shop.test'] }]));
  assert.match(conf, /\n {2}upstream dynos \{\n {4}server 0\.0\.0\.1;\n {4}balancer_by_lua_block \{ slipway\.balance\(\) \}\n {4}keepalive 1024;\n {4}keepalive_timeout 1s;\n {2}\}/, 'its dynos are the dyno table\'s');
  assert.ok(conf.startsWith('# Generated') && conf.includes('\nload_module /usr/lib/nginx/modules/ndk_http_module.so;\nload_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n'));
  assert.ok(conf.includes("init_by_lua_block { slipway = require('slipway'); slipway.init('/d/nginx/dynos.tsv') }"));
  assert.ok(conf.includes('listen unix:/d/nginx/control.sock;'), 'the control server on a socket in the router\'s folder');
  assert.throws(() => nginxConf(input([{ appId: "x') os.execute('id", name: 'x', dynos: [{ host: '127.0.0.1', port: 1 }] }])), /cannot route app id/);
  assert.throws(() => nginxConf({ ...input([]), modules: ['/m/x.so; user root'] }), /not a plain absolute path/);
  // Its id for the balancer and its log lines; its state: '' (proxy it).
  assert.match(conf, /map \$host \$slipway_app \{\n {4}shop\.localhost 'id-1';\n {4}www\.shop\.test 'id-1';\n {4}default '';\n {2}\}/);
  assert.match(conf, /map \$host \$slipway_state \{\n {4}shop\.localhost '';\n {4}www\.shop\.test '';\n {4}default 'none';\n {2}\}/);
  assert.ok(!conf.includes('shop.localhost;') && !conf.includes('4001'), 'no server of its own, no dyno in the configuration');
  // Every server logs to the one buffered file.
  assert.match(conf, /\n {2}access_log \/d\/nginx\/access\.log slipway_line buffer=64k flush=250ms if=\$slipway_line;\n {2}access_log \/d\/nginx\/access\.log slipway buffer=64k flush=250ms if=\$slipway_fields;\n/);
  assert.match(conf, /listen 127\.0\.0\.1:5080 default_server;\n {4}server_name _;\n/);
  assert.match(conf, /\n {6}proxy_pass http:\/\/dynos;\n/, 'the upstream by a literal name (by a variable, nginx looks it up among every upstream, one by one)');
  assert.match(conf, /proxy_read_timeout 30s;/);
  assert.match(conf, /proxy_next_upstream error;/);
});

test('an app in maintenance mode answers the maintenance page with 503 (marked for H80), its dynos untouched', () => {
  const conf = nginxConf(input([{ appId: 'id-3', name: 'resting', dynos: [{ host: '127.0.0.1', port: 4001 }], maintenance: true }]));
  assert.match(conf, /map \$host \$slipway_maintenance \{\n {4}resting\.localhost '1';\n {4}default '';\n {2}\}/);
  assert.match(conf, /map \$host \$slipway_state \{\n {4}resting\.localhost 'maintenance';\n/);
  assert.match(conf, /if \(\$slipway_state = 'maintenance'\) \{ return 503 '<!doctype html>.*Offline for maintenance.*'; \}/);
});

test('an app without a web dyno answers 503 (H14, with Retry-After)', () => {
  const conf = nginxConf(input([{ appId: 'id-2', name: 'idle', dynos: [] }]));
  assert.match(conf, /map \$host \$slipway_app \{\n {4}idle\.localhost 'id-2';/);
  assert.match(conf, /map \$host \$slipway_state \{\n {4}idle\.localhost 'idle';\n/);
  assert.match(conf, /if \(\$slipway_state = 'idle'\) \{ add_header Retry-After 5 always; add_header X-Request-Id \$slipway_request_id always; return 503 '[^']*No web dyno is running/);
});

test('space apps: the state of an app with trusted ranges is a geo of the client\'s address, one per set of ranges and state (bad ranges trust nobody, /0 everyone); internal apps are not routed', () => {
  const conf = nginxConf(input([
    { appId: 'a', name: 'inner', dynos: [{ host: '10.1.0.9', port: 5000 }], internal: true },
    { appId: 'b', name: 'open', dynos: [], trusted: ['0.0.0.0/0'] },
    { appId: 'c', name: 'shut', dynos: [], trusted: ['10.2.3.4/8', 'not-a-range; deny all'] },
    { appId: 'd', name: 'shut2', dynos: [], trusted: ['10.2.3.4/8', 'not-a-range; deny all'] },
    { appId: 'e', name: 'none', dynos: [], trusted: ['nonsense'] },
    { appId: 'f', name: 'shut3', dynos: [{ host: '10.1.0.9', port: 5000 }], trusted: ['10.2.3.4/8', '192.168.1.0/24'] },
  ]));
  assert.ok(!conf.includes('inner.localhost'));
  assert.match(conf, /map \$host \$slipway_state \{\n {4}none\.localhost \$slipway_trusted_0;\n {4}open\.localhost 'idle';\n {4}shut\.localhost \$slipway_trusted_1;\n {4}shut2\.localhost \$slipway_trusted_1;\n {4}shut3\.localhost \$slipway_trusted_2;\n {4}default 'none';\n {2}\}/);
  assert.match(conf, /geo \$slipway_trusted_0 \{\n {4}default 'refused';\n {2}\}/, 'no range that parses: nobody is trusted');
  assert.match(conf, /geo \$slipway_trusted_1 \{\n {4}default 'refused';\n {4}10\.0\.0\.0\/8 'idle';\n {2}\}/);
  assert.match(conf, /geo \$slipway_trusted_2 \{\n {4}default 'refused';\n {4}10\.0\.0\.0\/8 '';\n {4}192\.168\.1\.0\/24 '';\n {2}\}/, 'inside: proxied');
  assert.match(conf, /if \(\$slipway_state = 'refused'\) \{ return 403; \}/);
  assert.ok(!conf.includes('not-a-range'));
});

test('forwarding headers, request id and X-Request-Start in integer milliseconds', () => {
  const conf = nginxConf(input([]));
  for (const h of ['X-Forwarded-For $proxy_add_x_forwarded_for', 'X-Forwarded-Proto $scheme', 'X-Forwarded-Port $server_port', 'X-Request-Id $slipway_request_id', 'X-Request-Start $slipway_request_start', "Via '1.1 slipway'"]) {
    assert.ok(conf.includes(`proxy_set_header ${h};`), h);
  }
  assert.ok(conf.includes('map $http_x_request_id $slipway_request_id { "~^[\\w+=/@.-]{20,200}$" $http_x_request_id; default $request_id; }'));
  assert.ok(conf.includes('add_header X-Request-Id $slipway_request_id always;'));
  assert.match(conf, /log_format slipway escape=json '!\$slipway_app\\t\$request_method\\t.*\\t\$msec';/, 'marked, tab-separated fields (nginx turns \\t into a tab), the time last');
});

test('a name or domain that is not a host name cannot reach the config', () => {
  assert.throws(() => nginxConf(input([{ appId: 'x', name: 'a;b', dynos: [] }])), /not a host name/);
  assert.throws(() => nginxConf({ ...input([]), domain: 'x { }' }), /not a host name/);
});

test('the generated text is stable for the same registry (no reload without a change)', () => {
  const apps = [{ appId: 'b', name: 'b', dynos: [] }, { appId: 'a', name: 'a', dynos: [{ host: '127.0.0.1', port: 1 }] }];
  assert.equal(nginxConf(input(apps)), nginxConf(input([...apps].reverse())));
});

test('error pages: no app, a refusal, maintenance and no dyno; timeout and refused upstream become the Node router\'s 503 pages', () => {
  const conf = nginxConf(input([{ appId: 'a', name: 'up', dynos: [{ host: '10.1.0.9', port: 5000 }] }]));
  assert.match(conf, /error_page 403 @h403;\n {4}error_page 502 504 =503 @error;\n/);
  // One page for a dyno's timeout (H12) and a refused or closed connection (H13), its text by the last attempt's status, as the line's code is.
  assert.match(conf, /location @error \{[^\n]*return 503 '[^\n]*<h1>Application error<\/h1><p>\$slipway_failure<\/p>/);
  assert.ok(conf.includes(`map $upstream_status $slipway_failure { "~504$" 'Request timeout'; default 'Connection closed without response'; }`));
  assert.match(conf, /location @h403 \{[^\n]*return 403 '[^\n]*trusted IP ranges/);
  const order = ["if ($slipway_state = 'none')", "if ($slipway_state = 'refused')", "if ($slipway_state = 'maintenance')", "if ($slipway_state = 'idle')", 'proxy_pass http://dynos'].map((x) => conf.indexOf(x));
  assert.ok(order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]!)), `in order: ${order.join(' ')}`);
  assert.match(conf, /if \(\$slipway_state = 'none'\) \{ return 404 '[^\n]*There is no app at this address\./);
});

test('nothing in the configuration grows with the apps but the maps\' lines: one server, one upstream (nginx\'s lua module builds a TLS context for every server and location at each reload)', () => {
  const apps = (n: number) => Array.from({ length: n }, (_, i) => ({ appId: `id-${i}`, name: `app-${i}`, dynos: i % 3 ? [{ host: '10.1.0.9', port: 5000 + i }] : [], maintenance: i % 7 === 0, trusted: i % 5 ? undefined : ['10.0.0.0/8'] }));
  const one = nginxConf(input(apps(1)));
  const many = nginxConf(input(apps(1000)));
  for (const re of [/\n {2}server \{/g, /location /g, /\n {2}upstream /g, /\bif \(/g]) assert.equal(count(many, re), count(one, re), String(re));
  assert.ok(count(many, /\n {2}geo /g) <= 3, 'a geo per set of ranges and state');
  assert.match(many, /map_hash_max_size 4000;/);
  assert.match(many, /server_names_hash_max_size 512;/);
});

test('a custom domain spelled like a map parameter is a key, not the parameter', () => {
  const conf = nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['default', 'include', 'hostnames', 'volatile'] }]));
  for (const n of ['default', 'include', 'hostnames', 'volatile']) assert.ok(conf.includes(`    \\${n} 'id-1';\n`), n);
  assert.match(conf, /map \$host \$slipway_app \{\n[^}]*\n {4}default '';\n {2}\}/);
});

test('custom domains lead to their app as its own name does (a name twice: the first app keeps it); a name that is not a host name is refused', () => {
  const conf = nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['www.shop.test', 'shop.test'] }, { appId: 'id-2', name: 'zoo', dynos: [], hostnames: ['shop.test', 'shop.localhost'] }]));
  assert.match(conf, /map \$host \$slipway_app \{\n {4}shop\.localhost 'id-1';\n {4}www\.shop\.test 'id-1';\n {4}shop\.test 'id-1';\n {4}zoo\.localhost 'id-2';\n {4}default '';\n/);
  assert.throws(() => nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['x; return 200 pwned'] }])), /not a host name/);
});

test('the hashes are sized for the names served (no search and warning at each reload with 1,000 apps), a bucket for the longest name', () => {
  assert.match(nginxConf(input([])), /server_names_hash_max_size 512;\n {2}server_names_hash_bucket_size 64;\n {2}map_hash_max_size 2048;\n {2}map_hash_bucket_size 64;/);
  const many = Array.from({ length: 1000 }, (_, i) => ({ appId: `id-${i}`, name: `app-${i}`, dynos: [], hostnames: i === 0 ? [`${'a'.repeat(63)}.${'b'.repeat(63)}.shop.test`] : [] }));
  assert.match(nginxConf(input(many)), /map_hash_max_size 4004;\n {2}map_hash_bucket_size 256;/);
});

test('the status server answers the table version it serves at a secret path, under a name no app can have', () => {
  const conf = nginxConf({ ...input([{ appId: 'id-1', name: 'shop', dynos: [] }]), generation: 1764450000123 });
  const status = /server \{\n {4}listen 127\.0\.0\.1:5080;\n {4}server_name slipway_status;[^]*?\n {2}\}\n/.exec(conf)?.[0] ?? '';
  assert.match(status, new RegExp(`location = /${'ab'.repeat(16)} \\{ default_type text/plain; return 200 '1764450000123'; \\}`));
  assert.match(status, /access_log off;\n[^]*location \/ \{[^\n]*return 404 '[^\n]*There is no app at this address\./);
  assert.equal(STATUS_HOST, 'slipway_status');
  assert.throws(() => nginxConf(input([{ appId: 'x', name: 'a', dynos: [], hostnames: [STATUS_HOST] }])), /not a host name/);
  assert.throws(() => nginxConf({ ...input([]), statusToken: 'x; }' }), /status token/);
});

test('a TLS port: one ssl server per certificate\'d host name (the app\'s routes, its certificate file), no handshake for any other name', () => {
  const app = { appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001 }], hostnames: ['www.shop.test', 'api.shop.test'], certificates: [{ hostname: 'www.shop.test', file: '/d/nginx/certs/abc.pem' }] };
  const conf = nginxConf({ ...input([app]), tlsPort: 5443 });
  // No handshake for a name without a certificate; a request inside another name's connection for such a Host is routed by the maps.
  assert.match(conf, /listen 127\.0\.0\.1:5443 ssl default_server;\n {4}server_name _;\n {4}ssl_reject_handshake on;\n {4}set \$slipway_dyno '';\n {4}error_page 403 @h403;[^]*?proxy_pass http:\/\/dynos;\n {4}\}\n {2}\}/);
  assert.match(conf, /listen 127\.0\.0\.1:5443 ssl;\n {4}server_name www\.shop\.test;\n {4}ssl_certificate \/d\/nginx\/certs\/abc\.pem;\n {4}ssl_certificate_key \/d\/nginx\/certs\/abc\.pem;\n {4}set \$slipway_dyno '';\n {4}error_page 403 @h403;[^]*?if \(\$slipway_state = 'none'\)[^]*?proxy_pass http:\/\/dynos;\n {4}\}\n {2}\}/, 'the same routes as the plain port, by the Host asked for');
  assert.equal(conf.match(/ssl;\n/g)?.length, 1, 'api.shop.test has no certificate: no TLS server for it');
  assert.match(conf, /proxy_set_header X-Forwarded-Proto \$scheme;/);
  assert.ok(!nginxConf(input([app])).includes('ssl'), 'without a TLS port, no TLS server at all');
  assert.throws(() => nginxConf({ ...input([{ ...app, certificates: [{ hostname: 'www.shop.test', file: '/d/x.pem; include /etc/passwd' }] }]), tlsPort: 5443 }), /not a plain absolute path/);
  assert.throws(() => nginxConf({ ...input([{ ...app, certificates: [{ hostname: 'www.shop.test;', file: '/d/x.pem' }] }]), tlsPort: 5443 }), /not a host name/);
});

test('a certificate is checked alone before it joins the configuration: a config that loads only it, from a plain absolute path', () => {
  const conf = certificateCheckConf('/d/nginx', '/d/nginx/certs/abc.pem');
  assert.match(conf, /server \{ listen 127\.0\.0\.1:1 ssl; ssl_certificate \/d\/nginx\/certs\/abc\.pem; ssl_certificate_key \/d\/nginx\/certs\/abc\.pem; \}/);
  assert.ok(!conf.includes('daemon'), 'only ever run with -t');
  assert.throws(() => certificateCheckConf('/d/nginx', '/d/x.pem; include /etc/passwd'), /not a plain absolute path/);
  assert.throws(() => certificateCheckConf('/d/nginx', '/d/nginx/../../etc/shadow'), /not a plain absolute path/);
});

test('nginx writes the Heroku line itself for a request one dyno of the table answered, by the dyno\'s name', () => {
  const conf = nginxConf(input([
    { appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001, name: 'web.1' }, { host: '10.1.0.5', port: 5000, name: 'web.2' }] },
    { appId: 'id-2', name: 'odd', dynos: [{ host: '127.0.0.1', port: 4002, name: "web.1'; evil" }] },
  ]));
  assert.ok(conf.includes("log_format slipway_line escape=json '$slipway_app\\t$msec\\tat=info method=$request_method path=\"$request_uri\" host=$host request_id=$slipway_request_id"
    + ' fwd="$proxy_add_x_forwarded_for" dyno=$slipway_line connect=${slipway_connect_ms}ms service=${slipway_service_ms}ms status=$status bytes=$body_bytes_sent protocol=$scheme\';'));
  assert.ok(!conf.includes('4001') && !conf.includes('web.1'), 'the dynos are not in the config: the balancer names the dyno (set $slipway_dyno)');
  assert.equal(count(conf, /\n {4}set \$slipway_dyno '';\n/g), 1, 'the server that proxies starts it empty');
  assert.equal(dynoTable([
    { appId: 'id-1', dynos: [{ id: 'd1', host: '127.0.0.1', port: 4001, name: 'web.1' }, { id: 'd2', host: '10.1.0.5', port: 5000, name: 'web.2' }] },
    { appId: 'id-2', dynos: [{ id: 'd3', host: '127.0.0.1', port: 4002, name: "web.1'; evil" }, { id: 'd 4', host: '127.0.0.1', port: 4003, name: 'web.2' }, { id: 'd6', host: '127.0.0.1', port: 0, name: 'web.3' }] },
    { appId: 'id-3', dynos: [] }, { appId: 'inner', internal: true, dynos: [{ id: 'd5', host: '10.1.0.9', port: 5000, name: 'web.1' }] },
  ]), 'id-1\t127.0.0.1 4001 web.1 d1,10.1.0.5 5000 web.2 d2\nid-2\t\nid-3\t\n', 'a value that could end a field is never written (its dyno is left out); an internal app is not routed');
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
