const http = require('node:http');
const { execFileSync } = require('node:child_process');
const { VERSION, greeting } = require('./lib');

// Reads the schema version the release phase left, when a database is attached.
function schema() {
  if (!process.env.DATABASE_URL) return 'none';
  try { return execFileSync('psql', [process.env.DATABASE_URL, '-tAc', 'SELECT max(version) FROM schema_migrations']).toString().trim(); } catch { return 'unreadable'; }
}

http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${greeting('you')}; version=${VERSION}; schema=${schema()}\n`);
}).listen(process.env.PORT);
