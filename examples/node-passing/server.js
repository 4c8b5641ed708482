const http = require('node:http');

function createServer() {
  return http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${process.env.GREETING || 'hello'}\n`);
  });
}

if (require.main === module) createServer().listen(process.env.PORT || 5000);
module.exports = { createServer };
