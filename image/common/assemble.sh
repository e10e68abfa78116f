# shellcheck shell=bash
# The one assembly of Ruji's SD card, shared by both ways of building it. Sourced, not run:
#   fast path   image/assemble/build (scripts/build-image): Debian's packages + the cross-built ruji
#   Buildroot   image/buildroot/board/common/post-build.sh and post-image.sh: Buildroot's
#               TARGET_DIR and BINARIES_DIR
# A caller only says where the pieces are (CARD_* below) and adds its own specifics as hooks;
# everything else is the same code for every board and both paths. Board data comes from
# board/BOARD/ (meta, config.txt, cmdline.txt; see board/README.md).
#
# Functions
#   assemble_fakeroot CMD...  unless already under fakeroot: exec CMD (normally "$0" "$@") under
#                             fakeroot, so files in the images are root's and the initramfs can
#                             have /dev/console without privileges ($CARD_FAKEROOT first, else
#                             the machine's fakeroot)
#   assemble_load_board BOARD BOARD and BOARD_DIR set, board/BOARD/meta sourced (its keys become
#                             variables), board/BOARD/hooks.sh sourced when the board has one
#   assemble_root DIR         what every root needs from the board: /etc/ruji/board (BOARD,
#                             LAN_IFACE, CONSOLE, the LED_NAME and BUTTON_* lines of meta) and the
#                             mount points /data and /boot; then the "root" hooks. The fast path
#                             runs it on its root tree, Buildroot's post-build on TARGET_DIR.
#   assemble_card             the card, from the pieces below:
#     1. initramfs  image/common/init, busybox, e2fsck and resize2fs (with their ELF interpreter
#                   and libraries, into /lib), the board's MODULES with their dependencies in
#                   load order (etc/modules.order); "initramfs" hooks; gzip'd newc cpio
#     2. root       CARD_ROOT_IMAGE as given, or CARD_ROOT_DIR made into a squashfs (xz, 256 KiB
#                   blocks, all files root's)
#     3. boot       CARD_FIRMWARE, the kernel as KERNEL_FILE, initrd.img, CARD_DTBS,
#                   board/BOARD/config.txt and cmdline.txt, ruji.toml (the overlay's default),
#                   extlinux/extlinux.conf when BOOTLOADER=extlinux; "boot" hooks
#     4. genimage   image/genimage/ruji.cfg.in filled in (@BOARD@, @BOOT_SIZE@, @DATA_SIZE@,
#                   @ROOT_IMAGE@, @BOOT_FILES@) -> CARD_OUT/ruji-BOARD.img; "image" hooks
#     5. xz         CARD_OUT/ruji-BOARD.img.xz (XZ_LEVEL, default 9), the .img kept
#
# What the caller sets (besides REPO, the repository's top directory, found when unset)
#   CARD_BY           the caller's path in the repository, named in the files it generates
#                     (/etc/ruji/board, extlinux.conf): "Written by CARD_BY from board/BOARD/meta."
#   CARD_WORK         scratch directory (the caller empties it); CARD_OUT: where the card goes
#   CARD_SYSROOT      a root file system with busybox, e2fsck and resize2fs in bin, sbin,
#                     usr/bin or usr/sbin, and the libraries they need in lib, lib64, usr/lib,
#                     usr/lib64 or a multiarch directory under lib or usr/lib (Debian's packages
#                     unpacked, or Buildroot's TARGET_DIR). Symbolic links are followed inside it.
#   CARD_MODULES_DIR  the kernel's module tree (lib/modules/VERSION, with modules.dep and
#                     modules.builtin) to take the board's MODULES from; unset or empty: no
#                     modules (a kernel with its drivers built in)
#   CARD_KERNEL       the kernel image file
#   CARD_DTBS         array: device trees for the root of the boot partition (may be empty)
#   CARD_FIRMWARE     array: files for the root of the boot partition; a directory stands for
#                     what it holds (subdirectories kept). Copied first: the board's config.txt
#                     and cmdline.txt replace ones it brings.
#   CARD_ROOT_IMAGE   a squashfs root made elsewhere, or CARD_ROOT_DIR: a root tree to squash
#   CARD_FAKEROOT     (optional) the fakeroot program to prefer
# Knobs from the environment or board/BOARD/meta: BOOT_SIZE (default 96M), DATA_SIZE (64M),
# XZ_LEVEL (9).
#
# Hooks (the Home Assistant OS way: the generic steps call a function when it is defined)
#   hook_STAGE        defined by the caller: what one build path does differently
#   board_hook_STAGE  defined in board/BOARD/hooks.sh: what one board needs that data cannot say
# For a STAGE, the caller's hook runs first, then the board's. Each gets one argument; the board's
# meta keys, BOARD, BOARD_DIR, REPO and the CARD_* variables are there to read. Stages:
#   root DIR          the root tree, after /etc/ruji/board (post-build on Buildroot: before
#                     Buildroot makes its squashfs)
#   initramfs DIR     the initramfs tree, before it is packed
#   boot DIR          the boot partition's files, before the genimage configuration lists them
#                     (a hook that changes cmdline.txt also changes extlinux/extlinux.conf)
#   image FILE        CARD_OUT/ruji-BOARD.img, before xz (e.g. a boot loader at a raw offset)
# Hooks run under the callers' `set -euo pipefail`: a failing command in one stops the build.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

