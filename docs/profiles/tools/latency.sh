#!/usr/bin/env bash
# latency.sh N SECONDS THINK_MS [loadgen args...]: the project's loadgen (as scripts/bench, one
# client per participant, THINK_MS after each page load + save) on core 1 against a server with
# N demo participants on core 0; prints loadgen's figures and the server's peak RSS.
set -euo pipefail
# shellcheck source=docs/profiles/tools/common.sh
. "$(dirname "$0")/common.sh"
n=$1 secs=$2 think=$3
shift 3
run="$WORK/run-lat-$n-$$"
serve_copy "$n" "$run" "$run.log"
taskset -c 1 "$BIN/loadgen" --url "http://127.0.0.1:$port" --clients "$n" --seconds "$secs" \
    --token ABCDEF --login-concurrency 8 --think-ms "$think" --pid "$pid" --json "$@" |
    python3 -c 'import json,sys
d = json.load(sys.stdin); s = d["server"]
keys = ["clients_ready", "setup_seconds", "seconds", "saves", "saves_per_s", "save_ms", "page_ms", "errors"]
print(json.dumps({k: d[k] for k in keys} | {"hwm_setup_mb": round(s["hwm_setup_kb"] / 1024, 1),
      "hwm_loop_mb": round(s["hwm_loop_kb"] / 1024, 1), "rss_end_mb": round(s["rss_end_kb"] / 1024, 1)}))'
