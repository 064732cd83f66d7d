#!/usr/bin/env bash
# Create or refresh the project-local Python venv (.tools/venv) holding the
# tools used by the test suite. Fast no-op when the venv matches
# tools/python-requirements.txt. Prints the venv's python path on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/python-requirements.txt"
VENV="$ROOT/.tools/venv"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

# OPA's Go engine as a shared library; its wheel asks for Python >= 3.14
# but runs on any Python 3 (ctypes), so it is installed apart, without
# that check and without dependencies (it has none).
OPA="opa-golib-python-bindings==0.4.4"

want="$( { cat "$REQ"; echo "$OPA"; } | sha256sum | cut -d' ' -f1)"
up_to_date() {
    [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]
}

if ! up_to_date; then
    mkdir -p "$ROOT/.tools"
    # Serialise concurrent callers (e.g. parallel cargo tests).
    exec 9>"$ROOT/.tools/setup-python.lock"
    flock 9
    if ! up_to_date; then
        echo "setup-python: installing $REQ into $VENV" >&2
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-input -r "$REQ" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-input --no-deps --ignore-requires-python --only-binary=:all: "$OPA" >&2
        "$VENV/bin/python" -c 'import opa_bindings' >&2
        echo "$want" >"$STAMP"
    fi
    exec 9>&-
fi

echo "$VENV/bin/python"
