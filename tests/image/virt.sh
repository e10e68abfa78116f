# shellcheck shell=bash
# shellcheck disable=SC2154  # tmp and logs are set by the caller
# QEMU virt boots for the image tests: start the card in QEMU and wait for the login page,
# talk to QEMU's monitor, wait for a line on the serial console, cut the power, and count
# checks. Sourced, not run (tests/image/boot-virt, tests/image/boot-clock). The caller sets:
#   tmp    a scratch directory (the disk is $tmp/disk.img; the monitor's socket, pages)
#   logs   where the serial console logs go
# `boot` sets qpid, port, BASE, serial, code and t, and adds t to the array `times`.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

passed=0 failed=0 times=()
check() { # NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"; else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
absent() { ! grep -aq "$1" "$2"; }

# boot RUN [QEMU ARGS...]: start QEMU on the disk and wait for the login page. Sets qpid, port, BASE, serial,
# code (HTTP status of the last try) and t (seconds to the first 200, empty on time-out).
boot() {
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  serial="$logs/serial-$1.log"
  : >"$serial"
  local start
  start=$(date +%s.%N)
  rm -f "$tmp/mon.sock"
  IMAGE="$tmp/disk.img" PORT=$port SERIAL_LOG="$serial" MONITOR="$tmp/mon.sock" scripts/run-qemu qemu-virt "${@:2}" >"$tmp/qemu.log" 2>&1 &
  qpid=$!
  code="" t=""
  while :; do
    code=$(curl -s -m 2 -o "$tmp/page.html" -w '%{http_code}' "$BASE/" 2>/dev/null || true)
    if [ "$code" = 200 ]; then t=$(echo "$(date +%s.%N) - $start" | bc); break; fi
    kill -0 "$qpid" 2>/dev/null || { echo "QEMU exited:"; cat "$tmp/qemu.log"; break; }
    [ "$(echo "$(date +%s.%N) - $start > $BOOT_TIMEOUT" | bc)" = 1 ] && break
    sleep 0.2
  done
  check "boot $1: login page served through 127.0.0.1:$port" [ "$code" = 200 ]
  check "boot $1: page is the participant login" grep -q 'action="/login"' "$tmp/page.html"
  check "boot $1: Ruji claimed 192.168.0.200/24 from ruji.toml (RFC 5227) and set it" \
    bash -c "grep -a 'LAN address claimed' '$serial' | grep -q '192.168.0.200/24'"
  check "boot $1: the clock was checked against the last known time" grep -aq '^ruji-clock: ' "$serial"
  check "boot $1: data checked and mounted (no rescue shell)" absent 'ruji-init: ERROR' "$serial"
  if [ -n "$t" ]; then times+=("$t"); printf 'boot %d: boot-to-first-page %.2f s\n' "$1" "$t"; fi
  if [ "$code" != 200 ]; then echo "--- serial console (last 40 lines)"; tail -n 40 "$serial"; fi
}

# monitor COMMAND: one HMP command to this boot's QEMU monitor. Prints what QEMU answered
# beyond its banner, prompt, echo and "OK" (nothing, unless something went wrong).
monitor() {
  python3 - "$tmp/mon.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(0.3)
s.setblocking(False)
out = b""
try:
    while chunk := s.recv(4096):
        out += chunk
except (BlockingIOError, ConnectionError):
    pass
s.close()
for line in out.decode(errors="replace").replace("\r", "").split("\n"):
    line = line.replace("(qemu) ", "").strip()
    if line and line != "OK" and not line.startswith("QEMU ") and not line.startswith(sys.argv[2].split()[0]) \
            and "\x1b" not in line:
        print(line)
PY
}

# wait_for PATTERN SECONDS [LINE]: until the serial console shows PATTERN (on line LINE or
# later; default anywhere).
wait_for() {
  local i=0
  while [ $i -lt $(($2 * 5)) ]; do
    tail -n +"${3:-1}" "$serial" | grep -aq "$1" && return 0
    sleep 0.2; i=$((i + 1))
  done
  return 1
}

# logged SECONDS PATTERN...: until one line of the serial console (colours taken out) matches
# every PATTERN (grep -E).
logged() {
  local i=0 n=$1; shift
  while [ $i -lt $((n * 5)) ]; do
    local lines
    lines=$(sed 's/\x1b\[[0-9;]*m//g' "$serial")
    for p in "$@"; do lines=$(grep -aE -- "$p" <<<"$lines") || break; done
    [ -n "$lines" ] && return 0
    sleep 0.2; i=$((i + 1))
  done
  return 1
}

# console_lines: how many lines the serial console has so far.
console_lines() { wc -l <"$serial"; }

hard_kill() {
  kill -9 "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  qpid=""
}
