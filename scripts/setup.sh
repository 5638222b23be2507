#!/usr/bin/env bash
# Installs what is missing, skips what is there: the wasm target, worker-build and
# wasm-bindgen-cli at the versions the lock file needs, the npm packages from the
# committed lock file (Node itself among them), .dev.vars, and (with --browser)
# Chromium and ChromeDriver.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"

# rust-toolchain.toml names the target too (rustup adds it on first use); this
# covers a rustup too old to read a toolchain file's targets.
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || { log "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }

want_worker_build=0.8.7
worker-build --version 2>/dev/null | grep -q "$want_worker_build" \
  || { log "installing worker-build $want_worker_build (a few minutes, once)"; tool_install worker-build --version "$want_worker_build" --locked; }

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
wasm-bindgen --version 2>/dev/null | grep -q " $want_bindgen\$" \
  || { log "installing wasm-bindgen-cli $want_bindgen (a few minutes, once)"; tool_install wasm-bindgen-cli --version "$want_bindgen"; }  # not --locked: a locked dependency is gone from the registry

# The system npm only bootstraps: `npm ci` installs the project's Node (the
# npm `node` package, whose install script fetches its binary as another npm
# package), wrangler and binaryen; env.sh puts that Node first on PATH. npm
# running on an older system Node warns that wrangler wants a newer engine
# (EBADENGINE): wrangler never runs on that one.
if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/.bin/node ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (Node, wrangler, binaryen)"
  npm ci --no-audit --no-fund
fi
[ "$(command -v node)" = "$ROOT/node_modules/.bin/node" ] \
  || { log "the project's Node (node_modules/.bin/node) is not first on PATH"; exit 1; }

# Each worker's own .dev.vars is written by whatever starts a stack (dev.sh,
# the test stacks), with that run's settings: not here, where a `make deploy`
# beside a starting test stack would overwrite that stack's.
[ -f .dev.vars ] || { log "creating .dev.vars from .dev.vars.example"; cp .dev.vars.example .dev.vars; }

# CHROMIUM and CHROMEDRIVER name another browser and driver (CI uses the runner's Chrome).
if [ "${1:-}" = "--browser" ] && [ -z "${CHROMIUM:-}" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver (Debian packages)"
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
