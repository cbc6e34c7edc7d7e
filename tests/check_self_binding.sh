#!/bin/sh
# The shared library calls its own exported functions directly, not through
# its PLT (meson.build: -fno-semantic-interposition, -Bsymbolic-functions):
# a reclaim-heavy run spends 7 % more time with the PLT calls. A call left
# to the PLT shows as a JUMP_SLOT relocation (JMP_SLOT on some
# architectures) naming a vmsim_ symbol.
#
#   check_self_binding.sh READELF LIBVMSIM_SO
set -eu
readelf=$1 lib=$2
relocs=$("$readelf" -rW "$lib")
# The check means something only if the library has PLT relocations at all
# (its calls to libc and libyaml).
slots='_JU?MP_SLOT'
if ! printf '%s\n' "$relocs" | grep -Eq "$slots"; then
  echo "$lib: no JUMP_SLOT relocations at all: cannot tell" >&2
  exit 1
fi
self=$(printf '%s\n' "$relocs" | grep -E "$slots" | grep -E ' vmsim_[A-Za-z0-9_]*' || true)
if [ -n "$self" ]; then
  echo "$lib calls its own functions through the PLT:" >&2
  printf '%s\n' "$self" >&2
  exit 1
fi
echo "$lib: no vmsim_ symbol bound through the PLT"
