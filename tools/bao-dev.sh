#!/usr/bin/env bash
# Run a throw-away OpenBao dev server (in memory, unsealed, no TLS) on
# 127.0.0.1 for tests and the demo.
#
#   tools/bao-dev.sh start DIR   start it (or keep the one already running for
#                                DIR), enable AppRole at approle/, write DIR/env
#   tools/bao-dev.sh stop DIR    stop it (TERM, then KILL), remove DIR/bao.pid
#   tools/bao-dev.sh status DIR  exit 0 when DIR's server answers sys/health
#
# DIR/env (KEY=value lines, sourceable by sh, easy to parse):
#   BAO_ADDR=http://127.0.0.1:PORT   (an ephemeral free port)
#   BAO_TOKEN=...                    (random root token)
#   BAO_UNSEAL_KEY=...               (the dev server's single unseal key)
# DIR/bao.log is the server's output, DIR/bao.pid its pid. `start` prints the
# path of DIR/env on stdout.
#
# The bao used is $BAO when set, else .tools/bin/bao from tools/setup-openbao.sh.
# A watchdog stops the server by itself after BAO_DEV_TTL seconds (default
# 3600; 0 = never), so a test that dies cannot leak it for long.
# Both commands are idempotent and serialised per DIR (flock); every wait is
# bounded.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START_TIMEOUT="${BAO_DEV_START_TIMEOUT:-15}" # seconds until sys/health is 200
STOP_TIMEOUT="${BAO_DEV_STOP_TIMEOUT:-10}"   # seconds between TERM and KILL
TTL="${BAO_DEV_TTL:-3600}"

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
cmd="$1"
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
PIDF="$DIR/bao.pid"
WDF="$DIR/bao-watchdog.pid"
ENVF="$DIR/env"
LOG="$DIR/bao.log"

log() { echo "bao-dev: $*" >&2; }

# Is $1 a live `bao server -dev` process (not a recycled pid)?
is_bao() {
    local pid="$1"
    [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] || return 1
    local args
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$args" == *server*-dev* ]]
}

# Is process $1 running (not gone, not a zombie)? Unlike is_bao, true also
# between fork and exec.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# HTTP status of GET $1/v1/sys/health (000 when nothing answers).
health() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/v1/sys/health" || true
}

env_get() { sed -n "s/^$1=//p" "$ENVF" 2>/dev/null | head -n1; }

running_ok() {
    [[ -f "$PIDF" && -f "$ENVF" ]] || return 1
    is_bao "$(cat "$PIDF")" || return 1
    [[ "$(health "$(env_get BAO_ADDR)")" == 200 ]]
}

# A port P such that P and P+1 are free on 127.0.0.1 (the dev server also
# listens for cluster traffic on listener port + 1).
free_port() {
    python3 - <<'EOF'
import socket
for _ in range(50):
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p >= 65535:
        a.close()
        continue
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    finally:
        a.close()
        b.close()
    print(p)
    break
else:
    raise SystemExit("no free port pair")
EOF
}

