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

trap stop_stack EXIT
# run_against_stack <name> <cargo test args...>: a fresh stack (own port, own
# state folder) for one group of black-box tests, stopped afterwards.
run_against_stack() {
  local name=$1; shift
  local port stack_log="$ROOT/target/test-stack-$name.log"
  port=$(free_port)
  log "$name: starting a stack on http://127.0.0.1:$port"
  start_stack "$port" "$stack_log"
  if ! TICKETING_BASE_URL="http://127.0.0.1:$port" TICKETING_JWT_KEY="$(jwt_key)" \
       TICKETING_EXPIRATION_WINDOW_SECONDS="${EXPIRATION_WINDOW_SECONDS:-900}" cargo test -p e2e --quiet "$@"; then
    log "$name tests failed; the stack's log is $stack_log (last lines below)"
    tail -30 "$stack_log" >&2
    exit 1
  fi
  stop_stack
}

# TEST_HOOKS=1 enables the route that injects events into the real queues.
TEST_HOOKS=1 run_against_stack "api-and-browser" \
  --test auth_api --test tickets_api --test orders_api --test stampede --test events --test payments_api --test browser
# Expiry and the expiry/payment race need a short payment window, and the Stripe
# adapter's tests a stub of Stripe's API (run by the tests on this port), so they
# get a stack of their own.
stub_port=$(free_port)
export TICKETING_STRIPE_STUB_PORT=$stub_port TICKETING_STRIPE_WEBHOOK_SECRET="whsec_test_$RANDOM$RANDOM"
EXPIRATION_WINDOW_SECONDS=2 PAYMENT_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$stub_port" \
  STRIPE_SECRET_KEY=sk_test_stub STRIPE_WEBHOOK_SECRET="$TICKETING_STRIPE_WEBHOOK_SECRET" \
  run_against_stack "expiry-and-stripe" --test expiry --test stripe
# Alarms are persisted: an order whose deadline passes while the server is
# down expires when it comes back. Two phases around a restart on the same state.
restart_check() {
  local port stack_log="$ROOT/target/test-stack-restart.log" handoff
  port=$(free_port); handoff=$(mktemp)
  export TICKETING_BASE_URL="http://127.0.0.1:$port" TICKETING_JWT_KEY="$(jwt_key)" TICKETING_RESTART_HANDOFF=$handoff
  log "restart: placing an order, then stopping the server before it expires"
  EXPIRATION_WINDOW_SECONDS=3 start_stack "$port" "$stack_log"
  cargo test -p e2e --quiet --test restart -- --exact an_order_placed_before_a_restart
  stop_stack --keep-state
  sleep 4
  log "restart: starting again on the same state"
  EXPIRATION_WINDOW_SECONDS=3 start_stack "$port" "$stack_log" --same-state
  cargo test -p e2e --quiet --test restart -- --exact expires_after_the_restart
  stop_stack
  rm -f "$handoff"
}
restart_check

log "all tests passed in $(( $(date +%s) - started )) s"
