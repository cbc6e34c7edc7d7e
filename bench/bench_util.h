/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs in bench/: the scale factor, a private
 * temporary directory, deterministic input generators, running the vmsim
 * command with its whole-process host time, and reading figures out of its
 * --output json.
 *
 * Every benchmark prints one line per figure,
 *
 *     name: value unit (target: ...)
 *
 * and exits 0 unless the run itself failed (the command failed, the result
 * was wrong, an invariant check did not pass). Nothing is a timing
 * assertion: a missed target is a figure, not a failure.
 *
 * Throughputs are given twice: by wall time (the figure the targets are
 * stated in) and, as NAME_cpu, by the CPU time the process used (user +
 * system, all its threads), which a busy shared host inflates far less.
 */
#ifndef VMSIM_BENCH_UTIL_H
#define VMSIM_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* VMSIM_BENCH_SCALE (default 1): multiplies the size of every input. */
double bench_scale(void);
/* n * bench_scale(), at least `min`. */
uint64_t bench_scaled(uint64_t n, uint64_t min);

/* Monotonic time in seconds. */
double bench_now(void);
/* CPU time of this process (all threads) in seconds. */
double bench_cpu_now(void);

/* Print a message to stderr and exit 1: the run failed. */
__attribute__((noreturn, format(printf, 1, 2))) void bench_fail(const char *fmt, ...);

/* A fresh directory under $TMPDIR (default /tmp), removed with every file
 * in it by bench_tmpdir_remove() unless VMSIM_BENCH_KEEP is set (not 0):
 * then it stays, and its path is printed, for reproducing or profiling a
 * run. Returns the path (static storage). */
const char *bench_tmpdir(const char *tag);
void bench_tmpdir_remove(void);
/* path = dir/name into buf. */
const char *bench_path(char *buf, size_t len, const char *name);

/* A buffered file writer that fails the run on any error. */
typedef struct bench_writer {
  FILE *f;
  char *buf;
  size_t n, cap;
  const char *path;
  uint64_t bytes;
} bench_writer;
void bench_writer_open(bench_writer *w, const char *path);
void bench_writer_put(bench_writer *w, const void *data, size_t n);
void bench_writer_close(bench_writer *w);

/* splitmix64: a seeded, portable stream of 64-bit values. */
static inline uint64_t bench_rand(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/*
 * Write an oracleGeneral trace (24-byte little-endian records {u32 time,
 * u64 id, u32 size, i64 next = -1}) of `records` Zipf(theta) accesses over
 * `pages` distinct pages, drawn by the library's generator
 * (vmsim_gen_*, seed `seed`). Page ranks are spread over [0, pages) by a
 * fixed permutation, so that popular pages do not all share page tables.
 * Returns the file's size in bytes.
 */
uint64_t bench_write_oracle_zipf(const char *path, uint64_t records, uint64_t pages, double theta,
                                 uint64_t seed);

/* The outcome of one vmsim command. */
typedef struct bench_run {
  char *out;         /* its standard output, NUL-terminated */
  size_t out_len;
  double wall;       /* seconds from posix_spawn to waitpid */
  double cpu;        /* user + system seconds of the child (all its threads) */
  long maxrss_kib;   /* the child's peak RSS, from wait4 */
  int status;        /* exit status, or 128 + signal */
} bench_run;

/* Run argv[0] (a path) with argv, its stdout captured, stderr inherited;
 * fails the benchmark if it cannot be started. */
void bench_spawn(const char *const argv[], bench_run *r);
/* Fail the benchmark unless the command exited 0 and its json says
 * "check": "ok" and (but for the frames engine, which has no machine)
 * "integrity_errors": 0. */
void bench_expect_ok(const bench_run *r, const char *what);
void bench_run_free(bench_run *r);

/*
 * A number in the command's json: the first `key` (with its quotes, e.g.
 * "\"accesses\"") found after the first `within` (NULL: the start). Fails
 * the benchmark if it is not there.
 */
double bench_json_num(const char *json, const char *within, const char *key);

/* Write `text` to `path` (a scenario). */
void bench_write_text(const char *path, const char *text);

#endif /* VMSIM_BENCH_UTIL_H */
