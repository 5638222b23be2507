#!/usr/bin/env bash
# `make bench`: builds, starts a fresh stack, measures it under load, prints the
# figures and the gzipped wasm size of each worker, and stops the stack.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
# Sizes are those of the release build, which a deploy ships.
scripts/build.sh
log "gzipped wasm size per worker (release build)   [target: <= 160 KB each]"
for crate in "${WORKERS[@]/#/workers/}" pages; do
  wasm="$crate/build/index_bg.wasm"
  gz=$(gzip -9 -c "$wasm" | wc -c)
  awk -v c="$crate" -v raw="$(wc -c <"$wasm")" -v gz="$gz" \
    'BEGIN { printf "  %-16s %7d bytes raw, %7d bytes gzipped (%.1f KB)\n", c, raw, gz, gz / 1024 }'
done
# Where the bytes go, in the largest worker (twiggy, installed on first use).
command -v twiggy >/dev/null || { log "installing twiggy (a few minutes, once)"; tool_install twiggy --locked; }
largest=$(for crate in "${WORKERS[@]/#/workers/}" pages; do
  echo "$(wc -c <"$crate/build/index_bg.wasm") $crate"; done | sort -n | tail -1 | cut -d' ' -f2)
log "the 12 largest functions and data of $largest (release build, before wasm-opt strips the names)"
if [ -f "$largest/build/index_bg.named.wasm" ]; then
  twiggy top -n 12 "$largest/build/index_bg.named.wasm" | cut -c1-150
else
  log "no named copy of $largest's wasm (built before build.sh kept one): rebuild it to see its profile"
fi
# The stack runs with the test-only routes (Cargo feature test-hooks), as `make test` builds.
BUILD_FEATURES=test-hooks scripts/build.sh
log "compiling the load generator"
cargo build --profile loadgen -p e2e --bin bench --quiet

# The load generator starts its own stack (tests/e2e/src/stack.rs, settings
# "bench"), stopped when it ends; EXPIRATION_WINDOW_SECONDS, MAX_OPEN_ORDERS
# and MAX_OPEN_ORDERS_PER_ADDRESS override its settings.
TICKETING_ROOT=$ROOT "${CARGO_TARGET_DIR:-$ROOT/target}/loadgen/bench"