assemble_step() { echo "== ruji: $*" >&2; }
assemble_fail() { echo "ruji: $*" >&2; return 1; }

assemble_fakeroot() {
  [ -z "${FAKEROOTKEY:-}" ] || return 0
  local fr=${CARD_FAKEROOT:-}
  if [ -z "$fr" ] || [ ! -x "$fr" ]; then
    fr=$(command -v fakeroot) || { echo "ruji: fakeroot not found" >&2; exit 1; }
  fi
  exec "$fr" -- "$@"
}

assemble_load_board() {
  BOARD=${1:?assemble_load_board BOARD}
  BOARD_DIR="$REPO/board/$BOARD"
  [ -f "$BOARD_DIR/meta" ] || assemble_fail "unknown board '$BOARD' (no $BOARD_DIR/meta)" || return 2
  # shellcheck source=board/rpi4/meta
  . "$BOARD_DIR/meta"
  if [ -f "$BOARD_DIR/hooks.sh" ]; then
    # shellcheck source=/dev/null  # one board's hooks, found by the board's name
    . "$BOARD_DIR/hooks.sh"
  fi
}

# assemble_hook STAGE ARG: the caller's hook_STAGE, then the board's board_hook_STAGE, when defined.
assemble_hook() {
  local stage=$1 f
  shift
  for f in "hook_$stage" "board_hook_$stage"; do
    if declare -F "$f" >/dev/null; then
      assemble_step "$f"
      "$f" "$@"
    fi
  done
}

assemble_root() {
  local root=${1:?assemble_root DIR}
  : "${CARD_BY:?CARD_BY is not set}"
  [ -n "${LAN_IFACE:-}" ] || assemble_fail "$BOARD_DIR/meta sets no LAN_IFACE" || return 1
  mkdir -p "$root/etc/ruji" "$root/data" "$root/boot"
  {
    echo "# Written by $CARD_BY from board/$BOARD/meta."
    echo "BOARD=$BOARD"
    echo "LAN_IFACE=$LAN_IFACE"
    echo "CONSOLE=${CONSOLE:-}"
    sed -n '/^LED_NAME=\|^BUTTON_/p' "$BOARD_DIR/meta"
  } >"$root/etc/ruji/board"
  assemble_hook root "$root"
}

# --- finding programs and libraries in CARD_SYSROOT ----------------------------------------

