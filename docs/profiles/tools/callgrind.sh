#!/usr/bin/env bash
# callgrind.sh N ACTIVE PHASES [loadgen args...]
# The server (N demo participants, installed then restarted) under callgrind on core 0 with
# instrumentation off; loadgen on core 1 logs in and starts all N participants (not counted),
# then ACTIVE of them run PHASES (e.g. "idle:10,mixed:30,pages:20,saves:20,idle:10"); callgrind
# is switched on at loadgen's `setup` handshake and dumped at each phase's (phase-0-idle,
# phase-1-mixed, ...). Then LOGINS (default 10) logins of participants loadgen logged out are
# counted the same way (logins-setup). Output in $WORK/cg-N-ACTIVE$TAG: the dumps, loadgen.json
# and logins.json; summarize.py and breakdown.py read it. (scripts/bench instructions does the
# same with fixed phases and prints a table.)
set -euo pipefail
# shellcheck source=docs/profiles/tools/common.sh
. "$(dirname "$0")/common.sh"
n=$1 active=$2 phases=$3
shift 3
logins=${LOGINS:-10}
run="$WORK/cg-$n-$active${TAG:-}"
rm -rf "$run"
mkdir -p "$run/sync" "$run/sync2"
fresh_data "$n" "$run/data"
start_server "$n" "$run/data" "$run/server.log" \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$run/callgrind.out"
vpid=$pid
trap 'kill -9 "$vpid" 2>/dev/null || true' EXIT
# handshakes DIR PREFIX ON_AT NAME...: answers loadgen's --sync handshakes: at ON_AT callgrind
# is switched on and zeroed, at each later NAME dumped as PREFIX-NAME.
handshakes() {
    local dir=$1 prefix=$2 on_at=$3 on=0 name
    shift 3
    for name in "$@"; do
        while [ ! -f "$dir/$name.done" ]; do
            kill -0 "$vpid" 2>/dev/null || { echo "callgrind.sh: the server is gone" >&2; exit 1; }
            sleep 0.2
        done
        if [ "$name" = "$on_at" ]; then
            callgrind_control -i on "$vpid" >/dev/null
            callgrind_control -z "$vpid" >/dev/null
            on=1
        elif [ "$on" = 1 ]; then
            callgrind_control --dump="$prefix-$name" "$vpid" >/dev/null
        fi
        touch "$dir/$name.go"
    done
}
taskset -c 1 "$BIN/loadgen" --url "http://127.0.0.1:$port" --clients "$n" --active "$active" \
    --sync "$run/sync" --phases "$phases" --timeout-secs 300 --json "$@" \
    >"$run/loadgen.json" 2>"$run/loadgen.err" &
lpid=$!
names=()
i=0
IFS=, read -ra specs <<<"$phases"
for spec in "${specs[@]}"; do
    names+=("$i-${spec%%:*}")
    i=$((i + 1))
done
handshakes "$run/sync" phase setup start setup "${names[@]}"
wait "$lpid"
callgrind_control -i off "$vpid" >/dev/null
# Logins: the first LOGINS participants (logged out by loadgen at its end) log in again.
taskset -c 1 "$BIN/loadgen" --url "http://127.0.0.1:$port" --clients "$logins" --login-only \
    --login-concurrency 1 --sync "$run/sync2" --timeout-secs 300 --json \
    >"$run/logins.json" 2>>"$run/loadgen.err" &
lpid=$!
# The logins are loadgen's setup: counted from its start handshake, dumped at setup's.
handshakes "$run/sync2" logins start start setup
wait "$lpid"
callgrind_control -i off "$vpid" >/dev/null
kill -TERM "$vpid"
wait "$vpid" || true
trap - EXIT
