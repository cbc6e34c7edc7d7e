#!/bin/sh
# Build the libFuzzer targets (fuzz/) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/, and run each for SECONDS
# (default 60). Exits non-zero if a target crashes, leaks, times out or
# breaks its oracle; the input that did it is left in
# build-fuzz/fuzz-out/TARGET/ (crash-*, leak-*, timeout-*; see fuzz/README.md
# for what to do with it). Installs clang and its fuzzer runtime with
# apt-get if they are missing (Debian 12). Safe to run again.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (SECONDS 0: build only)
#
# Wall time: about 7 x SECONDS for the seven targets, plus the build (a minute
# or two the first time, seconds after) and, on a fresh machine, the
# install.
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-scenario run replay trace_lackey trace_oracle trace_text policy}
case $seconds in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# ---- tools ------------------------------------------------------------------
# What the build needs, checked by what it must do: clang must link a
# libFuzzer program with the sanitizers; meson finds libyaml and jemalloc.
have_tools() {
  command -v meson >/dev/null && command -v ninja >/dev/null &&
    pkg-config --exists yaml-0.1 jemalloc 2>/dev/null &&
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' |
      clang -fsanitize=fuzzer,address,undefined -x c - -o /tmp/vmsim-fuzz-probe.$$ 2>/dev/null
}
if ! have_tools; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  # Bounded: a mirror that does not answer fails the run instead of hanging
  # it. llvm-14 brings llvm-symbolizer, for readable stack traces.
  apt="timeout 900 $SUDO apt-get -q -o Acquire::Retries=3 -o Acquire::http::Timeout=30"
  $apt update
  DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends clang \
    libclang-rt-14-dev llvm-14 meson ninja-build pkg-config libyaml-dev libjemalloc-dev
  have_tools || { echo "fuzz: clang cannot link -fsanitize=fuzzer" >&2; exit 2; }
fi
rm -f /tmp/vmsim-fuzz-probe.$$

# ---- build ------------------------------------------------------------------
if [ -f build-fuzz/build.ninja ]; then
  meson configure build-fuzz -Dfuzz=enabled >/dev/null
else
  CC=clang meson setup build-fuzz --werror -Dfuzz=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dtests=false -Dexamples=false -Dbenchmarks=false
fi
ninja -C build-fuzz
if [ "$seconds" -eq 0 ]; then
  echo "fuzz: built build-fuzz/fuzz/fuzz_* (0 s: nothing run)"
  exit 0
fi

# ---- run --------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-14/bin/llvm-symbolizer}
failed=""
for t in $targets; do
  seeds="fuzz/corpus/$t"
  dict=""
  case $t in
    scenario | run) seeds="fuzz/corpus/scenario examples/scenarios"; dict=-dict=fuzz/scenario.dict ;;
  esac
  [ -d "fuzz/regress/$t" ] && seeds="$seeds fuzz/regress/$t"
  out=build-fuzz/fuzz-out/$t
  mkdir -p "$out/corpus"
  echo "== fuzz_$t: $seconds s"
  # The corpus grows in $out/corpus (kept between runs); the seeds are read only.
  # -timeout: one input running 10 s is a hang. A run that exceeds its time
  # by far (a hang libFuzzer cannot interrupt) is stopped by timeout(1).
  if ! timeout $((seconds + 120)) build-fuzz/fuzz/fuzz_$t -max_total_time="$seconds" \
      -rss_limit_mb=2048 -timeout=10 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$out/" $dict "$out/corpus" $seeds \
      >"$out/log" 2>&1; then
    tail -n 40 "$out/log"
    failed="$failed $t"
  else
    grep -E '^(Done|stat::number_of_executed_units)' "$out/log" || true
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: FAILED:$failed (inputs and logs in build-fuzz/fuzz-out/)" >&2
  exit 1
fi
echo "fuzz: all targets ran $seconds s without a finding"
