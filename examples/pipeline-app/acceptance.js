// The staging acceptance suite: requests the released app at SLIPWAY_TARGET_URL, prints TAP.
// Names resolve through DNS (inside Slipway's network, apps' names lead to its router); a
// *.localhost name nobody answers for is this machine, as browsers do.
const http = require('node:http');
const dns = require('node:dns');
const url = new URL(process.env.SLIPWAY_TARGET_URL);
const lookup = (host, o, cb) => dns.lookup(host, o, (err, ...found) => {
  if (!err || !host.endsWith('.localhost')) return cb(err, ...found);
  return o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
});
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
