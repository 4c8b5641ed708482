import test from 'node:test';
import assert from 'node:assert/strict';
import { nginxConf, errorPageFiles, certificateCheckConf, STATUS_HOST, type NginxConfInput } from './nginx-conf.js';

const input = (apps: NginxConfInput['apps']): NginxConfInput => ({ prefix: '/d/nginx', listenHost: '127.0.0.1', listenPort: 5080, domain: 'localhost', timeoutSeconds: 30, apps, generation: 7, statusToken: 'ab'.repeat(16) });

test('an app with web dynos up gets an upstream over them (keepalive) and a server block for its host', () => {
  const conf = nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001 }, { host: '10.1.0.5', port: 5000 }] }]));
  assert.match(conf, /upstream app0 \{\n {4}server 127\.0\.0\.1:4001 max_fails=0;\n {4}server 10\.1\.0\.5:5000 max_fails=0;\n {4}keepalive 64;\n {4}keepalive_timeout 1s;\n {2}\}/);
  assert.match(conf, /server_name shop\.localhost;\n {4}set \$slipway_app 'id-1';\n {4}set \$slipway_maintenance '';\n {4}access_log \/d\/nginx\/access\.log slipway_line buffer=64k flush=250ms if=\$slipway_line;\n {4}access_log \/d\/nginx\/access\.log slipway buffer=64k flush=250ms if=\$slipway_fields;\n {4}location \/ \{ proxy_pass http:\/\/app0; \}/);
  assert.match(conf, /listen 127\.0\.0\.1:5080 default_server;\n {4}server_name _;\n {4}access_log off;/);
  assert.match(conf, /proxy_read_timeout 30s;/);
  assert.match(conf, /proxy_next_upstream error;/);
});

test('an app in maintenance mode answers the maintenance page with 503 (marked for H80), its dynos untouched', () => {
  const conf = nginxConf(input([{ appId: 'id-3', name: 'resting', dynos: [{ host: '127.0.0.1', port: 4001 }], maintenance: true }]));
  assert.match(conf, /server_name resting\.localhost;\n {4}set \$slipway_app 'id-3';\n {4}set \$slipway_maintenance '1';/);
  assert.match(conf, /location \/ \{ default_type 'text\/html; charset=utf-8'; return 503 '<!doctype html>.*Offline for maintenance.*'; \}/);
  assert.ok(!conf.includes('proxy_pass http://app0'), 'nothing is proxied');
});

test('an app without a web dyno answers 503 (H14) and has no upstream', () => {
  const conf = nginxConf(input([{ appId: 'id-2', name: 'idle', dynos: [] }]));
  assert.ok(!conf.includes('upstream app0'));
  assert.match(conf, /server_name idle\.localhost;[^}]*include \/d\/nginx\/pages-h14\.conf;\n {4}add_header Retry-After 5 always;/);
});

test('space apps: trusted ranges become allow/deny (bad ranges trust nobody), internal apps are not routed', () => {
  const conf = nginxConf(input([
    { appId: 'a', name: 'inner', dynos: [{ host: '10.1.0.9', port: 5000 }], internal: true },
    { appId: 'b', name: 'open', dynos: [], trusted: ['0.0.0.0/0'] },
    { appId: 'c', name: 'shut', dynos: [], trusted: ['10.2.3.4/8', 'not-a-range; deny all'] },
  ]));
  assert.ok(!conf.includes('inner.localhost'));
  assert.match(conf, /server_name open\.localhost;[^}]*allow all;\n {4}deny all;/);
  assert.match(conf, /server_name shut\.localhost;[^}]*allow 10\.0\.0\.0\/8;\n {4}deny all;\n/);
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

