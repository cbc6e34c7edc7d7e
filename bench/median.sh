#!/bin/sh
# Run the benchmarks RUNS times and print, per figure, the median and every
# value (docs/performance.md quotes these medians).
#
#   bench/median.sh BUILDDIR [RUNS] [BENCHMARK NAME...]
#
# BUILDDIR must be configured and built (release: see docs/performance.md).
# With names, only those benchmarks run; VMSIM_BENCH_SCALE applies.
set -eu
builddir=${1:?usage: bench/median.sh BUILDDIR [RUNS] [NAME...]}
shift
runs=3
if [ $# -gt 0 ]; then runs=$1; shift; fi
log=$(mktemp "${TMPDIR:-/tmp}/vmsim-bench-median-XXXXXX")
trap 'rm -f "$log"' EXIT
i=1
while [ "$i" -le "$runs" ]; do
  echo "run $i of $runs ..." >&2
  if [ $# -gt 0 ]; then
    meson test -C "$builddir" --benchmark --no-rebuild -v "$@" >>"$log" 2>&1
  else
    meson test -C "$builddir" --benchmark --no-rebuild -v --suite perf >>"$log" 2>&1
  fi
  i=$((i + 1))
done
# "name: value unit (target: ...)" lines; keep the first occurrence's order.
grep -E '^[a-z0-9_]+: -?[0-9.]+ ' "$log" | awk '
  {
    name = $1; sub(/:$/, "", name)
    if (!(name in n)) { order[++k] = name; unit[name] = $3 " " $4
      t = $0; sub(/^[^(]*\(/, "(", t); target[name] = t }
    v[name, ++n[name]] = $2
  }
  END {
    for (j = 1; j <= k; j++) {
      name = order[j]; m = n[name]
      # insertion sort of the values
      for (a = 1; a <= m; a++) s[a] = v[name, a] + 0
      for (a = 2; a <= m; a++) { x = s[a]; b = a - 1
        while (b >= 1 && s[b] > x) { s[b + 1] = s[b]; b-- } s[b + 1] = x }
      med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
      vals = ""; for (a = 1; a <= m; a++) vals = vals (a > 1 ? ", " : "") v[name, a]
      u = unit[name]; sub(/ \(.*$/, "", u)
      printf "%s: median %s %s of %d [%s] %s\n", name, med, u, m, vals, target[name]
    }
  }'
