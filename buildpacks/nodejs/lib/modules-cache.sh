#!/usr/bin/env bash
# Sourced by install.sh: node_modules kept in CACHE_DIR/nodejs/node_modules between builds, as
# Heroku's Node.js buildpack keeps it (NODE_MODULES_CACHE=false turns it off). It is reused only when
# its key matches — this file's format, the arch, Node.js, npm and Yarn versions, the mode, the
# lockfile, .npmrc/.yarnrc and package.json's dependency fields — so a warm install starts from the
# tree a cold install made (npm's record of it checked against the lockfile, lockfile-tree.js; the
# package's own install scripts run), and the verdict stays a cold run's. Both ways it is copied, not
# hard-linked: a later step that rewrites a file in place (test-setup patching a package, say) must
# not change the cache the runner saves after it. Left untouched when nothing changed, so the runner
# need not save the cache again.
# Needs: bp_dir, build_dir, cache_dir, mode, npm_version, npm_cli, host_npm_cli, node_is_host, host_modules_key, pm_spec, header.

modules_cache="$cache_dir/nodejs/node_modules"
modules_key_file="$cache_dir/nodejs/node_modules.key"
modules_restored=""
modules_saved=""
# npm prune --omit=dev's outcome on that very tree, with what npm printed: kept under the same key
# plus the npm settings in the environment (NPM_CONFIG_INCLUDE=dev, say, keeps devDependencies).
pruned_cache="$cache_dir/nodejs/node_modules.pruned"
pruned_key_file="$cache_dir/nodejs/node_modules.pruned.key"
pruned_log_file="$cache_dir/nodejs/node_modules.pruned.log"
pruned_restored=""

modules_key() { node "$bp_dir/lib/modules-key.js" "$npm_version" "$pm_spec" "$mode"; }

copy_tree() { rm -rf "$2"; cp -a "$1" "$2"; }

# Put the cached node_modules in the app when its key matches; sets modules_restored=1.
restore_modules() {
  # install.sh's first node start computed it for the host's Node.js and npm.
  if [ -n "$host_modules_key" ] && [ -n "$node_is_host" ] && [ "$npm_cli" = "$host_npm_cli" ] && [ -z "$pm_spec" ]; then modules_key_now="$host_modules_key"
  else modules_key_now="$(modules_key)"
  fi
  if [ "${NODE_MODULES_CACHE:-true}" = false ]; then header "Not using the node_modules cache (NODE_MODULES_CACHE=false)"; return 0; fi
  [ -d "$modules_cache" ] && [ ! -L "$modules_cache" ] || return 0
  [ "$(cat "$modules_key_file" 2>/dev/null)" = "$modules_key_now" ] || { header "The node_modules cache is for another lockfile, Node.js or npm: installing afresh"; return 0; }
  if [ -n "$pruned_wanted" ] && [ -d "$pruned_cache" ] && [ ! -L "$pruned_cache" ] && [ -f "$pruned_log_file" ] \
    && [ "$(cat "$pruned_key_file" 2>/dev/null)" = "$(prune_key)" ] && copy_tree "$pruned_cache" "$build_dir/node_modules"; then
    header "Restoring node_modules from the cache, devDependencies pruned (same lockfile, Node.js, npm and npm settings)"
    modules_restored=1 pruned_restored=1
  elif copy_tree "$modules_cache" "$build_dir/node_modules"; then
    header "Restoring node_modules from the cache (same lockfile, Node.js and npm)"
    modules_restored=1
  else
    rm -rf "$build_dir/node_modules"
  fi
}

prune_key() {
  { printf '%s\n' "$modules_key_now"; env | grep -iE '^(npm_config_|NODE_ENV=)' | grep -viE '^npm_config_(cache|logs_dir|update_notifier)=' | LC_ALL=C sort || true; } | sha256sum | cut -d' ' -f1
}

lockfile_sum() { cat package-lock.json npm-shrinkwrap.json 2>/dev/null | sha256sum; }

# Keep the pruned node_modules the build just made from the cached tree ($1: what npm printed); a
# copy that fails (the build's disk) only leaves the next build to prune again.
save_pruned() {
  rm -rf "$pruned_cache" "$pruned_key_file" "$pruned_log_file"
  if copy_tree "$build_dir/node_modules" "$pruned_cache" && cp "$1" "$pruned_log_file"; then prune_key > "$pruned_key_file" || rm -f "$pruned_key_file"
  else rm -rf "$pruned_cache" "$pruned_log_file"
  fi
  return 0
}

# What a prune of the restored tree does, done: it was pruned when the cache was made.
replay_prune() {
  echo "       node_modules is the cached tree's pruned copy: npm prune --omit=dev made it, printing then:"
  sed 's/^/       /' "$pruned_log_file"
}

# Keep the app's node_modules for the next build, unless the one restored is still current.
save_modules() {
  if [ "${NODE_MODULES_CACHE:-true}" = false ] || [ ! -d "$build_dir/node_modules" ]; then rm -rf "$modules_cache" "$modules_key_file" "$pruned_cache" "$pruned_key_file" "$pruned_log_file"; return 0; fi
  [ -n "$modules_restored" ] && return 0
  rm -rf "$modules_key_file" "$pruned_cache" "$pruned_key_file" "$pruned_log_file"
  copy_tree "$build_dir/node_modules" "$modules_cache" && echo "$modules_key_now" > "$modules_key_file" && modules_saved=1
}

# Over a restored node_modules npm still appends to its cache's index (a packument it looked at
# again): that run gets a scratch cache beside the real one — the content folder by a symbolic link
# (content is written once under its hash and never changed: what npm downloads anew is added to the
# real cache), the index copied — so a run that downloads nothing leaves the cache unchanged. A link,
# not hard links: CACHE_DIR may be an overlay, where hard-linking a file copies it up whole.
# Prints the folder to use as npm's cache.
scratch_npm_cache() {
  local real="$npm_config_cache" scratch
  scratch="$(mktemp -d "$cache_dir/nodejs/npm-scratch.XXXXXX")"
  mkdir -p "$scratch/_cacache"
  if [ -d "$real/_cacache" ]; then
    [ -d "$real/_cacache/content-v2" ] && ln -s "$real/_cacache/content-v2" "$scratch/_cacache/content-v2"
    cp -a "$real/_cacache/index-v5" "$scratch/_cacache/" 2>/dev/null || true
  fi
  echo "$scratch"
}
