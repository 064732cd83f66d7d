#!/usr/bin/env bash
# Architecture checks that `make lint` (and so `make test` and CI) runs.
# Each prints what broke and exits non-zero.
#
# 1. The compiler library carries no CLI or network dependency.
# 2. Lowering never imports rendering (`lower` builds typed models; `render`
#    turns them into text as a separate last step).
# 3. Protocol types stay at the provider's edge (`server`, `convert`).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
fail=0

banned='^(clap|anyhow|tokio|reqwest|jit-openbao) '
deps=$("$CARGO" tree -q -p jit-policy-compiler -e normal --prefix none | sort -u)
if hits=$(grep -E "$banned" <<<"$deps"); then
  echo "check-architecture: jit-policy-compiler depends on a CLI or network crate:" >&2
  sed 's/^/  /' <<<"$hits" >&2
  fail=1
fi

# Code lines (comments dropped) under lower/ that name the render module.
if hits=$(grep -rnE '^[^/]*\b(crate|super)::(\{[^}]*\b)?render\b|^\s*use\s+.*\brender\b' policy-compiler/src/lower/); then
  echo "check-architecture: a lowering module imports render:" >&2
  sed 's/^/  /' <<<"$hits" >&2
  fail=1
fi

if hits=$(grep -rn 'crate::proto\b\|tonic::\|prost::' provider/src/resources provider/src/data_sources provider/src/ephemeral | grep -v 'tonic::async_trait'); then
  echo "check-architecture: protocol types outside provider/src/server and provider/src/convert:" >&2
  sed 's/^/  /' <<<"$hits" >&2
  fail=1
fi

exit "$fail"
