# shellcheck shell=bash
# Results steps for the image tests: a session's signed results file (.rujihasil) leaving the
# board, over HTTP as the proctor (/proctor/bundles, /proctor/status.json) and on the host:
#   - online: the board's uploader sends it to `ruji central --results` (central.sh); while the
#     server is down the page says why and the "results not uploaded" attention is raised; the
#     server keeps the file and its receipt (GET /api/v1/results/{sha256});
#   - by hand: the proctor saves every session's file to a blank USB stick (ruji-usb mounts it
#     read-write for that only, then unmounts it: "safe to remove"); on the host the file is
#     read off the stick image (mtools), checked with `ruji results verify`, uploaded on the
#     central server's page POST /results, whose receipt goes back to the board's page.
# Sourced, not run (after exam.sh, usb.sh and central.sh). The caller sets BASE and EXAM
# (exam.sh), USB_DIR (usb.sh) and serial (the boot's console log).

RESULTS_SESSION=S1              # closed with results (usb.sh releases it)
RESULTS_TEST=BIN                # its test
RESULTS_USER=IX-A-01            # peserta.csv of the example folder (usb.sh)
RESULTS_PASSWORD=TKJ7MR2Q
RESULTS_BIRTH=12-05-2011        # as peserta.csv has it (day-month-year)
RESULTS_PROBLEM='Server pusat tidak dapat dihubungi'   # the "unreachable" problem (Indonesian)

# results_page: the proctor's results page, saved as $EXAM/bundles.html.
results_page() { exam_curl proctor -f -o "$EXAM/bundles.html" "$BASE/proctor/bundles"; }

# results_row: $RESULTS_SESSION's row of the page just read (results_page), on one line.
results_row() {
  tr -d '\n' <"$EXAM/bundles.html" | grep -o "<tr id=\"bundle-$RESULTS_SESSION\"[^>]*>.*" \
    | sed 's|</tr>.*||'
}

# results_participant_start TOKEN: $RESULTS_USER logs in, passes the identity check with TOKEN
# and leaves practice (exam.sh).
results_participant_start() {
  exam_login_start "$RESULTS_USER" "$RESULTS_PASSWORD" "$RESULTS_BIRTH" "$1"
}

# results_attention: the attention names of status.json, space-separated (empty when none).
results_attention() {
  exam_curl proctor -f "$BASE/proctor/status.json" | jq -r '.attention | join(" ")'
}

# results_until SECONDS FUNCTION...: tries FUNCTION... every 0.5 s until it succeeds, at most
# SECONDS; the last try's complaint (stderr) is shown when it never did.
results_until() {
  local end=$((SECONDS + $1)) err="$EXAM/until.err"
  shift
  while :; do
    "$@" 2>"$err" && return 0
    if [ "$SECONDS" -ge "$end" ]; then cat "$err" >&2; return 1; fi
    sleep 0.5
  done
}

# results_failed_upload: the session's file waits (rs-wait) after a failed try whose reason is
# shown (rs-problem: the server cannot be reached), and status.json raises
# results_not_uploaded.
results_failed_upload() {
  local row attention
  results_page || return 1
  row=$(results_row)
  case "$row" in
    *'class="rs-wait"'*'<span class="rs-problem">'"$RESULTS_PROBLEM"*) ;;
    *) echo "results page, row $RESULTS_SESSION: ${row:-none}" >&2; return 1 ;;
  esac
  attention=$(results_attention) || return 1
  [[ " $attention " == *" results_not_uploaded "* ]] \
    || { echo "status.json attention: [$attention], no results_not_uploaded" >&2; return 1; }
}

# results_acknowledged: the session's row says received (rs-ok) and status.json no longer
# raises results_not_uploaded.
results_acknowledged() {
  local row attention
  results_page || return 1
  row=$(results_row)
  case "$row" in
    *'class="rs-ok"'*) ;;
    *) echo "results page, row $RESULTS_SESSION: ${row:-none}" >&2; return 1 ;;
  esac
  attention=$(results_attention) || return 1
  [[ " $attention " != *" results_not_uploaded "* ]] \
    || { echo "status.json attention still has results_not_uploaded: [$attention]" >&2; return 1; }
}

