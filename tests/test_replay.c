/* SPDX-License-Identifier: MIT */
/*
 * Trace replay (src/scenario/replay.c), through vmsim_replay(): what pass 1
 * counts (distinct pages, processes, segvs) and the next uses it hands an
 * OPT policy, each checked against a brute-force count made here from the
 * accesses the test wrote.
 */
#include "vmsim_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp_dir[256], trace_path[320];

static int setup(void **state) {
  (void)state;
  const char *base = getenv("TMPDIR");
  snprintf(tmp_dir, sizeof(tmp_dir), "%s/vmsim-replay-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(tmp_dir))
    return -1;
  snprintf(trace_path, sizeof(trace_path), "%s/trace.txt", tmp_dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(trace_path);
  return rmdir(tmp_dir);
}

struct access {
  uint32_t pid;
  uint64_t vaddr;
};

/* Write the accesses as a text trace ("PID R ADDRESS"), reads and writes
 * alternating. */
static void write_trace(const struct access *a, size_t n) {
  FILE *f = fopen(trace_path, "w");
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%u %c %" PRIx64 "\n", a[i].pid, i % 2 ? 'W' : 'R', a[i].vaddr);
  assert_int_equal(fclose(f), 0);
}

static void replay(const char *policy, uint64_t frames, vmsim_replay_result *res) {
  vmsim_replay_options opt = {
    .path = trace_path, .format = VMSIM_TRACE_TEXT, .frames = frames, .policy = policy};
  vmsim_sim *sim = NULL;
  char err[512];
  int rc = vmsim_replay(&opt, &sim, res, err, sizeof(err));
  if (rc)
    fail_msg("replay %s: %s: %s", policy, vmsim_err_name(rc), err);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/* ---- the brute force --------------------------------------------------- */

#define PAGE_OF(a) ((a).vaddr >> VMSIM_PAGE_SHIFT)

static bool is_page(const struct access *a) { return a->vaddr < VMSIM_TASK_SIZE; }

/* Access indices ordered by (pid, vpn), then by position in the trace. */
static const struct access *sort_base;

static int by_page_then_time(const void *x, const void *y) {
  const struct access *a = &sort_base[*(const size_t *)x], *b = &sort_base[*(const size_t *)y];
  if (a->pid != b->pid)
    return a->pid < b->pid ? -1 : 1;
  if (PAGE_OF(*a) != PAGE_OF(*b))
    return PAGE_OF(*a) < PAGE_OF(*b) ? -1 : 1;
  return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

/* The page accesses' indices, sorted; returns how many. */
static size_t sorted_page_accesses(const struct access *a, size_t n, size_t *idx) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (is_page(&a[i]))
      idx[m++] = i;
  sort_base = a;
  qsort(idx, m, sizeof(*idx), by_page_then_time);
  return m;
}

static bool same_page(const struct access *a, const struct access *b) {
  return a->pid == b->pid && PAGE_OF(*a) == PAGE_OF(*b);
}

/* Brute-force figures of a trace: distinct (pid, vpn) pages below 2^47,
 * distinct pids, accesses beyond the address space. */
static void count_by_sorting(const struct access *a, size_t n, uint64_t *pages, uint32_t *pids,
                             uint64_t *segv) {
  size_t *idx = malloc(n * sizeof(*idx));
  assert_non_null(idx);
  size_t m = sorted_page_accesses(a, n, idx);
  *pages = 0;
  for (size_t k = 0; k < m; k++)
    *pages += k == 0 || !same_page(&a[idx[k]], &a[idx[k - 1]]);
  *pids = 0;
  *segv = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < i && a[j].pid != a[i].pid)
      j++;
    *pids += j == i;
    *segv += !is_page(&a[i]);
  }
  free(idx);
}

/* Belady's OPT with `frames` frames shared by all processes: on a miss
 * with every frame in use, evict the page whose next use is farthest (or
 * never). The count does not depend on how ties are broken. */
static uint64_t opt_misses(const struct access *a, size_t n, unsigned frames) {
  size_t *idx = malloc(n * sizeof(*idx)), *next = malloc(n * sizeof(*next));
  assert_true(idx && next && frames <= 64);
  size_t m = sorted_page_accesses(a, n, idx);
  for (size_t k = 0; k < m; k++) /* SIZE_MAX: never again */
    next[idx[k]] = k + 1 < m && same_page(&a[idx[k + 1]], &a[idx[k]]) ? idx[k + 1] : SIZE_MAX;
  struct access mem[64];
  size_t mem_next[64];
  unsigned used = 0;
  uint64_t misses = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_page(&a[i]))
      continue;
    unsigned j = 0;
    while (j < used && !same_page(&mem[j], &a[i]))
      j++;
    if (j == used) {
      misses++;
      if (used < frames) {
        used++;
      } else {
        j = 0;
        for (unsigned k = 1; k < used; k++)
          if (mem_next[k] > mem_next[j])
            j = k;
      }
      mem[j] = a[i];
    }
    mem_next[j] = next[i];
  }
  free(idx);
  free(next);
  return misses;
}

