import test from 'node:test';
import assert from 'node:assert/strict';
import { pickApp, slipwayRemotes } from './app-option.js';
import { CliError } from './errors.js';

const verbose = [
  'origin\tgit@github.com:acme/shop.git (fetch)',
  'origin\tgit@github.com:acme/shop.git (push)',
  'slipway\thttp://127.0.0.1:5000/git/shop-dev.git (fetch)',
  'slipway\thttp://127.0.0.1:5000/git/shop-dev.git (push)',
  'staging\thttps://slipway.example/base/git/shop-staging.git (fetch)',
].join('\n');

test('Slipway remotes are found by their /git/<app>.git URL, others ignored', () => {
  assert.deepEqual([...slipwayRemotes(verbose)], [['slipway', 'shop-dev'], ['staging', 'shop-staging']]);
});

test('the app comes from -r, else the remote named slipway, else the only one', () => {
  const remotes = slipwayRemotes(verbose);
  assert.equal(pickApp(remotes, 'staging'), 'shop-staging');
  assert.equal(pickApp(remotes), 'shop-dev');
  assert.equal(pickApp(new Map([['prod', 'shop-prod']])), 'shop-prod');
});

test('no remote, several remotes, or a -r that is not a Slipway remote: an error that says what to pass', () => {
  assert.throws(() => pickApp(new Map()), (e: CliError) => /pass -a APP/.test(e.message) && e.code === 2);
  assert.throws(() => pickApp(new Map([['a', 'x'], ['b', 'y']])), /Several Slipway remotes \(a, b\)/);
  assert.throws(() => pickApp(slipwayRemotes(verbose), 'origin'), /"origin" is not a Slipway app remote/);
});

test('the heroku CLI\'s remote <server>/<app>.git counts too; `heroku` is picked after `slipway`', () => {
  const remotes = slipwayRemotes([
    'origin\thttps://github.com/acme/shop.git (fetch)',
    'heroku\thttps://127.0.0.1:5443/shop-web.git (fetch)',
    'other\thttps://slipway.example/shop-api.git (fetch)',
  ].join('\n'));
  assert.deepEqual([...remotes], [['heroku', 'shop-web'], ['other', 'shop-api']], 'an owner/repo path is not an app remote');
  assert.equal(pickApp(remotes), 'shop-web');
});