# results_csrf: the proctor's CSRF token from the results page.
results_csrf() {
  results_page || return 1
  grep -o 'name="csrf" value="[^"]*"' "$EXAM/bundles.html" | head -n1 | cut -d'"' -f4
}

# results_post PATH WANT CURL-ARGS...: a form POST to the results page's PATH with the CSRF
# token (CURL-ARGS: the other fields, each --data-urlencode, or -F for multipart); expects a 303
# to a URL ending in WANT. The time limit allows the helper's eject wait (120 s).
results_post() {
  local path=$1 want=$2 csrf status field=--data-urlencode
  shift 2
  csrf=$(results_csrf) || csrf=""
  [ -n "$csrf" ] || { echo "no CSRF token on the results page" >&2; return 1; }
  [ "${1:-}" = -F ] && field=-F
  status=$(exam_curl proctor -m 150 -o "$EXAM/post.html" -w '%{http_code} %{redirect_url}' \
    "$field" "csrf=$csrf" "$@" "$BASE$path")
  case "$status" in
    "303 "*"$want") ;;
    *) echo "POST $path: $status (want 303 to ...$want)" >&2; return 1 ;;
  esac
}

# results_upload_now: the page's "upload now" button.
results_upload_now() { results_post /proctor/bundles/upload-now /proctor/bundles?ok=upload; }

# results_served FILE: the board's download of the session's results file, saved as FILE.
results_served() {
  exam_curl proctor -f -o "$1" "$BASE/proctor/bundles/$RESULTS_SESSION/file"
}

# results_same_as_served FILE: FILE is byte for byte the results file the board serves now.
results_same_as_served() {
  results_served "$EXAM/served-now.rujihasil" || return 1
  cmp "$1" "$EXAM/served-now.rujihasil" >&2
}

# results_board_key: the board's device public key (ruji-pk:...) from the console log.
results_board_key() {
  grep -a 'device key' "${serial:?no console log}" | sed 's/\x1b\[[0-9;]*m//g' | tail -n1 \
    | grep -o 'key=ruji-pk:[A-Za-z0-9+/=]*' | cut -d= -f2-
}

# results_collected FILE PORT: the central server keeps FILE (byte for byte) under its
# --results folder, $USB_DIR/collected/<package>/<session>/<sha256>.rujihasil, with its receipt,
# and says so at GET /api/v1/results/{sha256} (over TLS with the test CA, as the board reaches it).
results_collected() {
  local file=$1 port=$2 sha kept reply
  sha=$(sha256sum "$file" | cut -d' ' -f1)
  kept="$USB_DIR/collected/$USB_PACKAGE_ID/$RESULTS_SESSION/$sha.rujihasil"
  cmp -s "$file" "$kept" || { echo "the central server does not keep $kept: $(find "$USB_DIR/collected" -type f 2>/dev/null | tr '\n' ' ')" >&2; return 1; }
  [ -f "${kept%.rujihasil}.receipt.json" ] || { echo "no receipt next to $kept" >&2; return 1; }
  reply=$(results_central_curl "$port" -f "https://$CENTRAL_ADDR/api/v1/results/$sha") || return 1
  jq -e --arg sha "$sha" --arg s "$RESULTS_SESSION" \
    '.receipt.bundle_sha256 == $sha and .receipt.session == $s' <<<"$reply" >/dev/null \
    || { echo "GET /api/v1/results/$sha: $reply" >&2; return 1; }
}

# results_central_curl PORT ARGS...: curl to https://$CENTRAL_ADDR on the host, connected to
# `ruji central` on 127.0.0.1:PORT (its certificate names $CENTRAL_ADDR; the test CA).
results_central_curl() {
  local port=$1
  shift
  curl -sS -m 30 --cacert "$USB_DIR/tls/ca.pem" --connect-to "$CENTRAL_ADDR:443:127.0.0.1:$port" "$@"
}

# results_blank_stick: a blank FAT32 stick image for the results (usb.sh). Sets RESULTS_STICK.
results_blank_stick() {
  RESULTS_STICK="$USB_DIR/results-stick.img"
  usb_blank_stick "$RESULTS_STICK" HASIL
}

# results_stick_listed DEV: the results page lists the stick DEV (a folder under /media).
results_stick_listed() {
  results_page || return 1
  grep -q "<li id=\"stick-$1\">" "$EXAM/bundles.html" || { echo "the results page lists no stick $1" >&2; return 1; }
}

