# Sourced by the other scripts: where the tools are, and the variables that let
# worker-build and wrangler work with no GitHub access and no Cloudflare account.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The project's Node (the npm `node` package, pinned in package-lock.json)
# comes first, so wrangler (`#!/usr/bin/env node`) and everything it spawns
# run on it: current wrangler needs Node 22.12 or newer. The system Node only
# runs `npm ci` (scripts/setup.sh), which installs this one.
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
export WRANGLER_SEND_METRICS=false
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
# Service workers (the Rust list, with the databases and the settings a
# run overrides, is in tools/stack/src/lib.rs).
WORKERS=(auth tickets orders payments)

# The build tools run a few seconds per build: compile them for speed of
# compiling, not of running (about a fifth less time: 4 min 7 s -> 3 min 14 s
# for worker-build on two cores). cargo install shows its progress.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false cargo install "$@"
}

log() { printf '\033[1m==> %(%T)T %s\033[0m\n' -1 "$*" >&2; }
