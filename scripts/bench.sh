#!/usr/bin/env bash
# `make bench`: builds, starts a fresh stack, measures it under load, prints the
# figures, each worker's size and start-up CPU against their limits
# (tests/e2e/src/bin/worker-sizes.rs), and stops the stack.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh
# Sizes are those of the release build, which a deploy ships.
scripts/build.sh
log "size and start-up CPU per worker (release build); the largest's profile"
command -v twiggy >/dev/null || { log "installing twiggy (a few minutes, once)"; tool_install twiggy --locked; }
cargo run -q -p e2e --bin worker-sizes || over_limit=1
# The stack runs with the test-only routes (Cargo feature test-hooks), as `make test` builds.
BUILD_FEATURES=test-hooks scripts/build.sh
log "compiling the load generator"
cargo build --profile loadgen -p e2e --bin bench --quiet

# The load generator starts its own stack (tools/stack/src/lib.rs, settings
# "bench"), stopped when it ends; EXPIRATION_WINDOW_SECONDS, MAX_OPEN_ORDERS
# and MAX_OPEN_ORDERS_PER_ADDRESS override its settings.
TICKETING_ROOT=$ROOT "${CARGO_TARGET_DIR:-$ROOT/target}/loadgen/bench"
[ -z "${over_limit:-}" ] || { log "a worker is over its size or start-up limit (above)"; exit 1; }
