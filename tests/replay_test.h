/* SPDX-License-Identifier: MIT */
/*
 * What the replay tests share: a scratch directory holding the trace, an
 * access as the test writes it to a text trace, the sort by page that
 * their brute forces build on, and the random traces they replay.
 */
#ifndef VMSIM_REPLAY_TEST_H
#define VMSIM_REPLAY_TEST_H

#include "vmsim_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp_dir[256], trace_path[320];

/* A fresh directory under $TMPDIR (default /tmp), trace_path in it. */
static inline int replay_test_setup(const char *name) {
  const char *base = getenv("TMPDIR");
  snprintf(tmp_dir, sizeof(tmp_dir), "%s/vmsim-%s-XXXXXX", base && *base ? base : "/tmp", name);
  if (!mkdtemp(tmp_dir))
    return -1;
  snprintf(trace_path, sizeof(trace_path), "%s/trace.txt", tmp_dir);
  return 0;
}

static inline int replay_test_teardown(void) {
  unlink(trace_path);
  return rmdir(tmp_dir);
}

struct access {
  uint32_t pid;
  uint64_t vaddr;
  bool write;
};

/* Write the accesses as a text trace ("PID R|W ADDRESS") to trace_path. */
static inline void write_trace(const struct access *a, size_t n) {
  FILE *f = fopen(trace_path, "w");
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%u %c %" PRIx64 "\n", a[i].pid, a[i].write ? 'W' : 'R', a[i].vaddr);
  assert_int_equal(fclose(f), 0);
}

#define PAGE_OF(a) ((a).vaddr >> VMSIM_PAGE_SHIFT)

/* A page, not a segv: below the 47-bit address space's end. */
static inline bool is_page(const struct access *a) { return a->vaddr < VMSIM_TASK_SIZE; }

static inline bool same_page(const struct access *a, const struct access *b) {
  return a->pid == b->pid && PAGE_OF(*a) == PAGE_OF(*b);
}

/* Access indices ordered by (pid, vpn), then by position in the trace. */
static const struct access *sort_base;

static inline int by_page_then_time(const void *x, const void *y) {
  const struct access *a = &sort_base[*(const size_t *)x], *b = &sort_base[*(const size_t *)y];
  if (a->pid != b->pid)
    return a->pid < b->pid ? -1 : 1;
  if (PAGE_OF(*a) != PAGE_OF(*b))
    return PAGE_OF(*a) < PAGE_OF(*b) ? -1 : 1;
  return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

/* The page accesses' indices into idx[], sorted; returns how many. */
static inline size_t sorted_page_accesses(const struct access *a, size_t n, size_t *idx) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (is_page(&a[i]))
      idx[m++] = i;
  sort_base = a;
  qsort(idx, m, sizeof(*idx), by_page_then_time);
  return m;
}

/* ---- replaying ----------------------------------------------------------- */

static char replay_not_null; /* what *out_sim holds before a call that must clear it */

/* Replay `path` (a text trace) with `engine` and `run` (NULL: none); the
 * status, err filled. */
static inline int replay_rc_run(const char *policy, uint64_t frames,
                                enum vmsim_replay_engine engine, const vmsim_run_options *run,
                                const char *path, vmsim_sim **sim, vmsim_replay_result *res,
                                char *err, size_t len) {
  vmsim_replay_options opt = {.path = path, .format = VMSIM_TRACE_TEXT, .frames = frames,
                              .policy = policy, .run = run, .engine = engine};
  *sim = (vmsim_sim *)(void *)&replay_not_null;
  memset(res, 0xa5, sizeof(*res)); /* nothing left from before */
  err[0] = 0;
  return vmsim_replay(&opt, sim, res, err, len);
}

/* A replay of trace_path that must succeed and run on `engine` (MACHINE or
 * FRAMES). FRAMES leaves no machine: NULL. MACHINE returns its machine,
 * which passes every invariant check, for the caller to destroy. */
static inline vmsim_sim *replay_ok(const char *policy, uint64_t frames,
                                   enum vmsim_replay_engine engine,
                                   const vmsim_run_options *run, vmsim_replay_result *res) {
  vmsim_sim *sim;
  char err[512];
  int rc = replay_rc_run(policy, frames, engine, run, trace_path, &sim, res, err, sizeof(err));
  if (rc)
    fail_msg("%s on engine %d, %" PRIu64 " frames: %s: %s", policy, (int)engine, frames,
             vmsim_err_name(rc), err);
  assert_int_equal(res->engine, engine);
  if (engine == VMSIM_REPLAY_FRAMES) {
    assert_null(sim);
    return NULL;
  }
  assert_non_null(sim);
  assert_true(sim != (vmsim_sim *)(void *)&replay_not_null);
  assert_sim_consistent(sim);
  return sim;
}

