#!/usr/bin/env bash
# Shared by bin/compile (mode "production") and bin/test-compile (mode "test"), in the order of
# Heroku's Node.js buildpack: toolchain from engines, heroku-prebuild, install (every build; npm
# runs the package's own install scripts and prepare), heroku-postbuild or else build, and for
# production heroku-cleanup after pruning devDependencies. CACHE_DIR keeps npm's download cache,
# the Node.js/npm releases and node_modules (modules-cache.sh), so a warm install is fast but never skipped.
set -euo pipefail

build_dir="$1"; cache_dir="$2"; env_dir="$3"; mode="$4"
bp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

header() { echo "-----> $*"; }
indent() { sed -u 's/^/       /'; }
warn() { echo " !     $*"; }
error() { echo " !     $*" >&2; exit 1; }

# Only npm/node settings come from ENV_DIR; other config vars stay out of the build.
if [ -d "$env_dir" ]; then
  for f in "$env_dir"/*; do
    [ -f "$f" ] || continue
    name="$(basename "$f")"
    case "$name" in
      NPM_CONFIG_*|npm_config_*|NODE_OPTIONS|NODE_ENV|NODE_MODULES_CACHE|YARN_PRODUCTION|YARN2_SKIP_PRUNING) export "$name=$(cat "$f")" ;;
    esac
  done
fi
# Heroku's NPM_CONFIG_PRODUCTION=false (and Yarn 1's YARN_PRODUCTION=false, YARN2_SKIP_PRUNING=true
# for Yarn 2+) keep devDependencies; read here, not passed on to the package managers (npm warns
# about it; Yarn 2+ refuses a YARN_PRODUCTION setting it does not know).
prune=true
if [ "$mode" = test ] || [ "${NPM_CONFIG_PRODUCTION:-}" = false ]; then prune=false; fi
yarn_production="${YARN_PRODUCTION:-}" yarn2_skip_pruning="${YARN2_SKIP_PRUNING:-}"
unset NPM_CONFIG_PRODUCTION npm_config_production YARN_PRODUCTION YARN2_SKIP_PRUNING

command -v node >/dev/null || error "node is not on PATH; install Node.js on the runner host."
cd "$build_dir"
mkdir -p "$cache_dir/nodejs"
# shellcheck source=toolchain.sh
. "$bp_dir/lib/toolchain.sh"
# One node start for what package.json says (unit-separated: a missing field stays an empty one),
# for the host's Node.js and npm versions and the node_modules key with them, for whether the cached
# node_modules is the lockfile's tree (lockfile-tree.js, read before it is copied in), and for
# bin/release's default web process (each node start costs about 0.05 s of CPU on a quiet host, a
# few tenths under load; most builds use the host's Node.js and npm).
facts="$(node -e '
  const [keyJs, npmPackage, mode, treeJs, cachedModules] = process.argv.slice(1);
  let npmVersion = "";
  try { npmVersion = require(npmPackage).version; } catch {}
  let key = "";
  try { key = require(keyJs)(npmVersion, "", mode); } catch {}
  const p = require("./package.json");
  const s = p.scripts || {};
  const e = p.engines || {};
  const has = (k) => (typeof s[k] === "string" ? "1" : "");
  const pm = typeof p.packageManager === "string" ? p.packageManager : "";
  // What `npm install` runs of the package itself, in its order.
  const own = ["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"].filter(has).join(" ");
  let tree = "";
  try { tree = require(treeJs)(cachedModules); } catch {}
  // Links (workspaces, file: dependencies) reach into the source tree, which no cache key covers.
  let linked = "1";
  try { const l = JSON.parse(require("fs").readFileSync(require("fs").existsSync("npm-shrinkwrap.json") ? "npm-shrinkwrap.json" : "package-lock.json", "utf8")).packages; linked = Object.values(l).some((x) => x && x.link) ? "1" : ""; } catch {}
  // bin/release: "npm start" when there is a start script (its own test, kept there for a package.json changed since).
  const start = s.start ? "1" : "";
  process.stdout.write([e.node || "", e.npm || "", e.yarn || "", e.pnpm || "", pm, has("heroku-prebuild"), has("heroku-postbuild"), has("build"), has("heroku-cleanup"), own, process.version, npmVersion, key, tree, linked, start].join("\x1f") + "\x1f.");
' "$bp_dir/lib/modules-key.js" "${host_npm_cli%/*}/../package.json" "$mode" "$bp_dir/lib/lockfile-tree.js" "$cache_dir/nodejs/node_modules" 2>/dev/null)" || error "package.json is not valid JSON; fix it and push again."
IFS=$'\x1f' read -r engine_node engine_npm engine_yarn engine_pnpm package_manager_field has_prebuild has_postbuild has_build has_cleanup own_install_scripts host_node_version host_npm_version host_modules_key cached_tree_state lockfile_linked has_start _ <<< "$facts"
# For bin/release, with the package.json it was read from (bin/release compares them; it need not start node).
{ mkdir -p "$bp_dir/.facts" && cp package.json "$bp_dir/.facts/package.json" && printf '%s' "$has_start" > "$bp_dir/.facts/has-start"; } 2>/dev/null || rm -rf "$bp_dir/.facts"

rm -rf "$cache_dir/nodejs/modules" # the node_modules copies of earlier Slipway versions
export npm_config_cache="$cache_dir/nodejs/npm-cache"
export npm_config_update_notifier=false
# npm's debug logs are not cache: kept there, every build would change the cache.
export npm_config_logs_dir="${TMPDIR:-/tmp}/npm-logs"
install_node "$engine_node"
install_npm "$engine_npm"
export PATH="$node_home/bin:$build_dir/node_modules/.bin:$PATH"
if [ -n "$node_is_host" ] && [ "$npm_cli" = "$host_npm_cli" ] && [ -n "$host_npm_version" ]; then node_version="$host_node_version" npm_version="$host_npm_version"
else
  # The versions from one node start (npm --version would start npm: about 0.3 s).
  read -r node_version npm_version <<< "$(node -e 'process.stdout.write(`${process.version} ${require(process.argv[1]).version}`)' "$(dirname "$npm_cli")/../package.json")"
fi
header "Node.js $node_version, npm $npm_version"
# shellcheck source=package-manager.sh
. "$bp_dir/lib/package-manager.sh"
detect_package_manager
install_package_manager

mkdir -p "$build_dir/.profile.d"
node_env="production"; [ "$mode" = test ] && node_env="test"
cat > "$build_dir/.profile.d/nodejs.sh" <<PROFILE
export PATH="\$HOME/.heroku/node/bin:\$HOME/node_modules/.bin:\$PATH"
export NODE_ENV="\${NODE_ENV:-$node_env}"
PROFILE
echo "export PATH=\"$node_home/bin:$build_dir/node_modules/.bin:\$PATH\"" > "$bp_dir/export"

run_script() { header "Running $1"; "$pm" run "$1" 2>&1 | indent || error "$pm run $1 exited ${PIPESTATUS[0]}."; }

[ -n "$has_prebuild" ] && run_script heroku-prebuild
# shellcheck source=modules-cache.sh
. "$bp_dir/lib/modules-cache.sh"
# pnpm's store is its cache (its node_modules are hard links into it) and Yarn 2+ has its own; npm
# and Yarn 1 start from a cached node_modules when its key matches.
modules_cached=""
# A build whose prune would start from the cached tree itself (npm, nothing run in the tree before
# the prune, no links into the source) can start from the cache's pruned copy (modules-cache.sh).
pruned_usable="" pruned_wanted=""
if [ "$pm" = npm ] && [ "$prune" = true ] && [ -z "$lockfile_linked" ] && [ ! -f binding.gyp ] \
  && [ -z "$has_prebuild$own_install_scripts$has_postbuild$has_build" ]; then pruned_usable=1; fi
[ -n "$pruned_usable" ] && [ "$cached_tree_state" = install ] && pruned_wanted=1
if [ "$pm" = npm ] || { [ "$pm" = yarn ] && [ "${pm_version%%.*}" = 1 ]; }; then modules_cached=1; restore_modules; fi
# The restored node_modules is the cached one, so the first node start's answer about that tree holds
# until something runs in it (a heroku-prebuild ran before that answer's files were settled: not used).
tree_known=""
[ -n "$modules_restored" ] && [ -z "$has_prebuild" ] && tree_known=1
# lockfile-tree.js's exit status for $1 (install or prune), from that answer while it holds, else from a node start.
tree_is() {
  if [ -n "$tree_known" ]; then [ "$cached_tree_state" = prune ] || { [ "$1" = install ] && [ "$cached_tree_state" = install ]; }
  else node "$bp_dir/lib/lockfile-tree.js" "$1"
  fi
}
flags=(--no-audit --no-fund --prefer-offline --include=dev)
if [ "$pm" != npm ]; then
  header "Installing dependencies with $pm"
  pm_install 2>&1 | indent || error "$pm install exited ${PIPESTATUS[0]}; check the lockfile is in sync with package.json (run $pm install and commit it)."
elif [ -n "$modules_restored" ] && [ ! -f binding.gyp ] && tree_is install; then
  # npm install would find the tree up to date (about a second to say so) and run only the
  # package's own install scripts: they run here, as npm runs them (a binding.gyp's implicit
  # node-gyp rebuild is left to npm install).
  header "Installing dependencies: the cached node_modules is the lockfile's tree, up to date"
  for script in $own_install_scripts; do
    tree_known=""
    npm run "$script" 2>&1 | indent || error "npm run $script exited ${PIPESTATUS[0]}."
  done
elif [ -n "$modules_restored" ]; then
  # npm ci would delete the tree it just checked against this very lockfile; npm install checks it
  # is up to date (and runs the package's own scripts, prepare included), as on a cold run.
  header "Installing dependencies with npm install over the cached node_modules"
  tree_known=""
  scratch="$(scratch_npm_cache)"
  npm_config_cache="$scratch" npm install "${flags[@]}" 2>&1 | indent || { status=${PIPESTATUS[0]}; rm -rf "$scratch"; error "npm install exited $status."; }
  rm -rf "$scratch"
elif [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then
  header "Installing dependencies with npm ci"
  npm ci "${flags[@]}" 2>&1 | indent || error "npm ci exited ${PIPESTATUS[0]}; check package-lock.json is in sync with package.json (run npm install and commit it)."
else
  header "Installing dependencies with npm install (commit a package-lock.json for repeatable installs)"
  npm install "${flags[@]}" 2>&1 | indent || error "npm install exited ${PIPESTATUS[0]}."
fi

# Heroku runs heroku-postbuild instead of build when both exist.
if [ -n "$has_postbuild" ]; then tree_known=""; run_script heroku-postbuild
elif [ -n "$has_build" ]; then tree_known=""; run_script build
fi
[ -n "$modules_cached" ] && save_modules

if [ "$prune" = true ] && [ "$pm" = yarn ]; then
  if [ "${pm_version%%.*}" = 1 ]; then
    if [ "$yarn_production" = false ]; then prune=false; fi
  elif [ -n "$yarn_production" ]; then
    error "YARN_PRODUCTION is a Yarn 1 setting; this app uses Yarn $pm_version. Unset it (heroku config:unset YARN_PRODUCTION), and set YARN2_SKIP_PRUNING=true to keep devDependencies."
  elif [ "$yarn2_skip_pruning" = true ]; then prune=false
  fi
fi
if [ "$prune" = true ]; then
  header "Pruning devDependencies"
  if [ -n "$pruned_restored" ]; then replay_prune
  elif [ "$pm" = npm ] && tree_is prune; then echo "       None in the lockfile, and node_modules holds only its packages: nothing to prune"
  else
    # Its outcome is kept for the next build when it pruned the cached tree itself (restored with
    # nothing run in it, or saved just before), left the lockfile as it was, and the next build of
    # this package.json could use it.
    prune_of_cache=""
    [ -n "$pruned_usable" ] && { [ -n "$tree_known" ] || [ -n "$modules_saved" ]; } && prune_of_cache=1
    lock_before="$(lockfile_sum)" prune_out="$(mktemp)"
    pm_prune 2>&1 | tee "$prune_out" | indent || error "Pruning devDependencies with $pm exited ${PIPESTATUS[0]}."
    if [ -n "$prune_of_cache" ] && [ "$(lockfile_sum)" = "$lock_before" ]; then save_pruned "$prune_out"; fi
    rm -f "$prune_out"
  fi
fi
[ -n "$has_cleanup" ] && run_script heroku-cleanup
keep_package_manager
exit 0
