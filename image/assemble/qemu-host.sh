# shellcheck shell=bash
# QEMU for booting the images on this machine, without changing the machine's packages:
# installing bookworm's qemu-system-arm would remove the qemu-utils from backports that is
# here, so Debian's packages are unpacked into $CACHE/host-qemu instead (dpkg -x), with the
# shared libraries the machine lacks. Sourced, not run. Sets:
#   QEMU_AARCH64   the qemu-system-aarch64 to run (with LD_LIBRARY_PATH exported as needed)
#   QEMU_DATADIR   its -L directory (firmware ROMs, keymaps)
#   UBOOT_QEMU_ARM64  Debian's u-boot-qemu build for -M virt (extlinux distro boot), with its
#                     2 s boot delay set to 0
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
  if [ -z "${UBOOT_QEMU_ARM64:-}" ]; then
    local stock="$hq/usr/lib/u-boot/qemu_arm64/u-boot.bin"
    [ -f "$stock" ] || deb_fetch amd64 "$hq" u-boot-qemu
    # Debian's build waits 2 s for a key before booting (bootdelay=2 in its built-in default
    # environment, which has no checksum; the board has no stored environment). The copy used
    # here boots at once: the same bytes with bootdelay=0.
    UBOOT_QEMU_ARM64="$hq/u-boot-qemu_arm64-nodelay.bin"
    if [ ! -f "$UBOOT_QEMU_ARM64" ] || [ "$stock" -nt "$UBOOT_QEMU_ARM64" ]; then
      [ "$(grep -c -a 'bootdelay=2' "$stock")" = 1 ] \
        || { echo "u-boot.bin: no single bootdelay=2 to change ($stock)" >&2; return 1; }
      perl -0777 -pe 's/bootdelay=2\0/bootdelay=0\0/' "$stock" >"$UBOOT_QEMU_ARM64.tmp"
      mv "$UBOOT_QEMU_ARM64.tmp" "$UBOOT_QEMU_ARM64"
    fi
  fi
  "$QEMU_AARCH64" --version >/dev/null || { echo "qemu-system-aarch64 does not run" >&2; return 1; }
}
