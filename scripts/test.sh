#!/usr/bin/env bash
# Every test: formatting, lints, native unit tests, the builds, then the
# black-box suite, whose stacks, lanes and order the Rust runner owns
# (tests/e2e/src/bin/run-tests.rs). Arguments select stacks or test files:
# `scripts/test.sh restart streamed_bodies`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)

# E2E_ONLY=1 (used by scripts/mutants-e2e.sh): only the black-box tests.
if [ -z "${E2E_ONLY:-}" ]; then
  scripts/setup.sh --browser
  log "cargo fmt --check"
  cargo fmt --all --check
  log "cargo clippy -D warnings (release and test-hooks builds)"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  cargo clippy --workspace --all-targets --quiet \
    --features auth/test-hooks,tickets/test-hooks,orders/test-hooks,payments/test-hooks -- -D warnings
  log "native unit tests"
  cargo test --workspace --exclude e2e --quiet
fi

# The release build, kept in build-cache/release/ (what a deploy ships,
# tested beside the stacks), then the test build in build/ with the
# test-only routes (Cargo feature test-hooks), which the stacks serve.
scripts/build.sh --release-only
BUILD_FEATURES=test-hooks scripts/build.sh
log "compiling the black-box tests, their runner and the deploy tool"
cargo test -p e2e --no-run --quiet
cargo build -p e2e --bin run-tests --quiet
cargo build -p deploy --quiet
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/run-tests" "$@"
log "all tests passed in $(( $(date +%s) - started )) s"
