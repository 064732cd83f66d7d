#!/usr/bin/env bash
# Release artifacts (see tools/dist.py for the layout): `make dist` and
# .github/workflows/release.yml both package through this script.
#   tools/dist.sh package [--out DIR] [--os OS] [--arch ARCH] [--provider BIN] [--jitc BIN]
#   tools/dist.sh finish  [--out DIR]      (manifest, SHA256SUMS, .sig with GPG_FINGERPRINT)
#   tools/dist.sh version
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$(command -v python3 || command -v python || true)"
[[ -n "$py" ]] || { echo "dist: python 3.11+ is needed" >&2; exit 1; }
exec "$py" "$here/dist.py" "$@"