/* ---- the traces --------------------------------------------------------- */

#define NR_VPNS (VMSIM_TASK_SIZE >> VMSIM_PAGE_SHIFT)

/*
 * Runs of 1 to 8 accesses, each run by one pid to pages near one another
 * (runs on one 64-page chunk and runs across chunk boundaries), of these
 * kinds: a dense region of 270 pages from 70 below vpn 0x10000 (a multiple
 * of 64) to 200 above it; the pages at the edges of chunks and of the
 * address space (vpn 0, 63, 64, 2^35 - 64, 2^35 - 1); sparse pages
 * anywhere below 2^47; and addresses at or beyond 2^47 (segvs, not pages),
 * the top of the 64-bit space included. Pids 0, 7 and 2^32 - 1 share
 * vpns; pid 99 only ever touches addresses beyond 2^47.
 */
static void generate(struct access *a, size_t n, uint64_t seed) {
  static const uint32_t pids[] = {0, 7, UINT32_MAX};
  static const uint64_t edges[] = {0, 63, 64, NR_VPNS - 64, NR_VPNS - 1};
  size_t i = 0;
  while (i < n) {
    uint64_t r = test_rand(&seed);
    uint32_t pid = pids[r % ARRAY_SIZE(pids)];
    unsigned kind = (unsigned)(r >> 8) % 8, len = 1 + (unsigned)(r >> 16) % 8;
    uint64_t vpn;
    switch (kind) {
    case 0: case 1: case 2: case 3: vpn = 0x10000 - 70 + (r >> 24) % 270; break;
    case 4: vpn = edges[(r >> 24) % ARRAY_SIZE(edges)]; break;
    case 5: vpn = (r >> 24) % NR_VPNS; break;
    default: vpn = NR_VPNS + (r >> 24) % 1000; break; /* beyond 2^47 */
    }
    for (unsigned k = 0; k < len && i < n; k++, i++) {
      uint64_t v = vpn + (test_rand(&seed) % 5); /* the same page or a few after */
      uint64_t offset = test_rand(&seed) % VMSIM_PAGE_SIZE;
      a[i].pid = kind >= 6 && k == 0 ? 99 : pid;
      a[i].vaddr = v < NR_VPNS ? (v << VMSIM_PAGE_SHIFT) + offset
                               : VMSIM_TASK_SIZE + v * 7 + offset;
      if (kind == 7 && k == 1)
        a[i].vaddr = UINT64_MAX;
    }
  }
}

/* n generated accesses (malloc'ed), written as the trace. */
static struct access *generate_trace(size_t n, uint64_t seed) {
  struct access *a = malloc(n * sizeof(*a));
  assert_non_null(a);
  generate(a, n, seed);
  write_trace(a, n);
  return a;
}

/* ---- the tests ----------------------------------------------------------- */

/*
 * Pass 1 counts every (pid, vpn) below 2^47 once: whatever its chunk and
 * process, whether the run before it was on the same chunk or not. Checked
 * for every built-in policy: those without the future count pages in
 * bitmaps of 64, OPT in one entry per page.
 */
