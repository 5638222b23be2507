#!/usr/bin/env bash
# Builds every worker whose sources changed since its last build (release wasm,
# optimised with binaryen's wasm-opt), then lays out pages/dist for `pages dev`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"

stale() { # stale <crate dir>: true when any input is newer than the built wasm
  local out="$1/build/index_bg.wasm"
  [ -f "$out" ] || return 0
  [ -n "$(find "$1/src" "$1/Cargo.toml" shared Cargo.lock Cargo.toml -newer "$out" -type f -print -quit)" ]
}

# worker-build always keeps the wasm name section (~80 KB of function names, for
# stack traces). Our workers answer errors without panicking, so ship without it.
strip_names() {
  local features=(mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)
  "$WASM_OPT_BIN" "$1" -o "$1.stripped" --strip-debug --strip-producers "${features[@]/#/--enable-}"
  mv "$1.stripped" "$1"
}

for crate in "${WORKERS[@]/#/workers/}" pages; do
  if stale "$crate"; then
    log "building $crate"
    (cd "$crate" && worker-build --release)
    strip_names "$crate/build/index_bg.wasm"
  fi
done

# Pages advanced mode: the worker in dist/_worker.js/, static files beside it.
rm -rf pages/dist && mkdir -p pages/dist/_worker.js
cp -r pages/public/. pages/dist/
cp pages/build/index.js pages/build/index_bg.wasm pages/dist/_worker.js/