# assemble_resolve PATH: PATH with its symbolic links followed inside CARD_SYSROOT (an absolute
# link target is read as a path in the sysroot, not on this machine); fails unless a file is there.
assemble_resolve() {
  local p=$1 t n=0
  while [ -L "$p" ]; do
    t=$(readlink "$p")
    case $t in
      /*) p="$CARD_SYSROOT$t" ;;
      *) p="$(dirname "$p")/$t" ;;
    esac
    n=$((n + 1))
    [ $n -le 40 ] || return 1
  done
  [ -f "$p" ] && echo "$p"
}

# assemble_program NAME: program NAME of CARD_SYSROOT (a file, not a link such as busybox's
# applet links), merged /usr or not.
assemble_program() {
  local d
  for d in bin sbin usr/bin usr/sbin; do
    if [ -f "$CARD_SYSROOT/$d/$1" ] && [ ! -L "$CARD_SYSROOT/$d/$1" ]; then
      echo "$CARD_SYSROOT/$d/$1"
      return 0
    fi
  done
  assemble_fail "$1 not found in $CARD_SYSROOT (bin, sbin, usr/bin, usr/sbin)"
}

# assemble_lib NAME: shared library NAME of CARD_SYSROOT: in the loader's default directories,
# then in multiarch ones (Debian's lib/aarch64-linux-gnu).
assemble_lib() {
  local d
  for d in "$CARD_SYSROOT"/{lib,lib64,usr/lib,usr/lib64} "$CARD_SYSROOT"/lib/*-linux-* \
    "$CARD_SYSROOT"/usr/lib/*-linux-*; do
    assemble_resolve "$d/$1" && return 0
  done
  return 1
}

# assemble_copy_program FILE DEST ROOT: FILE (a program of CARD_SYSROOT) to ROOT/DEST, its ELF
# interpreter to the same path under ROOT, and every library it needs, transitively, to ROOT/lib
# (the dynamic loader's default directory). readelf reads ELF files of any architecture.
assemble_copy_program() {
  local f=$1 dest=$2 root=$3 p lib src interp todo
  mkdir -p "$root/$(dirname "$dest")" "$root/lib"
  cp -L "$f" "$root/$dest"
  interp=$(LC_ALL=C readelf -l "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    src=$(assemble_resolve "$CARD_SYSROOT$interp") || src=$(assemble_lib "$(basename "$interp")") \
      || assemble_fail "interpreter $interp of $f not in $CARD_SYSROOT" || return 1
    mkdir -p "$root$(dirname "$interp")"
    cp "$src" "$root$interp"
  fi
  todo=("$f")
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}
    todo=("${todo[@]:1}")
    for lib in $(LC_ALL=C readelf -d "$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -e "$root/lib/$lib" ] && continue
      src=$(assemble_lib "$lib") || assemble_fail "library $lib of $p not in $CARD_SYSROOT" || return 1
      cp "$src" "$root/lib/$lib"
      todo+=("$root/lib/$lib")
    done
  done
}

# --- 1. initramfs ---------------------------------------------------------------------------

# assemble_modules_in_order NAME...: the .ko paths (relative to CARD_MODULES_DIR) of NAME and its
# dependencies, dependencies first, each once (from the kernel's modules.dep).
assemble_modules_in_order() {
  awk -v want="$*" '
    function base(p,  b) { b = p; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); gsub(/-/, "_", b); return b }
    function visit(m,  n, i, d) {
      if (m in seen) return; seen[m] = 1
      if (!(m in path)) { print "missing module: " m > "/dev/stderr"; bad = 1; return }
      n = split(deps[m], d, " ")
      for (i = 1; i <= n; i++) visit(base(d[i]))
      print path[m]
    }
    { f = $1; sub(/:$/, "", f); m = base(f); path[m] = f; $1 = ""; deps[m] = $0 }
    END { n = split(want, w, " "); for (i = 1; i <= n; i++) { x = w[i]; gsub(/-/, "_", x); visit(x) }; if (bad) exit 1 }
  ' "$CARD_MODULES_DIR/modules.dep"
}

# assemble_modules DIR: the board's MODULES (less those built into the kernel) and their
# dependencies into DIR/lib/modules, their names in load order in DIR/etc/modules.order.
assemble_modules() {
  local ir=$1 want="" m order
  : >"$ir/etc/modules.order"
  if [ -z "${CARD_MODULES_DIR:-}" ]; then
    echo "modules: none (no module tree given: the kernel has the drivers built in)" >&2
    return 0
  fi
  for m in ${MODULES:-}; do
    if grep -q "/${m//_/[-_]}\.ko" "$CARD_MODULES_DIR/modules.builtin"; then
      echo "module $m is built in" >&2
    else
      want="$want $m"
    fi
  done
  # shellcheck disable=SC2086  # word splitting wanted: module names
  order=$(assemble_modules_in_order $want)
  for m in $order; do
    cp "$CARD_MODULES_DIR/$m" "$ir/lib/modules/"
    basename "$m" >>"$ir/etc/modules.order"
  done
  echo "modules: $(tr '\n' ' ' <"$ir/etc/modules.order")" >&2
}

# assemble_initramfs: CARD_WORK/initramfs packed into CARD_WORK/initrd.img.
assemble_initramfs() {
  local ir="$CARD_WORK/initramfs" name file
  rm -rf "$ir"
  mkdir -p "$ir"/{bin,sbin,etc,dev,proc,sys,run,newroot,lib/modules}
  file=$(assemble_program busybox)
  assemble_copy_program "$file" bin/busybox "$ir"
  ln -s busybox "$ir/bin/sh"
  for name in e2fsck resize2fs; do
    file=$(assemble_program "$name")
    assemble_copy_program "$file" "sbin/$name" "$ir"
  done
  install -m 0755 "$REPO/image/common/init" "$ir/init"
  mknod -m 600 "$ir/dev/console" c 5 1
  mknod -m 666 "$ir/dev/null" c 1 3
  assemble_modules "$ir"
  ln -s /proc/mounts "$ir/etc/mtab"
  assemble_hook initramfs "$ir"
  (cd "$ir" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9n >"$CARD_WORK/initrd.img"
}

# --- 3. boot partition ----------------------------------------------------------------------

# assemble_check_rpi_config FILE: the Pi firmware's config.txt names the kernel file and the
# initramfs the card has (the last kernel= line; "initramfs initrd.img followkernel").
assemble_check_rpi_config() {
  local kernel initrd
  kernel=$(sed -n 's/^kernel=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$1" | tail -n1)
  initrd=$(sed -n 's/^initramfs[[:space:]]\+\([^[:space:]]\+\).*/\1/p' "$1" | tail -n1)
  if [ "$kernel" != "$KERNEL_FILE" ] || [ "$initrd" != initrd.img ]; then
    assemble_fail "$BOARD_DIR/config.txt must load kernel=$KERNEL_FILE (KERNEL_FILE of meta) and" \
      "'initramfs initrd.img followkernel'; it names '$kernel' and '$initrd'"
  fi
}

