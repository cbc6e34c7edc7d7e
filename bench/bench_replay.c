/* SPDX-License-Identifier: MIT */
/*
 * Replay throughput: `vmsim replay --frames 100000` of a 20,000,000-record
 * oracleGeneral trace of Zipf(0.9) accesses over 1,000,000 distinct pages,
 * timed over the whole process (reading the trace, set-up, the final
 * invariant check and the report included).
 *
 *   bench_replay VMSIM POLICY [ENGINE]
 *
 * ENGINE is passed as --engine (default: vmsim's own, auto: the frames
 * engine, which has a model of each of fifo, clock, lru and fivelist). Prints
 * replay_[ENGINE_]POLICY (accesses per second) and its miss ratio; the
 * targets are those of the default engine.
 * VMSIM_BENCH_SCALE scales the number of records (not the page population
 * or the frames).
 */
#include "bench_util.h"

#include <stdlib.h>
#include <string.h>

#define RECORDS 20000000
#define PAGES 1000000
#define FRAMES "100000"
#define THETA 0.9
#define SEED 20240601

static double target_mps(const char *policy) {
  if (!strcmp(policy, "lru"))
    return 20;
  if (!strcmp(policy, "fifo") || !strcmp(policy, "clock"))
    return 30;
  if (!strcmp(policy, "fivelist"))
    return 10;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: bench_replay VMSIM POLICY [ENGINE]\n");
    return 2;
  }
  const char *policy = argv[2], *engine = argc == 4 ? argv[3] : NULL;
  char name[64];
  snprintf(name, sizeof(name), "%s%s%s", engine ? engine : "", engine ? "_" : "", policy);
  uint64_t records = bench_scaled(RECORDS, 1000);
  char trace[4096];
  bench_tmpdir("replay");
  bench_path(trace, sizeof(trace), "zipf.oracleGeneral");
  double t0 = bench_now();
  uint64_t bytes = bench_write_oracle_zipf(trace, records, PAGES, THETA, SEED);
  fprintf(stderr, "wrote %s: %llu records, %.0f MB in %.2f s\n", trace,
          (unsigned long long)records, (double)bytes / 1e6, bench_now() - t0);

  const char *args[] = {argv[1], "replay", trace, "--trace-format", "oracleGeneral",
                        "--frames", FRAMES, "--policy", policy, "--output", "json",
                        engine ? "--engine" : NULL, engine, NULL};
  bench_run r;
  bench_spawn(args, &r);
  bench_tmpdir_remove();
  bench_expect_ok(&r, name);
  double accesses = bench_json_num(r.out, NULL, "\"accesses\"");
  double misses = bench_json_num(r.out, NULL, "\"misses\"");
  if (accesses != (double)records)
    bench_fail("%s: replayed %.0f accesses of %llu records", name, accesses,
               (unsigned long long)records);
  double inproc = bench_json_num(r.out, "\"host\"", "\"wall_time_s\"");
  fprintf(stderr, "%s: process %.3f s (vmsim's own wall time %.3f s), cpu %.3f s, peak %ld MiB\n",
          name, r.wall, inproc, r.cpu, r.maxrss_kib / 1024);

  double target = engine ? 0 : target_mps(policy);
  char tgt[64] = "none";
  if (target > 0)
    snprintf(tgt, sizeof(tgt), ">= %.0f M/s", target);
  printf("replay_%s: %.2f M accesses/s (target: %s; scale %g, %llu records)\n", name,
         accesses / r.wall / 1e6, tgt, bench_scale(), (unsigned long long)records);
  printf("replay_%s_cpu: %.2f M accesses/s (target: %s, by CPU time)\n", name,
         accesses / r.cpu / 1e6, tgt);
  printf("replay_%s_miss_ratio: %.2f %% (target: none, for reference)\n", name,
         100.0 * misses / accesses);
  bench_run_free(&r);
  return 0;
}
