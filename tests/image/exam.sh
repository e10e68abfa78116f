# shellcheck shell=bash
# Exam steps for the image tests, over HTTP with curl (cookie jars) and jq: the proctor's first
# setup, login, opening and closing a session (the demo's by default); a participant's login,
# start, answer saves and finish through /api/v1 (docs/api.md); the proctor's results JSON to
# check what was saved.
# Sourced, not run. The caller sets:
#   BASE   http://127.0.0.1:PORT (the QEMU host forward; changes with every boot)
#   EXAM   a directory for cookie jars and the record of acknowledged answers
# Every function prints what went wrong on stderr and returns non-zero on failure.

EXAM_PROCTOR_PASSWORD=${EXAM_PROCTOR_PASSWORD:-ujian-aman-2026}
EXAM_SESSION=H1S1       # the demo package's session (firmware/core/src/demo.rs)
EXAM_TEST=DEMO          # its first (scored) test

# exam_curl JAR ARGS...: curl with the jar JAR under $EXAM (read and written), quiet, 10 s limit.
exam_curl() {
  local jar="$EXAM/$1.jar"; shift
  curl -sS -m 10 -b "$jar" -c "$jar" "$@"
}

# exam_setup_proctor SERIAL_LOG: the first proctor setup with the one-time code that
# `ruji serve` printed on the console.
exam_setup_proctor() {
  local code status
  code=$(grep -a -o 'proctor setup code: [0-9A-Za-z-]*' "$1" | tail -n1 | awk '{print $NF}')
  [ -n "$code" ] || { echo "no proctor setup code on the console ($1)" >&2; return 1; }
  status=$(exam_curl proctor -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "code=$code" --data-urlencode "password=$EXAM_PROCTOR_PASSWORD" \
    --data-urlencode "password2=$EXAM_PROCTOR_PASSWORD" "$BASE/proctor/setup")
  case "$status" in
    303\ */proctor) ;;
    *) echo "proctor setup with code $code: $status" >&2; return 1 ;;
  esac
}

# exam_proctor_login: log the proctor in with the password set up before (after a reboot).
exam_proctor_login() {
  local status
  rm -f "$EXAM/proctor.jar"
  status=$(exam_curl proctor -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "password=$EXAM_PROCTOR_PASSWORD" "$BASE/proctor/login")
  case "$status" in
    303\ */proctor) ;;
    *) echo "proctor login: $status" >&2; return 1 ;;
  esac
}

# exam_dashboard_csrf: the proctor's CSRF token from the dashboard.
exam_dashboard_csrf() {
  local csrf
  csrf=$(exam_curl proctor "$BASE/proctor" | grep -o 'data-csrf="[^"]*"' | head -n1 | cut -d'"' -f2)
  [ -n "$csrf" ] || { echo "no CSRF token on the proctor dashboard" >&2; return 1; }
  echo "$csrf"
}

# exam_session_action SESSION open|close: the dashboard's button for SESSION; expects the 303
# back to the dashboard without an error (?ok=1).
exam_session_action() {
  local csrf status
  csrf=$(exam_dashboard_csrf) || return 1
  status=$(exam_curl proctor -o /dev/null -w '%{http_code} %{redirect_url}' --data-urlencode "csrf=$csrf" \
    "$BASE/proctor/sessions/$1/$2")
  case "$status" in
    "303 "*"/proctor?ok=1") ;;
    *) echo "$2 session $1: $status" >&2; return 1 ;;
  esac
}

# exam_open_session [SESSION]: open SESSION (default the demo's) from the proctor's dashboard
# (with its CSRF token); prints the session's token.
exam_open_session() {
  local session=${1:-$EXAM_SESSION} token
  exam_session_action "$session" open || return 1
  token=$(exam_curl proctor "$BASE/proctor/status.json" | jq -r '.token.token // empty')
  [ -n "$token" ] || { echo "no token for the open session $session" >&2; return 1; }
  echo "$token"
}

# exam_close_session SESSION: close SESSION from the proctor's dashboard.
exam_close_session() { exam_session_action "$1" close; }

