#!/usr/bin/env bash
# callgrind.sh N ACTIVE PHASES [phased args...]
# The server (N demo participants, installed then restarted) under callgrind on core 0 with
# instrumentation off; phased on core 1 logs in and starts all N participants (not counted),
# then ACTIVE of them run PHASES (e.g. "idle:10,mixed:30,pages:20,saves:20,idle:10"); callgrind
# is switched on after the setup and dumped after each phase (callgrind.out.1, .2, ...). Then
# LOGINS (default 10) logins of participants the driver logged out are counted the same way.
# Output in $WORK/cg-N-ACTIVE$TAG; summarize.py and breakdown.py read it.
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
waitfor() {
    while [ ! -f "$1" ]; do
        kill -0 "$vpid" 2>/dev/null || { echo "callgrind.sh: the server is gone" >&2; exit 1; }
        sleep 0.2
    done
}
taskset -c 1 "$BIN/phased" --url "http://127.0.0.1:$port" --clients "$n" --active "$active" \
    --sync "$run/sync" --phases "$phases" "$@" >"$run/phased.jsonl" 2>"$run/phased.err" &
ppid=$!
waitfor "$run/sync/setup.done"
callgrind_control -i on "$vpid" >/dev/null
callgrind_control -z "$vpid" >/dev/null
touch "$run/sync/setup.go"
i=0
IFS=, read -ra specs <<<"$phases"
for spec in "${specs[@]}"; do
    name="$i-${spec%%:*}"
    waitfor "$run/sync/$name.done"
    callgrind_control --dump="phase-$name" "$vpid" >/dev/null
    touch "$run/sync/$name.go"
    i=$((i + 1))
done
wait "$ppid"
callgrind_control -i off "$vpid" >/dev/null
# Logins: the first LOGINS participants (logged out by the driver at its end) log in again.
taskset -c 1 "$BIN/phased" --url "http://127.0.0.1:$port" --clients "$logins" --login-only \
    --login-concurrency 1 --sync "$run/sync2" >>"$run/phased.jsonl" 2>>"$run/phased.err" &
ppid=$!
waitfor "$run/sync2/logins-ready.done"
callgrind_control -i on "$vpid" >/dev/null
callgrind_control -z "$vpid" >/dev/null
touch "$run/sync2/logins-ready.go"
waitfor "$run/sync2/logins.done"
callgrind_control --dump=phase-logins "$vpid" >/dev/null
touch "$run/sync2/logins.go"
wait "$ppid"
callgrind_control -i off "$vpid" >/dev/null
kill -TERM "$vpid"
wait "$vpid" || true
trap - EXIT
