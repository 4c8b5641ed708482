import test from 'node:test';
import assert from 'node:assert/strict';
import { inServerRouterLine } from './router-companion.js';

test('a router inside the server says it is the Node data plane, and why', () => {
  assert.match(inServerRouterLine({ routerTlsPort: 0 }), /^routing with the Node data plane inside the server: the TLS router port \(SLIPWAY_ROUTER_TLS_PORT\)/);
  assert.match(inServerRouterLine({ routerTlsPort: undefined }), /^routing with the Node data plane inside the server: SLIPWAY_COMPANIONS=in-process$/);
});
