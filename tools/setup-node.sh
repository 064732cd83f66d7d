#!/usr/bin/env bash
# Install the pinned Node test tools (tools/node/package-lock.json:
# @cloud-copilot/iam-simulate, the second AWS IAM evaluator behind
# tests/tools/aws_simulate.mjs; ajv and yaml, behind the strict Istio CRD
# check tests/tools/istio_validate.mjs) into tools/node/node_modules and print the
# node executable's path on stdout. Needs node >= 18 and npm: as root, missing
# ones come from Debian (apt-get). Fast no-op when node_modules is newer than
# the lockfile; safe to run concurrently (flock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/tools/node"
STAMP="$PKG/node_modules/.setup-node.stamp"
NODE_MAJOR_MIN=18

node_ok() {
    local v
    command -v npm >/dev/null && v="$(node --version 2>/dev/null)" || return 1
    [[ "$v" =~ ^v([0-9]+)\. ]] && ((BASH_REMATCH[1] >= NODE_MAJOR_MIN))
}
up_to_date() {
    [[ -f "$STAMP" && "$STAMP" -nt "$PKG/package-lock.json" && "$STAMP" -nt "$PKG/package.json" ]]
}

if ! node_ok; then
    if ((EUID != 0)); then
        echo "setup-node: need node >= $NODE_MAJOR_MIN and npm on PATH (as root: apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "setup-node: installing Debian's nodejs and npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends nodejs npm >&2
    node_ok || { echo "setup-node: node >= $NODE_MAJOR_MIN still missing after apt-get" >&2; exit 1; }
fi

if ! up_to_date; then
    mkdir -p "$ROOT/.tools"
    # Serialise concurrent callers (e.g. parallel cargo tests).
    exec 9>"$ROOT/.tools/setup-node.lock"
    flock 9
    if ! up_to_date; then
        echo "setup-node: npm ci in $PKG" >&2
        npm ci --prefix "$PKG" --no-audit --no-fund >&2
        # Smoke test: a broken install must fail here, not in the first test.
        (cd "$PKG" && node -e 'require("@cloud-copilot/iam-simulate"); require("ajv"); require("yaml")')
        touch "$STAMP"
    fi
    exec 9>&-
fi

command -v node
