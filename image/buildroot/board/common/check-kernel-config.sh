#!/usr/bin/env bash
# Checks a configured kernel against Ruji's kernel fragments and boards. Shared by the Buildroot
# build (image/buildroot/external.mk runs it once the kernel is configured, on Buildroot's own
# .config of the Raspberry Pi kernel: the build stops there) and tests/image/check-kernel-config
# (in scripts/test with --debian-source: on Debian's linux-source of the same series, a mainline
# tree, with -x linux.rpi-only; by hand: on the Pi kernel tarball the defconfigs name):
#   1. every option of each FRAGMENT has the fragment's value in DOTCONFIG (CONFIG_X=y is =y,
#      "# CONFIG_X is not set" is not set). The kernel's configuration tools drop an option
#      whose dependencies are missing, or lower =y to =m, without error: for such an option this
#      says what it depends on in SRCTREE's Kconfig files (its own "depends on" and the enclosing
#      if/menu/choice blocks of its file) and which of those symbols are not =y;
#   2. every module that MODULES of a -b META file names (what the fast path loads from
#      Debian's kernel) is built in: the option of its object in SRCTREE's Makefiles
#      (obj-$(CONFIG_X) += name.o) is =y.
# With -x ABSENT (a file of CONFIG_ names, one a line: options of the fragments that SRCTREE is
# known not to have, as linux.rpi-only lists those only the Raspberry Pi kernel has), each
# listed option must be defined by no Kconfig file of SRCTREE and be in a FRAGMENT: it is then
# reported "not checked here", neither passed nor failed; a listed option that SRCTREE defines,
# or that no fragment has, fails (the list is out of date).
# Prints "ok: ...", "FAIL: ..." or "not checked here: ..." for each, then a summary; exits 1
# when anything failed.
#
# Usage: check-kernel-config.sh -s SRCTREE -c DOTCONFIG [-a ARCH] [-x ABSENT] [-b META]...
#                               [FRAGMENT...]
#   SRCTREE   the kernel's source tree (its Kconfig files and Makefiles)
#   DOTCONFIG the configured kernel's .config
#   ARCH      the kernel's ARCH (default arm64): the Kconfig files and Makefiles of other
#             architectures are not read
#   ABSENT    options of the fragments this SRCTREE lacks (never given by the Buildroot build)
set -euo pipefail

usage() { echo "usage: $0 -s SRCTREE -c DOTCONFIG [-a ARCH] [-x ABSENT] [-b META]... [FRAGMENT...]" >&2; exit 2; }
SRC="" DOTCONFIG="" ARCH=arm64 ABSENT="" metas=()
while getopts s:c:a:x:b: opt; do
  case $opt in
    s) SRC=${OPTARG%/} ;;
    c) DOTCONFIG=$OPTARG ;;
    a) ARCH=$OPTARG ;;
    x) ABSENT=$OPTARG ;;
    b) metas+=("$OPTARG") ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
