const test = require('node:test');
const assert = require('node:assert');
const { greeting } = require('../lib');

test('greets by name', () => assert.match(greeting('Ada'), /hello to Ada/));
test('says its version', () => assert.match(greeting('x'), /pipeline-app \w+ says/));
