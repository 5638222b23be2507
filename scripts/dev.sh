#!/usr/bin/env bash
# `make dev`: the whole product in ONE `wrangler pages dev` process, run by
# tools/stack/src/bin/dev.rs (PORT, STATE_DIR and the setting overrides it takes).
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo build -q -p stack --bin dev
exec "${CARGO_TARGET_DIR:-$ROOT/target}/debug/dev"
