import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configPatchProblem, keyProblem, valueProblem } from './tenant-keys.js';

test('built-in object property names and control characters are refused as names', () => {
  for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
    assert.match(keyProblem('config var', k) ?? '', new RegExp(`config var name "${k}" is reserved`));
  }
  for (const k of ['A\0B', 'A\nB', 'TAB\t', 'DEL\x7f']) assert.match(keyProblem('process type', k) ?? '', /process type name .* contains a NUL byte or another control character/);
  for (const k of ['DATABASE_URL', 'web', 'worker-2', 'Constructor', 'proto']) assert.equal(keyProblem('config var', k), null);
});

test('a NUL byte in a value is refused; unsets (null) and ordinary values pass', () => {
  assert.match(valueProblem('K', 'a\0b') ?? '', /value of config var "K" contains a NUL byte/);
  assert.equal(valueProblem('K', 'ünïcode and \n newlines'), null);
  assert.equal(configPatchProblem({ A: 'x', B: null }), null);
  assert.match(configPatchProblem({ A: 'x', toString: 'y' }) ?? '', /"toString" is reserved/);
  assert.match(configPatchProblem(JSON.parse('{"__proto__":"x"}') as Record<string, unknown>) ?? '', /"__proto__" is reserved/);
});
