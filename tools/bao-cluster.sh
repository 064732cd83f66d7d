#!/usr/bin/env bash
# Run a throw-away three-node OpenBao cluster with integrated storage (Raft)
# on 127.0.0.1, for tests and for trying broker mode against a cluster.
#
#   tools/bao-cluster.sh start DIR        start, initialise (one unseal key),
#                                         unseal and join the three nodes,
#                                         enable AppRole at approle/, write DIR/env
#   tools/bao-cluster.sh stop DIR         stop every node it started (TERM, then KILL)
#   tools/bao-cluster.sh kill DIR N       SIGKILL node N (1-3), as a crash would
#   tools/bao-cluster.sh active DIR       print the number of the active node
#   tools/bao-cluster.sh status DIR       exit 0 when some node is active
#
# DIR/env (KEY=value lines):
#   BAO_ADDRS=http://127.0.0.1:P1,http://127.0.0.1:P2,http://127.0.0.1:P3
#   BAO_ADDR_1, BAO_ADDR_2, BAO_ADDR_3    each node's API address
#   BAO_TOKEN=...                         the root token
#   BAO_UNSEAL_KEY=...                    the single unseal key
# Each node keeps its data in DIR/nodeN/data, its log in DIR/nodeN/bao.log
# and its pid in DIR/nodeN/pid. Ports are ephemeral (API and cluster port
# per node). Every wait is bounded; only loopback is used. A watchdog stops
# the cluster after BAO_CLUSTER_TTL seconds (default 3600; 0 = never).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TTL="${BAO_CLUSTER_TTL:-3600}"
STOP_TIMEOUT=10