# results_stick_not_listed DEV: the results page no longer lists DEV.
results_stick_not_listed() {
  results_page || return 1
  ! grep -q "<li id=\"stick-$1\">" "$EXAM/bundles.html" || { echo "the results page still lists stick $1" >&2; return 1; }
}

# results_to_stick DEV N: the page's "save to the stick" for DEV; expects N files written and
# the stick unmounted by the board's helper (ok=usb_safe; usb_written would mean no helper).
results_to_stick() {
  results_post /proctor/bundles/usb "/proctor/bundles?ok=usb_safe&n=$2" --data-urlencode "stick=$1"
}

# results_off_stick DIR: copies RUJI-HASIL/*.rujihasil off the stick image into DIR (mtools);
# prints the files copied; fails unless there is exactly one, and no leftover .part file.
results_off_stick() {
  local part="$RESULTS_STICK@@1M" listing
  rm -rf "$1"; mkdir -p "$1"
  listing=$(mdir -b -i "$part" ::RUJI-HASIL 2>&1) || { echo "no RUJI-HASIL on the stick: $listing" >&2; return 1; }
  if grep -q '\.part$' <<<"$listing"; then echo "a .part file was left on the stick: $listing" >&2; return 1; fi
  mcopy -n -i "$part" '::RUJI-HASIL/*.rujihasil' "$1/" || return 1
  [ "$(find "$1" -name '*.rujihasil' | wc -l)" -eq 1 ] || { echo "on the stick: $listing" >&2; return 1; }
  find "$1" -name '*.rujihasil'
}

# results_verify RUJI FILE: the host's `ruji results verify`, accepting only this board's key.
results_verify() {
  local key out rc=0 line
  key=$(results_board_key)
  [ -n "$key" ] || { echo "no device key on the console" >&2; return 1; }
  out=$("$1" results verify --board "$key" "$2" 2>&1) || rc=$?
  while IFS= read -r line; do echo "  $line"; done <<<"$out"
  return "$rc"
}

# results_holds_answers FILE: the bundle's $RESULTS_USER finished $RESULTS_TEST by themselves and
# holds the last acknowledged response of every item in $EXAM/acked-$RESULTS_SESSION.
results_holds_answers() {
  python3 - "$1" "$EXAM/acked-$RESULTS_SESSION" "$RESULTS_USER" "$RESULTS_TEST" <<'PY'
import json, sys, zipfile
path, acked, user, test = sys.argv[1:5]
b = json.loads(zipfile.ZipFile(path).read("bundle.json"))
want = {}
for line in open(acked):
    u, item, resp = line.rstrip("\n").split("\t")
    if u == user:
        want[item] = json.loads(resp)
attempts = [a for p in b["participants"] if p["username"] == user for a in p["attempts"] if a["test"] == test]
if len(attempts) != 1:
    sys.exit(f"{user} has {len(attempts)} attempts of {test} in the bundle")
a = attempts[0]
got = {x["item"]: x["response"] for x in a["answers"]}
missing = [i for i, r in want.items() if got.get(i) != r]
if a["state"] != "finished_participant" or missing or not want:
    sys.exit(f"state {a['state']}; {len(want)} acknowledged; missing or different: {missing}")
print(f"{len(want)} of {len(want)}")
PY
}

# results_hand_upload FILE PORT RECEIPT: FILE uploaded on the central server's page (POST
# /results, multipart field bundle); the receipt it answers with, saved as RECEIPT, names FILE.
results_hand_upload() {
  local sha status
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  status=$(results_central_curl "$2" -o "$3" -w '%{http_code}' -F "bundle=@$1" "https://$CENTRAL_ADDR/results") || return 1
  [ "$status" = 200 ] || { echo "POST /results: HTTP $status $(cat "$3")" >&2; return 1; }
  jq -e --arg sha "$sha" --arg s "$RESULTS_SESSION" '.bundle_sha256 == $sha and .session == $s' "$3" >/dev/null \
    || { echo "receipt: $(cat "$3")" >&2; return 1; }
}

# results_receipt_to_board RECEIPT: the receipt uploaded on the board's results page.
results_receipt_to_board() {
  results_post /proctor/bundles/receipt /proctor/bundles?ok=receipt -F "receipt=@$1;type=application/json"
}
