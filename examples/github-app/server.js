const http = require('node:http');
const { describe } = require('./lib');

http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${describe(process.env)}\n`);
}).listen(process.env.PORT);
