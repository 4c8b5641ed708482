// A web dyno that says who it is and, on /fetch?url=…, makes one outbound HTTP request and reports
// what happened: how a space's isolation, DNS and egress look from inside a dyno. Every answer names
// the dyno that gave it (X-Dyno). /udp and /forge probe a space's overlay (vxlan-probe.js).
const http = require('node:http');
const probe = require('./vxlan-probe.js');

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  res.writeHead(200, { 'content-type': 'text/plain', 'x-dyno': process.env.DYNO || '' });
  if (url.pathname === '/fetch') {
    try {
      const r = await fetch(url.searchParams.get('url'), { signal: AbortSignal.timeout(3000) });
      res.end(`ok ${r.status} ${(await r.text()).trim()}\n`);
    } catch (e) {
      res.end(`error ${e.cause?.code ?? e.name}\n`);
    }
    return;
  }
  if (url.pathname === '/udp') return res.end(`udp ${probe.forgedSeen()}\n`);
  if (url.pathname === '/forge') { await probe.forge(url.searchParams); return res.end('forged\n'); }
  res.end(`${process.env.LABEL || 'app'} ${process.env.DYNO} port=${process.env.PORT}\n`);
}).listen(process.env.PORT);

process.on('SIGTERM', () => process.exit(0));
