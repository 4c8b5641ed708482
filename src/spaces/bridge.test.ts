import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addBridgeLine, bridgeMac } from './bridge.js';

test('a bridge MAC is locally administered unicast, stable for a name and different between names', () => {
  const mac = bridgeMac('sln1a2b');
  assert.match(mac, /^02(:[0-9a-f]{2}){5}$/);
  assert.equal(bridgeMac('sln1a2b'), mac);
  assert.notEqual(bridgeMac('sln1a2c'), mac);
  assert.equal(addBridgeLine('sln1a2b'), `link add sln1a2b address ${mac} type bridge`);
});
