#!/usr/bin/env bash
# PostgreSQL server binaries for the machine-to-machine test
# (tests/tests/m2m.rs, tools/pg-dev.sh): Debian's postgresql package when
# missing (as root), else a clear error. Prints the folder of initdb,
# pg_ctl and postgres (/usr/lib/postgresql/VERSION/bin, the newest).
set -euo pipefail
find_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] && echo "$d"
}
if ! find_bin >/dev/null || ! command -v psql >/dev/null; then
    if ((EUID != 0)); then
        echo "setup-postgres: need Debian's postgresql (as root: apt-get install postgresql)" >&2
        exit 1
    fi
    echo "setup-postgres: installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # The package's own cluster is not used (and not started: no init system
    # runs here); tests start their own servers with tools/pg-dev.sh.
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2
fi
find_bin || {
    echo "setup-postgres: no /usr/lib/postgresql/*/bin/initdb after installing" >&2
    exit 1
}
