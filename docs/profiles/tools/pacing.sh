#!/usr/bin/env bash
# pacing.sh N ACTIVE SECONDS [loadgen args...]: real speed, server with N demo participants on
# core 0, loadgen on core 1: all N log in and start, ACTIVE of them load a page and save an answer
# for SECONDS (pacing from the args: --think-ms 1000, or --period-ms 1000 with or without --spread).
set -euo pipefail
# shellcheck source=docs/profiles/tools/common.sh
. "$(dirname "$0")/common.sh"
n=$1 active=$2 secs=$3
shift 3
run="$WORK/run-pace-$n-$$"
serve_copy "$n" "$run" "$run.log"
taskset -c 1 "$BIN/loadgen" --url "http://127.0.0.1:$port" --clients "$n" --active "$active" \
    --seconds "$secs" --no-logout --pid "$pid" --json "$@" |
    python3 -c 'import json,sys
d = json.load(sys.stdin)
keys = ["active", "saves", "saves_per_s", "save_ms", "page_ms", "errors"]
print(json.dumps({k: d[k] for k in keys} | {"hwm_mb": round(d["server"]["hwm_peak_kb"] / 1024, 1)}))'
