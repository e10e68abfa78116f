#!/usr/bin/env bash
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): post-image.sh BINARIES_DIR BOARD.
# Makes the same SD card as the fast path (image/assemble/build), from what Buildroot built:
#   initramfs  image/common/init (the fast path's /init) with busybox, e2fsck and resize2fs
#              from TARGET_DIR and the libraries they need; no modules (board/common/
#              linux.fragment builds the drivers it needs into the kernel)
#   boot       Buildroot's rpi-firmware files and overlays, the kernel (named by the board's
#              config.txt "kernel=" line), the initramfs (its "initramfs" line), the kernel's
#              dtbs, board/BOARD/config.txt and cmdline.txt, ruji.toml (the overlay's default)
#   disk       image/genimage/ruji.cfg.in filled in as image/assemble/build fills it:
#              p1 FAT "RUJI-BOOT", p2 rootfs.squashfs, p3 ext4 "ruji-data"
#   -> BINARIES_DIR/ruji-BOARD.img and ruji-BOARD.img.xz
# Environment (as on the fast path): BOOT_SIZE (default 96M), DATA_SIZE (64M), XZ_LEVEL (9).
set -euo pipefail
BIN=${1:?usage: post-image.sh BINARIES_DIR BOARD}
# shellcheck source=image/buildroot/board/common/common.sh
. "$(dirname "$0")/common.sh"
REPO=$(ruji_repo)
BOARD=$(ruji_board "${2:-}")
BOARD_DIR="$REPO/board/$BOARD"
: "${TARGET_DIR:?TARGET_DIR is not set (this runs from Buildroot)}"

# Device nodes in the initramfs (/dev/console) need root or fakeroot: Buildroot's own
# host-fakeroot (built for every root file system image), else the machine's.
if [ -z "${FAKEROOTKEY:-}" ]; then
  fakeroot="${HOST_DIR:-/nonexistent}/bin/fakeroot"
  [ -x "$fakeroot" ] || fakeroot=$(command -v fakeroot) \
    || { echo "ruji: fakeroot not found (Buildroot's host-fakeroot or the machine's)" >&2; exit 1; }
  exec "$fakeroot" -- "$0" "$@"
fi

WORK="${BUILD_DIR:-$BIN}/ruji-image-$BOARD"
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== ruji: $*" >&2; }

# target_file NAME: the path of program NAME in TARGET_DIR (merged /usr or not).
target_file() {
  local d
  for d in bin sbin usr/bin usr/sbin; do
    if [ -f "$TARGET_DIR/$d/$1" ] && [ ! -L "$TARGET_DIR/$d/$1" ]; then
      echo "$TARGET_DIR/$d/$1"
      return 0
    fi
  done
  echo "ruji: $1 not found in $TARGET_DIR (busybox and e2fsprogs with resize2fs are needed)" >&2
  return 1
}

# target_lib NAME: the path of shared library NAME in TARGET_DIR.
target_lib() {
  local d
  for d in lib lib64 usr/lib usr/lib64; do
    if [ -e "$TARGET_DIR/$d/$1" ]; then echo "$TARGET_DIR/$d/$1"; return 0; fi
  done
  return 1
}

