// A web dyno that says who it is and, on /fetch?url=…, makes one outbound HTTP request and reports
// what happened: how a space's isolation, DNS and egress look from inside a dyno.
const http = require('node:http');

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  res.writeHead(200, { 'content-type': 'text/plain' });
  if (url.pathname === '/fetch') {
    try {
      const r = await fetch(url.searchParams.get('url'), { signal: AbortSignal.timeout(3000) });
      res.end(`ok ${r.status} ${(await r.text()).trim()}\n`);
    } catch (e) {
      res.end(`error ${e.cause?.code ?? e.name}\n`);
    }
    return;
  }
  res.end(`${process.env.LABEL || 'app'} ${process.env.DYNO} port=${process.env.PORT}\n`);
}).listen(process.env.PORT);

process.on('SIGTERM', () => process.exit(0));
