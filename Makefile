# The two commands: `make dev` runs the product, `make test` runs every test.
# Both install what is missing first (see scripts/setup.sh).
.PHONY: dev test bench deploy deploy-check mutants mutants-e2e build setup reset help

dev: ## Build what changed and run everything at http://127.0.0.1:8788 (PORT=NNNN to change)
	@scripts/setup.sh && scripts/build.sh && scripts/dev.sh

test: ## fmt, clippy, unit tests, then API and browser tests against a fresh stack
	@scripts/test.sh

bench: ## Load-test a fresh local stack and print latency and throughput figures
	@scripts/bench.sh

deploy: ## Deploy to Cloudflare: CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID, ENV=staging for the staging copy (docs/deploy.md)
	@scripts/setup.sh && scripts/build.sh --release-only && cargo run -q -p deploy -- run

deploy-check: ## Offline: the configs agree with each other and every worker bundles as `wrangler deploy` would (dry run)
	@scripts/setup.sh && scripts/build.sh --release-only && cargo run -q -p deploy -- check

mutants: ## Mutation testing of domain, edge and pages (slow; not part of `make test`)
	@scripts/mutants.sh

mutants-e2e: ## Break each guard the workers hold, in turn, and check the black-box suite fails (slow)
	@scripts/mutants-e2e.sh

build: ## Build the workers and the frontend (release wasm)
	@scripts/setup.sh && scripts/build.sh

reset: ## Wipe local state (D1 databases, Durable Objects, queues)
	rm -rf .state

help:
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'
