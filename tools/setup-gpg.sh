#!/usr/bin/env bash
# gpg for the release-signature test (tests/tests/install.rs): Debian's gnupg
# when it is missing (as root), else a clear error. Prints gpg's path.
set -euo pipefail
if ! command -v gpg >/dev/null; then
    if ((EUID != 0)); then
        echo "setup-gpg: need gpg on PATH (as root: apt-get install gnupg)" >&2
        exit 1
    fi
    echo "setup-gpg: installing Debian's gnupg" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends gnupg >&2
fi
command -v gpg
