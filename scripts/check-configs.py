#!/usr/bin/env python3
"""Offline checks of the committed deploy configs (`make test` runs this first).

What `wrangler deploy` ships must be safe with no local overrides: the
service workers are reachable only through their service bindings, and
payments go to Stripe (the local provider, which approves test cards with no
money moving, is only ever set by the local runs, in generated .dev.vars
files). Exits 1 and says which config breaks which rule. See docs/security.md.
"""
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load(path):
    with open(ROOT / path, "rb") as f:
        return tomllib.load(f)


def problems():
    workers = sorted(ROOT.glob("workers/*/wrangler.toml"))
    if not workers:
        yield "no workers/*/wrangler.toml found"
    for path in [ROOT / "wrangler.toml", *workers]:
        name = path.relative_to(ROOT)
        provider = load(name).get("vars", {}).get("PAYMENT_PROVIDER")
        if provider not in (None, "stripe"):
            yield f"{name}: [vars] PAYMENT_PROVIDER must be \"stripe\", not {provider!r} (local runs set \"local\" in .dev.vars)"
    if "PAYMENT_PROVIDER" not in load("workers/payments/wrangler.toml").get("vars", {}):
        yield 'workers/payments/wrangler.toml: [vars] must set PAYMENT_PROVIDER = "stripe"'
    for path in workers:
        name = path.relative_to(ROOT)
        config = load(name)
        # Absent keys default to true: both must be written out as false.
        for key in ("workers_dev", "preview_urls"):
            if config.get(key) is not False:
                yield f"{name}: {key} must be false (the service is reached only through its binding)"


def main():
    found = list(problems())
    for problem in found:
        print(f"check-configs: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
