# shellcheck shell=bash
# Central server steps for the image tests: the board's WAN (a second virtio NIC on QEMU's
# user network, restrict=on, so its DHCP offers no router and no DNS) gets its address from
# QEMU's DHCP through ruji-wan, and reaches
# https://10.0.2.100 only, which QEMU's guestfwd relays (tests/image/relay.py) to `ruji central`
# on the host's 127.0.0.1. The server's certificate is signed by a test CA that the card's
# ruji.toml trusts ([central] ca), as a district running its own CA would do.
# Sourced, not run (after usb.sh, whose package and issuer key the server hands out). The caller
# sets USB_DIR (usb.sh) and serial (the boot's console log).

CENTRAL_ADDR=10.0.2.100     # the central server as the board sees it
CENTRAL_SESSION=S2          # released from the central server (S1 is typed, usb.sh)

# central_certs: a test CA and a server certificate for $CENTRAL_ADDR signed by it (openssl).
central_certs() {
  local d=$USB_DIR/tls
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=Ruji test district CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$CENTRAL_ADDR" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
  printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    "$CENTRAL_ADDR" >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 1 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
}

# central_config DISK: ruji.toml on the card's boot partition names the server and the CA
# (after usb_trust_issuer, which left its copy in $USB_DIR/ruji.toml).
central_config() {
  local boot="$1@@4M"
  mcopy -n -i "$boot" ::ruji.toml "$USB_DIR/ruji.toml" || return 1
  python3 - "$USB_DIR/ruji.toml" "https://$CENTRAL_ADDR" "$USB_DIR/tls/ca.pem" <<'PY' || return 1
import sys
path, url, ca = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(path).read()
entry = f'url = "{url}"\nca = \'\'\'\n{ca}\'\'\'\n'
if "\n[central]\n" in text:
    text = text.replace("\n[central]\n", "\n[central]\n" + entry, 1)
else:
    text += "\n[central]\n" + entry
open(path, "w").write(text)
PY
  mcopy -o -i "$boot" "$USB_DIR/ruji.toml" ::ruji.toml
}

# central_qemu_args PORT: the WAN NIC's QEMU arguments (printed one per line). QEMU (libslirp)
# gives the relay the guest's connection as stdin, stdout and stderr: its stderr goes to
# /dev/null, so that while the server is down the board sees the connection closed (as a
# refused one), not Python's traceback as the server's answer.
central_qemu_args() {
  printf '%s\n' -netdev \
    "user,id=wan,net=10.0.2.0/24,restrict=on,guestfwd=tcp:$CENTRAL_ADDR:443-cmd:sh -c 'exec python3 $PWD/tests/image/relay.py $1 2>/dev/null'" \
    -device virtio-net-pci,netdev=wan,romfile=
}

# central_start RUJI PORT: registers the board (its device key from the console log) and
# starts `ruji central` with the package on 127.0.0.1:PORT, collecting result bundles in
# $USB_DIR/collected (kept across restarts). Every session's time has come (a lead of ten
# years). Sets CENTRAL_PID and CENTRAL_BOARD (the board's short id).
central_start() {
  local line key serial=${serial:?no console log}
  line=$(grep -a 'device key' "$serial" | sed 's/\x1b\[[0-9;]*m//g' | tail -n1)
  key=$(grep -o 'key=ruji-pk:[A-Za-z0-9+/=]*' <<<"$line" | cut -d= -f2-)
  CENTRAL_BOARD=$(grep -o 'id=[0-9A-Z]\{4\}-[0-9A-Z]\{4\}' <<<"$line" | cut -d= -f2)
  if [ -z "$key" ] || [ -z "$CENTRAL_BOARD" ]; then echo "no device key on the console" >&2; return 1; fi
  echo "$key ruang ujian 1 (QEMU)" >"$USB_DIR/boards.txt"
  mkdir -p "$USB_DIR/central"
  cp "$USB_DIR/contoh.rujipkg" "$USB_DIR/central/"
  "$1" central --key "$USB_DIR/penerbit.key" --packages "$USB_DIR/central" \
    --listen "127.0.0.1:$2" --tls-cert "$USB_DIR/tls/server.pem" --tls-key "$USB_DIR/tls/server.key" \
    --devices "$USB_DIR/boards.txt" --lead-minutes 5256000 --results "$USB_DIR/collected" \
    >"$USB_DIR/central.log" 2>&1 &
  CENTRAL_PID=$!
  local i=0
  until grep -q 'ruji central listening' "$USB_DIR/central.log"; do
    kill -0 "$CENTRAL_PID" 2>/dev/null || { cat "$USB_DIR/central.log" >&2; return 1; }
    [ $i -lt 100 ] || return 1
    sleep 0.1; i=$((i + 1))
  done
}

# central_release: the proctor fetches $CENTRAL_SESSION's key from the central server.
central_release() { usb_post /proctor/package/central "session=$CENTRAL_SESSION" /proctor/package?ok=central; }

# central_logged: the server logged the release to this board (names it got from the client are
# logged quoted).
central_logged() {
  sed 's/\x1b\[[0-9;]*m//g' "$USB_DIR/central.log" | grep 'release code given' \
    | grep -q "board=$CENTRAL_BOARD.*session=\"\\?$CENTRAL_SESSION\\b"
}

central_stop() {
  [ -n "${CENTRAL_PID:-}" ] && kill "$CENTRAL_PID" 2>/dev/null && wait "$CENTRAL_PID" 2>/dev/null
  CENTRAL_PID=""
}
