#!/usr/bin/env bash
# Sourced by install.sh: which package manager installs the app, as Heroku's Node.js buildpack
# chooses it — the lockfile (yarn.lock → yarn, pnpm-lock.yaml → pnpm, else npm), its version from
# package.json's packageManager, else engines.yarn/engines.pnpm, else yarn 1.22.x or pnpm's latest —
# run through Node.js's Corepack, which downloads it from the npm registry into
# CACHE_DIR/nodejs/corepack (once per version) and checks a packageManager hash when one is given.
# Needs: build_dir, cache_dir, node_home, host_npm_cli, load_npm_settings, npm_setting, header, indent, error, resolve_version; the facts
# package_manager_field, engine_yarn, engine_pnpm.

corepack_js="${host_npm_cli%/*}/../../corepack/dist/corepack.js"
pm=npm pm_spec=""

# Sets pm and pm_spec ("pnpm@9.15.0", hash kept) from the lockfiles and package.json.
detect_package_manager() {
  local locks=() f field_pm="${package_manager_field%%@*}"
  for f in package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml; do [ -f "$build_dir/$f" ] && locks+=("$f"); done
  case "${locks[*]}" in
    "") pm="${field_pm:-npm}" ;;
    yarn.lock) pm=yarn ;;
    pnpm-lock.yaml) pm=pnpm ;;
    package-lock.json|npm-shrinkwrap.json|"package-lock.json npm-shrinkwrap.json") pm=npm ;;
    *) error "Lockfiles of more than one package manager: ${locks[*]}. Delete the ones the project does not use, commit, and push again." ;;
  esac
  case "$pm" in npm|yarn|pnpm) ;; *) error "package.json's packageManager \"$package_manager_field\" names a package manager this buildpack does not install (npm, yarn or pnpm)." ;; esac
  if [ -n "$field_pm" ] && [ "$field_pm" != "$pm" ]; then
    error "package.json's packageManager says $field_pm, but the lockfile (${locks[*]}) is $pm's. Make them agree, commit, and push again."
  fi
  [ "$pm" = npm ] && return 0
  if [ -n "$package_manager_field" ]; then pm_spec="$package_manager_field"; return 0; fi
  local range version
  if [ "$pm" = yarn ]; then range="${engine_yarn:-1.22.x}"; else range="${engine_pnpm:-latest}"; fi
  version="$(resolve_version "$pm" "$range")"
  # Yarn 2 and later are published as @yarnpkg/cli-dist; Corepack knows them as yarn@<version>.
  [ "$version" = none ] && [ "$pm" = yarn ] && version="$(resolve_version @yarnpkg/cli-dist "$range")"
  case "$version" in
    none) error "engines.$pm \"$range\" in package.json matches no $pm release on the npm registry; set it to a released version, or set packageManager (e.g. \"$pm@<version>\")." ;;
    unreachable*) error "The $pm version for \"$range\" could not be resolved (${version#unreachable }); push again to retry, or set packageManager to an exact version." ;;
  esac
  pm_spec="$pm@$version"
}

sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Put a $pm command in .heroku/node/bin that runs the chosen version through Corepack, its
# downloads in COREPACK_HOME (the cache during the build; .heroku/corepack, a copy, afterwards).
install_package_manager() {
  [ "$pm" = npm ] && return 0
  [ -f "$corepack_js" ] || error "Corepack is not installed beside the runner host's npm ($corepack_js); install Node.js 16.9 or later on the host."
  # Registry signatures are not required (some registries and mirrors serve packuments without
  # them); the tarball's integrity, and packageManager's hash when given, are still checked.
  local settings="COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_AUTO_PIN=0 COREPACK_INTEGRITY_KEYS=0"
  export COREPACK_HOME="$cache_dir/nodejs/corepack" $settings
  # npm's registry and CA file (a mirror, a proxy's CA) serve Corepack, Yarn and pnpm too.
  load_npm_settings
  COREPACK_NPM_REGISTRY="$(npm_setting registry | sed 's#/*$##')"; export COREPACK_NPM_REGISTRY
  local cafile; cafile="$(npm_setting cafile)"
  if [ -r "$cafile" ] && [ -z "${NODE_EXTRA_CA_CERTS:-}" ]; then export NODE_EXTRA_CA_CERTS="$cafile"; fi
  local ca_line=""; [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && ca_line="[ -n \"\${NODE_EXTRA_CA_CERTS:-}\" ] || NODE_EXTRA_CA_CERTS=$(sh_quote "$NODE_EXTRA_CA_CERTS"); export NODE_EXTRA_CA_CERTS"
  cat > "$node_home/bin/$pm" <<SHIM
#!/bin/sh
[ -n "\${COREPACK_HOME:-}" ] || COREPACK_HOME="\$(dirname "\$0")/../../corepack"
$ca_line
export COREPACK_HOME $settings
exec "\$(dirname "\$0")/node" $(sh_quote "$corepack_js") $(sh_quote "$pm_spec") "\$@"
SHIM
  chmod +x "$node_home/bin/$pm"
  local version="${pm_spec#*@}"; version="${version%%+*}"
  header "Installing $pm $version with Corepack"
  if [ -d "$COREPACK_HOME/v1/$pm/$version" ]; then echo "       Using the cached download"; else echo "       Downloading $pm@$version from the npm registry"; fi
  pm_version="$("$node_home/bin/$pm" --version 2>&1)" || { echo "$pm_version" | indent; error "Corepack could not install $pm_spec from the npm registry; check package.json's packageManager (or engines.$pm) and push again."; }
  # Yarn 2+'s packages stay in the project's cache folder, not one in HOME the slug does not hold.
  if [ "$pm" = yarn ] && [ "${pm_version%%.*}" != 1 ]; then export YARN_ENABLE_GLOBAL_CACHE=false; fi
}

# The install command for pm, devDependencies included, never changing the lockfile.
pm_install() {
  case "$pm" in
    pnpm) pnpm install --frozen-lockfile --store-dir "$cache_dir/nodejs/pnpm-store" ;;
    yarn)
      if [ "${pm_version%%.*}" = 1 ]; then yarn install --frozen-lockfile --production=false --non-interactive --cache-folder "$cache_dir/nodejs/yarn-cache"
      else
        # Yarn 2+ reads packages from its cache folder at run time (Plug'n'Play's zips), so the folder is
        # the project's own (.yarn/cache unless .yarnrc.yml says otherwise), in the slug; CACHE_DIR
        # keeps a copy of its files for the next build (only new files are copied either way).
        local folder; folder="$(yarn config get cacheFolder)"
        mkdir -p "$folder" "$cache_dir/nodejs/yarn-berry-cache"
        copy_new_files "$cache_dir/nodejs/yarn-berry-cache" "$folder"
        yarn install --immutable
        copy_new_files "$folder" "$cache_dir/nodejs/yarn-berry-cache"
      fi ;;
  esac
}

# Copy the files of folder $1 that folder $2 lacks (package archives: a name is its content).
copy_new_files() {
  local f
  for f in "$1"/*; do
    if [ -f "$f" ] && [ ! -e "$2/${f##*/}" ]; then cp -p "$f" "$2/"; fi
  done
}

# Drop devDependencies after the build (bin/compile), as each manager can.
pm_prune() {
  case "$pm" in
    npm) npm prune --omit=dev --no-audit --no-fund ;;
    pnpm) pnpm prune --prod --config.store-dir="$cache_dir/nodejs/pnpm-store" ;;
    yarn)
      if [ "${pm_version%%.*}" = 1 ]; then yarn install --frozen-lockfile --production=true --ignore-scripts --prefer-offline --non-interactive --cache-folder "$cache_dir/nodejs/yarn-cache"
      # Yarn 4 has `workspaces focus` built in; Yarn 2 and 3 have it with the workspace-tools plugin.
      elif ! yarn workspaces focus --help >/dev/null 2>&1; then
        echo "Yarn $pm_version has no 'yarn workspaces focus': devDependencies are kept. Add the plugin (yarn plugin import workspace-tools) and commit .yarnrc.yml and .yarn/plugins to prune them, or set YARN2_SKIP_PRUNING=true to keep them without this notice."
      else yarn workspaces focus --all --production
      fi ;;
  esac
}

# Keep the downloaded package manager with the app, for its scripts at run time.
keep_package_manager() {
  [ "$pm" = npm ] && return 0
  rm -rf "$build_dir/.heroku/corepack"
  # Hard links where CACHE_DIR shares the app's filesystem; else a copy (a failed cp -al leaves folders behind).
  cp -al "$COREPACK_HOME" "$build_dir/.heroku/corepack" 2>/dev/null || { rm -rf "$build_dir/.heroku/corepack"; cp -a "$COREPACK_HOME" "$build_dir/.heroku/corepack"; }
}
