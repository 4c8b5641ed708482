#!/usr/bin/env bash
# Shared by bin/compile (mode "production") and bin/test-compile (mode "test").
# Uses the host's node and npm; caches node_modules in CACHE_DIR keyed by lockfile, node and mode.
set -euo pipefail

build_dir="$1"; cache_dir="$2"; env_dir="$3"; mode="$4"
bp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

header() { echo "-----> $*"; }
indent() { sed -u 's/^/       /'; }
error() { echo " !     $*" >&2; exit 1; }

# Only npm/node settings come from ENV_DIR; other config vars stay out of the build.
if [ -d "$env_dir" ]; then
  for f in "$env_dir"/*; do
    [ -f "$f" ] || continue
    name="$(basename "$f")"
    case "$name" in
      NPM_CONFIG_*|npm_config_*|NODE_OPTIONS|NODE_ENV|NODE_MODULES_CACHE) export "$name=$(cat "$f")" ;;
    esac
  done
fi

command -v node >/dev/null || error "node is not on PATH; install Node.js on the runner host."
cd "$build_dir"
# One node start for everything we need to know (npm itself takes a third of a second to start).
facts="$(node -e '
  const path = require("path");
  let npm = "unknown";
  try { npm = require(path.join(path.dirname(process.execPath), "../lib/node_modules/npm/package.json")).version; } catch {}
  const p = require("./package.json");
  const n = ["dependencies", "devDependencies", "optionalDependencies"].reduce((s, k) => s + Object.keys(p[k] || {}).length, 0);
  process.stdout.write(`${process.version} ${npm} ${n}`);
' 2>/dev/null)" || error "package.json is not valid JSON; fix it and push again."
read -r node_version npm_version deps <<< "$facts"
header "Using the host's Node.js $node_version and npm $npm_version"

mkdir -p "$build_dir/.profile.d"
node_env="production"; [ "$mode" = test ] && node_env="test"
cat > "$build_dir/.profile.d/nodejs.sh" <<PROFILE
export PATH="\$HOME/node_modules/.bin:\$PATH"
export NODE_ENV="\${NODE_ENV:-$node_env}"
PROFILE
echo "export PATH=\"$build_dir/node_modules/.bin:\$PATH\"" > "$bp_dir/export"

if [ "$deps" = "0" ]; then
  header "No dependencies in package.json: nothing to install"
  exit 0
fi

lock="package.json"; [ -f package-lock.json ] && lock="package-lock.json"
key="$( (cat "$lock"; node --version; echo "$mode") | sha256sum | cut -c1-16)"
store="$cache_dir/nodejs/modules"
mkdir -p "$store"

if [ "${NODE_MODULES_CACHE:-true}" != "false" ] && [ -d "$store/$key/node_modules" ]; then
  header "Restoring node_modules from cache ($lock unchanged)"
  rm -rf node_modules
  cp -a "$store/$key/node_modules" node_modules
  exit 0
fi

export npm_config_cache="$cache_dir/nodejs/npm-cache"
flags=(--no-audit --no-fund --prefer-offline)
if [ "$mode" = test ]; then flags+=(--include=dev); else flags+=(--omit=dev); fi
if [ -f package-lock.json ]; then
  header "Installing dependencies with npm ci ($mode)"
  npm ci "${flags[@]}" 2>&1 | indent || error "npm ci failed; check package-lock.json is in sync with package.json (run npm install and commit it)."
else
  header "Installing dependencies with npm install ($mode; commit a package-lock.json for repeatable installs)"
  npm install "${flags[@]}" 2>&1 | indent || error "npm install failed."
fi

header "Caching node_modules"
rm -rf "${store:?}"/*
mkdir -p "$store/$key"
cp -a node_modules "$store/$key/node_modules"
