# shellcheck shell=bash
# Debian packages for the image, fetched without touching the machine's apt setup: a private
# apt configuration (its own sources list, lists and cache under $CACHE) so the machine needs no
# `dpkg --add-architecture`, no extra sources and no installs. Sourced, not run.
#
#   deb_apt ARCH ARGS...        apt-get with the private configuration for ARCH (arm64, amd64)
#   deb_download ARCH PKG       download PKG (name or name/suite) into $CACHE/debs-ARCH unless
#                               it is there; print the .deb's path
#   deb_fetch ARCH DIR PKG...   download PKG (name or name/suite) into $CACHE/debs-ARCH and
#                               unpack it into DIR (dpkg -x); downloads are reused.

: "${CACHE:?CACHE must be set}"
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}

_deb_opts() {
  local arch=$1 root="$CACHE/apt-$1"
  echo "-o Dir::Etc::SourceList=$root/etc/sources.list -o Dir::Etc::SourceParts=/nonexistent" \
       "-o Dir::State=$root/state -o Dir::State::status=$root/state/status" \
       "-o Dir::Cache=$root/cache -o APT::Architecture=$arch -o APT::Architectures::=$arch" \
       "-o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un) -o Acquire::Languages=none"
}

_deb_init() {
  local arch=$1 root="$CACHE/apt-$1" key=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$key" ] || { echo "missing $key: apt-get install debian-archive-keyring" >&2; return 1; }
  mkdir -p "$root/etc" "$root/state/lists/partial" "$root/cache/archives/partial"
  touch "$root/state/status"
  local want
  want=$(cat <<SRC
deb [signed-by=$key] $DEBIAN_MIRROR $DEBIAN_SUITE main non-free-firmware
deb [signed-by=$key] $DEBIAN_MIRROR $DEBIAN_SUITE-updates main non-free-firmware
deb [signed-by=$key] $DEBIAN_SECURITY $DEBIAN_SUITE-security main non-free-firmware
deb [signed-by=$key] $DEBIAN_MIRROR $DEBIAN_SUITE-backports main
SRC
)
  if [ "$(cat "$root/etc/sources.list" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" >"$root/etc/sources.list"
    rm -f "$root/state/updated"
  fi
  # Refresh the package lists once a day (or when the sources changed).
  if [ -z "$(find "$root/state/updated" -mmin -1440 2>/dev/null)" ]; then
    # shellcheck disable=SC2046
    apt-get $(_deb_opts "$arch") -q update >"$root/update.log" 2>&1 \
      || { cat "$root/update.log" >&2; return 1; }
    touch "$root/state/updated"
  fi
}

deb_apt() {
  local arch=$1; shift
  _deb_init "$arch"
  # shellcheck disable=SC2046
  apt-get $(_deb_opts "$arch") "$@"
}

deb_cache() {
  local arch=$1; shift
  _deb_init "$arch"
  # shellcheck disable=SC2046
  apt-cache $(_deb_opts "$arch") "$@"
}

# _deb_file DIR NAME: the first downloaded NAME_*.deb in DIR, or nothing.
_deb_file() {
  local f
  for f in "$1/${2}_"*.deb; do
    [ -e "$f" ] && { echo "$f"; return 0; }
  done
  return 0
}

deb_download() {
  local arch=$1 p=$2
  local dir="$CACHE/debs-$arch" name=${2%%/*} f
  mkdir -p "$dir"
  f=$(_deb_file "$dir" "$name")
  if [ -z "$f" ]; then
    (cd "$dir" && deb_apt "$arch" -q download "$p" >/dev/null) \
      || { echo "could not download $p ($arch)" >&2; return 1; }
    f=$(_deb_file "$dir" "$name")
    [ -n "$f" ] || { echo "downloaded $p but found no ${name}_*.deb in $dir" >&2; return 1; }
  fi
  echo "$f"
}

deb_fetch() {
  local arch=$1 dest=$2; shift 2
  local p f
  mkdir -p "$dest"
  for p in "$@"; do
    f=$(deb_download "$arch" "$p") || return 1
    dpkg -x "$f" "$dest"
  done
}
