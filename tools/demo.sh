#!/usr/bin/env bash
# `make demo`: run examples/quickstart through real `terraform init`, `plan`
# and `apply` with the release build of the provider (compile-only), then
# print the compiled grants.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(bash "$ROOT/tools/setup-terraform.sh")"
TF="$BIN/terraform"
CLI="$ROOT/.tools/demo.tfrc"
cat >"$CLI" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/jit/jit" = "$ROOT/target/release"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$CLI" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
# A fresh copy each run: Terraform 1.15's init also installs the providers
# recorded in an existing state, ignoring dev_overrides for them, so a second
# run in place would fail offline. It also keeps state out of the tree.
WORK="$ROOT/target/demo/quickstart"
rm -rf "$WORK"
mkdir -p "$(dirname "$WORK")"
cp -r "$ROOT/examples/quickstart" "$WORK"
cd "$WORK"
echo "== $("$TF" version | head -1), provider $ROOT/target/release/terraform-provider-jit"
echo "== terraform init";  "$TF" init -input=false -no-color | grep -vE '^\s*$' | tail -3
echo "== terraform plan";  "$TF" plan -input=false -no-color -out=.demo.tfplan | grep -E 'will be|Plan:|jsonencode|request.time' | head -40
echo "== terraform apply"; "$TF" apply -input=false -no-color .demo.tfplan | grep -E 'Apply complete'
rm -f .demo.tfplan
echo "== terraform output"
"$TF" output -no-color
