import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addonUrl, newPostgresCredentials, newRedisPassword, redisPasswordHash, scramVerifier } from './credentials.js';
import { clusterSetupSql, dropSql } from './postgres-auth.js';
import { redisAuthConf } from './redis-auth.js';

test('the SCRAM verifier matches an independent implementation (Python hashlib)', () => {
  assert.equal(scramVerifier('pencil', Buffer.from('0123456789abcdef')),
    'SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$nQpbZ77WudtqufPwikHXGRt6g2QJ4zns8bZLw273DRM=:jn2amWP1q1h+jgjy0YTO14S6/F02SV7taipOeB7ef20=');
  assert.notEqual(scramVerifier('pencil'), scramVerifier('pencil'), 'a new salt each time');
});

test('credentials look like Heroku\'s and differ every time', () => {
  const a = newPostgresCredentials();
  assert.match(a.user, /^u[0-9a-f]{14}$/);
  assert.match(a.database, /^d[0-9a-f]{14}$/);
  assert.match(a.password, /^p[0-9a-f]{64}$/);
  assert.notDeepEqual(a, newPostgresCredentials());
  assert.match(newRedisPassword(), /^p[0-9a-f]{64}$/);
});

test('URLs carry the credentials', () => {
  assert.equal(addonUrl({ host: '127.0.0.1', port: 5432 }, { scheme: 'postgres', user: 'u1', password: 'p1', database: 'd1' }), 'postgres://u1:p1@127.0.0.1:5432/d1');
  assert.equal(addonUrl({ host: '10.0.0.2', port: 6379 }, { scheme: 'redis', password: 'p2' }), 'redis://default:p2@10.0.0.2:6379');
  assert.equal(addonUrl({ host: 'fd00::1', port: 1 }, { scheme: 'redis', password: 'p/3' }), 'redis://default:p%2F3@[fd00::1]:1');
});

test('no password in clear in what the servers are given', () => {
  const c = newPostgresCredentials();
  const sql = clusterSetupSql(c).join('\n');
  assert.ok(!sql.includes(c.password));
  assert.match(sql, /ALTER ROLE postgres PASSWORD NULL/);
  assert.match(sql, new RegExp(`CREATE DATABASE "${c.database}" OWNER "${c.user}"`));
  assert.match(sql, /REVOKE ALL ON DATABASE .* FROM PUBLIC/);
  const conf = redisAuthConf('p123');
  assert.ok(!conf.includes('p123'));
  assert.match(conf, new RegExp(`#${redisPasswordHash('p123')} .*-config .*-module`));
});

test('only generated names reach SQL', () => {
  assert.throws(() => dropSql('x"; DROP ROLE admin; --', undefined), /not a generated Postgres name/);
  assert.deepEqual(dropSql('d1', 'u1'), ['DROP DATABASE IF EXISTS "d1" WITH (FORCE)', 'DROP ROLE IF EXISTS "u1"']);
});