test('error pages: timeout and refused upstream become the Node router\'s 503 pages; nginx\'s own answers return their page', () => {
  const pages = errorPageFiles();
  assert.match(pages['pages-upstream.conf'], /error_page 504 =503 @h12;/);
  assert.match(pages['pages-upstream.conf'], /error_page 502 =503 @h13;/);
  assert.match(pages['pages-upstream.conf'], /location @h12 \{[^\n]*return 503 '[^\n]*Request timeout/);
  assert.match(pages['pages-h403.conf'], /error_page 403 @h403;\nlocation @h403 \{[^\n]*return 403 '[^\n]*trusted IP ranges/);
  assert.match(pages['pages-h404.conf'], /^location \/ \{[^\n]*return 404 '[^\n]*There is no app at this address\./);
  assert.match(pages['pages-h14.conf'], /^location \/ \{[^\n]*return 503 '[^\n]*No web dyno is running/);
});

test('a server block has only the error pages it can answer (each named location costs a reload a location\'s configuration)', () => {
  const conf = nginxConf(input([
    { appId: 'a', name: 'up', dynos: [{ host: '10.1.0.9', port: 5000 }] },
    { appId: 'b', name: 'idle', dynos: [] },
    { appId: 'c', name: 'spaced', dynos: [{ host: '10.1.0.8', port: 5000 }], trusted: ['10.0.0.0/8'] },
  ]));
  const block = (name: string) => new RegExp(`server_name ${name}\\.localhost;[^}]*\\}[^}]*\\}`).exec(conf)?.[0] ?? '';
  assert.match(block('up'), /proxy_pass http:\/\/app\d;[^\n]*\n {4}include \/d\/nginx\/pages-upstream\.conf;/);
  assert.ok(!block('up').includes('pages-h403'));
  assert.ok(!block('idle').includes('pages-upstream') && block('idle').includes('pages-h14.conf'));
  assert.match(block('spaced'), /deny all;\n {4}include \/d\/nginx\/pages-h403\.conf;\n {4}location \/ \{ proxy_pass/);
  assert.ok(!conf.includes('error-pages.conf'));
});

test('custom domains are answered by their app\'s server block; a name that is not a host name is refused', () => {
  const conf = nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['www.shop.test', 'shop.test'] }]));
  assert.match(conf, /server_name shop\.localhost www\.shop\.test shop\.test;/);
  assert.throws(() => nginxConf(input([{ appId: 'id-1', name: 'shop', dynos: [], hostnames: ['x; return 200 pwned'] }])), /not a host name/);
});

test('the server names hash is sized for the names served (no search and warning at each reload with 1,000 apps)', () => {
  assert.match(nginxConf(input([])), /server_names_hash_max_size 512;\n {2}server_names_hash_bucket_size 128;/);
  const many = Array.from({ length: 1000 }, (_, i) => ({ appId: `id-${i}`, name: `app-${i}`, dynos: [], hostnames: i === 0 ? ['www.shop.test'] : [] }));
  assert.match(nginxConf(input(many)), /server_names_hash_max_size 4004;/);
});

test('the status server answers the table version it serves at a secret path, under a name no app can have', () => {
  const conf = nginxConf({ ...input([{ appId: 'id-1', name: 'shop', dynos: [] }]), generation: 1764450000123 });
  const status = /server \{\n {4}listen 127\.0\.0\.1:5080;\n {4}server_name slipway_status;[^]*?\n {2}\}\n/.exec(conf)?.[0] ?? '';
  assert.match(status, new RegExp(`location = /${'ab'.repeat(16)} \\{ default_type text/plain; return 200 '1764450000123'; \\}`));
  assert.match(status, /access_log off;\n[^]*include \/d\/nginx\/pages-h404\.conf;/);
  assert.equal(STATUS_HOST, 'slipway_status');
  assert.throws(() => nginxConf(input([{ appId: 'x', name: 'a', dynos: [], hostnames: [STATUS_HOST] }])), /not a host name/);
  assert.throws(() => nginxConf({ ...input([]), statusToken: 'x; }' }), /status token/);
});

test('a TLS port: one ssl server per certificate\'d host name (the app\'s routes, its certificate file), no handshake for any other name', () => {
  const app = { appId: 'id-1', name: 'shop', dynos: [{ host: '127.0.0.1', port: 4001 }], hostnames: ['www.shop.test', 'api.shop.test'], certificates: [{ hostname: 'www.shop.test', file: '/d/nginx/certs/abc.pem' }] };
  const conf = nginxConf({ ...input([app]), tlsPort: 5443 });
  assert.match(conf, /listen 127\.0\.0\.1:5443 ssl default_server;\n {4}server_name _;\n {4}ssl_reject_handshake on;/);
  assert.match(conf, /listen 127\.0\.0\.1:5443 ssl;\n {4}server_name www\.shop\.test;\n {4}ssl_certificate \/d\/nginx\/certs\/abc\.pem;\n {4}ssl_certificate_key \/d\/nginx\/certs\/abc\.pem;\n {4}set \$slipway_app 'id-1';[^}]*location \/ \{ proxy_pass http:\/\/app0; \}/);
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
  assert.match(conf, /map \$upstream_addr \$slipway_dyno \{\n {4}'127\.0\.0\.1:4001' 'web\.1';\n {4}'10\.1\.0\.5:5000' 'web\.2';\n {4}default '';\n {2}\}/, 'a name that is not a dyno name is not written (its requests\' lines are the fields\')');
  assert.ok(conf.includes("map $status $slipway_line { 101 ''; 403 ''; 503 ''; default $slipway_dyno; }"), 'nginx\'s own answers and a WebSocket\'s are written as fields');
  assert.ok(conf.includes("map $slipway_line $slipway_fields { '' 1; default ''; }"));
  assert.ok(conf.includes('pcre_jit on;'));
});
