# shellcheck shell=bash
# USB stick steps for the image tests: on the host, a signed package made from the example
# authoring folder with the host's ruji (`ruji keygen`, `ruji pack`) on a FAT32 "stick" image
# (MBR, one partition; mtools, no root); the issuer's public key trusted in the card's
# ruji.toml; then, over HTTP as the proctor: the package page lists the files, one is imported
# from the stick, a session is released with its release code (`ruji release-code`) and the
# sync report shows it released. Also a blank stick image (results.sh saves the results to it).
# Sourced, not run (after exam.sh). The caller sets BASE and EXAM (exam.sh) and USB_DIR, a
# directory for the key, the package and the stick image.

USB_FOLDER=firmware/import/tests/fixtures/native/contoh   # the example authoring folder
USB_PACKAGE_ID=PAS-2026-IX-CONTOH                       # its paket.toml id
USB_SESSION=S1                                          # its first session (sealed test BIN)
USB_TOP=contoh.rujipkg                                  # on the stick's top level
USB_DEEP=UJIAN/pas-ix.rujipkg                           # one folder deep

# usb_host_ruji: builds (debug) and prints the host's ruji binary.
usb_host_ruji() {
  cargo build --locked -q -p ruji >&2 || return 1
  echo "$PWD/target/debug/ruji"
}

# usb_make_stick RUJI: issuer key, package and a 64 MiB stick image with a FAT32 partition at
# 1 MiB holding the package twice (top level and in a folder). Sets USB_PUBLIC (the key) and
# USB_STICK (the image).
usb_make_stick() {
  local ruji=$1 part
  rm -rf "$USB_DIR"; mkdir -p "$USB_DIR"
  "$ruji" keygen -o "$USB_DIR/penerbit.key" >/dev/null || return 1
  USB_PUBLIC=$(cat "$USB_DIR/penerbit.key.pub")
  "$ruji" pack "$USB_FOLDER" --key "$USB_DIR/penerbit.key" -o "$USB_DIR/contoh.rujipkg" >/dev/null || return 1
  USB_STICK="$USB_DIR/stick.img"
  usb_blank_stick "$USB_STICK" FLASHDISK || return 1
  part="$USB_STICK@@1M"
  mmd -i "$part" ::UJIAN || return 1
  mcopy -i "$part" "$USB_DIR/contoh.rujipkg" "::$USB_TOP" || return 1
  mcopy -i "$part" "$USB_DIR/contoh.rujipkg" "::$USB_DEEP" || return 1
  sha256sum "$USB_STICK" | cut -d' ' -f1 >"$USB_DIR/stick.sha256"
}

# usb_blank_stick IMAGE LABEL: a blank 64 MiB stick image: an MBR with one FAT32 (LBA, type
# 0x0c) partition from sector 2048 (1 MiB) to the end, as sticks come, labelled LABEL.
usb_blank_stick() {
  rm -f "$1"
  truncate -s 64M "$1"
  python3 - "$1" <<'PY' || return 1
import struct, sys
start, total = 2048, 64 * 2048
entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x0C, b"\xfe\xff\xff", start, total - start)
with open(sys.argv[1], "r+b") as f:
    f.seek(446); f.write(entry); f.seek(510); f.write(b"\x55\xaa")
PY
  mformat -i "$1@@1M" -F -T $((64 * 2048 - 2048)) -h 64 -s 32 -v "$2" ::
}

# usb_trust_issuer DISK: adds the issuer's key to ruji.toml on the card's boot partition (FAT at
# 4 MiB, image/genimage/ruji.cfg.in), as a school would with a text editor.
usb_trust_issuer() {
  local boot="$1@@4M"
  mcopy -n -i "$boot" ::ruji.toml "$USB_DIR/ruji.toml" || return 1
  # The shipped file already has a [packages] table (its key commented out): set the key there,
  # or add the table when a school's file has none.
  if grep -q '^\[packages\]' "$USB_DIR/ruji.toml"; then
    sed -i "/^\[packages\]/a trusted_issuers = [\"$USB_PUBLIC\"]" "$USB_DIR/ruji.toml"
  else
    printf '\n[packages]\ntrusted_issuers = ["%s"]\n' "$USB_PUBLIC" >>"$USB_DIR/ruji.toml"
  fi
  mcopy -o -i "$boot" "$USB_DIR/ruji.toml" ::ruji.toml
}

