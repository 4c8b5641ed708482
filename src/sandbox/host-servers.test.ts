import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostServerFiles } from './host-servers.js';

test('server programs are found by name and by PostgreSQL version, each real file once, clients kept', () => {
  const files: Record<string, string> = {
    '/usr/bin/redis-server': '/usr/bin/redis-check-rdb', '/usr/bin/redis-check-rdb': '/usr/bin/redis-check-rdb', '/usr/bin/redis-sentinel': '/usr/bin/redis-check-rdb',
    '/usr/local/bin/postgres': '/usr/lib/postgresql/15/bin/postgres', '/usr/lib/postgresql/15/bin/postgres': '/usr/lib/postgresql/15/bin/postgres',
    '/usr/lib/postgresql/15/bin/initdb': '/usr/lib/postgresql/15/bin/initdb', '/usr/lib/postgresql/15/bin/psql': '/usr/lib/postgresql/15/bin/psql',
    '/usr/sbin/nginx': '/usr/sbin/nginx', '/usr/bin/redis-cli': '/usr/bin/redis-cli',
  };
  const found = hostServerFiles({ realFile: (p) => files[p], list: (d) => (d === '/usr/lib/postgresql' ? ['15'] : []) });
  assert.deepEqual(found, ['/usr/bin/redis-check-rdb', '/usr/lib/postgresql/15/bin/initdb', '/usr/lib/postgresql/15/bin/postgres', '/usr/sbin/nginx']);
});
