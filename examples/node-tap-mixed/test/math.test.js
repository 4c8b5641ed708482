const { test } = require('node:test');
const assert = require('node:assert/strict');

test('adds', () => assert.equal(1 + 1, 2));
test('multiplies', () => assert.equal(2 * 3, 6));
test('subtracts', () => assert.equal(5 - 3, 2));
test('adds wrongly', () => assert.equal(2 + 2, 5, 'expected 2 + 2 to equal 5'));
test('divides by zero', { skip: 'not decided what it should do' }, () => {});
test('handles big numbers', { todo: 'BigInt support' }, () => assert.fail('not yet'));
