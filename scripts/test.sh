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
# The payment window, in seconds, of the stacks that test expiry: short, so that
# orders expire during the run. Those stacks get it as EXPIRATION_WINDOW_SECONDS
# and their tests as TICKETING_EXPIRATION_WINDOW_SECONDS; nothing waits a fixed
# time that assumes it.
short_window=3

# run_e2e <port> <stack log> <cargo test args...>: black-box tests against the
# stack on <port>; on a failure, the stack's last log lines, and exit.
run_e2e() {
  local port=$1 stack_log=$2; shift 2
  if ! TICKETING_BASE_URL="http://127.0.0.1:$port" TICKETING_JWT_KEY="$(jwt_key)" \
       TICKETING_EXPIRATION_WINDOW_SECONDS="${EXPIRATION_WINDOW_SECONDS:-900}" cargo test -p e2e --quiet "$@"; then
    log "tests failed; the stack's log is $stack_log (last lines below)"
    tail -30 "$stack_log" >&2
    exit 1
  fi
}

# run_against_stack <name> <cargo test args...>: a fresh stack (own port, own
# state folder) for one group of black-box tests, stopped afterwards.
run_against_stack() {
  local name=$1; shift
  local port stack_log="$ROOT/target/test-stack-$name.log"
  port=$(free_port)
  log "$name: starting a stack on http://127.0.0.1:$port"
  start_stack "$port" "$stack_log"
  run_e2e "$port" "$stack_log" "$@"
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
EXPIRATION_WINDOW_SECONDS=$short_window PAYMENT_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$stub_port" \
  STRIPE_SECRET_KEY=sk_test_stub STRIPE_WEBHOOK_SECRET="$TICKETING_STRIPE_WEBHOOK_SECRET" \
  run_against_stack "expiry-and-stripe" --test expiry --test stripe

# Alarms are persisted: an order whose deadline passes while the server is
# down expires when it comes back. Two phases around a restart on the same
# state; the first writes the order, with its deadline, to a handoff file.
restart_check() {
  local port log_before="$ROOT/target/test-stack-restart-before.log" log_after="$ROOT/target/test-stack-restart-after.log"
  local -x EXPIRATION_WINDOW_SECONDS=$short_window TICKETING_RESTART_HANDOFF
  local deadline_ms
  port=$(free_port); TICKETING_RESTART_HANDOFF=$(mktemp)
  log "restart: placing an order, then stopping the server before it expires"
  start_stack "$port" "$log_before"
  run_e2e "$port" "$log_before" --test restart -- --exact an_order_placed_before_a_restart
  stop_stack --keep-state
  deadline_ms=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["expiresAtMs"])' "$TICKETING_RESTART_HANDOFF")
  if (( $(date +%s%3N) >= deadline_ms )); then
    log "restart: the order's deadline passed before the server was down, so nothing would be tested"
    exit 1
  fi
  log "restart: waiting, with the server down, for the order's deadline to pass"
  while (( $(date +%s%3N) <= deadline_ms )); do sleep 0.1; done
  log "restart: starting again on the same state"
  start_stack "$port" "$log_after" --same-state
  run_e2e "$port" "$log_after" --test restart -- --exact expires_after_the_restart
  stop_stack
  rm -f "$TICKETING_RESTART_HANDOFF"
}
restart_check

log "all tests passed in $(( $(date +%s) - started )) s"
