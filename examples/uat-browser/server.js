// A tiny web app: a greeting and a button that, clicked, says thanks (in the page's own JavaScript).
const http = require('node:http');

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Slipway UAT example</title></head>
  <body>
    <h1 id="greeting">Hello from Slipway</h1>
    <button id="thank">Say thanks</button>
    <p id="message">Nothing said yet</p>
    <script>
      document.getElementById('thank').addEventListener('click', () => {
        document.getElementById('message').textContent = 'Thanks!';
      });
    </script>
  </body>
</html>`;

function createServer() {
  return http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
}

if (require.main === module) createServer().listen(process.env.PORT || 5000);
module.exports = { createServer };
