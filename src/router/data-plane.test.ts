import test from 'node:test';
import assert from 'node:assert/strict';
import { chooseDataPlane, nginxMissing } from './data-plane.js';

test('auto is nginx where it is installed, else the Node router, said once with how to install nginx', () => {
  const said: string[] = [];
  assert.equal(chooseDataPlane({ dataPlane: 'auto' }, (l) => said.push(l), () => undefined), 'nginx');
  assert.equal(said.length, 0);
  assert.equal(chooseDataPlane({ dataPlane: 'auto' }, (l) => said.push(l), () => nginxMissing(() => false)), 'node');
  assert.equal(said.length, 1);
  assert.match(said[0]!, /^nginx not found in \/usr\/local\/sbin:.*apt-get install nginx-light libnginx-mod-http-lua.*: routing with the Node data plane/);
});

test('nginx without its lua module (the route table) is not chosen either, said with the package to install', () => {
  const said: string[] = [];
  assert.equal(chooseDataPlane({ dataPlane: 'auto' }, (l) => said.push(l), () => nginxMissing(() => true, () => false)), 'node');
  assert.match(said[0]!, /^nginx's lua module not found in \/usr\/lib\/nginx\/modules.*apt-get install libnginx-mod-http-lua.*routing with the Node data plane/);
  assert.equal(nginxMissing(() => true, () => true), undefined);
});

test('an explicit choice is kept, installed or not', () => {
  const said: string[] = [];
  assert.equal(chooseDataPlane({ dataPlane: 'node' }, (l) => said.push(l), () => undefined), 'node');
  assert.equal(chooseDataPlane({ dataPlane: 'nginx' }, (l) => said.push(l), () => 'nginx not found'), 'nginx');
  assert.equal(said.length, 0);
});
