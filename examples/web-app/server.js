const http = require('node:http');

const VERSION = 'one';
/** Responses of /stream waiting for /release (the client sees their first event before the dyno ends them). */
const held = [];

const server = http.createServer((req, res) => {
  if (req.url === '/slow') return; // never answers: the router's request timeout (H12) ends it
  if (req.url === '/hangup') return req.socket.destroy(); // closes the connection without an answer (H13)
  if (req.url === '/headers') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify(req.headers)); } // what the router forwarded
  if (req.url.startsWith('/log/')) console.log(`logged ${req.url.slice(5)}`); // a line in the app's log, then the usual answer
  if (req.url === '/stream') { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write('data: first\n\n'); held.push(res); return; }
  if (req.url === '/release') { for (const r of held.splice(0)) r.end('data: last\n\n'); return res.end('released\n'); }
  const big = /^\/big\/(\d+)$/.exec(req.url); // N MiB of zeros, written as fast as the client takes them
  if (big) {
    const chunk = Buffer.alloc(1 << 20);
    let left = Number(big[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left << 20) });
    const more = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', more); } res.end(); };
    return more();
  }
  const sleep = /^\/sleep\/(\d+)$/.exec(req.url);
  if (sleep) { setTimeout(() => res.end(`slept in code ${VERSION}\n`), Number(sleep[1])); return; }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${process.env.GREETING || 'hello'} from ${process.env.DYNO} running code ${VERSION}\n`);
}).listen(process.env.PORT, () => console.log(`listening on ${process.env.PORT}`));

// An Upgrade (as WebSockets do): 101, then every byte the client sends comes back.
server.on('upgrade', (req, socket) => {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Seen-Request-Id: ${req.headers['x-request-id']}\r\n\r\n`);
  socket.pipe(socket);
});

process.on('SIGTERM', () => { console.log('SIGTERM: shutting down'); process.exit(0); });
