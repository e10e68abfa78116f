# shellcheck shell=bash
# Helpers the profiling scripts share (sourced). BIN: the release binaries (ruji, loadgen),
# built with symbols into their own target dir (README.md); WORK: scratch space.
BIN=${BIN:-/work/prof-target/release}
WORK=${WORK:-/tmp/prof}
mkdir -p "$WORK"

# template N: a data dir with N demo participants installed, as scripts/bench does it (a first
# start on a fresh directory installs the demo exam and hashes the passwords; then SIGTERM).
# Made once per N and copied for each run.
template() {
    local n=$1 t="$WORK/template-$1" port pid
    if [ ! -f "$t/done" ]; then
        rm -rf "$t"
        mkdir -p "$t/data"
        port=$("$BIN/loadgen" --free-port)
        "$BIN/ruji" serve --listen "127.0.0.1:$port" --data "$t/data" --demo-participants "$n" \
            --open-session H1S1 --token ABCDEF >"$t/install.log" 2>&1 &
        pid=$!
        "$BIN/loadgen" --url "http://127.0.0.1:$port" --wait-only --wait-ready 300
        kill -TERM "$pid"
        wait "$pid" || true
        touch "$t/done"
    fi
    echo "$t/data"
}

# fresh_data N DIR: DIR becomes a copy of the template for N participants.
fresh_data() {
    local src
    src=$(template "$1")
    rm -rf "$2"
    cp -a "$src" "$2"
}

# start_server N DATA LOG [PREFIX...]: `ruji serve` on core 0 (restarted on the installed data,
# as scripts/bench does), behind PREFIX (e.g. valgrind). Sets $port and $pid.
start_server() {
    local n=$1 data=$2 log=$3
    shift 3
    port=$("$BIN/loadgen" --free-port)
    taskset -c 0 "$@" "$BIN/ruji" serve --listen "127.0.0.1:$port" --data "$data" \
        --demo-participants "$n" --open-session H1S1 --token ABCDEF >"$log" 2>&1 &
    pid=$!
    "$BIN/loadgen" --url "http://127.0.0.1:$port" --wait-only --wait-ready 300
}

# serve_copy N DIR LOG: the server on a fresh copy DIR of the template (fresh_data, start_server);
# at exit it is killed and DIR (and DIR.log) removed. Sets $port and $pid.
serve_copy() {
    fresh_data "$1" "$2"
    start_server "$1" "$2" "$3"
    # shellcheck disable=SC2064  # the values now, not at exit
    trap "kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf '$2' '$2.log'" EXIT
}
