const http = require('node:http');

const VERSION = 'one';

http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${process.env.GREETING || 'hello'} from ${process.env.DYNO} running code ${VERSION}\n`);
}).listen(process.env.PORT, () => console.log(`listening on ${process.env.PORT}`));

process.on('SIGTERM', () => { console.log('SIGTERM: shutting down'); process.exit(0); });
