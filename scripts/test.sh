#!/usr/bin/env bash
# Every test: formatting, lints, native unit tests, then the black-box API and
# browser tests against a freshly started stack (own port, own state folder),
# which is stopped afterwards whatever happens.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)

scripts/setup.sh --browser

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
log "native unit tests"
cargo test --workspace --exclude e2e --quiet

scripts/build.sh
log "compiling the black-box tests"
cargo test -p e2e --no-run --quiet

port=$(free_port)
stack_log="$ROOT/target/test-stack.log"
trap stop_stack EXIT
log "starting the stack on http://127.0.0.1:$port"
start_stack "$port" "$stack_log"

log "black-box tests (API and browser)"
if ! TICKETING_BASE_URL="http://127.0.0.1:$port" TICKETING_JWT_KEY="$(jwt_key)" cargo test -p e2e --quiet; then
  log "black-box tests failed; the stack's log is $stack_log (last lines below)"
  tail -30 "$stack_log" >&2
  exit 1
fi
log "all tests passed in $(( $(date +%s) - started )) s"
