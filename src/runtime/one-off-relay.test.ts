import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputRelays } from './one-off-relay.js';
import { lineSplitter } from './one-off-process.js';

const read = async (s: NodeJS.ReadableStream) => { let out = ''; for await (const c of s) out += String(c); return out; };

test('piped input reaches the agent up to the CLI\'s ^D, and ends there', async () => {
  const r = new InputRelays();
  r.open('a', false);
  const client = r.attachClient('a')!;
  const agent = r.forAgent('a')!;
  client.write(Buffer.from('one\n'));
  client.write(Buffer.from('two\n\x04ignored'));
  assert.equal(await read(agent), 'one\ntwo\n');
});

test('a terminal\'s bytes all go through (^D and ^C are its keys); the client going ends the input', async () => {
  const r = new InputRelays();
  r.open('t', true);
  const client = r.attachClient('t')!;
  const agent = r.forAgent('t')!;
  client.write(Buffer.from('ls\r\x04\x03'));
  client.end();
  assert.equal(await read(agent), 'ls\r\x04\x03');
});

test('one client and one agent per one-off; none for a one-off relayed elsewhere', () => {
  const r = new InputRelays();
  r.open('x', false);
  assert.ok(r.attachClient('x'));
  assert.equal(r.attachClient('x'), undefined, 'a second client');
  assert.equal(r.attachPlain('x'), undefined, 'a second client (plain)');
  assert.ok(r.forAgent('x'));
  assert.equal(r.forAgent('x'), undefined, 'a second reader');
  assert.equal(r.has('elsewhere'), false);
  assert.equal(r.forAgent('elsewhere'), undefined);
});

test('an agent that connects after the input ended reads end of input at once', async () => {
  const r = new InputRelays();
  r.open('late', false);
  r.end('late');
  assert.equal(r.has('late'), true);
  assert.equal(await read(r.forAgent('late')!), '');
});

test('detached output goes to the app log in whole lines; the last partial line at the end', () => {
  const l = lineSplitter();
  assert.deepEqual(l.push(Buffer.from('a\r\nb')), ['a']);
  assert.deepEqual(l.push(Buffer.from('c\nd')), ['bc']);
  assert.deepEqual(l.end(), ['d']);
  assert.deepEqual(l.end(), []);
});
