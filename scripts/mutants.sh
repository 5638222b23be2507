#!/usr/bin/env bash
# `make mutants`: mutation testing of the native crates (domain, edge, pages).
# cargo-mutants breaks the code one small change at a time and runs that
# crate's unit tests; a change no test notices is "missed". Settings and the
# mutants we skip on purpose, each with its reason: .cargo/mutants.toml.
# The full report is in target/mutants/mutants.out (missed.txt, caught.txt,
# outcomes.json); the last line printed is the summary.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"

want_mutants=27.1.0
cargo mutants --version 2>/dev/null | grep -q " $want_mutants\$" \
  || { log "installing cargo-mutants $want_mutants (a few minutes, once)"; cargo install cargo-mutants --version "$want_mutants" --locked; }

out="$ROOT/target/mutants"
mkdir -p "$out"
started=$(date +%s)
# cargo-mutants builds in a scratch copy of the tree; this target folder
# outlives the copy, so the dependencies are compiled once, not every run.
# One job: the machine has two cores and each build already uses them.
status=0
CARGO_TARGET_DIR="$out/build" cargo mutants --package domain --package edge --package pages \
  --jobs 1 --output "$out" --colors never || status=$?
# cargo-mutants exits 2 when mutants were missed and 3 on timeouts: both are
# results, reported below. Anything else (a failing baseline, a bad option) is not.
case $status in 0|2|3) ;; *) log "cargo-mutants failed (exit $status)"; exit "$status" ;; esac

log "took $(( $(date +%s) - started )) s; missed mutants: $out/mutants.out/missed.txt"
jq -r '"mutants: \(.caught) caught, \(.missed) missed, \(.unviable) unviable, \(.timeout) timeouts"' \
  "$out/mutants.out/outcomes.json"
