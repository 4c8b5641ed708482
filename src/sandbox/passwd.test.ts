import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantIdentityFiles } from './passwd.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

test('a tenant uid without an entry gets one, the host entries kept', () => {
  const f = tenantIdentityFiles(PASSWD, GROUP, { uid: 200001, gid: 200001 });
  assert.ok(f.passwd.startsWith(PASSWD));
  assert.match(f.passwd, /^u200001:x:200001:200001:[^:]*:[^:]*:[^:]*$/m);
  assert.match(f.group, /^u200001:x:200001:$/m);
});

test('a uid the host knows is left as it is', () => {
  const f = tenantIdentityFiles(PASSWD, GROUP, { uid: 65534, gid: 65534 });
  assert.equal(f.passwd, PASSWD);
  assert.equal(f.group, GROUP);
});

test('a host file without a final newline still gets the entry on a line of its own', () => {
  const f = tenantIdentityFiles('root:x:0:0::/root:/bin/sh', 'root:x:0:', { uid: 200002, gid: 200002 });
  assert.equal(f.passwd.split('\n')[1], 'u200002:x:200002:200002:Slipway tenant:/tmp:/bin/sh');
});
