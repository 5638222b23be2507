#!/usr/bin/env bash
# Runs the whole product in ONE `wrangler pages dev` process: the frontend and
# every service worker, with local D1/Queues/Durable Objects persisted in $STATE_DIR.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
PORT=${PORT:-8788}
INSPECTOR_PORT=${INSPECTOR_PORT:-$((PORT + 1000))}

# The workers' .dev.vars are one file per checkout, read once when wrangler
# starts: a test stack starting meanwhile (tests/e2e/src/stack.rs) waits for its turn.
# The lock stays with the watcher below until the site answers; wrangler
# itself does not keep it.
exec 9>"$STACK_START_LOCK"
flock 9
write_worker_dev_vars
migrate_local
mapfile -t args < <(pages_dev_args)
log "starting on http://127.0.0.1:$PORT (state in ${STATE_DIR#$ROOT/})"
( # Print the URL once the site answers; wrangler's own banner lists bindings too.
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && { log "ready: http://127.0.0.1:$PORT"; exit; }
    sleep 0.2
  done
) &
exec "$WRANGLER" "${args[@]}" --ip 127.0.0.1 --port "$PORT" --inspector-port "$INSPECTOR_PORT" \
  --persist-to "$STATE_DIR" 9>&-
