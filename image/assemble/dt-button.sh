# shellcheck shell=bash
# The proctor's button in a Raspberry Pi device tree, for the fast path (D32). Sourced, not run.
#
#   dt_gpio DTB              the path of the tree's GPIO controller (the first gpio@ node
#                            under /soc)
#   dt_button DTB LINE KEY   adds /ruji-button, a gpio-keys node whose key KEY (116, KEY_POWER)
#                            is GPIO LINE of the tree's GPIO controller, active low, labelled
#                            "ruji", and disables I2C1 (on GPIO2/3); fails when the tree has no
#                            GPIO controller under /soc.
#   dt_button_boot DIR       dt_button on every *.dtb in the boot partition's files DIR, with
#                            the board's BUTTON_GPIO_LINE and BUTTON_KEY, when the board boots
#                            with the Pi firmware and its button is an input key.
#
# Debian's kernel builds its trees without __symbols__, so the Pi firmware cannot apply
# `dtoverlay=gpio-key` to them (nor does raspi-firmware ship overlays/): the node is written
# into the tree itself. No pull-up is set: the button's GPIO3 is I2C1's SCL, which every Pi pulls
# up to 3.3 V with 1.8 kOhm on the board. The Buildroot path's Raspberry Pi kernel takes the
# overlay in config.txt instead, and does not call this. Needs fdtget and fdtput
# (device-tree-compiler).

dt_gpio() {
  local node
  node=$(fdtget -l "$1" /soc | grep -m1 '^gpio@') \
    || { echo "ruji: $1: no GPIO controller under /soc" >&2; return 1; }
  echo "/soc/$node"
}

dt_button() {
  local dtb=$1 line=$2 key=$3 gpio phandle
  gpio=$(dt_gpio "$dtb") || return 1
  phandle=$(fdtget -t u "$dtb" "$gpio" phandle) \
    || { echo "ruji: $dtb: $gpio has no phandle" >&2; return 1; }
  # (Each step checked: a caller may run this where `set -e` does not apply.)
  fdtput -c "$dtb" /ruji-button /ruji-button/power || return 1
  fdtput -t s "$dtb" /ruji-button compatible gpio-keys || return 1
  fdtput -t s "$dtb" /ruji-button/power label ruji || return 1
  fdtput -t u "$dtb" /ruji-button/power linux,code "$key" || return 1
  # <&gpio LINE GPIO_ACTIVE_LOW>
  fdtput -t u "$dtb" /ruji-button/power gpios "$phandle" "$line" 1 || return 1
  fdtput -t u "$dtb" /ruji-button/power debounce-interval 20 || return 1
  # GPIO3 is I2C1's SCL: the I2C controller on those pins would take the line back if a module
  # for it were ever loaded. Debian's trees enable it; Raspberry Pi's own disable it.
  if fdtget "$dtb" /soc/i2c@7e804000 status >/dev/null 2>&1; then
    fdtput -t s "$dtb" /soc/i2c@7e804000 status disabled || return 1
  fi
}

dt_button_boot() {
  local dtb
  [ "${BOOTLOADER:-}" = rpi ] && [ "${BUTTON_SOURCE:-}" = input ] || return 0
  for dtb in "$1"/*.dtb; do
    [ -e "$dtb" ] || continue
    dt_button "$dtb" "$BUTTON_GPIO_LINE" "$BUTTON_KEY"
  done
}
