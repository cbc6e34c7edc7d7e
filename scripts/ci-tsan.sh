#!/bin/sh
# CI: ThreadSanitizer over the tests that run machines through reclaim.
#
# The library starts no host thread of its own (each kswapd runs on the
# caller's thread: src/core/kswapd.c), but a program may run machines on
# several host threads at once, one each, sharing the library's
# process-wide state (the policy registry, the allocator shim's counters).
# test_kswapd runs three machines on three threads at once; these tests
# also run machines through reclaim, swap, OOM kills, whole scenarios,
# allocation failures and the vmsim command. A data race, a lock-order
# inversion or a misuse of the pthread API is a report, and any report
# fails the run (halt_on_error=1, exit status != 0).
#
# Installs what is missing (gcc's TSan runtime, libtsan2; Debian 12), builds
# in ./build-tsan (or $VMSIM_TSAN_BUILD) and reuses it when run again.
# About 1.5 minutes on 2 CPUs from scratch, under 1 minute once built.
#
#   scripts/ci-tsan.sh
set -eu
cd "$(dirname "$0")/.."
build=${VMSIM_TSAN_BUILD:-build-tsan}
tests="kswapd vmscan oom swap conformance alloc_inject cli limits_cli"

# gcc's -fsanitize=thread needs libtsan2 on Debian 12.
if ! dpkg-query -W -f='${Status}' libtsan2 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libtsan2
fi

if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Db_sanitize=thread -Db_lundef=false --werror >/dev/null
else
  CC=gcc meson setup "$build" -Db_sanitize=thread -Db_lundef=false --werror \
    -Dbenchmarks=false -Dexamples=false >/dev/null
fi
# Only what the chosen tests need: other parts of the tree may be mid-edit.
targets="src/cli/vmsim"
for t in $tests; do
  case $t in
  limits_cli) targets="$targets tests/test_limits_cli" ;;
  *) targets="$targets tests/test_$t" ;;
  esac
done
# shellcheck disable=SC2086
ninja -C "$build" $targets

# halt_on_error: the first report ends the process with exitcode 66, so the
# test fails; second_deadlock_stack: both stacks of a lock-order report.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66" \
  timeout 1200 meson test -C "$build" --no-rebuild --print-errorlogs --timeout-multiplier 4 $tests
