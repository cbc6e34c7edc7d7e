/* SPDX-License-Identifier: MIT */
/*
 * The FRAMES engine's fivelist model (src/scenario/frames_fivelist.c)
 * against the MACHINE engine running src/policies/fivelist.c: the model
 * claims the machine's numbers, so on every trace here the two engines'
 * accesses, misses, major faults, segvs, distinct pages and processes are
 * equal, and the model's evictions and swap writes equal the machine's
 * pgsteal_direct and pswpout. The
 * machine is the reference because it is the policy itself, with the
 * Linux rules it follows checked by hand in test_policy_fivelist.c; the
 * two share the rules' arithmetic (src/policies/fivelist.h) and the
 * reading of the trace (pass 1, replay_read_keys()), not the lists, the
 * flags, the swap accounting or the order of events. What pass 1 counts
 * (accesses, segvs, distinct pages, processes) is checked against the
 * brute force of tests/replay_test.h besides.
 *
 * Traces: the replay tests' random ones (three processes, writes, a hot
 * set, sparse pages, segvs) at several frame counts; larger ones whose
 * swap fills past half (the rule that drops a swapped-in page's slot); one
 * worked by hand; all-read and all-write ones for the dirty count.
 */
#include "replay_test.h"

#include <string.h>

static int setup(void **state) {
  (void)state;
  return replay_test_setup("replay-fivelist") ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  return replay_test_teardown();
}

/* Replay trace_path with fivelist on `engine`, every invariant of either
 * engine checked often; the machine's pgsteal_direct and pswpout in vm[0],
 * vm[1] (MACHINE only). */
static void replay(enum vmsim_replay_engine engine, uint64_t frames, vmsim_replay_result *res,
                   uint64_t vm[2]) {
  vmsim_run_options run;
  vmsim_run_options_default(&run);
  run.check_interval = 997;
  vmsim_sim *sim = replay_ok("fivelist", frames, engine, &run, res);
  if (!sim)
    return;
  vm[0] = vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct);
  vm[1] = vmsim_vmstat(sim, VMSIM_VM_pswpout);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_pgsteal_kswapd), 0);
  vmsim_sim_destroy(sim);
}