# copy_program FILE DEST ROOT: FILE (a program of TARGET_DIR) to ROOT/DEST, with its ELF
# interpreter at the same path under ROOT and every library it needs, transitively, in ROOT/lib
# (the dynamic loader's default directory). readelf reads ELF files of any architecture.
copy_program() {
  local f=$1 dest=$2 root=$3 p lib src interp todo
  mkdir -p "$root/$(dirname "$dest")" "$root/lib"
  cp -L "$f" "$root/$dest"
  interp=$(LC_ALL=C readelf -l "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    src=$(target_lib "$(basename "$interp")") || src="$TARGET_DIR$interp"
    [ -e "$src" ] || { echo "ruji: interpreter $interp of $f not in $TARGET_DIR" >&2; return 1; }
    mkdir -p "$root$(dirname "$interp")"
    cp -L "$src" "$root$interp"
  fi
  todo=("$f")
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}
    todo=("${todo[@]:1}")
    for lib in $(LC_ALL=C readelf -d "$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -e "$root/lib/$lib" ] && continue
      src=$(target_lib "$lib") || { echo "ruji: library $lib of $p not in $TARGET_DIR" >&2; return 1; }
      cp -L "$src" "$root/lib/$lib"
      todo+=("$root/lib/$lib")
    done
  done
}

# --- initramfs ------------------------------------------------------------------------------
step "initramfs (image/common/init)"
IR="$WORK/initramfs"
mkdir -p "$IR"/{bin,sbin,etc,dev,proc,sys,run,newroot,lib/modules}
copy_program "$(target_file busybox)" bin/busybox "$IR"
ln -s busybox "$IR/bin/sh"
copy_program "$(target_file e2fsck)" sbin/e2fsck "$IR"
copy_program "$(target_file resize2fs)" sbin/resize2fs "$IR"
install -m 0755 "$REPO/image/common/init" "$IR/init"
mknod -m 600 "$IR/dev/console" c 5 1
mknod -m 666 "$IR/dev/null" c 1 3
# No modules to load: the drivers the init needs are built into the kernel (linux.fragment).
: >"$IR/etc/modules.order"
ln -s /proc/mounts "$IR/etc/mtab"
(cd "$IR" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9n >"$WORK/initrd.img"

# --- boot partition -------------------------------------------------------------------------
step "boot partition for $BOARD"
BT="$WORK/boot"
mkdir -p "$BT"
[ -d "$BIN/rpi-firmware" ] || { echo "ruji: $BIN/rpi-firmware missing (BR2_PACKAGE_RPI_FIRMWARE)" >&2; exit 1; }
cp -a "$BIN/rpi-firmware/." "$BT/"
cp "$BOARD_DIR/config.txt" "$BT/config.txt"
# The board's device_tree= lines name Debian's (upstream) dtbs for the fast path; Buildroot's
# Raspberry Pi kernel ships the names the firmware looks for by itself.
sed -i '/^device_tree=/d' "$BT/config.txt"
ruji_rpi_console "$(cat "$BOARD_DIR/cmdline.txt")" >"$BT/cmdline.txt"
kernel_file=$(sed -n 's/^kernel=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$BT/config.txt" | tail -n1)
initrd_file=$(sed -n 's/^initramfs[[:space:]]\+\([^[:space:]]\+\).*/\1/p' "$BT/config.txt" | tail -n1)
if [ -z "$kernel_file" ] || [ -z "$initrd_file" ]; then
  echo "ruji: $BOARD_DIR/config.txt must name the kernel (kernel=) and the initramfs (initramfs FILE followkernel)" >&2
  exit 1
fi
kernel=""
for k in Image Image.gz; do
  if [ -f "$BIN/$k" ]; then kernel="$BIN/$k"; break; fi
done
[ -n "$kernel" ] || { echo "ruji: no kernel (Image) in $BIN" >&2; exit 1; }
cp "$kernel" "$BT/$kernel_file"
cp "$WORK/initrd.img" "$BT/$initrd_file"
dtbs=("$BIN"/*.dtb)
[ -e "${dtbs[0]}" ] || { echo "ruji: no device trees (*.dtb) in $BIN (BR2_LINUX_KERNEL_INTREE_DTS_NAME)" >&2; exit 1; }
cp "${dtbs[@]}" "$BT/"
cp "$REPO/image/rootfs-overlay/etc/ruji/ruji.toml.default" "$BT/ruji.toml"

# --- disk image: the shared layout ----------------------------------------------------------
step "genimage (image/genimage/ruji.cfg.in)"
root_image="$BIN/rootfs.squashfs"
[ -f "$root_image" ] || { echo "ruji: $root_image missing (BR2_TARGET_ROOTFS_SQUASHFS)" >&2; exit 1; }
boot_size=${BOOT_SIZE:-96M}
data_size=${DATA_SIZE:-64M}
files=$(cd "$BT" && printf '\t\t\t"%s",\n' *)
sed -e "s|@BOARD@|$BOARD|g" -e "s|@BOOT_SIZE@|$boot_size|g" -e "s|@DATA_SIZE@|$data_size|g" \
  -e "s|@ROOT_IMAGE@|$root_image|g" "$REPO/image/genimage/ruji.cfg.in" \
  | awk -v files="$files" '{ if ($0 ~ /@BOOT_FILES@/) print files; else print }' >"$WORK/genimage.cfg"
if grep -v '^[[:space:]]*#' "$WORK/genimage.cfg" | grep '@[A-Z_]*@' >&2; then
  echo "ruji: image/genimage/ruji.cfg.in has a placeholder this script does not fill" >&2
  exit 1
fi
mkdir -p "$WORK/emptydata"
genimage --config "$WORK/genimage.cfg" --rootpath "$WORK/emptydata" --tmppath "$WORK/gtmp" \
  --inputpath "$BT" --outputpath "$WORK/images" >"$WORK/genimage.log" 2>&1 \
  || { cat "$WORK/genimage.log" >&2; exit 1; }
mv -f "$WORK/images/ruji-$BOARD.img" "$BIN/ruji-$BOARD.img"

step "xz"
xz -T0 "-${XZ_LEVEL:-9}" -f -k "$BIN/ruji-$BOARD.img"
ls -l "$BIN/ruji-$BOARD.img" "$BIN/ruji-$BOARD.img.xz" >&2
