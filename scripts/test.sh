#!/usr/bin/env bash
# Every test: formatting, lints, native unit tests, then the black-box API and
# browser tests against a freshly started stack (own port, own state folder),
# which is stopped afterwards whatever happens.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)

# The crates with test-only routes, for the lints of the test build.
TEST_HOOKS=auth/test-hooks,tickets/test-hooks,orders/test-hooks,payments/test-hooks
# The operator's token of every test stack (the release stack blanks it).
export ADMIN_TOKEN="admin-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

# E2E_ONLY=1 (used by scripts/mutants-e2e.sh): only the black-box tests.
if [ -z "${E2E_ONLY:-}" ]; then
  scripts/setup.sh --browser
  log "cargo fmt --check"
  cargo fmt --all --check
  log "cargo clippy -D warnings (release and test-hooks builds)"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  cargo clippy --workspace --all-targets --quiet --features "$TEST_HOOKS" -- -D warnings
  log "native unit tests"
  cargo test --workspace --exclude e2e --quiet
fi

# The release build first, kept in build-cache/release/ (what a deploy ships,
# tested beside the stacks below), then the test build in build/: with the
# test-only routes (Cargo feature test-hooks), which the stacks serve. The
# `release` stack serves the release build last.
scripts/build.sh --release-only
BUILD_FEATURES=test-hooks scripts/build.sh
log "compiling the black-box tests and the deploy tool"
cargo test -p e2e --no-run --quiet
cargo build -p deploy --quiet

trap 'stop_stack; drop_state_template' EXIT
log "migrating one state folder, which every test stack starts from a copy of"
make_state_template
# The payment window, in seconds, of the stacks that test expiry: short, so that
# orders expire during the run. Those stacks get it as EXPIRATION_WINDOW_SECONDS
# and their tests as TICKETING_EXPIRATION_WINDOW_SECONDS; nothing waits a fixed
# time that assumes it. The other stacks keep the default 15 minutes, so no
# test there races a deadline.
short_window=3

# run_e2e <stack log> <cargo test args...>: black-box tests against the stack
# on STACK_PORT; on a failure, the stack's last log lines, and exit. A test
# binary that ran no test fails too: a misspelt or renamed test name must not
# pass silently.
run_e2e() {
  local stack_log=$1 output; shift
  output=$(mktemp)
  # No STACK_PORT for the deploy tests: they run no stack.
  if ! TICKETING_BASE_URL="http://127.0.0.1:${STACK_PORT:-0}" TICKETING_JWT_KEY="$(jwt_key)" \
       TICKETING_EXPIRATION_WINDOW_SECONDS="${EXPIRATION_WINDOW_SECONDS:-900}" \
       TICKETING_PAYMENT_TIMEOUT_SECONDS="${PAYMENT_TIMEOUT_SECONDS:-60}" \
       TICKETING_ADMIN_TOKEN="$ADMIN_TOKEN" TICKETING_DEAD_LETTER_AFTER_SECONDS="${DEAD_LETTER_AFTER_SECONDS:-1200}" \
       cargo test -p e2e --quiet "$@" 2>&1 | tee "$output"; then
    log "tests failed; the stack's log is $stack_log (last lines below)"
    tail -30 "$stack_log" >&2
    exit 1
  fi
  if grep -q '^running 0 tests' "$output"; then
    log "cargo test $* ran no test in one of its binaries: a test name matched nothing"
    exit 1
  fi
  rm -f "$output"
}

