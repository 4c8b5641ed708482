import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcfile, parseReleaseYaml } from './procfile.js';

test('Procfile: types and commands, comments and blank lines skipped, colons in commands kept', () => {
  const parsed = parseProcfile('# app\nweb: node server.js --port=$PORT\n\nworker:node worker.js\nrelease: ./migrate.sh && echo "a: b"\n');
  assert.deepEqual(parsed.ok && { ok: true, types: { ...parsed.types } }, {
    ok: true, types: { web: 'node server.js --port=$PORT', worker: 'node worker.js', release: './migrate.sh && echo "a: b"' },
  });
});

test('Procfile: a bad line, an empty command and a duplicate are reported with the line number', () => {
  assert.match((parseProcfile('web: a\nthis is not a process\n') as { message: string }).message, /line 2 is not "<process type>: <command>"/);
  assert.match((parseProcfile('web:\n') as { message: string }).message, /line 1: process type "web" has no command/);
  assert.match((parseProcfile('web: a\nweb: b\n') as { message: string }).message, /line 2: process type "web" is defined twice/);
});

test('bin/release YAML: default_process_types read, the rest ignored', () => {
  assert.deepEqual({ ...parseReleaseYaml('---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node w.js"\nconfig_vars:\n  A: b\n') }, { web: 'npm start', worker: 'node w.js' });
  assert.deepEqual({ ...parseReleaseYaml('---\ndefault_process_types: {}\n') }, {});
});

test('Procfile: built-in object property names and control characters are not process types', () => {
  for (const t of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    assert.match((parseProcfile(`web: a\n${t}: evil\n`) as { message: string }).message, new RegExp(`line 2: process type name "${t}" is reserved`));
  }
  const yaml = parseReleaseYaml('default_process_types:\n  __proto__: evil\n  constructor: evil\n  web: ok\n');
  assert.deepEqual(Object.keys(yaml), ['web'], 'a buildpack\'s reserved names are skipped');
  assert.equal(Object.getPrototypeOf(yaml), null);
});
