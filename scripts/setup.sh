#!/usr/bin/env bash
# `npm run setup`: everything Slipway runs and tests with, installed only where missing. The Debian
# or Ubuntu packages (as root, or through sudo), then the npm dependencies and the build, then
# `slipway doctor`. On other systems it lists what is missing and how to get it, and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# The host's programs, looked up where the server looks (not a user's PATH).
SYSTEM_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PG_BIN=${SLIPWAY_PG_BIN:-/usr/lib/postgresql/15/bin}
has() { PATH=$SYSTEM_PATH command -v "$1" >/dev/null 2>&1; }

# package | is it here? | what Slipway uses it for
missing=() why=()
want() { if ! eval "$2"; then missing+=("$1"); why+=("$1: $3"); fi; }
want bubblewrap        'has bwrap'                 'the sandbox every build, test and dyno runs in'
want git               'has git'                   'git push, sources, webhooks'
want postgresql-15     "[ -x $PG_BIN/initdb ]"     'heroku-postgresql add-ons (server binaries in /usr/lib/postgresql/15/bin)'
want postgresql-client 'has psql'                  'the add-on tests talk SQL to those servers'
want redis-server      'has redis-server'          'heroku-redis add-ons'
want chromium          'has chromium'              'browser (UAT) tests and the dashboard tests'
want nginx-light       'has nginx'                 'the native router (SLIPWAY_ROUTER=nginx)'
want libnginx-mod-http-lua '[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]' 'the native router'\''s dyno table: a deploy or a scale reloads nothing'
want iproute2          'has ip'                    'private spaces: namespaces, bridges, veths'
want nftables          'has nft'                   'private spaces: the firewall'
want util-linux        'has setpriv && has fallocate' 'private spaces: dropping to the sandbox user; dyno output given back to the disk (fallocate --punch-hole)'
want openssl           'has openssl'               'the HTTPS listener the heroku CLI tests use'
want wrk               'has wrk'                   'npm run bench: the load the router, spaces and agent-dynos benches put on dynos'

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: every system package Slipway needs is installed."
else
  echo "setup: missing (Debian/Ubuntu package: what for):"
  printf '  %s\n' "${why[@]}"
fi
if [ ${#missing[@]} -gt 0 ] && ! has apt-get; then
  echo "setup: this system has no apt-get; install the equivalents of these packages yourself, then run npm run setup again." >&2
  exit 1
elif [ ${#missing[@]} -gt 0 ]; then
  install=(sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]}")
  hint="setup: apt-get failed. If it could not find postgresql-15 (Ubuntu ships another version), add the PostgreSQL apt repository (https://wiki.postgresql.org/wiki/Apt), or install your release's postgresql and set SLIPWAY_PG_BIN=/usr/lib/postgresql/N/bin, then run npm run setup again."
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    "${install[@]}" || { echo "$hint" >&2; exit 1; }
  elif has sudo; then
    echo "setup: installing ${missing[*]} (through sudo)"
    sudo "${install[@]}" || { echo "$hint" >&2; exit 1; }
  else
    echo "setup: installing needs root; run as root, then npm run setup again:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies exactly as locked (once; again when the lock changes), which also builds dist/.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
elif [ ! -f dist/src/cli/main.js ] || [ -n "$(find src bin -newer dist/src/cli/main.js -name '*.ts' -print -quit)" ]; then
  echo "setup: npm run build"
  npm run build
fi

# What `slipway server` will check at start (with this shell's settings): said now, not a failure of set-up.
node bin/slipway.js doctor || echo "setup: done, but slipway server will not start until the problems above are fixed." >&2
