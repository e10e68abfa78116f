#!/usr/bin/env bash
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): post-image.sh BINARIES_DIR BOARD.
# Makes the same SD card as the fast path, with the same code (image/common/assemble.sh); this
# script only says where Buildroot put the pieces and what differs on this path:
#   sysroot    TARGET_DIR: busybox, e2fsck and resize2fs (with the libraries they need) for the
#              initramfs; no modules (board/common/linux.fragment builds the drivers the init
#              needs into the kernel)
#   kernel     BINARIES_DIR/Image (or Image.gz), stored as the board's KERNEL_FILE
#   dtbs       the kernel's BINARIES_DIR/*.dtb (BR2_LINUX_KERNEL_INTREE_DTS_NAME)
#   firmware   BINARIES_DIR/rpi-firmware/ (GPU firmware, overlays/)
#   root       BINARIES_DIR/rootfs.squashfs (BR2_TARGET_ROOTFS_SQUASHFS)
#   hook_boot  config.txt without the board's device_tree= lines (they name Debian's upstream
#              dtbs; Buildroot's Raspberry Pi kernel ships the names the firmware looks for by
#              itself); cmdline.txt with the Raspberry Pi kernel's console names (common.sh)
#   -> BINARIES_DIR/ruji-BOARD.img and ruji-BOARD.img.xz
# Environment (as on the fast path): BOOT_SIZE (default 96M), DATA_SIZE (64M), XZ_LEVEL (9).
set -euo pipefail
BIN=${1:?usage: post-image.sh BINARIES_DIR BOARD}
# shellcheck source=image/buildroot/board/common/common.sh
. "$(dirname "$0")/common.sh"
REPO=$(ruji_repo)
BOARD=$(ruji_board "${2:-}")
: "${TARGET_DIR:?TARGET_DIR is not set (this runs from Buildroot)}"
# shellcheck source=image/common/assemble.sh
. "$REPO/image/common/assemble.sh"

# Under fakeroot: Buildroot's own host-fakeroot (built for every root file system image), else
# the machine's.
CARD_FAKEROOT="${HOST_DIR:-/nonexistent}/bin/fakeroot"
assemble_fakeroot "$0" "$@"

assemble_load_board "$BOARD"
CARD_BY=image/buildroot/board/common/post-image.sh

hook_boot() {
  sed -i '/^device_tree=/d' "$1/config.txt"
  ruji_rpi_console "$(cat "$1/cmdline.txt")" >"$1/cmdline.txt.new"
  mv "$1/cmdline.txt.new" "$1/cmdline.txt"
}

CARD_WORK="${BUILD_DIR:-$BIN}/ruji-image-$BOARD"
rm -rf "$CARD_WORK"
CARD_OUT=$BIN
CARD_SYSROOT=$TARGET_DIR
CARD_MODULES_DIR=""
CARD_KERNEL=""
for k in Image Image.gz; do
  if [ -f "$BIN/$k" ]; then CARD_KERNEL="$BIN/$k"; break; fi
done
[ -n "$CARD_KERNEL" ] || { echo "ruji: no kernel (Image) in $BIN" >&2; exit 1; }
CARD_DTBS=("$BIN"/*.dtb)
[ -e "${CARD_DTBS[0]}" ] || { echo "ruji: no device trees (*.dtb) in $BIN (BR2_LINUX_KERNEL_INTREE_DTS_NAME)" >&2; exit 1; }
[ -d "$BIN/rpi-firmware" ] || { echo "ruji: $BIN/rpi-firmware missing (BR2_PACKAGE_RPI_FIRMWARE)" >&2; exit 1; }
CARD_FIRMWARE=("$BIN/rpi-firmware")
CARD_ROOT_IMAGE="$BIN/rootfs.squashfs"
[ -f "$CARD_ROOT_IMAGE" ] || { echo "ruji: $CARD_ROOT_IMAGE missing (BR2_TARGET_ROOTFS_SQUASHFS)" >&2; exit 1; }
assemble_card
