/* SPDX-License-Identifier: MIT */
/*
 * Trace replay (src/scenario/replay.c), through vmsim_replay(): what pass 1
 * counts (distinct pages, processes, segvs) and the next uses it hands an
 * OPT policy, each checked against the brute force of replay_test.h on the
 * accesses the test wrote.
 */
#include "replay_test.h"

static int setup(void **state) {
  (void)state;
  return replay_test_setup("replay");
}

static int teardown(void **state) {
  (void)state;
  return replay_test_teardown();
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
  struct expect e; /* its distinct pages, pids and segvs: any model, any frames */
  brute_force_trace(a, N, FIFO, 64, &e);
  uint64_t pages = e.distinct_pages, segv = e.segv;
  uint32_t pids = e.nr_procs;
  assert_int_equal(pids, 4);
  assert_true(pages > 1000 && segv > 1000); /* the trace is what it means to be */

  const vmsim_policy_ops *p;
  for (size_t i = 0; (p = vmsim_policy_at(i)); i++) {
    vmsim_replay_result res;
    replay_machine(p->name, 64, &res);
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
    replay_machine("opt", frames[i], &res);
    struct expect e;
    brute_force_trace(a, N, OPT, frames[i], &e);
    assert_int_equal(res.misses, e.misses);
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
    a[i].write = i % 2;
  }
  write_trace(a, N);
  struct expect e;
  brute_force_trace(a, N, OPT, 40, &e);
  assert_int_equal(e.nr_procs, NPIDS);
  vmsim_replay_result res;
  replay_machine("opt", 40, &res);
  assert_int_equal(res.nr_procs, NPIDS);
  assert_int_equal(res.distinct_pages, e.distinct_pages);
  assert_int_equal(res.misses, e.misses);

  a[N].pid = 12345; /* neither odd*2048 nor UINT32_MAX - even*977: new */
  a[N].vaddr = 0x1000 << VMSIM_PAGE_SHIFT;
  a[N].write = false;
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
