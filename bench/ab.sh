#!/bin/sh
# Compare two builds' speed on one benchmark on a host whose speed drifts:
# both run at the same time, one per core, and swap cores every round, so
# that the host's phase and the cores' difference fall on both alike.
#
#   bench/ab.sh BUILDDIR_A BUILDDIR_B ROUNDS BENCH_RUN_MODE FIGURE
#
# e.g. bench/ab.sh ../base/build-bench build-bench 6 reclaim reclaim_faults_cpu
# BUILDDIRs are configured and built (release); BENCH_RUN_MODE is one of
# bench_run's (machine, reclaim, hostmem, scale) and FIGURE a figure it
# prints. Prints each round's two values, then both sums and how many
# rounds B won (for a figure where more is better). Needs taskset and two
# CPUs. The two runs share the host's last-level cache, which slows
# memory-bound runs for both: compare the two, not these with other runs.
set -eu
[ $# -eq 5 ] || { echo "usage: bench/ab.sh BUILDDIR_A BUILDDIR_B ROUNDS MODE FIGURE" >&2; exit 2; }
a=$1 b=$2 rounds=$3 mode=$4 figure=$5
for d in "$a" "$b"; do
  [ -x "$d/bench/bench_run" ] && [ -x "$d/src/cli/vmsim" ] ||
    { echo "bench/ab.sh: $d: no bench/bench_run or src/cli/vmsim (not built?)" >&2; exit 2; }
done
out=$(mktemp -d "${TMPDIR:-/tmp}/vmsim-ab-XXXXXX")
trap 'rm -rf "$out"' EXIT

# run BUILDDIR CPU FILE: the figure's value, or nothing if the run failed
run() {
  taskset -c "$2" "$1/bench/bench_run" "$1/src/cli/vmsim" "$mode" 2>&1 |
    awk -v f="$figure:" '$1 == f { print $2 }' >"$3"
}

i=1
while [ "$i" -le "$rounds" ]; do
  if [ $((i % 2)) -eq 1 ]; then ca=0 cb=1; else ca=1 cb=0; fi
  run "$a" "$ca" "$out/a" &
  run "$b" "$cb" "$out/b" &
  wait
  va=$(cat "$out/a") vb=$(cat "$out/b")
  [ -n "$va" ] && [ -n "$vb" ] ||
    { echo "bench/ab.sh: round $i: no '$figure' from one of the runs" >&2; exit 1; }
  echo "round $i: A $va (cpu $ca)  B $vb (cpu $cb)"
  echo "$va $vb" >>"$out/all"
  i=$((i + 1))
done
awk '{ sa += $1; sb += $2; w += $2 > $1 }
     END { printf "sums: A %.2f  B %.2f  (B/A %.3f); B higher in %d of %d rounds\n",
                  sa, sb, sb / sa, w, NR }' "$out/all"
