# jit: two commands do everything on a fresh machine (see README.md).
#   make demo   build and run the compiler over the example policy repository
#   make test   fmt, clippy, every test (installs the pinned Python tools)
#   make bench  the compile benchmark (10,000 bindings)

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
JITC := target/release/jitc

.PHONY: demo test bench tools lint schemas clean

tools: ## Pinned Python tools used by the tests (CEL engine, parliament, jsonschema) in .tools/venv
	@bash tools/setup-python.sh >/dev/null

demo:
	$(CARGO) build --release -q -p jit-policy-compiler --bin jitc
	@echo "== jitc check examples/policies"
	@$(JITC) check examples/policies
	@echo
	@echo "== jitc explain examples/policies/reporting.hcl"
	@$(JITC) explain examples/policies/reporting.hcl
	@echo
	@echo "== jitc compile examples/policies/reporting.hcl --target aws,gcp"
	@$(JITC) compile examples/policies/reporting.hcl --target aws,gcp
	@echo
	@echo "== jitc who examples/policies --at 2026-12-02T10:00:00Z"
	@$(JITC) who examples/policies --at 2026-12-02T10:00:00Z
	@echo
	@$(JITC) compile examples/policies --out target/demo-out
	@echo "all compiled grants are under target/demo-out/"

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings

test: tools lint
	$(CARGO) test --workspace -q
	$(CARGO) run -q -p jit-policy-compiler --bin jitc -- schema --out schemas --check

bench:
	$(CARGO) bench -q -p jit-policy-compiler --bench compile

schemas: ## Regenerate schemas/ from the language's shape table
	$(CARGO) run -q -p jit-policy-compiler --bin jitc -- schema --out schemas

clean:
	rm -rf target .tools
