const http = require('node:http');

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Slipway shop</title></head>
  <body>
    <h1 id="greeting">Welcome to the shop</h1>
    <button id="buy">Buy</button>
    <p id="status">Your cart is empty</p>
    <script>
      document.getElementById('buy').addEventListener('click', () => {
        document.getElementById('status').textContent = 'Thanks! 1 item in your cart';
      });
    </script>
  </body>
</html>`;

function createServer() {
  return http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
}

if (require.main === module) createServer().listen(process.env.PORT || 5000);
module.exports = { createServer };
