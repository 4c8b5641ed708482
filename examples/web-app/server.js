const http = require('node:http');

const VERSION = 'one';

const server = http.createServer((req, res) => {
  if (req.url === '/slow') return; // never answers: the router's request timeout (H12) ends it
  if (req.url === '/headers') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify(req.headers)); } // what the router forwarded
  if (req.url.startsWith('/log/')) console.log(`logged ${req.url.slice(5)}`); // a line in the app's log, then the usual answer
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
