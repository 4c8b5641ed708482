import test from 'node:test';
import assert from 'node:assert/strict';
import { chooseDataPlane } from './data-plane.js';

test('auto is nginx where it is installed, else the Node router, said once with how to install nginx', () => {
  const said: string[] = [];
  assert.equal(chooseDataPlane({ dataPlane: 'auto' }, (l) => said.push(l), () => true), 'nginx');
  assert.equal(said.length, 0);
  assert.equal(chooseDataPlane({ dataPlane: 'auto' }, (l) => said.push(l), () => false), 'node');
  assert.equal(said.length, 1);
  assert.match(said[0]!, /^nginx not found in \/usr\/local\/sbin:.*: routing with the Node data plane.*apt-get install nginx-light/);
});

test('an explicit choice is kept, installed or not', () => {
  const said: string[] = [];
  assert.equal(chooseDataPlane({ dataPlane: 'node' }, (l) => said.push(l), () => true), 'node');
  assert.equal(chooseDataPlane({ dataPlane: 'nginx' }, (l) => said.push(l), () => false), 'nginx');
  assert.equal(said.length, 0);
});