# usb_csrf: the proctor's CSRF token from the package page (saved as $EXAM/package.html).
usb_csrf() {
  exam_curl proctor -f -o "$EXAM/package.html" "$BASE/proctor/package" || return 1
  grep -o 'name="csrf" value="[^"]*"' "$EXAM/package.html" | head -n1 | cut -d'"' -f4
}

# usb_listed PATH...: the package page lists every PATH (a file on the stick, as the board sees it).
usb_listed() {
  local p
  usb_csrf >/dev/null || return 1
  for p in "$@"; do
    grep -q "<code>$p</code>" "$EXAM/package.html" || { echo "package page does not list $p" >&2; return 1; }
  done
}

# usb_none_listed: the page lists no file and says that no stick holds a package (Indonesian,
# the default language).
usb_none_listed() {
  usb_csrf >/dev/null || return 1
  ! grep -q '\.rujipkg</code>' "$EXAM/package.html" && grep -q 'Tidak ada berkas .rujipkg di flashdisk' "$EXAM/package.html"
}

# usb_post PATH FORM...: a proctor form POST with the CSRF token; expects 303 to WANT (last arg).
usb_post() {
  local path=$1 want=${*: -1} csrf status args=()
  csrf=$(usb_csrf) || csrf=""
  [ -n "$csrf" ] || { echo "no CSRF token on the package page" >&2; return 1; }
  shift
  while [ $# -gt 1 ]; do args+=(--data-urlencode "$1"); shift; done
  status=$(exam_curl proctor -o "$EXAM/post.html" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "csrf=$csrf" "${args[@]}" "$BASE$path")
  case "$status" in
    "303 "*"$want") ;;
    *) echo "POST $path: $status $(sed -n 's/.*role="alert"><p><b>\([^<]*\).*/\1/p' "$EXAM/post.html")" >&2; return 1 ;;
  esac
}

# usb_import PATH: imports the listed file PATH from the stick.
usb_import() { usb_post /proctor/package/usb "path=$1" /proctor/package?ok=imported; }

# usb_release RUJI: releases $USB_SESSION with the code from `ruji release-code`.
usb_release() {
  local code
  code=$("$1" release-code "$USB_DIR/contoh.rujipkg" --key "$USB_DIR/penerbit.key" --session "$USB_SESSION" | cut -f2)
  [ -n "$code" ] || { echo "no release code for $USB_SESSION" >&2; return 1; }
  usb_post /proctor/package/release "session=$USB_SESSION" "code=$code" /proctor/package?ok=released
}

# usb_report_released [SESSION]: the sync report names the imported package, and SESSION
# (default $USB_SESSION) released.
usb_report_released() {
  exam_curl proctor -f -o "$EXAM/report.json" "$BASE/proctor/package/report.json" || return 1
  jq -e --arg id "$USB_PACKAGE_ID" --arg s "${1:-$USB_SESSION}" \
    '.package.id == $id and .package.imported and (.sessions[] | select(.id == $s) | .released_at != null)' \
    "$EXAM/report.json" >/dev/null || { echo "report: $(jq -c '{package: .package.id, sessions}' "$EXAM/report.json")" >&2; return 1; }
}

# usb_stick_unchanged: not one byte of the stick image was written.
usb_stick_unchanged() { [ "$(sha256sum "$USB_STICK" | cut -d' ' -f1)" = "$(cat "$USB_DIR/stick.sha256")" ]; }
