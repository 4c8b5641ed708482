import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IllegalTransition, type StatusMachine } from './status-machine.js';
import { DEPLOY } from './deploy-status.js';
import { BUILD } from './build-status.js';
import { PROMOTION, PROMOTION_TARGET } from './promotion-status.js';
import { REVIEW_APP } from './review-app-status.js';
import { DYNO } from './dyno-status.js';
import { ADDON_SERVER } from './addon-server-status.js';
import { crashBackoffMs } from './crash-backoff.js';

/** Every pair of statuses: the legal ones move, every other one throws and names both ends. */
function checkTable<S extends string>(m: StatusMachine<S>, legal: Array<[S, S]>): void {
  const all = Object.keys(m.moves) as S[];
  for (const from of all) for (const to of all) {
    const ok = legal.some(([f, t]) => f === from && t === to);
    assert.equal(m.can(from, to), ok, `${m.what}: ${from} → ${to}`);
    if (ok) assert.equal(m.next(from, to), to);
    else assert.throws(() => m.next(from, to), (e: unknown) => e instanceof IllegalTransition && e.message === `a ${m.what} cannot go from ${from} to ${to}`);
  }
}

test('deploys: waiting → building | skipped; building → releasing | failed; releasing → succeeded | failed; the rest end', () => {
  checkTable(DEPLOY, [['waiting', 'building'], ['waiting', 'skipped'], ['building', 'releasing'], ['building', 'failed'], ['releasing', 'succeeded'], ['releasing', 'failed']]);
  assert.deepEqual(['succeeded', 'failed', 'skipped'].map((s) => DEPLOY.isTerminal(s as never)), [true, true, true]);
  assert.deepEqual(DEPLOY.into('failed'), ['building', 'releasing']);
});

test('builds: pending → succeeded | failed, once', () => {
  checkTable(BUILD, [['pending', 'succeeded'], ['pending', 'failed']]);
});

test('promotions complete once; each target settles once', () => {
  checkTable(PROMOTION, [['pending', 'completed']]);
  checkTable(PROMOTION_TARGET, [['pending', 'succeeded'], ['pending', 'failed']]);
});

test('review apps: Heroku\'s life cycle; a deleted or errored one starts over when its pull request is reopened', () => {
  checkTable(REVIEW_APP, [
    ['pending', 'creating'], ['pending', 'errored'], ['pending', 'deleting'],
    ['creating', 'created'], ['creating', 'errored'], ['creating', 'deleting'],
    ['created', 'creating'], ['created', 'errored'], ['created', 'deleting'],
    ['errored', 'pending'], ['errored', 'creating'], ['errored', 'deleting'],
    ['deleting', 'deleted'], ['deleting', 'errored'],
    ['deleted', 'pending'],
  ]);
});

test('dynos: starting → up | crashed | down; up → crashed | down; crashed → starting | down; down is for good', () => {
  checkTable(DYNO, [['starting', 'up'], ['starting', 'crashed'], ['starting', 'down'], ['up', 'crashed'], ['up', 'down'], ['crashed', 'starting'], ['crashed', 'down']]);
  assert.equal(DYNO.isTerminal('down'), true);
});

test('add-on servers: starting → up | crashed; up → crashed; crashed → starting; none ends', () => {
  checkTable(ADDON_SERVER, [['starting', 'up'], ['starting', 'crashed'], ['up', 'crashed'], ['crashed', 'starting']]);
  assert.deepEqual(['starting', 'up', 'crashed'].map((s) => ADDON_SERVER.isTerminal(s as never)), [false, false, false]);
});

test('crash back-off: 1 s doubling per crash in a row, at most 5 minutes', () => {
  assert.deepEqual([0, 1, 2, 3, 8, 9, 40].map(crashBackoffMs), [1000, 2000, 4000, 8000, 256_000, 300_000, 300_000]);
});
