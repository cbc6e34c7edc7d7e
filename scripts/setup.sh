#!/bin/sh
# Install what libvmsim needs on Debian 12 (as root, or with sudo), then
# configure and build it in ./build. Safe to run again: it installs only
# what is missing and reuses an existing build directory.
#
#   scripts/setup.sh [extra meson options...]
set -eu
cd "$(dirname "$0")/.."

pkgs="gcc meson ninja-build pkg-config libyaml-dev libjemalloc-dev libcmocka-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ -f build/build.ninja ]; then
  meson configure build "$@" >/dev/null
else
  meson setup build "$@"
fi
ninja -C build
