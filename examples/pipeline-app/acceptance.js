// The staging acceptance suite: requests the released app at SLIPWAY_TARGET_URL, prints TAP.
// *.localhost names resolve to this machine (as browsers do); other names through DNS.
const http = require('node:http');
const url = new URL(process.env.SLIPWAY_TARGET_URL);
const lookup = url.hostname.endsWith('.localhost')
  ? (_h, o, cb) => (o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))
  : undefined;
http.get(url, { lookup }, (res) => {
  let body = '';
  res.on('data', (c) => { body += c; });
  res.on('end', () => {
    console.log('1..2');
    console.log(`${res.statusCode === 200 ? 'ok' : 'not ok'} 1 - ${process.env.SLIPWAY_TARGET_APP} answers 200 (got ${res.statusCode})`);
    console.log(`${/says hello/.test(body) ? 'ok' : 'not ok'} 2 - the home page greets`);
    process.exitCode = res.statusCode === 200 && /says hello/.test(body) ? 0 : 1;
  });
}).on('error', (e) => { console.log(`1..1\nnot ok 1 - ${url} unreachable: ${e.message}`); process.exitCode = 1; });