# exam_api JAR METHOD PATH [JSON]: a participant API call; prints the body, fails unless 200
# (returns 2 when the request never left: curl could not connect, 1 otherwise). The body goes
# through a file of the jar's own, so participants can call it at the same time.
exam_api() {
  local jar=$1 method=$2 path=$3 body=${4:-} out status rc=0
  out="$EXAM/reply-$jar.json"
  rm -f "$out"
  if [ -n "$body" ]; then
    status=$(exam_curl "$jar" -o "$out" -w '%{http_code}' -X "$method" \
      -H 'Content-Type: application/json' --data "$body" "$BASE/api/v1$path") || rc=$?
  else
    status=$(exam_curl "$jar" -o "$out" -w '%{http_code}' -X "$method" "$BASE/api/v1$path") || rc=$?
  fi
  if [ "$status" != 200 ]; then
    echo "$method $path: HTTP $status $(cat "$out" 2>/dev/null)" >&2
    if [ "$rc" -eq 7 ]; then return 2; fi
    return 1
  fi
  cat "$out"
}

# exam_participant_start N TOKEN: demo participant N (DEMO00N, password and birth date from
# firmware/core/src/demo.rs `login`) logs in, passes the identity check with the token and
# leaves practice, so the test's items can be answered.
exam_participant_start() {
  local n=$1 token=$2 user pass birth words
  words=(mawar melati kenanga anggrek)   # demo::WORDS, first four
  user=$(printf 'DEMO%03d' "$n")
  pass=$(printf '%s%02d' "${words[$(((n - 1) % 4))]}" "$n")
  birth=$(printf '2011-%02d-%02d' $(((n - 1) % 12 + 1)) $(((n - 1) % 26 + 3)))
  exam_login_start "$user" "$pass" "$birth" "$token"
}

# exam_login_start USER PASSWORD BIRTH_DATE TOKEN: a participant logs in, passes the identity
# check (the name the login answered with, BIRTH_DATE as typed) with the token and leaves
# practice, so the test's items can be answered.
exam_login_start() {
  local user=$1 pass=$2 birth=$3 token=$4 name
  name=$(exam_api "$user" POST /login "$(jq -nc --arg u "$user" --arg p "$pass" '{username: $u, password: $p}')" \
    | jq -r .participant.name) || return 1
  exam_api "$user" POST /start "$(jq -nc --arg n "$name" --arg b "$birth" --arg t "$token" \
    '{name: $n, birth_date: $b, token: $t}')" >/dev/null || return 1
  exam_api "$user" POST /practice/end '{}' >/dev/null || return 1
}

# exam_finish USER: the participant finishes the test (confirmed); the login ends with it.
exam_finish() {
  local reply
  reply=$(exam_api "$1" POST /finish '{"confirm": true}') || return 1
  [ "$(jq -r .finished <<<"$reply")" = true ] || { echo "finish $1: $reply" >&2; return 1; }
}

