#!/bin/sh
# CI: the fast unit tests under valgrind's memcheck, without sanitizers:
# reads of uninitialised memory (which ASan does not see), invalid reads
# and writes, and definitely lost blocks. Any finding fails the run.
#
# Installs valgrind if missing (Debian 12), builds in ./build-valgrind (or
# $VMSIM_VALGRIND_BUILD) and reuses it when run again. About 3 minutes
# on 2 CPUs from scratch, 2.5 once built (replay_fivelist alone takes 1.5).
#
#   scripts/ci-valgrind.sh
set -eu
cd "$(dirname "$0")/.."
build=${VMSIM_VALGRIND_BUILD:-build-valgrind}
# Not here: the slow ones (watermark, gen, the policies, conformance, cli).
tests="alloc config page buddy pgtable tlb mmu trace fault mm swap vmscan kswapd oom check shrinker
scenario limits alloc_inject replay_frames replay_fivelist"

if ! command -v valgrind >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind
fi

if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Db_sanitize=none --werror >/dev/null
else
  meson setup "$build" -Db_sanitize=none --werror -Dbenchmarks=false -Dexamples=false >/dev/null
fi
# Only what the chosen tests need: other parts of the tree may be mid-edit.
targets=""
for t in $tests; do
  targets="$targets tests/test_$t"
done
# shellcheck disable=SC2086
ninja -C "$build" $targets

# The shim allocates with jemalloc: make memcheck replace its malloc too.
vg="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite"
vg="$vg --soname-synonyms=somalloc=*jemalloc*"
# shellcheck disable=SC2086
timeout 1200 meson test -C "$build" --no-rebuild --print-errorlogs --timeout-multiplier 10 \
  --wrapper "$vg" $tests