#define SAME(what, field)                                                                  \
  do {                                                                                     \
    if (f.field != m.field)                                                                \
      fail_msg("%s, %" PRIu64 " frames: %s is %" PRIu64 " on frames, %" PRIu64            \
               " on the machine",                                                          \
               what, frames, #field, (uint64_t)f.field, (uint64_t)m.field);                \
  } while (0)

/* Both engines on the trace at trace_path: the same figures. Returns the
 * frames engine's result. */
static vmsim_replay_result same_on_both(const char *what, uint64_t frames) {
  vmsim_replay_result f, m;
  uint64_t vm[2] = {0, 0};
  replay(VMSIM_REPLAY_FRAMES, frames, &f, NULL);
  replay(VMSIM_REPLAY_MACHINE, frames, &m, vm);
  SAME(what, accesses);
  SAME(what, misses);
  SAME(what, major_faults);
  SAME(what, segv);
  SAME(what, distinct_pages);
  SAME(what, nr_procs);
  if (f.evictions != vm[0] || f.swap_writes != vm[1])
    fail_msg("%s, %" PRIu64 " frames: %" PRIu64 " evictions, %" PRIu64 " swap writes; the "
             "machine: pgsteal_direct %" PRIu64 ", pswpout %" PRIu64,
             what, frames, f.evictions, f.swap_writes, vm[0], vm[1]);
  assert_true(f.dirty_evictions <= f.evictions);
  /* Both engines check their invariants while they run, every 997
   * accesses (see replay()): the machine paces after every access, so
   * exactly accesses / 997 times; the frames engine after each block of at
   * most 16 accesses, at the first pacing 997 or more after the last check,
   * so 997 to 1012 accesses apart. */
  assert_int_equal(m.checks, m.accesses / 997);
  assert_in_range(f.checks, f.accesses / 1012, f.accesses / 997);
  return f;
}

/* ---- the tests ----------------------------------------------------------- */

/*
 * Worked by hand, 2 frames, one process reading pages A B A C A B (swap:
 * the default 65,536 slots; swappiness 60). Every reclaim starts at
 * priority 12; with two pages on the inactive list, 2 >> p is 0 down to
 * priority 2, so nothing is scanned there.
 *
 *  A, B: first touches, inactive [B A] (head first), both young.
 *  A: a hit (young already).
 *  C: a miss, no frame free. Priority 1: "file is tiny" (no file pages, no
 *     free ones), so 2 >> 1 = 1 page of anon is scanned: the tail A is
 *     young and not PG_referenced: kept, PG_referenced, to the head
 *     [A B]. Priority 0 (SCAN_EQUAL, 2 pages): B, young: kept, [B A]; A,
 *     not young since, PG_referenced: reclaimed, a slot, written, shadow
 *     age 0 (age now 1). C comes in: [C B].
 *  A: a miss (a swap-in). Priority 1 scans 1: B, not young since its look
 *     at priority 0, PG_referenced: reclaimed (shadow age 1, age 2). A's
 *     refault distance 2 - 0 = 2 exceeds the active list (0 pages): A
 *     comes back inactive: [A C].
 *  B: a miss (a swap-in). Priority 1: C, young from its fault: kept, [C A].
 *     Priority 0: A, young: kept, [A C]; C, PG_referenced and not young:
 *     reclaimed. B's distance 3 - 1 = 2 > 0: inactive.
 *
 * Misses 5 (A, B, C first touches, then A and B again), major faults 2,
 * evictions 3 (A, B, C), each a page's first, so 3 swap writes.
 */
static void test_worked_by_hand(void **state) {
  (void)state;
  static const char pages[] = "ABACAB";
  struct access a[sizeof(pages) - 1];
  for (size_t i = 0; i < ARRAY_SIZE(a); i++)
    a[i] = (struct access){1, (uint64_t)(pages[i] - 'A' + 1) << VMSIM_PAGE_SHIFT, false};
  write_trace(a, ARRAY_SIZE(a));
  uint64_t frames = 2;
  vmsim_replay_result f = same_on_both("ABACAB", frames);
  assert_int_equal(f.accesses, 6);
  assert_int_equal(f.misses, 5);
  assert_int_equal(f.major_faults, 2);
  assert_int_equal(f.evictions, 3);
  assert_int_equal(f.dirty_evictions, 0);
  assert_int_equal(f.swap_writes, 3);
  assert_int_equal(f.distinct_pages, 3);
}

/* The replay tests' random traces, at frame counts from 1 to more than
 * the hot set: evictions and refaults happen at each. */
static void test_random_traces(void **state) {
  (void)state;
  static const unsigned frame_counts[] = {1, 2, 3, 7, 16, 40, 200};
  for (uint64_t seed = 1; seed <= 6; seed++) {
    struct access *a = generate_trace(3000, seed * 7919);
    for (size_t k = 0; k < ARRAY_SIZE(frame_counts); k++) {
      uint64_t frames = frame_counts[k];
      char what[64];
      snprintf(what, sizeof(what), "random trace %" PRIu64, seed);
      vmsim_replay_result f = same_on_both(what, frames);
      struct expect e; /* the policy does not matter for these counts */
      brute_force_trace(a, 3000, FIFO, (unsigned)frames, &e);
      assert_int_equal(f.accesses, e.accesses);
      assert_int_equal(f.segv, e.segv);
      assert_int_equal(f.distinct_pages, e.distinct_pages);
      assert_int_equal(f.nr_procs, e.nr_procs);
      /* Every miss is a first touch or a refault from swap. */
      assert_int_equal(f.misses, f.distinct_pages + f.major_faults);
      assert_true(f.segv > 0);
      assert_true(f.evictions > 0);
      assert_true(f.major_faults > 0);
    }
    free(a);
  }
}

/*
 * `pages` pages of one process: half of the accesses to the first
 * `pages` / 8 (hot), half to any; `write_pct` % of them writes.
 */
static void skewed_trace(size_t n, uint64_t pages, unsigned write_pct, uint64_t seed) {
  struct access *a = malloc(n * sizeof(*a));
  assert_non_null(a);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = test_rand(&seed);
    uint64_t vpn = r % 2 ? (r >> 8) % (pages / 8) : (r >> 8) % pages;
    a[i] = (struct access){3, (0x100000 + vpn) << VMSIM_PAGE_SHIFT,
                           (r >> 40) % 100 < write_pct};
  }
  write_trace(a, n);
  free(a);
}

