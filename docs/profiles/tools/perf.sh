#!/usr/bin/env bash
# perf.sh N LOOP_SECONDS THINK_MS DELAY RECORD OUT: as latency.sh (loadgen, one client per
# participant, THINK_MS pause), plus `perf record` of the server (software event cpu-clock at
# PERF_FREQ Hz, DWARF call graphs) for RECORD seconds from DELAY seconds after loadgen starts
# (once its logins are done). Writes OUT/perf.data, OUT/loadgen.json, OUT/cpu.txt.
set -euo pipefail
# shellcheck source=docs/profiles/tools/common.sh
. "$(dirname "$0")/common.sh"
n=$1 secs=$2 think=$3 delay=$4 rec=$5 out=$6
mkdir -p "$out"
run="$WORK/run-perf-$n-$$"
serve_copy "$n" "$run" "$out/server.log"
taskset -c 1 "$BIN/loadgen" --url "http://127.0.0.1:$port" --clients "$n" --seconds "$secs" \
    --token ABCDEF --login-concurrency 8 --think-ms "$think" --pid "$pid" --json \
    >"$out/loadgen.json" 2>"$out/loadgen.err" &
lg=$!
sleep "$delay"
awk '{print "before utime", $14, "stime", $15}' "/proc/$pid/stat" >"$out/cpu.txt"
taskset -c 1 perf record -e cpu-clock -F "${PERF_FREQ:-999}" -g --call-graph "dwarf,${PERF_STACK:-65528}" \
    -p "$pid" -o "$out/perf.data" -- sleep "$rec" 2>"$out/perf.err"
awk '{print "after utime", $14, "stime", $15}' "/proc/$pid/stat" >>"$out/cpu.txt"
wait "$lg" || true