# exam_save_answers USER VARIANT: answers every multiple-choice, short-answer and essay item of
# the current test (VARIANT picks which option or text, so a later round changes the answers),
# each with revision VARIANT + 1. Every save acknowledged (200, saved) is recorded in
# $EXAM_ACKED (default $EXAM/acked; USER TAB ITEM TAB RESPONSE-JSON, the last line of an item
# wins). While a save is on its way it is in $EXAM_ACKED.inflight.USER (the same line); the
# server's 200 removes it, as does a save that never left (no connection); any other failure
# leaves it: after a power cut that file holds the save that was in flight (it may or may not
# have been stored), if any. Prints the number of acknowledged saves.
exam_save_answers() {
  local user=$1 v=$2 n total item id resp reply count=0 acked=${EXAM_ACKED:-$EXAM/acked} inflight
  inflight="${EXAM_ACKED:-$EXAM/acked}.inflight.$user"
  total=$(exam_api "$user" GET /attempt | jq '.items | length') || return 1
  for n in $(seq 1 "$total"); do
    item=$(exam_api "$user" GET "/items/$n") || return 1
    resp=$(jq -c --argjson v "$v" '.item.body as $b
      | if $b.kind == "multiple_choice" then {choice: $b.options[$v % ($b.options | length)].id}
        elif $b.kind == "short_answer" or $b.kind == "essay" then {text: "jawaban \($v) untuk \(.item.id)"}
        else empty end' <<<"$item")
    [ -n "$resp" ] || continue
    id=$(jq -r .item.id <<<"$item")
    printf '%s\t%s\t%s\n' "$user" "$id" "$resp" >"$inflight"
    reply=$(exam_api "$user" PUT "/answers/$id" \
      "$(jq -nc --argjson r "$resp" --argjson rev "$((v + 1))" '{response: $r, doubtful: false, rev: $rev}')") \
      || { if [ $? -eq 2 ]; then rm -f "$inflight"; fi; return 1; }
    rm -f "$inflight"
    if [ "$(jq -r '.saved and (.stale | not)' <<<"$reply")" = true ]; then
      printf '%s\t%s\t%s\n' "$user" "$id" "$resp" >>"$acked"
      count=$((count + 1))
    fi
  done
  echo "$count"
}

# exam_check_answers: the proctor's results JSON holds, for every acknowledged save, the last
# acknowledged response of that item. An item whose save was in flight when the power was cut
# ($EXAM/acked.inflight.USER, see exam_save_answers) holds either that response or the last
# acknowledged one (nothing, if none was); what it holds is then recorded as acknowledged (it
# is on disk now) and the in-flight record is removed. Prints "N of M" acknowledged answers found
# (and how many saves were in flight, how many of them stored); fails when any is missing.
exam_check_answers() {
  local results missing=0 lost=0 total=0 flight=0 newer=0 user item resp key want alt got f
  local -A acked_resp inflight_resp stored seen
  results="$EXAM/results.json"
  exam_curl proctor -o "$results" -f "$BASE/proctor/results/$EXAM_SESSION.json" \
    || { echo "cannot download the results JSON" >&2; return 1; }
  # What the board holds (an item never answered is listed with a null response: nothing), each
  # response in jq's sorted compact form.
  while IFS=$'\t' read -r user item resp; do stored["$user"$'\t'"$item"]=$resp; done < <(jq -r --arg t "$EXAM_TEST" \
    '.attempts[] | select(.test == $t) | .username as $u | .answers[] | select(.response != null) | "\($u)\t\(.item)\t\(.response | tojson)"' \
    "$results" | while IFS=$'\t' read -r user item resp; do printf '%s\t%s\t%s\n' "$user" "$item" "$(jq -cS . <<<"$resp")"; done)
  # The last acknowledged response of each (user, item), and the saves in flight.
  while IFS=$'\t' read -r user item resp; do acked_resp["$user"$'\t'"$item"]=$resp; done <"$EXAM/acked"
  for f in "$EXAM"/acked.inflight.*; do
    [ -f "$f" ] || continue
    while IFS=$'\t' read -r user item resp; do inflight_resp["$user"$'\t'"$item"]=$resp; done <"$f"
  done
  # An acknowledged answer must be exactly there; one with a save in flight may be that save.
  for key in "${!acked_resp[@]}" "${!inflight_resp[@]}"; do
    [ -n "${seen[$key]+x}" ] && continue
    seen[$key]=1
    want="" alt=""
    if [ -n "${acked_resp[$key]+x}" ]; then total=$((total + 1)); want=$(jq -cS . <<<"${acked_resp[$key]}"); fi
    if [ -n "${inflight_resp[$key]+x}" ]; then flight=$((flight + 1)); alt=$(jq -cS . <<<"${inflight_resp[$key]}"); fi
    got=${stored[$key]:-}
    if [ -n "$alt" ] && [ "$got" = "$alt" ]; then
      newer=$((newer + 1))
      printf '%s\t%s\n' "$key" "$got" >>"$EXAM/acked"
    elif [ "$got" != "$want" ]; then
      echo "missing: ${key/$'\t'/ }: acknowledged ${want:-nothing},${alt:+ in flight $alt,} stored ${got:-nothing}" >&2
      missing=$((missing + 1))
      if [ -n "$want" ]; then lost=$((lost + 1)); fi
    fi
  done
  rm -f "$EXAM"/acked.inflight.*
  printf '%d of %d' "$((total - lost))" "$total"
  if [ "$flight" -gt 0 ]; then printf '; %d in flight at the cut, %d of them stored' "$flight" "$newer"; fi
  echo
  [ "$missing" -eq 0 ] && [ "$total" -gt 0 ]
}