if [ -z "$SRC" ] || [ -z "$DOTCONFIG" ] || { [ $# -eq 0 ] && [ ${#metas[@]} -eq 0 ]; }; then usage; fi
[ -f "$SRC/Kconfig" ] || { echo "check-kernel-config: $SRC is not a kernel source tree" >&2; exit 2; }
[ -f "$DOTCONFIG" ] || { echo "check-kernel-config: no $DOTCONFIG" >&2; exit 2; }
for f in "$@" "${metas[@]}" ${ABSENT:+"$ABSENT"}; do
  [ -f "$f" ] || { echo "check-kernel-config: no $f" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Modules whose symbol the Makefiles do not give as exactly one obj-$(CONFIG_X) += name.o
# (a name built by two options, or a module renamed in this kernel): name=SYMBOL, read first.
declare -A module_symbol=()

passed=0 failed=0 unchecked=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
not_here() { unchecked=$((unchecked + 1)); echo "not checked here: $*"; }

# The configuration: cfg[X] is X's value (y, m, a number or a quoted string); unset options
# are absent.
declare -A cfg=()
while IFS= read -r line; do
  [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]] && cfg[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$DOTCONFIG"
value() { echo "${cfg[$1]:-n}"; }

# The architecture's files and the common ones, not tools/ (its test harnesses build copies of
# real modules) or other architectures.
kernel_files() { # NAME-PATTERN
  find "$SRC" \( -path "$SRC/arch" -o -path "$SRC/tools" -o -path "$SRC/.git" \) -prune -o -type f -name "$1" -print
  find "$SRC/arch" -maxdepth 1 -type f -name "$1" -print
  [ ! -d "$SRC/arch/$ARCH" ] || find "$SRC/arch/$ARCH" -type f -name "$1" -print
}

# depends SYMBOL: one line per definition of SYMBOL, "FILE:LINE<TAB>CONDITION", CONDITION being
# its "depends on" expressions and those of the if/menu/choice blocks around it in its file,
# joined with &&. Nothing when no Kconfig file defines it.
depends() {
  local sym=$1 files
  [ -f "$work/kconfig" ] || kernel_files 'Kconfig*' >"$work/kconfig"
  files=$(xargs -d '\n' grep -lE "^[[:space:]]*(menu)?config[[:space:]]+${sym}[[:space:]]*\$" <"$work/kconfig" || true)
  [ -n "$files" ] || return 0
  # shellcheck disable=SC2016  # awk's own $ fields
  printf '%s\n' "$files" | xargs -d '\n' awk -v sym="$sym" -v src="$SRC/" '
    function indent(s,   n, i, c) { n = 0; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
        if (c == " ") n++; else if (c == "\t") n = n - n % 8 + 8; else break }; return n }
    function emit(   i, all) { all = ""
        for (i = 1; i <= top; i++) if (cond[i] != "") all = all (all == "" ? "" : " && ") "(" cond[i] ")"
        if (own != "") all = all (all == "" ? "" : " && ") own
        print where "\t" (all == "" ? "(no dependency)" : all); capture = 0 }
    FNR == 1 { if (capture) emit(); top = 0; header = 0; inhelp = 0 }
    {
      line = $0
      while (line ~ /\\[ \t]*$/ && (getline nxt) > 0) { sub(/\\[ \t]*$/, "", line); line = line " " nxt }
      if (inhelp) {
        if (line ~ /^[ \t]*$/) next
        if (helpind < 0) { helpind = indent(line); next }
        if (indent(line) >= helpind) next
        inhelp = 0
      }
      sub(/[ \t]+#.*$/, "", line)
      if (line ~ /^[ \t]*(help|---help---)[ \t]*$/) { inhelp = 1; helpind = -1; next }
      if (line ~ /^[ \t]*depends[ \t]+on[ \t]/) {
        expr = line; sub(/^[ \t]*depends[ \t]+on[ \t]+/, "", expr)
        if (capture) own = own (own == "" ? "" : " && ") "(" expr ")"
        else if (header) cond[top] = cond[top] (cond[top] == "" ? "" : " && ") expr
        next
      }
      if (line ~ /^[ \t]*(menu[ \t]|choice|config[ \t]|menuconfig[ \t]|endmenu|endchoice|if[ \t]|endif|source[ \t]|comment[ \t])/) {
        if (capture) emit()
        header = 0
      }
      if (line ~ /^[ \t]*(menu[ \t]|choice)/) { cond[++top] = ""; header = 1 }
      else if (line ~ /^[ \t]*if[ \t]/) { c = line; sub(/^[ \t]*if[ \t]+/, "", c); cond[++top] = c }
      else if (line ~ /^[ \t]*(endmenu|endchoice|endif)/) { if (top > 0) top-- }
      else if (line ~ /^[ \t]*(menu)?config[ \t]/) {
        name = line; sub(/^[ \t]*(menu)?config[ \t]+/, "", name); sub(/[ \t]+$/, "", name)
        if (name == sym) { capture = 1; own = ""; where = FILENAME ":" FNR; sub("^" src, "", where) }
      }
    }
    END { if (capture) emit() }'
}

# explain SYMBOL: why SYMBOL is not what was asked, from its definitions.
explain() {
  local sym=$1 defs where expr s v notes sep=""
  defs=$(depends "$sym")
  if [ -z "$defs" ]; then
    echo "CONFIG_$sym is defined by no Kconfig file of this kernel (renamed or removed)"
    return 0
  fi
  while IFS=$'\t' read -r where expr; do
    notes=""
    for s in $(printf '%s\n' "$expr" | grep -oE '[A-Za-z_][A-Za-z0-9_]*' | grep -vxE 'y|m|n' | sort -u); do
      v=$(value "$s")
      [ "$v" = y ] || notes="$notes $s=$v"
    done
    printf '%sdepends on %s [%s]%s' "$sep" "$expr" "$where" "${notes:+; not =y:$notes}"
    sep=" | "
  done <<<"$defs"
  echo
}

# --- 1. the fragments' options --------------------------------------------------------------
# The fragments merged in order, as Buildroot merges them: the last value of an option counts.
declare -A want=() from=()
order=()
for frag in "$@"; do
  n=0 name=$(basename "$frag")
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
      sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
    elif [[ $line =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      sym=${BASH_REMATCH[1]} val=n
    else
      continue
    fi
    [ -n "${want[$sym]+set}" ] || order+=("$sym")
    want[$sym]=$val from[$sym]="$name:$n"
  done <"$frag"
done
# The options -x says SRCTREE lacks: absent[X] is where the list names X.
declare -A absent=()
list=""
if [ -n "$ABSENT" ]; then
  n=0 list=$(basename "$ABSENT")
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)([[:space:]]|#|$) ]]; then
      absent[${BASH_REMATCH[1]}]="$list:$n"
    fi
  done <"$ABSENT"
  for sym in "${!absent[@]}"; do
    [ -n "${want[$sym]+set}" ] || fail "CONFIG_$sym (${absent[$sym]}): in no fragment; remove it from $list"
  done
fi
for sym in "${order[@]}"; do
  w=${want[$sym]} v=$(value "$sym")
  label="CONFIG_$sym=$w (${from[$sym]})"
  [ "$w" != n ] || label="CONFIG_$sym not set (${from[$sym]})"
  if [ -n "${absent[$sym]+set}" ]; then
    defs=$(depends "$sym")
    if [ -n "$defs" ]; then
      fail "$label: ${absent[$sym]} says this kernel lacks it, but it defines it (${defs%%$'\t'*}); remove it from $list so that it is checked here (is $v)"
    else
      not_here "$label: defined by no Kconfig file of this kernel (${absent[$sym]})"
    fi
  elif [ "$v" = "$w" ]; then
    ok "$label"
  elif [ "$w" = n ]; then
    fail "$label: is $v"
  else
    fail "$label: is $v; $(explain "$sym")"
  fi
done

# --- 2. the boards' modules -------------------------------------------------------------------
if [ ${#metas[@]} -gt 0 ]; then
  declare -A boards_of=()
  modules=()
  for meta in "${metas[@]}"; do
    board=$(basename "$(dirname "$meta")")
    # shellcheck source=board/rpi4/meta
    listed=$(. "$meta" && printf '%s\n' "${MODULES:-}") || listed=""
    # A board file that cannot be read, or names no module, checks nothing: that is a failure.
    [ -n "$listed" ] || fail "$meta: no MODULES (the file could not be read, or names none)"
    for m in $listed; do
      m=${m//-/_}
      [ -n "${boards_of[$m]+set}" ] || modules+=("$m")
      boards_of[$m]="${boards_of[$m]:+${boards_of[$m]} }$board"
    done
  done
  # Every obj-$(CONFIG_X) += name.o of the Makefiles: "name SYMBOL FILE" (name with - as _).
  objects=$work/objects
  kernel_files Makefile >"$work/makefiles"
  kernel_files Kbuild >>"$work/makefiles"
  # shellcheck disable=SC2016  # awk's own $ signs
  xargs -d '\n' awk -v src="$SRC/" '
    {
      line = $0
      while (line ~ /\\[ \t]*$/ && (getline nxt) > 0) { sub(/\\[ \t]*$/, "", line); line = line " " nxt }
      if (!match(line, /^[ \t]*obj-\$\(CONFIG_[A-Za-z0-9_]+\)[ \t]*[:+]?=/)) next
      sym = substr(line, RSTART, RLENGTH); sub(/^[ \t]*obj-\$\(CONFIG_/, "", sym); sub(/\).*$/, "", sym)
      rest = substr(line, RSTART + RLENGTH); sub(/#.*$/, "", rest)
      where = FILENAME; sub("^" src, "", where)
      n = split(rest, w, /[ \t]+/)
      for (i = 1; i <= n; i++) if (w[i] ~ /^[A-Za-z0-9_\/-]+\.o$/) {
        name = w[i]; sub(/^.*\//, "", name); sub(/\.o$/, "", name); gsub(/-/, "_", name)
        print name, sym, where
      }
    }' <"$work/makefiles" | sort -u >"$objects"
  for m in "${modules[@]}"; do
    label="module $m (${boards_of[$m]})"
    if [ -n "${module_symbol[$m]:-}" ]; then
      syms=${module_symbol[$m]}
    else
      syms=$(awk -v m="$m" '$1 == m { print $2 }' "$objects" | sort -u | tr '\n' ' ')
      syms=${syms% }
    fi
    case "$syms" in
      "") fail "$label: no obj-\$(CONFIG_...) += $m.o in the kernel's Makefiles (renamed? name its option in module_symbol of $0)" ;;
      *" "*) fail "$label: built by more than one option ($(awk -v m="$m" '$1 == m { printf "%s%s in %s", s, $2, $3; s = ", " }' "$objects")): name the one in module_symbol of $0" ;;
      *)
        v=$(value "$syms")
        if [ "$v" = y ]; then
          ok "$label: CONFIG_$syms=y"
        elif [ -n "${want[$syms]+set}" ]; then
          fail "$label: CONFIG_$syms is $v, not built in (the fragment's CONFIG_$syms=${want[$syms]} is above)"
        else
          fail "$label: CONFIG_$syms is $v, not built in: add CONFIG_$syms=y to the fragment; $(explain "$syms")"
        fi
        ;;
    esac
  done
fi

others=""
[ "$unchecked" -eq 0 ] || others=" ($unchecked more not checked here: this kernel lacks them, as $list says)"
if [ "$failed" -eq 0 ]; then
  echo "check-kernel-config: $DOTCONFIG has the $passed options and modules asked for$others"
else
  echo "check-kernel-config: $DOTCONFIG lacks $failed of the $((passed + failed)) options and modules asked for (FAIL above)$others"
  exit 1
fi
