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
#include <string.h>
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

/* ---- the brute force ------------------------------------------------------ */

/*
 * The textbook FIFO, LRU, CLOCK and Belady's OPT on N frames, with arrays
 * and linear searches, giving every figure of a vmsim_replay_result; what
 * the engines are held to.
 */
/*
 * What the brute force needs to know about each access, from its
 * neighbours among the accesses to the same page (found by sorting the
 * accesses by page, then time): whether an earlier access touched the page
 * (then a miss on it is a refault), and the index of the next access to it
 * (SIZE_MAX: never again), which OPT looks at.
 */
struct trace_facts {
  bool *seen_before;
  size_t *next;
};

static inline void trace_facts(const struct access *a, size_t n, struct trace_facts *tf) {
  size_t *idx = malloc(n * sizeof(*idx));
  tf->seen_before = calloc(n, sizeof(*tf->seen_before));
  tf->next = malloc(n * sizeof(*tf->next));
  assert_true(idx && tf->seen_before && tf->next);
  for (size_t i = 0; i < n; i++)
    tf->next[i] = SIZE_MAX;
  size_t m = sorted_page_accesses(a, n, idx);
  for (size_t k = 0; k < m; k++) {
    tf->seen_before[idx[k]] = k > 0 && same_page(&a[idx[k - 1]], &a[idx[k]]);
    if (k + 1 < m && same_page(&a[idx[k + 1]], &a[idx[k]]))
      tf->next[idx[k]] = idx[k + 1];
  }
  free(idx);
}

static inline void trace_facts_free(struct trace_facts *tf) {
  free(tf->seen_before);
  free(tf->next);
}

enum model { FIFO, LRU, CLOCK, OPT, NR_MODELS };
static const char *const model_names[NR_MODELS] __attribute__((unused)) = {"fifo", "lru", "clock", "opt"};

/* A frame of the brute force; frames are numbered in the order first
 * filled, and a page coming in takes its victim's number. */
struct frame {
  struct access page;
  bool dirty;
  bool referenced;     /* CLOCK */
  size_t loaded;       /* FIFO: the access that brought the page in */
  size_t last;         /* LRU: the page's latest access */
  size_t next;         /* OPT: its next access, SIZE_MAX: never */
};

/* The textbook figures of a trace (the fields of vmsim_replay_result). */
struct expect {
  uint64_t accesses, misses, major_faults, segv, distinct_pages, evictions, dirty_evictions;
  uint32_t nr_procs;
};

/* The victim among `used` full frames. CLOCK's list, clock[0] the tail
 * (oldest) to clock[used - 1] the head, loses the victim, which the
 * caller puts back at the head as the page coming in. */
static inline unsigned victim(enum model m, struct frame *f, unsigned used, unsigned *clock) {
  unsigned v = 0;
  switch (m) {
  case FIFO: /* loaded longest ago */
    for (unsigned j = 1; j < used; j++)
      if (f[j].loaded < f[v].loaded)
        v = j;
    return v;
  case LRU: /* accessed longest ago */
    for (unsigned j = 1; j < used; j++)
      if (f[j].last < f[v].last)
        v = j;
    return v;
  case OPT: /* next use farthest away; ties (never used again) to the lowest frame */
    for (unsigned j = 1; j < used; j++)
      if (f[j].next > f[v].next)
        v = j;
    return v;
  case CLOCK:
    for (;;) {
      v = clock[0];
      memmove(clock, clock + 1, (used - 1) * sizeof(*clock));
      if (!f[v].referenced)
        return v; /* off the list: the caller adds the newcomer at the head */
      f[v].referenced = false; /* a second chance: to the head */
      clock[used - 1] = v;
    }
  default:
    fail();
  }
  return v;
}

static inline void brute_force(const struct access *a, size_t n, const struct trace_facts *tf,
                        enum model m, unsigned frames, struct expect *e) {
  struct frame *f = malloc(frames * sizeof(*f));
  unsigned *clock = malloc(frames * sizeof(*clock)), used = 0;
  assert_true(frames >= 1 && f && clock);
  memset(e, 0, sizeof(*e));
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < i && a[k].pid != a[i].pid)
      k++;
    e->nr_procs += k == i;
    e->accesses++;
    if (!is_page(&a[i])) {
      e->segv++;
      continue;
    }
    unsigned j = 0;
    while (j < used && !same_page(&f[j].page, &a[i]))
      j++;
    if (j == used) { /* a miss */
      e->misses++;
      if (tf->seen_before[i])
        e->major_faults++;
      else
        e->distinct_pages++;
      if (used < frames) {
        j = used++;
      } else {
        j = victim(m, f, used, clock);
        e->evictions++;
        e->dirty_evictions += f[j].dirty;
      }
      if (m == CLOCK)
        clock[used - 1] = j; /* at the head */
      f[j].page = a[i];
      f[j].dirty = false;
      f[j].loaded = i;
    }
    f[j].referenced = true;
    f[j].last = i;
    f[j].next = tf->next[i];
    if (a[i].write)
      f[j].dirty = true;
  }
  free(f);
  free(clock);
}

/* brute_force() of a trace, its facts made and dropped here. */
static inline void brute_force_trace(const struct access *a, size_t n, enum model m,
                                     unsigned frames, struct expect *e) {
  struct trace_facts tf;
  trace_facts(a, n, &tf);
  brute_force(a, n, &tf, m, frames, e);
  trace_facts_free(&tf);
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

/* The MACHINE engine ran and left a consistent machine. */
static inline void replay_machine(const char *policy, uint64_t frames, vmsim_replay_result *res) {
  vmsim_sim_destroy(replay_ok(policy, frames, VMSIM_REPLAY_MACHINE, NULL, res));
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
