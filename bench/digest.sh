#!/bin/sh
# The simulated results of the benchmark inputs and example scenarios, one
# line per run, with the host's figures (times, RSS) stripped: the check that
# an optimisation leaves every result exactly as it was.
#
#   bench/digest.sh BUILDDIR > before.txt   ... change ...
#   bench/digest.sh BUILDDIR > after.txt && diff before.txt after.txt
#
# VMSIM_BENCH_SCALE (default 0.05 here) sizes the benchmark inputs.
set -eu
build=${1:?usage: bench/digest.sh BUILDDIR}
vmsim=$build/src/cli/vmsim
src=$(cd "$(dirname "$0")/.." && pwd)
export VMSIM_BENCH_SCALE=${VMSIM_BENCH_SCALE:-0.05} VMSIM_BENCH_KEEP=1
policies="clock fifo lru opt aging twolist fivelist"
digest() { # NAME COMMAND...: one line, the sha256 of the output without "host"
  # (nor the replay engine's name, which the machine engine's output did not
  # always carry: its lines stay comparable with older digests)
  name=$1; shift
  # Paths are stripped to their last component: inputs live in fresh
  # temporary directories, and the tree may be checked out anywhere.
  out=$("$@" 2>&1 | grep -v '"host"\|wall_time\|peak_rss\|per_sec\|"engine"' |
        sed -E 's#/([^/"[:space:]]+/)+([^/"[:space:]]+)#\2#g' || true)
  printf '%-40s %s\n' "$name" "$(printf '%s' "$out" | sha256sum | cut -c1-16)"
}
kept() { sed -n 's/^VMSIM_BENCH_KEEP: inputs kept in //p'; }

dir=$("$build/bench/bench_replay" "$vmsim" fifo 2>&1 >/dev/null | kept)
for p in $policies; do
  digest "replay/$p" "$vmsim" replay "$dir/zipf.oracleGeneral" --trace-format oracleGeneral \
    --frames 10000 --policy "$p" --output json --check 100000 --engine machine
done
for p in clock fifo lru opt fivelist; do
  digest "replay-frames/$p" "$vmsim" replay "$dir/zipf.oracleGeneral" \
    --trace-format oracleGeneral --frames 10000 --policy "$p" --output json --check 100000 \
    --engine frames
done
rm -rf "$dir"
for mode in machine reclaim scale; do
  dir=$("$build/bench/bench_run" "$vmsim" $mode 2>&1 >/dev/null | kept)
  for y in "$dir"/*.yaml; do
    digest "bench-$mode/$(basename "$y")" "$vmsim" run "$y" --output json
  done
  rm -rf "$dir"
done
for y in "$src"/examples/scenarios/*.yaml; do
  for p in $policies; do
    digest "$(basename "$y" .yaml)/$p" "$vmsim" run "$y" --policy "$p" --output json --check 1000
  done
done