# Every file in tests/e2e/tests runs: each names the stack it needs on a line
# `//! Stack: <name>`, and a file that names none (or an unknown one) fails
# the run, so a new file cannot be forgotten.
declare -A tests_on
for file in tests/e2e/tests/*.rs; do
  stack=$(sed -n 's|^//! Stack: \([a-z]*\).*|\1|p' "$file" | head -1)
  case $stack in
    api|faults|stripe|expiry|release|restart|crash|deploy) tests_on[$stack]="${tests_on[$stack]:-} --test $(basename "$file" .rs)" ;;
    *) log "$file names no stack: add a line '//! Stack: api|faults|stripe|expiry|release|restart|crash|deploy'"; exit 1 ;;
  esac
done

# run_stack <name>: a fresh stack (own ports, own state folder) for the test
# files that name it, stopped afterwards.
run_stack() {
  local name=$1 stack_log="$ROOT/target/test-stack-$1.log"
  [ -n "${tests_on[$name]:-}" ] || return 0
  start_stack "$stack_log"
  log "$name: tests against http://127.0.0.1:$STACK_PORT:${tests_on[$name]}"
  # shellcheck disable=SC2086 # the --test flags are meant to split
  run_e2e "$stack_log" ${tests_on[$name]}
  stop_stack
}

# api and faults: the local provider; the test build's route injects events
# into the real queues. Their consumers give up on an event after seconds,
# not 20 minutes, so the dead-letter tests can see one die. The fault
# switches count down on any call, so the fault tests get a stack of their own.
local_provider_stack() { ( trap stop_stack EXIT; export DEAD_LETTER_AFTER_SECONDS=8; run_stack "$1" ); }

# stripe and expiry: the Stripe provider pointed at a stub of Stripe's API,
# which the tests run on a port of their lane (below). Its own stack each: the
# adapter's tests with the default window, expiry and the expiry/payment race
# with the short one.
stub_ports=$(lasting_ports 2)
read -r stub_port_one stub_port_two <<<"$stub_ports"
export AVOID_PORTS="$stub_port_one $stub_port_two" TICKETING_STRIPE_WEBHOOK_SECRET="whsec_test_$RANDOM$RANDOM"
# with_stripe_stub <port>: the Stripe provider, its API at the stub on <port>.
# The pages get a publishable key, so they render Stripe Elements under the
# content policy that lets Stripe.js in (no browser runs there: it is offline).
with_stripe_stub() {
  export TICKETING_STRIPE_STUB_PORT=$1 PAYMENT_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$1" \
    STRIPE_SECRET_KEY=sk_test_stub STRIPE_WEBHOOK_SECRET="$TICKETING_STRIPE_WEBHOOK_SECRET" \
    STRIPE_PUBLISHABLE_KEY=pk_test_stub
}
# Subshells, so each stack's settings stay its own; each stops its stack.
stripe_stack() { ( trap stop_stack EXIT; with_stripe_stub "$1"; run_stack stripe ); }
# A lost-payment timeout longer than the stub's slow charge (5 s).
expiry_stack() { ( trap stop_stack EXIT; with_stripe_stub "$1"; export EXPIRATION_WINDOW_SECONDS=$short_window AUTHENTICATION_WINDOW_SECONDS=5 PAYMENT_TIMEOUT_SECONDS=8; run_stack expiry ); }

# restart: alarms are persisted, so an order whose deadline passes while the
# server is down expires when it comes back. Two phases around a restart on
# the same state; the first writes the order, with its deadline, to a handoff
# file.
restart_check() {
  local log_before="$ROOT/target/test-stack-restart-before.log" log_after="$ROOT/target/test-stack-restart-after.log"
  local -x EXPIRATION_WINDOW_SECONDS=$short_window TICKETING_RESTART_HANDOFF
  local deadline_ms
  TICKETING_RESTART_HANDOFF=$(mktemp)
  log "restart: placing an order, then stopping the server before it expires"
  start_stack "$log_before"
  run_e2e "$log_before" --test restart -- --exact an_order_placed_before_a_restart
  stop_stack --keep-state
  deadline_ms=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["expiresAtMs"])' "$TICKETING_RESTART_HANDOFF")
  if (( $(date +%s%3N) >= deadline_ms )); then
    log "restart: the order's deadline passed before the server was down, so nothing would be tested"
    exit 1
  fi
  log "restart: waiting, with the server down, for the order's deadline to pass"
  while (( $(date +%s%3N) <= deadline_ms )); do sleep 0.1; done
  log "restart: starting again on the same state"
  start_stack "$log_after" --same-state
  run_e2e "$log_after" --test restart -- --exact expires_after_the_restart
  stop_stack
  rm -f "$TICKETING_RESTART_HANDOFF"
}

# crash: a Stripe stack with the short window, which the crash test kills
# with SIGKILL in the middle of a sale and starts again on the same state
# (scripts/restart-stack.sh); the restarted stack is stopped here. A payment
# the kill cut off is given up on after 10 s, not the default minute.
# It runs in a subshell: these variables end with it.
crash_check() {
  local log_before="$ROOT/target/test-stack-crash-before.log"
  export TICKETING_CRASH_LOG="$ROOT/target/test-stack-crash-after.log" TICKETING_CRASH_PIDFILE
  export TICKETING_STACK_PID TICKETING_STACK_STATE_DIR
  TICKETING_CRASH_PIDFILE=$(mktemp)
  start_stack "$log_before"
  TICKETING_STACK_PID=$STACK_PID TICKETING_STACK_STATE_DIR=$STACK_STATE_DIR
  log "crash: a sale, killed half-way with SIGKILL, then a restart on the same state"
  stop_restarted() {
    local pid; pid=$(cat "$TICKETING_CRASH_PIDFILE" 2>/dev/null || true)
    [ -z "$pid" ] || kill -TERM -- "-$pid" 2>/dev/null || true
    [ -z "$pid" ] || { sleep 1; kill -KILL -- "-$pid" 2>/dev/null || true; }
    stop_stack
  }
  trap stop_restarted EXIT
  # shellcheck disable=SC2086 # the --test flags are meant to split
  run_e2e "$TICKETING_CRASH_LOG" ${tests_on[crash]}
}
crash_stack() { ( with_stripe_stub "$1"; export EXPIRATION_WINDOW_SECONDS=$short_window PAYMENT_TIMEOUT_SECONDS=10; crash_check ); }

# deploy: the release build, checked offline as `wrangler deploy` would take
# it, then `make deploy` against a stub of Cloudflare's API (the test serves
# it; no stack runs). Both read the release build from build-cache/release/,
# so they run beside the stacks serving the test build.
lane_deploy() {
  log "make deploy-check"
  make --no-print-directory deploy-check
  [ -n "${tests_on[deploy]:-}" ] || return 0
  log "deploy: make deploy against a stub of Cloudflare's API:${tests_on[deploy]}"
  # shellcheck disable=SC2086 # the --test flags are meant to split
  run_e2e "$ROOT/target/deploy-test.log" ${tests_on[deploy]}
}

# The test-build stacks run in two lanes side by side, each its own ports,
# state and Stripe stub, and the deploy checks in a third: most of the
# stacks' time is waiting (deadlines, retries, the browser), not CPU. Each
# lane's output goes to its own file, shown when it ends; a lane stops at its
# first failure. The crash test runs after them, alone: locally a queue holds
# its messages in memory (miniflare's broker), so the kill loses events not
# yet consumed, and a stack sharing the CPU makes the consumers lag behind.
lane_one() { local_provider_stack api; stripe_stack "$stub_port_one"; restart_check; }
lane_two() { local_provider_stack faults; expiry_stack "$stub_port_two"; }
log "three lanes: api, stripe, restart | faults, expiry | deploy-check, deploy (output: target/test-lane-*.log)"
mkdir -p "$ROOT/target"  # absent when CARGO_TARGET_DIR points elsewhere
declare -A lane_pids
for lane in one two deploy; do
  ( trap stop_stack EXIT; "lane_$lane" ) >"$ROOT/target/test-lane-$lane.log" 2>&1 &
  lane_pids[$lane]=$!
done
failed=
for lane in one two deploy; do
  wait "${lane_pids[$lane]}" || failed="$failed $lane"
done
for lane in one two deploy; do
  log "lane $lane:"
  cat "$ROOT/target/test-lane-$lane.log"
done
[ -z "$failed" ] || { log "the tests of lane(s)$failed failed (see above)"; exit 1; }
crash_stack "$stub_port_one"

# release: the build `wrangler deploy` ships (no test-only code; `make dev`
# runs it too), with the committed settings (PAYMENT_PROVIDER=stripe) but no
# STRIPE_SECRET_KEY secret, as a deploy that forgot it. The empty value blanks
# a key the root .dev.vars may hold.
scripts/build.sh
( trap stop_stack EXIT; export PAYMENT_PROVIDER=stripe STRIPE_SECRET_KEY= ADMIN_TOKEN=; run_stack release )

log "all tests passed in $(( $(date +%s) - started )) s"