/* Two replays of one trace gave the same figures, field by field. */
static inline void assert_same_result(const vmsim_replay_result *a, const vmsim_replay_result *b) {
  assert_int_equal(a->engine, b->engine);
  assert_int_equal(a->accesses, b->accesses);
  assert_int_equal(a->misses, b->misses);
  assert_int_equal(a->major_faults, b->major_faults);
  assert_int_equal(a->segv, b->segv);
  assert_int_equal(a->distinct_pages, b->distinct_pages);
  assert_int_equal(a->nr_procs, b->nr_procs);
  assert_int_equal(a->evictions, b->evictions);
  assert_int_equal(a->dirty_evictions, b->dirty_evictions);
  assert_int_equal(a->swap_writes, b->swap_writes);
}

/* ---- the traces --------------------------------------------------------- */

#define NR_VPNS (VMSIM_TASK_SIZE >> VMSIM_PAGE_SHIFT)

/*
 * Runs of 1 to 8 accesses, each run by one pid to pages near one another
 * (runs on one 64-page chunk and runs across chunk boundaries), of these
 * kinds: a hot set of 16 pages at vpn 0x10000 (7 runs in 12; 48
 * pages over the three pids, so that 40 frames almost hold it); a dense
 * region of 270 pages around it (2 in 12); the pages at the edges of
 * chunks and of the address space; sparse pages anywhere below 2^47; and
 * addresses at or beyond 2^47 (segvs), the top of the 64-bit space
 * included in half of those runs. Pids 0, 7 and
 * 2^32 - 1 share vpns; pid 99 only ever touches addresses beyond 2^47.
 * Each run writes with its own probability (0, 20, 50 or 90%), each
 * access drawn on its own.
 */
static inline void generate(struct access *a, size_t n, uint64_t seed) {
  static const uint32_t pids[] = {0, 7, UINT32_MAX};
  static const uint64_t edges[] = {0, 63, 64, NR_VPNS - 64, NR_VPNS - 1};
  static const unsigned write_pct[] = {0, 20, 50, 90};
  size_t i = 0;
  while (i < n) {
    uint64_t r = test_rand(&seed);
    uint32_t pid = pids[r % ARRAY_SIZE(pids)];
    unsigned kind = (unsigned)(r >> 8) % 12, len = 1 + (unsigned)(r >> 16) % 8;
    unsigned wpct = write_pct[(r >> 20) % ARRAY_SIZE(write_pct)];
    uint64_t vpn;
    switch (kind) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6:
      vpn = 0x10000 + (r >> 24) % 12; break;
    case 7: case 8: vpn = 0x10000 - 70 + (r >> 24) % 270; break;
    case 9: vpn = edges[(r >> 24) % ARRAY_SIZE(edges)]; break;
    case 10: vpn = (r >> 24) % NR_VPNS; break;
    default: vpn = NR_VPNS + (r >> 24) % 1000; break; /* beyond 2^47 */
    }
    for (unsigned k = 0; k < len && i < n; k++, i++) {
      uint64_t v = vpn + (test_rand(&seed) % 5); /* the same page or a few after */
      uint64_t offset = test_rand(&seed) % VMSIM_PAGE_SIZE;
      a[i].pid = kind == 11 && k == 0 ? 99 : pid;
      a[i].vaddr = v < NR_VPNS ? (v << VMSIM_PAGE_SHIFT) + offset
                               : VMSIM_TASK_SIZE + v * 7 + offset;
      if (kind == 11 && k == 1 && r >> 60 < 8)
        a[i].vaddr = UINT64_MAX;
      a[i].write = test_rand(&seed) % 100 < wpct;
    }
  }
}

/* n generated accesses (malloc'ed), written as the trace. */
static inline struct access *generate_trace(size_t n, uint64_t seed) {
  struct access *a = malloc(n * sizeof(*a));
  assert_non_null(a);
  generate(a, n, seed);
  write_trace(a, n);
  return a;
}

#endif