static void test_distinct_pages(void **state) {
  (void)state;
  enum { N = 20000 };
  struct access *a = generate_trace(N, 2024);
  uint64_t pages, segv;
  uint32_t pids;
  count_by_sorting(a, N, &pages, &pids, &segv);
  assert_int_equal(pids, 4);
  assert_true(pages > 1000 && segv > 1000); /* the trace is what it means to be */

  const vmsim_policy_ops *p;
  for (size_t i = 0; (p = vmsim_policy_at(i)); i++) {
    vmsim_replay_result res;
    replay(p->name, 64, &res);
    if (res.distinct_pages != pages || res.nr_procs != pids || res.segv != segv ||
        res.accesses != N)
      fail_msg("%s: %" PRIu64 " pages, %u pids, %" PRIu64 " segvs in %" PRIu64
               " accesses; want %" PRIu64 ", %u, %" PRIu64 ", %d",
               p->name, res.distinct_pages, res.nr_procs, res.segv, res.accesses, pages, pids,
               segv, N);
  }
  free(a);
}

/* OPT's misses equal Belady's count made here: pass 1 gave every access
 * the right next use, across processes and around segvs. */
static void test_opt_next_uses(void **state) {
  (void)state;
  enum { N = 6000 };
  struct access *a = generate_trace(N, 77);
  static const unsigned frames[] = {8, 40};
  for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
    vmsim_replay_result res;
    replay("opt", frames[i], &res);
    assert_int_equal(res.misses, opt_misses(a, N, frames[i]));
  }
  free(a);
}

/*
 * 1024 processes, the most a replay takes, first seen in a shuffled order
 * and interleaved, with pids that share their low bits (multiples of
 * 2048), 0 and 2^32 - 1: each keeps its own pages (the same vpns in every
 * process), as the brute-force counts and Belady's misses show. A 1025th
 * pid is refused, naming the limit.
 */
static void test_many_processes(void **state) {
  (void)state;
  enum { NPIDS = 1024, N = 8 * NPIDS };
  static uint32_t pids[NPIDS];
  for (uint32_t k = 0; k < NPIDS; k++)
    pids[k] = k % 2 ? k * 2048u : UINT32_MAX - k * 977u; /* distinct: odd*2048 vs the rest */
  pids[2] = 0;
  uint64_t seed = 5;
  for (uint32_t k = NPIDS - 1; k > 0; k--) { /* Fisher-Yates */
    uint32_t j = (uint32_t)(test_rand(&seed) % (k + 1)), t = pids[k];
    pids[k] = pids[j], pids[j] = t;
  }
  struct access *a = malloc((N + 1) * sizeof(*a));
  assert_non_null(a);
  for (size_t i = 0; i < N; i++) {
    /* pid i for the first NPIDS accesses, then random ones */
    a[i].pid = pids[i < NPIDS ? i : test_rand(&seed) % NPIDS];
    a[i].vaddr = (0x1000 + test_rand(&seed) % 5) << VMSIM_PAGE_SHIFT;
  }
  write_trace(a, N);
  uint64_t pages, segv;
  uint32_t npids;
  count_by_sorting(a, N, &pages, &npids, &segv);
  assert_int_equal(npids, NPIDS);
  vmsim_replay_result res;
  replay("opt", 40, &res);
  assert_int_equal(res.nr_procs, NPIDS);
  assert_int_equal(res.distinct_pages, pages);
  assert_int_equal(res.misses, opt_misses(a, N, 40));

  a[N].pid = 12345; /* neither odd*2048 nor UINT32_MAX - even*977: new */
  a[N].vaddr = 0x1000 << VMSIM_PAGE_SHIFT;
  write_trace(a, N + 1);
  vmsim_replay_options opt = {.path = trace_path, .format = VMSIM_TRACE_TEXT, .frames = 40};
  vmsim_sim *sim = NULL;
  char err[512];
  assert_int_equal(vmsim_replay(&opt, &sim, &res, err, sizeof(err)), VMSIM_ERANGE);
  assert_null(sim);
  assert_non_null(strstr(err, "more than 1024 processes"));
  free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_distinct_pages),
    cmocka_unit_test(test_opt_next_uses),
    cmocka_unit_test(test_many_processes),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
