#!/usr/bin/env bash
# Headless Chromium for the HTML ledger test (jitc/tests/history.rs):
# Debian's chromium-headless-shell when missing (as root), else a clear
# error. Prints the binary's path.
set -euo pipefail
BIN=/usr/lib/chromium/chromium-headless-shell
if [[ ! -x "$BIN" ]]; then
    if ((EUID != 0)); then
        echo "setup-chromium: need Debian's chromium-headless-shell (as root: apt-get install chromium-headless-shell)" >&2
        exit 1
    fi
    echo "setup-chromium: installing Debian's chromium-headless-shell" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium-headless-shell >&2
fi
[[ -x "$BIN" ]] || {
    echo "setup-chromium: no $BIN after installing" >&2
    exit 1
}
echo "$BIN"