# assemble_boot: the boot partition's files in CARD_WORK/boot.
assemble_boot() {
  local bt="$CARD_WORK/boot" f cmdline
  rm -rf "$bt"
  mkdir -p "$bt"
  for f in "${CARD_FIRMWARE[@]}"; do
    if [ -d "$f" ]; then cp -a "$f/." "$bt/"; else cp "$f" "$bt/"; fi
  done
  : "${KERNEL_FILE:?board/$BOARD/meta sets no KERNEL_FILE}"
  cp "$CARD_KERNEL" "$bt/$KERNEL_FILE"
  cp "$CARD_WORK/initrd.img" "$bt/initrd.img"
  for f in "${CARD_DTBS[@]}"; do cp "$f" "$bt/"; done
  if [ -f "$BOARD_DIR/config.txt" ]; then cp "$BOARD_DIR/config.txt" "$bt/config.txt"; fi
  cmdline=$(cat "$BOARD_DIR/cmdline.txt")
  echo "$cmdline" >"$bt/cmdline.txt"
  cp "$REPO/image/rootfs-overlay/etc/ruji/ruji.toml.default" "$bt/ruji.toml"
  case ${BOOTLOADER:-} in
    rpi)
      [ -f "$bt/config.txt" ] || assemble_fail "board $BOARD boots with the Pi firmware but has no config.txt" || return 1
      assemble_check_rpi_config "$bt/config.txt"
      ;;
    extlinux)
      mkdir -p "$bt/extlinux"
      cat >"$bt/extlinux/extlinux.conf" <<EOF
