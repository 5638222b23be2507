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

trap 'stop_stack; drop_state_template' EXIT
make_state_template
# A short payment window so that expiry lateness is measured in the same run.
export EXPIRATION_WINDOW_SECONDS=${EXPIRATION_WINDOW_SECONDS:-3}
# The fresh-holds scenario holds hundreds of tickets per buyer: it measures
# holds, not the abuse limit (MAX_OPEN_ORDERS, 5 by default).
export MAX_OPEN_ORDERS=${MAX_OPEN_ORDERS:-100000}
# Likewise the limit per client address (its buyers send CF-Connecting-IP).
export MAX_OPEN_ORDERS_PER_ADDRESS=${MAX_OPEN_ORDERS_PER_ADDRESS:-100000}
start_stack "$ROOT/target/bench-stack.log"
TICKETING_BASE_URL="http://127.0.0.1:$STACK_PORT" TICKETING_EXPIRATION_WINDOW_SECONDS=$EXPIRATION_WINDOW_SECONDS \
  "${CARGO_TARGET_DIR:-$ROOT/target}/loadgen/bench"
