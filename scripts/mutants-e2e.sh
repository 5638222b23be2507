#!/usr/bin/env bash
# make mutants-e2e: proof that the black-box suite guards what lives in the
# workers. Each deliberate break below is applied in turn to a scratch copy of
# the committed tree, the affected wasm is rebuilt, and the black-box suite
# (scripts/test.sh with E2E_ONLY=1) runs against it. A break the suite does
# not fail on is a hole in the tests. Prints a table and fails if any break
# went uncaught. Slow (a rebuild and a suite run per break): not part of
# `make test`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/setup.sh --browser

# The breaks: `name | file | text | replacement`, `\n` for a newline. Lines
# with the same name are one break (a guard kept in two layers is broken in
# both, or the other layer would hide it). Each text must be in the file:
# a break that no longer applies fails the run, so this list follows the code.
BREAKS=$(cat <<'LIST'
csrf-api-anyone | shared/edge/src/router.rs | Handler::Anyone(handler) => {\n                csrf::refuse_cross_site(&cx.req)?; | Handler::Anyone(handler) => {
csrf-api-user | shared/edge/src/router.rs | Handler::User(handler) => {\n                csrf::refuse_cross_site(&cx.req)?; | Handler::User(handler) => {
csrf-forms | pages/src/forms.rs | edge::csrf::refuse_cross_site(req)?; | 
version-tickets-read-model | workers/tickets/src/read_model.rs | WHERE excluded.version > tickets.version | WHERE 1
version-orders-read-model | workers/orders/src/read_model.rs | WHERE excluded.version > orders.version | WHERE 1
payment-event-dedupe | workers/payments/src/store.rs | ON CONFLICT (provider_ref) DO NOTHING | ON CONFLICT (provider_ref) DO UPDATE SET id = excluded.id, status = 'succeeded'
owner-show-order | workers/orders/src/routes.rs | if location.user_id != user.id { | if false {
owner-edit-ticket | shared/domain/src/desk/rules.rs | if ticket.user_id != user_id { | if false {
owner-cancel-order | workers/orders/src/routes.rs | if location.user_id != user.id { | if false {
owner-cancel-order | shared/domain/src/desk/rules.rs | ) -> Result<Option<OrderChange>, Refusal> {\n    if order.user_id != by { | ) -> Result<Option<OrderChange>, Refusal> {\n    if false {
owner-pay | workers/orders/src/routes.rs | if location.user_id != user.id { | if false {
owner-pay | shared/domain/src/desk/rules.rs | now: i64,\n) -> Result<Option<OrderChange>, Refusal> {\n    if order.user_id != by { | now: i64,\n) -> Result<Option<OrderChange>, Refusal> {\n    if false {
one-object-per-ticket | shared/edge/src/desk_client.rs | .id_from_name(ticket_id.as_str()) | .id_from_name("every-ticket")
LIST
)

# A scratch copy of the committed tree with its own build cache. After each
# break its files are put back and touched, so that cargo and build.sh see
# them as changed and rebuild what the break had touched.
scratch="$ROOT/target/mutants-e2e/tree"
rm -rf "$scratch" && mkdir -p "$scratch"
git archive HEAD | tar -x -C "$scratch"
ln -s "$ROOT/node_modules" "$scratch/node_modules"
cp "$ROOT/.dev.vars" "$scratch/.dev.vars"
export CARGO_TARGET_DIR="$ROOT/target/mutants-e2e/cargo"
log "building the unbroken scratch tree"
(cd "$scratch" && scripts/build.sh >/dev/null)
clean="$ROOT/target/mutants-e2e/clean.tar"
(cd "$scratch" && tar -cf "$clean" shared workers pages)

apply_break() { # apply_break <name>: every edit of that break, in the scratch tree
  python3 - "$scratch" "$1" "$BREAKS" <<'PY'
import sys
root, name, spec = sys.argv[1], sys.argv[2], sys.argv[3]
for line in spec.splitlines():
    parts = [p.strip() for p in line.split(" | ")]
    if parts[0] != name:
        continue
    path, old, new = parts[1], parts[2].replace("\\n", "\n"), (parts[3] if len(parts) > 3 else "").replace("\\n", "\n")
    text = open(f"{root}/{path}").read()
    if old not in text:
        sys.exit(f"break {name}: {path} no longer contains {old!r}")
    open(f"{root}/{path}", "w").write(text.replace(old, new, 1))
    print(path)
PY
}

restore() { # restore <file...>: the clean version, newer than any build of the broken one
  (cd "$scratch" && tar -xf "$clean" "$@" && touch "$@")
}

mapfile -t names < <(printf '%s\n' "$BREAKS" | cut -d'|' -f1 | sed 's/ *$//' | awk '!seen[$0]++')
declare -A verdict
missed=0
for name in "${names[@]}"; do
  log "break: $name"
  apply_break "$name" >"$ROOT/target/mutants-e2e/changed" || exit 1
  mapfile -t changed < <(sort -u "$ROOT/target/mutants-e2e/changed")
  if ! (cd "$scratch" && scripts/build.sh >"$ROOT/target/mutants-e2e/$name.build.log" 2>&1); then
    verdict[$name]="unviable (does not build)"
  elif (cd "$scratch" && E2E_ONLY=1 scripts/test.sh >"$ROOT/target/mutants-e2e/$name.test.log" 2>&1); then
    verdict[$name]="MISSED"; missed=$((missed + 1))
  else
    verdict[$name]="caught"
  fi
  log "  $name: ${verdict[$name]}"
  restore "${changed[@]}"
done

printf '\n| break | verdict |\n|---|---|\n'
for name in "${names[@]}"; do printf '| %s | %s |\n' "$name" "${verdict[$name]}"; done
echo "mutants-e2e: $(( ${#names[@]} - missed )) caught, $missed missed (logs in target/mutants-e2e/)"
[ "$missed" -eq 0 ]
