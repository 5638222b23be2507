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
# bench start never touch it: they get STACK_STATE_DIR (see start_stack).
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

# make_state_template: a state folder with every D1 migration applied, which
# each start_stack after it copies instead of migrating again (the migrations
# are 4 wrangler runs, about 8 s of CPU: most of a stack's start). Sets and
# exports STACK_STATE_TEMPLATE; drop_state_template deletes it.
make_state_template() {
  STACK_STATE_TEMPLATE=$(mktemp -d "$(stack_state_parent)/ticketing-template.XXXXXX")
  export STACK_STATE_TEMPLATE
  # One after another: with wrangler 4.168 (not 4.86) the databases of one
  # state folder share a metadata.sqlite, and migrations side by side fail
  # with SQLITE_BUSY or on a folder another run is still creating.
  migrate_local "$STACK_STATE_TEMPLATE" || { log "migrating the stacks' state template failed"; return 1; }
}

drop_state_template() {
  [ -z "${STACK_STATE_TEMPLATE:-}" ] || rm -rf "$STACK_STATE_TEMPLATE"
  STACK_STATE_TEMPLATE=
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
# [vars] (`EXPIRATION_WINDOW_SECONDS=3 make dev`): the payment and 3-D Secure windows
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

# free_ports <n> [port to avoid...]: n distinct free loopback ports, none of
# them one to avoid. All n are held open together while they are picked, so
# they differ from each other; a port is only free until someone binds it,
# which is why start_stack retries on a collision.
free_ports() {
  python3 - "$@" <<'PY'
import socket, sys
n, avoid = int(sys.argv[1]), {int(p) for p in sys.argv[2:]}
held = []
while len(held) < n:
    s = socket.socket(); s.bind(("127.0.0.1", 0))
    if s.getsockname()[1] in avoid: continue
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# lasting_ports <n>: n distinct free loopback ports below the kernel's
# ephemeral range, for a port chosen long before it is bound (the Stripe
# stub's: the stack is configured with it, the tests bind it minutes later).
# An ephemeral port can be handed to any outgoing connection meanwhile (the
# tests make thousands); one below the range is only taken by an explicit bind.
lasting_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
# (An unusual range that starts low: any unprivileged port, as free_ports.)
candidates = range(10000, low) if low > 11000 else range(1024, 65536)
held = []
for port in random.sample(candidates, len(candidates)):
    if len(held) == n:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# Where test and bench stacks keep their state: in memory (/dev/shm) when the
# machine has it. Locally every Durable Object and D1 database is an SQLite
# file, synced to disk at each commit; on this kind of VM that disk wait was
# 40% of a reservation's time in `make bench` and slows every test. Nothing
# of a test stack has to outlive the machine (a restart test keeps its state
# across a server restart, which memory does). STACK_STATE_PARENT overrides.
stack_state_parent() {
  if [ -n "${STACK_STATE_PARENT:-}" ]; then echo "$STACK_STATE_PARENT"
  elif [ -d /dev/shm ] && [ -w /dev/shm ]; then echo /dev/shm
  else echo "${TMPDIR:-/tmp}"
  fi
}

# Held by whoever writes the workers' .dev.vars, until the stack that reads
# them answers (start_stack, and scripts/dev.sh).
STACK_START_LOCK="${TMPDIR:-/tmp}/ticketing-stack-start.lock"

# start_stack <log> [--same-state]: starts the whole product in the
# background on free ports and waits until it answers. Its state goes to a
# fresh temporary folder (a copy of STACK_STATE_TEMPLATE if there is one, else
# migrated there), or with --same-state to the one the previous
# start_stack made (to restart on the same state); never to the developer's
# STATE_DIR. Ports in AVOID_PORTS (e.g. the Stripe stub's) are not used. Sets
# STACK_PORT, STACK_PID and STACK_STATE_DIR; stop_stack ends the stack.
start_stack() {
  # Each worker's .dev.vars is one file per checkout, which wrangler reads once,
  # at start: stacks starting side by side (scripts/test.sh's lanes, the crash
  # test's restart) take turns, from writing it until their stack answers.
  local status=0
  exec 9>"$STACK_START_LOCK"
  flock 9
  start_stack_now "$@" || status=$?
  exec 9>&-
  return "$status"
}

# start_stack_now: start_stack without waiting for its turn.
start_stack_now() {
  local logfile=$1 attempt inspector_port
  if [ "${2:-}" = --same-state ]; then
    [ -d "${STACK_STATE_DIR:-}" ] || { log "start_stack --same-state: no previous stack state"; return 1; }
  else
    STACK_STATE_DIR=$(mktemp -d "$(stack_state_parent)/ticketing-state.XXXXXX")
  fi
  mkdir -p "$(dirname "$logfile")"  # target/ is absent when CARGO_TARGET_DIR points elsewhere
  write_worker_dev_vars
  if [ "${2:-}" = --same-state ]; then
    :  # migrated when it was first started
  elif [ -n "${STACK_STATE_TEMPLATE:-}" ]; then
    cp -a "$STACK_STATE_TEMPLATE/." "$STACK_STATE_DIR/"
  else
    migrate_local "$STACK_STATE_DIR"
  fi
  mapfile -t args < <(pages_dev_args)
  # Another process can take a port between picking and binding it: then
  # wrangler exits, and the start is tried again on new ports.
  for attempt in 1 2 3; do
    read -r STACK_PORT inspector_port < <(free_ports 2 ${AVOID_PORTS:-})
    # setsid: wrangler leads its own process group, so stopping it by PID also
    # ends the workerd it spawned.
    (cd "$ROOT" && exec setsid "$WRANGLER" "${args[@]}" --ip 127.0.0.1 --port "$STACK_PORT" \
       --inspector-port "$inspector_port" --persist-to "$STACK_STATE_DIR" >"$logfile" 2>&1 9>&-) &
    STACK_PID=$!
    for _ in $(seq 1 300); do
      curl -sf -o /dev/null "http://127.0.0.1:$STACK_PORT/api/users/currentuser" && return 0
      kill -0 "$STACK_PID" 2>/dev/null || break
      sleep 0.2
    done
    log "the stack did not start (attempt $attempt); its log:"; tail -20 "$logfile" >&2
    stop_stack --keep-state
  done
  return 1
}

# stop_stack [--keep-state]: ends the stack start_stack started, if it runs,
# and deletes its STACK_STATE_DIR unless --keep-state (for a restart on it).
# It deletes nothing else: the developer's STATE_DIR is never touched.
stop_stack() {
  if [ -n "${STACK_PID:-}" ]; then
    kill -TERM -- "-$STACK_PID" 2>/dev/null || kill -TERM "$STACK_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$STACK_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$STACK_PID" 2>/dev/null || true
    STACK_PID=
  fi
  if [ "${1:-}" != --keep-state ] && [ -n "${STACK_STATE_DIR:-}" ]; then
    rm -rf "$STACK_STATE_DIR"
    STACK_STATE_DIR=
  fi
}

jwt_key() { grep '^JWT_KEY=' "$ROOT/.dev.vars" | head -1 | cut -d= -f2-; }
