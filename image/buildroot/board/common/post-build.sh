#!/usr/bin/env bash
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT): post-build.sh TARGET_DIR BOARD.
# Runs after the shared overlay (image/rootfs-overlay) was copied into TARGET_DIR; gives the
# root what the fast path gives its root tree, with the same code (image/common/assemble.sh's
# assemble_root):
#   - /etc/ruji/board from board/BOARD/meta (read by /etc/init.d/rcS, ruji-start and Ruji's
#     panel: LAN interface, LED names, button source), with the console named as the Raspberry
#     Pi kernel names it (common.sh);
#   - the mount points of the read-only squashfs root: /data (ext4 data partition) and /boot
#     (FAT boot partition, where ruji.toml is);
# and, for Buildroot only: no Buildroot start scripts (the overlay's rcS does the whole start
# and runs no S?? scripts, so those would only take room).
set -euo pipefail
TARGET=${1:?usage: post-build.sh TARGET_DIR BOARD}
# shellcheck source=image/buildroot/board/common/common.sh
. "$(dirname "$0")/common.sh"
REPO=$(ruji_repo)
BOARD=$(ruji_board "${2:-}")
# shellcheck source=image/common/assemble.sh
. "$REPO/image/common/assemble.sh"
assemble_load_board "$BOARD"
CARD_BY=image/buildroot/board/common/post-build.sh
CONSOLE=$(ruji_rpi_console "${CONSOLE:-}")
assemble_root "$TARGET"

find "$TARGET/etc/init.d" -maxdepth 1 -name 'S[0-9][0-9]*' \( -type f -o -type l \) -delete
[ -x "$TARGET/usr/bin/ruji" ] || { echo "ruji: $TARGET/usr/bin/ruji is missing (BR2_PACKAGE_RUJI)" >&2; exit 1; }
echo "ruji: root prepared for board $BOARD"
