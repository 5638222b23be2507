#!/usr/bin/env bash
# Builds every worker whose sources changed since its last build (release wasm,
# optimised with binaryen's wasm-opt), then lays out pages/dist for `pages dev`.
#
# BUILD_FEATURES=test-hooks (set by `make test` and `make bench` only) builds
# the crates that declare that Cargo feature with it: the test-only routes.
# Each build records its features in build/.features, so a build with other
# features counts as stale and the release build never keeps test code.
#
# --release-only (`make deploy`, `make deploy-check`): only makes sure each
# crate's release build is current in <crate>/build-cache/release/, which is
# what a deploy ships; build/ and pages/dist are left as they are when it is,
# so a deploy can run beside test stacks that serve the test build.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
BUILD_FEATURES=${BUILD_FEATURES:-}
release_only=
if [ "${1:-}" = --release-only ]; then release_only=1; BUILD_FEATURES=; fi

features_of() { # features_of <crate dir>: the BUILD_FEATURES this crate declares
  local feature wanted=()
  for feature in $BUILD_FEATURES; do
    grep -q "^$feature = " "$1/Cargo.toml" && wanted+=("$feature")
  done
  echo "${wanted[*]:-}"
}

stale() { # stale <crate dir> [build dir]: true when built with other features, or any input is newer
  local build=${2:-$1/build}
  local out="$build/index_bg.wasm"
  [ -f "$out" ] || return 0
  # No record of its features: not ours (a worker-build run by hand), so rebuilt.
  [ -f "$build/.features" ] || return 0
  [ "$(cat "$build/.features")" = "$(features_of "$1")" ] || return 0
  [ -n "$(find "$1/src" "$1/Cargo.toml" shared Cargo.lock Cargo.toml -newer "$out" -type f -print -quit)" ]
}

# Each feature set's last build is kept in <crate>/build-cache/<features>/:
# `make test` builds with test-hooks, then the release build, so without it
# every run would build every worker twice even when no source changed.
cache_of() { # cache_of <crate dir>: where its build with the current features is kept
  local features; features=$(features_of "$1")
  echo "$1/build-cache/${features:-release}" | tr ' ' '+'
}

# worker-build always keeps the wasm name section (~80 KB of function names, for
# stack traces). Our workers answer errors without panicking, so ship without it.
strip_names() {
  local features=(mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)
  "$WASM_OPT_BIN" "$1" -o "$1.stripped" --strip-debug --strip-producers "${features[@]/#/--enable-}"
  mv "$1.stripped" "$1"
}

keep_in_cache() { # keep_in_cache <crate dir> <cache dir>: a copy of build/ in the cache
  rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -a "$1/build" "$2"
}

for crate in "${WORKERS[@]/#/workers/}" pages; do
  cache=$(cache_of "$crate")
  if [ -n "$release_only" ] && ! stale "$crate" "$cache"; then
    continue
  elif stale "$crate" && ! stale "$crate" "$cache"; then
    log "$crate: the cached build with $(sed 's/^$/no test features/' "$cache/.features")"
    rm -rf "$crate/build" && cp -a "$cache" "$crate/build"
  elif stale "$crate"; then
    features=$(features_of "$crate")
    log "building $crate${features:+ with features: $features}"
    rm -f "$crate/build/.features"
    if [ -n "$features" ]; then
      (cd "$crate" && worker-build --release --features "$features")
    else
      (cd "$crate" && worker-build --release)
    fi
    # A copy with the names, for the size profile `make bench` prints (twiggy).
    cp "$crate/build/index_bg.wasm" "$crate/build/index_bg.named.wasm"
    strip_names "$crate/build/index_bg.wasm"
    echo "$features" >"$crate/build/.features"
    keep_in_cache "$crate" "$cache"
  elif stale "$crate" "$cache"; then
    keep_in_cache "$crate" "$cache"  # build/ is current; its kept copy was not
  fi
done

# Pages advanced mode: the worker in dist/_worker.js/, static files beside it
# (the Pages crate has no test-only feature: its build is always the release
# one). Replaced only when it changed: a running `pages dev` serves it.
dist=$(mktemp -d pages/.dist.XXXXXX)
mkdir -p "$dist/_worker.js"
cp -r pages/public/. "$dist/"
cp pages/build-cache/release/index.js pages/build-cache/release/index_bg.wasm "$dist/_worker.js/"
if diff -rq "$dist" pages/dist >/dev/null 2>&1; then
  rm -rf "$dist"
else
  rm -rf pages/dist && mv "$dist" pages/dist
fi
