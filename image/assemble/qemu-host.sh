# shellcheck shell=bash
# QEMU for booting the images on this machine, without changing the machine's packages:
# installing bookworm's qemu-system-arm would remove the qemu-utils from backports that is
# here, so Debian's packages are unpacked into $CACHE/host-qemu instead (dpkg -x), with the
# shared libraries the machine lacks. Sourced, not run. Sets:
#   QEMU_AARCH64   the qemu-system-aarch64 to run (with LD_LIBRARY_PATH exported as needed)
#   QEMU_DATADIR   its -L directory (firmware ROMs, keymaps)
#   UBOOT_QEMU_ARM64  Debian's u-boot-qemu build for -M virt (extlinux distro boot)
# Override any of them from the environment to use other builds.

: "${CACHE:?CACHE must be set}"
# shellcheck source=image/assemble/debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

qemu_host_setup() {
  local hq="$CACHE/host-qemu" libdir
  local pkgs=(qemu-system-arm/bookworm-backports qemu-system-data/bookworm-backports u-boot-qemu
    libcapstone4 libpmem1 libfdt1 librdmacm1 libibverbs1 libslirp0 libvdeplug2 libndctl6
    libdaxctl1 libnl-3-200 libnl-route-3-200 libkmod2)
  if [ -z "${QEMU_AARCH64:-}" ]; then
    if [ ! -x "$hq/usr/bin/qemu-system-aarch64" ] || [ ! -f "$hq/usr/lib/u-boot/qemu_arm64/u-boot.bin" ]; then
      echo "unpacking Debian's qemu-system-arm and u-boot-qemu into $hq" >&2
      deb_fetch amd64 "$hq" "${pkgs[@]}"
    fi
    libdir="$hq/usr/lib/x86_64-linux-gnu:$hq/lib/x86_64-linux-gnu"
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    QEMU_AARCH64="$hq/usr/bin/qemu-system-aarch64"
    QEMU_DATADIR=${QEMU_DATADIR:-$hq/usr/share/qemu}
  fi
  UBOOT_QEMU_ARM64=${UBOOT_QEMU_ARM64:-$hq/usr/lib/u-boot/qemu_arm64/u-boot.bin}
  [ -f "$UBOOT_QEMU_ARM64" ] || deb_fetch amd64 "$hq" u-boot-qemu
  "$QEMU_AARCH64" --version >/dev/null || { echo "qemu-system-aarch64 does not run" >&2; return 1; }
}
