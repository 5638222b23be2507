#!/usr/bin/env bash
# `make mutants-e2e`: each deliberate break of tests/e2e/src/bin/mutants-e2e.rs
# in turn, against the black-box suite.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh --browser
cargo build -q -p e2e --bin mutants-e2e
exec "${CARGO_TARGET_DIR:-$ROOT/target}/debug/mutants-e2e"
