#!/usr/bin/env bash
# Run a throw-away PostgreSQL server on 127.0.0.1 for tests and examples.
#
#   tools/pg-dev.sh start DIR   initdb in DIR/data (once), start the server on
#                               an ephemeral port, write DIR/env
#   tools/pg-dev.sh stop DIR    stop it (fast, then immediate), keep DIR
#   tools/pg-dev.sh status DIR  exit 0 when DIR's server accepts connections
#
# DIR/env (KEY=value lines): PGHOST=127.0.0.1, PGPORT, PGUSER (the
# superuser `admin`), PGPASSWORD (random), PGDATABASE=postgres. Password
# (SCRAM) authentication over TCP; the Unix socket lives in DIR/sock only.
# PostgreSQL refuses to run as root: as root the server runs as the
# `postgres` user that Debian's package creates (DIR is handed to it).
# A watchdog stops the server after PG_DEV_TTL seconds (default 3600;
# 0 = never). Every wait is bounded; commands are serialised per DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TTL="${PG_DEV_TTL:-3600}"
START_TIMEOUT="${PG_DEV_START_TIMEOUT:-30}"

[[ $# -eq 2 ]] || { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
cmd="$1"
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
ENVF="$DIR/env"
WDF="$DIR/pg-watchdog.pid"
log() { echo "pg-dev: $*" >&2; }

BIN="$(bash "$ROOT/tools/setup-postgres.sh")"
# As root, run the server's programs as `postgres`.
as_owner() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

exec 8>"$DIR/.lock"
flock -w 60 8 || { log "cannot lock $DIR"; exit 1; }

env_get() { sed -n "s/^$1=//p" "$ENVF" 2>/dev/null | head -n1; }

running() {
    [[ -f "$DIR/data/postmaster.pid" ]] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

do_stop() {
    if [[ -f "$WDF" ]]; then
        local pid
        pid="$(cat "$WDF")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa 'pg-dev' "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$WDF"
    fi
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 10 stop >/dev/null 2>&1 ||
            as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        log "stopped the server in $DIR"
    fi
    rm -f "$ENVF"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

do_start() {
    if running && [[ -f "$ENVF" ]]; then
        echo "$ENVF"
        return 0
    fi
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || { log "no postgres user (install Debian's postgresql)"; exit 1; }
        chown postgres: "$DIR"
    fi
    local password
    password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
        rm -rf "$DIR/data"
        as_owner mkdir -p "$DIR/sock"
        (umask 077 && printf '%s\n' "$password" >"$DIR/pw")
        ((EUID == 0)) && chown postgres: "$DIR/pw"
        as_owner "$BIN/initdb" -D "$DIR/data" -U admin --pwfile="$DIR/pw" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
            >"$DIR/initdb.log" 2>&1 || { log "initdb failed:"; tail -n 5 "$DIR/initdb.log" >&2; exit 1; }
    fi
    password="$(cat "$DIR/pw")"
    local port attempt
    for attempt in 1 2 3; do
        port="$(free_port)"
        if as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t "$START_TIMEOUT" \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR/sock -c fsync=off -c max_connections=50" \
            start >/dev/null 2>&1 8>&-; then
            break
        fi
        log "start on port $port failed (attempt $attempt); last lines of $DIR/postgres.log:"
        tail -n 3 "$DIR/postgres.log" >&2 || true
        port=""
    done
    [[ -n "$port" ]] || exit 1
    printf 'PGHOST=127.0.0.1\nPGPORT=%s\nPGUSER=admin\nPGPASSWORD=%s\nPGDATABASE=postgres\n' \
        "$port" "$password" >"$ENVF.tmp"
    mv -f "$ENVF.tmp" "$ENVF"
    if [[ "$TTL" =~ ^[0-9]+$ && "$TTL" -gt 0 ]]; then
        (
            exec </dev/null >/dev/null 2>&1 8>&-
            sleep "$TTL" &
            sp=$!
            trap 'kill $sp 2>/dev/null; wait $sp 2>/dev/null; exit 0' TERM
            wait "$sp" || exit 0
            if [[ "$(cat "$WDF" 2>/dev/null)" == "$BASHPID" ]]; then
                rm -f "$WDF"
                as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 10 stop || true
            fi
        ) &
        echo "$!" >"$WDF"
    fi
    log "PostgreSQL on 127.0.0.1:$port (data in $DIR/data)"
    echo "$ENVF"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status) running ;;
*) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
esac
