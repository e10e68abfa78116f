#!/usr/bin/env bash
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT): post-build.sh TARGET_DIR BOARD.
# Runs after the shared overlay (image/rootfs-overlay) was copied into TARGET_DIR; gives the
# root what image/assemble/build gives it on the fast path:
#   - /etc/ruji/board from board/BOARD/meta (read by /etc/init.d/rcS, ruji-start and Ruji's
#     panel: LAN interface, LED names, button source);
#   - the mount points of the read-only squashfs root: /data (ext4 data partition) and /boot
#     (FAT boot partition, where ruji.toml is);
#   - no Buildroot start scripts: the overlay's rcS does the whole start and runs no S?? scripts,
#     so those would only take room.
set -euo pipefail
TARGET=${1:?usage: post-build.sh TARGET_DIR BOARD}
# shellcheck source=image/buildroot/board/common/common.sh
. "$(dirname "$0")/common.sh"
REPO=$(ruji_repo)
BOARD=$(ruji_board "${2:-}")
BOARD_DIR="$REPO/board/$BOARD"

# The board's data: shell KEY=VALUE lines, read as image/assemble/build reads them.
# shellcheck source=board/rpi4/meta
. "$BOARD_DIR/meta"
[ -n "${LAN_IFACE:-}" ] || { echo "ruji: $BOARD_DIR/meta sets no LAN_IFACE" >&2; exit 1; }
console=$(ruji_rpi_console "${CONSOLE:-}")

mkdir -p "$TARGET/etc/ruji" "$TARGET/data" "$TARGET/boot"
{
  echo "# Written by image/buildroot/board/common/post-build.sh from board/$BOARD/meta."
  echo "BOARD=$BOARD"
  echo "LAN_IFACE=$LAN_IFACE"
  echo "CONSOLE=$console"
  sed -n '/^LED_NAME=\|^BUTTON_/p' "$BOARD_DIR/meta"
} >"$TARGET/etc/ruji/board"

find "$TARGET/etc/init.d" -maxdepth 1 -name 'S[0-9][0-9]*' \( -type f -o -type l \) -delete
[ -x "$TARGET/usr/bin/ruji" ] || { echo "ruji: $TARGET/usr/bin/ruji is missing (BR2_PACKAGE_RUJI)" >&2; exit 1; }
echo "ruji: root prepared for board $BOARD"
