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
WRANGLER="$ROOT/node_modules/.bin/wrangler"
# Service workers, in the order their configs are given to `pages dev`.
WORKERS=(auth tickets orders payments)
# D1 databases and the worker config that owns each: "<database> <config>".
DATABASES=(
  "ticketing-users workers/auth/wrangler.toml"
  "ticketing-tickets workers/tickets/wrangler.toml"
  "ticketing-orders workers/orders/wrangler.toml"
  "ticketing-payments workers/payments/wrangler.toml"
)
# The developer's local state (D1, Durable Objects, queues) for `make dev`: it
# persists across restarts; `make reset` wipes it. The stacks that tests and the
# bench start never touch it (tests/e2e/src/stack.rs).
STATE_DIR=${STATE_DIR:-$ROOT/.state}

# The build tools run a few seconds per build: compile them for speed of
# compiling, not of running (about a fifth less time: 4 min 7 s -> 3 min 14 s
# for worker-build on two cores). cargo install shows its progress.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false cargo install "$@"
}

log() { printf '\033[1m==> %(%T)T %s\033[0m\n' -1 "$*" >&2; }

# `wrangler pages dev` for the whole product: the Pages config (root wrangler.toml)
# first, then every service worker's config. `--binding` reaches the Pages worker
# only: it tells the pay form which provider the payments worker runs, so that
# it offers test cards with the local one only, and passes on a
# STRIPE_PUBLISHABLE_KEY from the environment (Stripe Elements; the root
# .dev.vars, which the Pages worker reads itself, may hold one too).
pages_dev_args() {
  local args=(pages dev -c wrangler.toml)
  for w in "${WORKERS[@]}"; do args+=(-c "workers/$w/wrangler.toml"); done
  args+=(--binding "PAYMENT_PROVIDER=$(local_payment_provider)")
  [ -z "${STRIPE_PUBLISHABLE_KEY:-}" ] || args+=(--binding "STRIPE_PUBLISHABLE_KEY=$STRIPE_PUBLISHABLE_KEY")
  printf '%s\n' "${args[@]}"
}

# migrate_local [state dir]: applies the D1 migrations to a state folder (STATE_DIR by default).
migrate_local() {
  local dir=${1:-$STATE_DIR}
  for entry in "${DATABASES[@]}"; do
    read -r db config <<<"$entry"
    (cd "$ROOT" && CI=true "$WRANGLER" d1 migrations apply "$db" --local -c "$config" --persist-to "$dir" >/dev/null) \
      || { log "migrating $db failed"; return 1; }
  done
}

# The payment provider of a local run: PAYMENT_PROVIDER from the environment,
# else from the root .dev.vars, else `local` (offline; test cards approve). The
# committed config says `stripe`: `local` exists only in local runs.
local_payment_provider() {
  local from_file
  from_file=$( (sed -n 's/^PAYMENT_PROVIDER=//p' "$ROOT/.dev.vars" 2>/dev/null || true) | tail -1 | tr -d "\"' ")
  echo "${PAYMENT_PROVIDER:-${from_file:-local}}"
}

# Settings a local run may take from the environment instead of the configs'
# [vars] (the test stacks' list is OVERRIDES in tests/e2e/src/stack.rs) (`EXPIRATION_WINDOW_SECONDS=3 make dev`): the payment and 3-D Secure windows
# and the lost-payment timeout, the abuse limits (docs/security.md), how long
# consumers retry before an event becomes a dead letter, and the operator's
# token (docs/events.md).
LOCAL_OVERRIDES=(
  EXPIRATION_WINDOW_SECONDS MAX_OPEN_ORDERS
  SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS SIGNIN_FAILURES_PER_EMAIL
  SIGNIN_FAILURE_WINDOW_SECONDS AUTH_REQUESTS_PER_ADDRESS_PER_MINUTE
  DEAD_LETTER_AFTER_SECONDS ADMIN_TOKEN AUTHENTICATION_WINDOW_SECONDS
  PAYMENT_TIMEOUT_SECONDS MAX_OPEN_ORDERS_PER_ADDRESS REHOLD_COOLDOWN_SECONDS
  DECLINES_PER_BUYER_PER_HOUR DECLINES_PER_ORDER_PER_HOUR DECLINES_PER_ADDRESS_PER_HOUR
  LIVE_SOCKETS_PER_ADDRESS_PER_MINUTE DEAD_LETTER_RETENTION_DAYS
)

# The lines of .dev.vars.example whose name the root .dev.vars lacks: a
# .dev.vars made before a secret was added (PASSWORD_PEPPER) still runs.
example_vars_missing_from_dev_vars() {
  local line
  grep -E '^[A-Z_]+=' "$ROOT/.dev.vars.example" | while IFS= read -r line; do
    grep -q "^${line%%=*}=" "$ROOT/.dev.vars" || echo "$line"
  done
}

# wrangler reads each worker's secrets from a .dev.vars beside its config:
# write them from the root .dev.vars, plus the settings a run may override
# (EXPIRATION_WINDOW_SECONDS=3 make dev). Later lines win.
write_worker_dev_vars() {
  local w name provider
  provider=$(local_payment_provider)
  for w in "${WORKERS[@]}"; do
    local file="$ROOT/workers/$w/.dev.vars"
    rm -f "$file"
    { example_vars_missing_from_dev_vars; cat "$ROOT/.dev.vars"; echo
      # Set but empty is written too: it blanks the root .dev.vars' value (the
      # `release` test stack runs with no ADMIN_TOKEN).
      for name in "${LOCAL_OVERRIDES[@]}"; do
        [ -z "${!name+set}" ] || echo "$name=${!name}"
      done
      echo "PAYMENT_PROVIDER=$provider"
      # Stripe overrides (the Stripe adapter's tests point it at a stub). Set
      # but empty is written too: it blanks a key the root .dev.vars has
      # (the `release` test stack runs with no secret key).
      for name in STRIPE_API_BASE STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET; do
        [ -z "${!name+set}" ] || echo "$name=${!name}"
      done
    } >"$file"
  done
}

# Held by whoever writes the workers' .dev.vars, until the stack that reads
# them answers (scripts/dev.sh, and the test stacks: tests/e2e/src/stack.rs).
STACK_START_LOCK="${TMPDIR:-/tmp}/ticketing-stack-start.lock"