/*
 * Swap past half full: 40,000 pages in the default 65,536 slots, and
 * 100,000 pages (some 80,000 touched: the replay sizes the swap to one
 * more slot than that). Most pages end up evicted, each holding a slot,
 * so a swap-in stops keeping its slot (should_try_to_free_swap()) and the
 * page is dirty again when it next leaves. Reads only, and a fifth of
 * writes.
 */
static void test_swap_half_full(void **state) {
  (void)state;
  static const struct {
    uint64_t pages;
    unsigned write_pct;
  } cases[] = {{40000, 0}, {40000, 20}, {100000, 0}, {100000, 20}};
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    skewed_trace(300000, cases[i].pages, cases[i].write_pct, 1000 + i);
    uint64_t frames = 2000;
    char what[64];
    snprintf(what, sizeof(what), "%" PRIu64 " pages, %u %% writes", cases[i].pages,
             cases[i].write_pct);
    vmsim_replay_result f = same_on_both(what, frames);
    /* more than half the swap in use once most pages are out */
    assert_true(f.distinct_pages > (cases[i].pages > 65536 ? 65536 : 32768));
    assert_true(f.major_faults > 100000);
    /* The rule fired: with reads only, a page is written once, at its
     * first eviction, unless a swap-in dropped its slot. */
    if (cases[i].write_pct == 0)
      assert_true(f.swap_writes > f.distinct_pages);
  }
}

/* dirty_evictions counts the pages written since they came in: none when
 * nothing writes, every one when everything does. */
static void test_dirty_evictions(void **state) {
  (void)state;
  uint64_t frames = 50;
  skewed_trace(20000, 800, 0, 77);
  vmsim_replay_result f = same_on_both("reads", frames);
  assert_true(f.evictions > 1000);
  assert_int_equal(f.dirty_evictions, 0);
  skewed_trace(20000, 800, 100, 77);
  f = same_on_both("writes", frames);
  assert_true(f.evictions > 1000);
  assert_int_equal(f.dirty_evictions, f.evictions);
}

/* The same replay twice gives the same figures, field by field. */
static void test_deterministic(void **state) {
  (void)state;
  skewed_trace(20000, 800, 30, 11);
  vmsim_replay_result r1, r2;
  replay_ok("fivelist", 50, VMSIM_REPLAY_FRAMES, NULL, &r1);
  replay_ok("fivelist", 50, VMSIM_REPLAY_FRAMES, NULL, &r2);
  assert_same_result(&r1, &r2);
  assert_int_equal(r1.accesses, 20000);
}

/* AUTO picks the model for fivelist with frames, the machine without. */
static void test_auto_engine(void **state) {
  (void)state;
  skewed_trace(2000, 100, 10, 5);
  vmsim_replay_options opt = {.path = trace_path, .format = VMSIM_TRACE_TEXT, .frames = 20,
                              .policy = "fivelist", .engine = VMSIM_REPLAY_AUTO};
  vmsim_sim *sim = NULL;
  vmsim_replay_result res;
  char err[512];
  assert_ok(vmsim_replay(&opt, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.engine, VMSIM_REPLAY_FRAMES);
  assert_null(sim);
  opt.frames = 0;
  assert_ok(vmsim_replay(&opt, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.engine, VMSIM_REPLAY_MACHINE);
  assert_non_null(sim);
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_worked_by_hand, setup, teardown),
    cmocka_unit_test_setup_teardown(test_random_traces, setup, teardown),
    cmocka_unit_test_setup_teardown(test_swap_half_full, setup, teardown),
    cmocka_unit_test_setup_teardown(test_dirty_evictions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_auto_engine, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
