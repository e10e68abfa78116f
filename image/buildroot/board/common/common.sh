# shellcheck shell=bash
# Shared by post-build.sh and post-image.sh (sourced, not run): where the repository and the
# board's data are, and what the Buildroot build does differently from the fast path
# (image/assemble/build) with the same data.
#
#   ruji_repo                the repository's top directory
#   ruji_board BOARD         BOARD when board/BOARD/meta exists, else an error
#   ruji_rpi_console TEXT    TEXT with the console names of Debian's kernel turned into the
#                            Raspberry Pi kernel's ones

# ruji_repo: the repository that holds this BR2_EXTERNAL tree (image/buildroot/../..).
ruji_repo() {
  : "${BR2_EXTERNAL_RUJI_PATH:?run by Buildroot with BR2_EXTERNAL=<ruji>/image/buildroot}"
  (cd "$BR2_EXTERNAL_RUJI_PATH/../.." && pwd)
}

# ruji_board BOARD: BOARD is the defconfig's BR2_ROOTFS_POST_SCRIPT_ARGS (rpi4, rpi3).
ruji_board() {
  local repo
  repo=$(ruji_repo) || return 1
  if [ -z "${1:-}" ] || [ ! -f "$repo/board/$1/meta" ]; then
    echo "ruji: no board '${1:-}' (set BR2_ROOTFS_POST_SCRIPT_ARGS to a folder of $repo/board)" >&2
    return 2
  fi
  echo "$1"
}

# ruji_rpi_console TEXT: the board data names the header UART as Debian's mainline kernel does
# (ttyS1, the BCM2835 mini UART after the PL011); the Raspberry Pi kernel that Buildroot builds
# calls the same UART ttyS0.
ruji_rpi_console() {
  printf '%s\n' "$1" | sed -e 's/\bttyS1\b/ttyS0/g'
}