do_stop() {
    local pid i
    if [[ -f "$WDF" ]]; then
        pid="$(cat "$WDF")"
        # Only our watchdog: a bash whose command line names this script.
        if [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa 'bao-dev' "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$WDF"
    fi
    if [[ -f "$PIDF" ]]; then
        pid="$(cat "$PIDF")"
        if is_bao "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
                is_bao "$pid" || break
                sleep 0.1
            done
            if is_bao "$pid"; then
                log "pid $pid ignored TERM for ${STOP_TIMEOUT}s; KILL"
                kill -KILL "$pid" 2>/dev/null || true
                for ((i = 0; i < 50; i++)); do
                    is_bao "$pid" || break
                    sleep 0.1
                done
            fi
            log "stopped pid $pid"
        fi
        rm -f "$PIDF"
    fi
    rm -f "$ENVF"
}

# One attempt; returns 1 when the server did not come up (e.g. port raced).
try_start() {
    local bao="$1" port token addr pid i code=000
    port="$(free_port)" || return 1
    token="jit-dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    addr="http://127.0.0.1:$port"
    # No ~/.bao-token (-dev-no-store-token); no client settings from the caller.
    env -u BAO_ADDR -u VAULT_ADDR -u BAO_TOKEN -u VAULT_TOKEN \
        -u BAO_NAMESPACE -u VAULT_NAMESPACE \
        "$bao" server -dev -dev-no-store-token \
        -dev-listen-address="127.0.0.1:$port" \
        -dev-root-token-id="$token" \
        </dev/null >"$LOG" 2>&1 8>&- &
    pid=$!
    echo "$pid" >"$PIDF"
    local deadline=$((SECONDS + START_TIMEOUT))
    for ((i = 0; i < START_TIMEOUT * 10 && SECONDS < deadline; i++)); do
        if ! alive "$pid"; then
            log "bao exited early; last lines of $LOG:"
            tail -n 5 "$LOG" >&2 || true
            rm -f "$PIDF"
            return 1
        fi
        code="$(health "$addr")"
        [[ "$code" == 200 ]] && break
        sleep 0.1
    done
    if [[ "$code" != 200 ]]; then
        log "no healthy server at $addr after ${START_TIMEOUT}s (last status $code)"
        do_stop
        return 1
    fi

    # AppRole at approle/ (400 "path is already in use" counts as done).
    local out
    out="$(curl -s --max-time 5 -w '\n%{http_code}' -X POST \
        -H "X-Vault-Token: $token" -d '{"type":"approle"}' \
        "$addr/v1/sys/auth/approle")"
    code="${out##*$'\n'}"
    if [[ "$code" != 204 && "$code" != 200 && "${out%$'\n'*}" != *"already in use"* ]]; then
        log "enabling approle failed: $code ${out%$'\n'*}"
        do_stop
        return 1
    fi

    local key=""
    for ((i = 0; i < 20; i++)); do
        key="$(sed -n 's/^Unseal Key: //p' "$LOG" | head -n1)"
        [[ -n "$key" ]] && break
        sleep 0.1
    done

    printf 'BAO_ADDR=%s\nBAO_TOKEN=%s\nBAO_UNSEAL_KEY=%s\n' "$addr" "$token" "$key" >"$ENVF.tmp"
    mv -f "$ENVF.tmp" "$ENVF"

    if [[ "$TTL" =~ ^[0-9]+$ && "$TTL" -gt 0 ]]; then
        # Watchdog: stop this server after $TTL s unless it is gone already.
        # It must not hold the lock (fd 8), nor keep the caller's pipes open.
        (
            exec </dev/null >/dev/null 2>&1 8>&-
            sleep "$TTL" &
            sp=$!
            trap 'kill $sp 2>/dev/null; wait $sp 2>/dev/null; exit 0' TERM
            wait "$sp" || exit 0
            if [[ "$(cat "$WDF" 2>/dev/null)" == "$BASHPID" ]]; then
                rm -f "$WDF"
                [[ "$(cat "$PIDF" 2>/dev/null)" == "$pid" ]] && bash "${BASH_SOURCE[0]}" stop "$DIR"
            fi
        ) &
        echo $! >"$WDF"
    fi
    log "started pid $pid at $addr (log $LOG)"
    return 0
}

do_start() {
    if running_ok; then
        log "already running: pid $(cat "$PIDF") at $(env_get BAO_ADDR)"
        echo "$ENVF"
        return 0
    fi
    # Our server, sealed by a test (sys/health 503): unseal it rather than
    # start another one at a new address.
    if [[ -f "$PIDF" && -f "$ENVF" ]] && is_bao "$(cat "$PIDF")" \
        && [[ "$(health "$(env_get BAO_ADDR)")" == 503 && -n "$(env_get BAO_UNSEAL_KEY)" ]]; then
        curl -s -o /dev/null --max-time 5 -X PUT \
            -d "{\"key\":\"$(env_get BAO_UNSEAL_KEY)\"}" "$(env_get BAO_ADDR)/v1/sys/unseal" || true
        local i
        for ((i = 0; i < 50; i++)); do
            if running_ok; then
                log "unsealed pid $(cat "$PIDF") at $(env_get BAO_ADDR)"
                echo "$ENVF"
                return 0
            fi
            sleep 0.1
        done
    fi
    do_stop # a stale pid file, env or half-started server
    local bao="${BAO:-}"
    if [[ -z "$bao" ]]; then
        bao="$(bash "$ROOT/tools/setup-openbao.sh")/bao"
    fi
    [[ -x "$bao" ]] || { log "no bao at $bao"; exit 1; }
    local attempt
    for attempt in 1 2 3; do
        if try_start "$bao"; then
            echo "$ENVF"
            return 0
        fi
        log "start attempt $attempt failed"
    done
    exit 1
}

exec 8>"$DIR/bao-dev.lock"
flock -w 60 8 || { log "$DIR is locked by another bao-dev.sh"; exit 1; }

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status)
    running_ok || exit 1
    env_get BAO_ADDR
    ;;
*) usage ;;
esac
