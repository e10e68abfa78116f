# shellcheck shell=bash
# Shared by the scripts: make sure the Rust toolchain and the Debian packages a step needs are
# here, installing them with rustup / apt-get when they are not. Sourced, not run.

# apt_install PKG...: installs missing Debian packages (as root, or with sudo).
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_rust: cargo and rustc, with rustfmt and clippy.
ensure_rust() {
  # shellcheck source=/dev/null  # rustup's environment file, outside the repository
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  if ! command -v cargo >/dev/null 2>&1; then
    if apt-cache show rustup >/dev/null 2>&1; then
      apt_install rustup
      rustup default stable
    else
      echo "Rust is missing: install it from https://rustup.rs, then run this again." >&2
      exit 2
    fi
  fi
  if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  fi
  command -v cc >/dev/null 2>&1 || apt_install gcc libc6-dev
}