usage() {
    echo "usage: $0 start|stop|active|status DIR | kill DIR N" >&2
    exit 2
}
[[ $# -ge 2 ]] || usage
cmd="$1"
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
ENVF="$DIR/env"
WDF="$DIR/watchdog.pid"
log() { echo "bao-cluster: $*" >&2; }
env_get() { sed -n "s/^$1=//p" "$ENVF" 2>/dev/null | head -n1; }

is_node() {
    local pid="$1"
    [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "server -config=$DIR/node"
}

# GET $2 on node address $1: "STATUS BODY".
get() {
    curl -s --max-time 3 -w '\n%{http_code}' -H "X-Vault-Token: ${BAO_TOKEN:-}" "$1/v1/$2" || echo $'\n000'
}

status_of() {
    local out
    out="$(get "$1" "$2")"
    echo "${out##*$'\n'}"
}

# POST/PUT JSON $3 to $2 on node $1; prints the body, fails unless 2xx.
send() {
    local out code
    out="$(curl -s --max-time "${SEND_TIMEOUT:-30}" -w '\n%{http_code}' -X "${4:-PUT}" -H "X-Vault-Token: ${BAO_TOKEN:-}" \
        -d "$3" "$1/v1/$2")" || return 1
    code="${out##*$'\n'}"
    echo "${out%$'\n'*}"
    [[ "$code" == 2* ]]
}

json_get() { python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1"; }

free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
n, socks = int(sys.argv[1]), []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

do_stop() {
    local n pid i
    if [[ -f "$WDF" ]]; then
        pid="$(cat "$WDF")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && grep -qa 'bao-cluster' "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$WDF"
    fi
    for n in 1 2 3; do
        pid="$(cat "$DIR/node$n/pid" 2>/dev/null || true)"
        if is_node "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
                is_node "$pid" || break
                sleep 0.1
            done
            is_node "$pid" && kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/node$n/pid"
    done
    # Any node of this cluster still running (a pid file lost or stale).
    pkill -KILL -f "server -config=$DIR/node" 2>/dev/null || true
    rm -f "$ENVF"
}

# Start node $1 with its config; waits until its API answers.
start_node() {
    local n="$1" bao="$2" addr i code
    addr="$(sed -n 's/^api_addr = "\(.*\)"$/\1/p' "$DIR/node$n/config.hcl")"
    env -u BAO_ADDR -u VAULT_ADDR -u BAO_TOKEN -u VAULT_TOKEN \
        "$bao" server -config="$DIR/node$n/config.hcl" </dev/null >"$DIR/node$n/bao.log" 2>&1 8>&- &
    echo $! >"$DIR/node$n/pid"
    for ((i = 0; i < 150; i++)); do
        code="$(status_of "$addr" sys/health)"
        [[ "$code" != 000 ]] && return 0
        is_node "$(cat "$DIR/node$n/pid")" || break
        sleep 0.1
    done
    log "node $n did not answer at $addr; last lines of its log:"
    tail -n 5 "$DIR/node$n/bao.log" >&2 || true
    return 1
}

# Wait until node $1's sys/health says unsealed (200 active, 429 standby).
wait_unsealed() {
    local i code
    for ((i = 0; i < 300; i++)); do
        code="$(status_of "$1" sys/health)"
        [[ "$code" == 200 || "$code" == 429 ]] && return 0
        sleep 0.1
    done
    log "$1 is not unsealed after 30 s (health $code)"
    return 1
}

# One attempt to start the cluster with `bao` $1; returns 1 (every node
# stopped) when it did not come up, e.g. a port taken in the meantime.
try_start() {
    local bao="$1"
    local ports p
    read -r -a ports <<<"$(free_ports 6)"
    local api=() n
    for n in 1 2 3; do
        api[n]="http://127.0.0.1:${ports[$((2 * n - 2))]}"
        local cport="${ports[$((2 * n - 1))]}"
        rm -rf "$DIR/node$n"
        mkdir -p "$DIR/node$n/data"
        {
            echo "storage \"raft\" {"
            echo "  path    = \"$DIR/node$n/data\""
            echo "  node_id = \"node$n\""
            if ((n > 1)); then
                echo "  retry_join {"
                echo "    leader_api_addr = \"${api[1]}\""
                echo "  }"
            fi
            echo "}"
            echo "listener \"tcp\" {"
            echo "  address         = \"127.0.0.1:${api[n]##*:}\""
            echo "  cluster_address = \"127.0.0.1:$cport\""
            echo "  tls_disable     = true"
            echo "}"
            echo "api_addr = \"${api[n]}\""
            echo "cluster_addr = \"https://127.0.0.1:$cport\""
            echo "disable_mlock = true"
            echo "ui = false"
            echo "log_level = \"info\""
        } >"$DIR/node$n/config.hcl"
    done
    for n in 1 2 3; do
        start_node "$n" "$bao" || { do_stop; return 1; }
    done
    # Initialise through node 1: one key share.
    local init key token
    init="$(SEND_TIMEOUT=90 send "${api[1]}" sys/init '{"secret_shares":1,"secret_threshold":1}')" || {
        log "init failed: $init"
        do_stop
        return 1
    }
    key="$(json_get keys_base64.0 <<<"$init")"
    token="$(json_get root_token <<<"$init")"
    export BAO_TOKEN="$token"
    send "${api[1]}" sys/unseal "{\"key\":\"$key\"}" >/dev/null || { log "unseal of node 1 failed"; do_stop; return 1; }
    wait_unsealed "${api[1]}" || { do_stop; return 1; }
    # The leader must be active before the others join it.
    local i
    for ((i = 0; i < 300; i++)); do
        [[ "$(status_of "${api[1]}" sys/health)" == 200 ]] && break
        sleep 0.1
    done
    for n in 2 3; do
        # Unsealing a node with retry_join makes it join the leader; the
        # join may need a few tries while it fetches the leader's challenge.
        for ((i = 0; i < 100; i++)); do
            send "${api[n]}" sys/unseal "{\"key\":\"$key\"}" >/dev/null 2>&1 || true
            [[ "$(status_of "${api[n]}" sys/health)" =~ ^(200|429)$ ]] && break
            sleep 0.3
        done
        wait_unsealed "${api[n]}" || { do_stop; return 1; }
    done
    # Three voters in the Raft configuration.
    local voters=0
    for ((i = 0; i < 300; i++)); do
        voters="$(get "${api[1]}" sys/storage/raft/configuration | sed '$d' |
            python3 -c 'import json, sys
try:
    print(sum(1 for s in json.load(sys.stdin)["data"]["config"]["servers"] if s.get("voter")))
except Exception:
    print(0)')"
        [[ "$voters" == 3 ]] && break
        sleep 0.1
    done
    [[ "$voters" == 3 ]] || { log "only $voters voters after 30 s"; do_stop; return 1; }
    send "${api[1]}" sys/auth/approle '{"type":"approle"}' POST >/dev/null || { log "enabling approle failed"; do_stop; return 1; }
    {
        echo "BAO_ADDRS=${api[1]},${api[2]},${api[3]}"
        for n in 1 2 3; do echo "BAO_ADDR_$n=${api[n]}"; done
        echo "BAO_TOKEN=$token"
        echo "BAO_UNSEAL_KEY=$key"
    } >"$ENVF.tmp"
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
                bash "${BASH_SOURCE[0]}" stop "$DIR"
            fi
        ) &
        echo $! >"$WDF"
    fi
    log "three nodes at ${api[1]}, ${api[2]}, ${api[3]} (active: node 1)"
    echo "$ENVF"
}

do_start() {
    if [[ -f "$ENVF" ]] && do_status >/dev/null 2>&1; then
        echo "$ENVF"
        return 0
    fi
    do_stop
    local bao="${BAO:-}" attempt
    [[ -n "$bao" ]] || bao="$(bash "$ROOT/tools/setup-openbao.sh")/bao"
    [[ -x "$bao" ]] || { log "no bao at $bao"; exit 1; }
    for attempt in 1 2 3; do
        try_start "$bao" && return 0
        log "start attempt $attempt failed"
    done
    exit 1
}

# The active node's number, from each live node's sys/health (200 = active).
do_active() {
    local n addr
    for n in 1 2 3; do
        addr="$(env_get "BAO_ADDR_$n")"
        [[ -n "$addr" ]] || continue
        if [[ "$(status_of "$addr" sys/health)" == 200 ]]; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

do_status() { do_active >/dev/null; }

do_kill() {
    local n="$1" pid
    [[ "$n" =~ ^[123]$ ]] || usage
    pid="$(cat "$DIR/node$n/pid" 2>/dev/null || true)"
    is_node "$pid" || { log "node $n is not running"; exit 1; }
    kill -KILL "$pid"
    log "killed node $n (pid $pid)"
}

exec 8>"$DIR/.lock"
case "$cmd" in
start | stop)
    flock -w 120 8 || { log "$DIR is locked"; exit 1; }
    "do_$cmd"
    ;;
kill) [[ $# -eq 3 ]] || usage; do_kill "$3" ;;
active) do_active ;;
status) do_status ;;
*) usage ;;
esac