# U-Boot distro boot (generated from board/$BOARD/cmdline.txt by $CARD_BY)
default ruji
timeout 0
label ruji
  kernel /$KERNEL_FILE
  initrd /initrd.img
  append $cmdline
EOF
      ;;
    *) assemble_fail "board/$BOARD/meta: BOOTLOADER must be rpi or extlinux, not '${BOOTLOADER:-}'" || return 1 ;;
  esac
  assemble_hook boot "$bt"
}

# --- 4. disk image --------------------------------------------------------------------------

# assemble_genimage ROOT_IMAGE: image/genimage/ruji.cfg.in filled in, genimage, the card into
# CARD_OUT. The data file system is made empty (Ruji installs its store on first start); the root
# is a squashfs made beforehand (genimage cannot size one up front).
assemble_genimage() {
  local root_image=$1 bt="$CARD_WORK/boot" cfg="$CARD_WORK/genimage.cfg" files
  files=$(cd "$bt" && printf '\t\t\t"%s",\n' *)
  sed -e "s|@BOARD@|$BOARD|g" -e "s|@BOOT_SIZE@|${BOOT_SIZE:-96M}|g" -e "s|@DATA_SIZE@|${DATA_SIZE:-64M}|g" \
    -e "s|@ROOT_IMAGE@|$root_image|g" "$REPO/image/genimage/ruji.cfg.in" \
    | awk -v files="$files" '{ if ($0 ~ /@BOOT_FILES@/) print files; else print }' >"$cfg"
  if grep -v '^[[:space:]]*#' "$cfg" | grep '@[A-Z_]*@' >&2; then
    assemble_fail "image/genimage/ruji.cfg.in has a placeholder image/common/assemble.sh does not fill" || return 1
  fi
  rm -rf "$CARD_WORK/gtmp" "$CARD_WORK/images" "$CARD_WORK/emptydata"
  mkdir -p "$CARD_WORK/emptydata" "$CARD_OUT"
  genimage --config "$cfg" --rootpath "$CARD_WORK/emptydata" --tmppath "$CARD_WORK/gtmp" \
    --inputpath "$bt" --outputpath "$CARD_WORK/images" >"$CARD_WORK/genimage.log" 2>&1 \
    || { cat "$CARD_WORK/genimage.log" >&2; return 1; }
  mv -f "$CARD_WORK/images/ruji-$BOARD.img" "$CARD_OUT/ruji-$BOARD.img"
  assemble_hook image "$CARD_OUT/ruji-$BOARD.img"
}

assemble_card() {
  : "${CARD_BY:?}" "${CARD_WORK:?}" "${CARD_OUT:?}" "${CARD_SYSROOT:?}" "${CARD_KERNEL:?}"
  local root_image img="$CARD_OUT/ruji-$BOARD.img"
  mkdir -p "$CARD_WORK"

  assemble_step "initramfs (image/common/init)"
  assemble_initramfs

  if [ -n "${CARD_ROOT_DIR:-}" ]; then
    assemble_step "root file system (squashfs)"
    root_image="$CARD_WORK/root.squashfs"
    mksquashfs "$CARD_ROOT_DIR" "$root_image" -noappend -comp xz -b 256K -all-root >/dev/null
  else
    root_image=${CARD_ROOT_IMAGE:?neither CARD_ROOT_DIR nor CARD_ROOT_IMAGE is set}
    [ -f "$root_image" ] || assemble_fail "no root image $root_image" || return 1
  fi

  assemble_step "boot partition for $BOARD"
  assemble_boot

  assemble_step "genimage (image/genimage/ruji.cfg.in)"
  assemble_genimage "$root_image"

  assemble_step "xz"
  xz -T0 "-${XZ_LEVEL:-9}" -f -k "$img"
  ls -l "$img" "$img.xz" >&2
}
