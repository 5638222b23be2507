# Sourced by the other scripts: where the tools are, and the variables that let
# worker-build and wrangler work with no GitHub access and no Cloudflare account.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
export WRANGLER_SEND_METRICS=false
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
WRANGLER="$ROOT/node_modules/.bin/wrangler"
# Service workers, in the order their configs are given to `pages dev`.
WORKERS=(auth)
# D1 databases and the worker config that owns each: "<database> <config>".
DATABASES=("ticketing-users workers/auth/wrangler.toml")
# Local state (D1, Durable Objects, queues) lives here across restarts; `make reset` wipes it.
STATE_DIR=${STATE_DIR:-$ROOT/.state}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# `wrangler pages dev` for the whole product: the Pages config (root wrangler.toml)
# first, then every service worker's config.
pages_dev_args() {
  local args=(pages dev -c wrangler.toml)
  for w in "${WORKERS[@]}"; do args+=(-c "workers/$w/wrangler.toml"); done
  printf '%s\n' "${args[@]}"
}

migrate_local() {
  for entry in "${DATABASES[@]}"; do
    read -r db config <<<"$entry"
    (cd "$ROOT" && CI=true "$WRANGLER" d1 migrations apply "$db" --local -c "$config" --persist-to "$STATE_DIR" >/dev/null) \
      || { log "migrating $db failed"; return 1; }
  done
}
