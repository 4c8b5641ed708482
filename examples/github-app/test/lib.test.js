const test = require('node:test');
const assert = require('node:assert');
const { describe } = require('../lib');

test('describes the app it runs as', () => assert.match(describe({ GREETING: 'hey', HEROKU_PR_NUMBER: '3' }), /^hey; version=\w+; app=-; pr=3/));
