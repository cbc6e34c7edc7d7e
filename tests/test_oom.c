/* SPDX-License-Identifier: MIT */
/*
 * The OOM killer (src/core/oom.c): when memory and swap are both used up,
 * the process with the highest oom_badness() (linux-reclaim.md rule 26) is
 * killed, after direct reclaim made no progress 16 times (rule 18); the
 * others go on with their data intact, and the victim's swap slots are
 * freed.
 */
#include "reclaim_test.h"

/*
 * The machine: 4096 pages (MIN 128) and 1024 slots of zram swap, so
 * totalpages = 4096 + 1024 = 5120 and oom_score_adj counts in units of
 * totalpages / 1000 = 5 (integer division first, as the kernel's
 * `adj *= totalpages / 1000`).
 *
 * Three processes, each region 1 GiB aligned, so its page tables are a PGD,
 * a PUD, a PMD and one PTE table per 512 pages:
 *   A: 2400 pages written: 2400 + 1 + 1 + 1 + 5 = 2408 points + 5 adj;
 *   B: 2000 pages written: 2000 + 1 + 1 + 1 + 4 = 2007 points + 5 adj;
 *   C: 100 pages, then it grows until the OOM killer acts. Memory + swap
 *      hold 4096 - 128 + 1024 = 4992 pages (test_nothing_killable checks
 *      the like), so C has 4992 - 4400 = 592 pages then:
 *      592 + 1 + 1 + 1 + 2 = 597 points.
 * Every page of a process is either resident (rss) or in swap (swapents),
 * so rss + swapents is the pages it wrote.
 */
enum { A, B, C, NPROC };
static const uint64_t proc_pages[NPROC] = {2400, 2000, 100};
#define C_GROWTH 1000 /* C maps this many more pages than it starts with */

/* Process p writes its page i this many times; C's growth pages once. */
static uint32_t writes_of(const void *ctx, uint64_t i) {
  unsigned p = *(const unsigned *)ctx;
  return p == C && i >= proc_pages[C] ? 1 : (uint32_t)((i + p) % 3) + 1;
}

/*
 * Run the scenario with oom_score_adj adj[A], adj[B] and return which of
 * A, B, C was killed, checking on the way: exactly one kill; the victim is
 * KILLED and its accesses fail with VMSIM_EKILLED; its swap slots came
 * back; the others run on and read back every page they wrote.
 */
static unsigned run_oom(int adj_a, int adj_b) {
  vmsim_sim *sim = rt_sim(4096, 1024, "zram");
  uint32_t pid[NPROC];
  for (unsigned p = 0; p < NPROC; p++)
    pid[p] = rt_process(sim, p, proc_pages[p] + (p == C ? C_GROWTH : 0));
  assert_ok(vmsim_process_set_oom_score_adj(sim, pid[A], adj_a));
  assert_ok(vmsim_process_set_oom_score_adj(sim, pid[B], adj_b));
  for (unsigned p = 0; p < NPROC; p++)
    rt_write_counts(sim, pid[p], RT_REGION(p), proc_pages[p], writes_of, &p);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_oom_kill), 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pswpout) > 0);
  for (unsigned p = A; p <= B; p++) {
    vmsim_process_info pi = rt_info(sim, pid[p]);
    assert_int_equal(pi.rss_anon + pi.swapents, proc_pages[p]);
    assert_int_equal(pi.pgtables, 3 + (proc_pages[p] + 511) / 512);
  }
  assert_sim_consistent(sim);

  /* C grows one page at a time until someone is killed. */
  uint64_t c_pages = proc_pages[C];
  vmsim_process_info before[NPROC];
  uint64_t swap_free0 = 0, swapcached0 = 0;
  while (rt_vmstat(sim, VMSIM_VM_oom_kill) == 0) {
    assert_true(c_pages < proc_pages[C] + C_GROWTH);
    for (unsigned p = 0; p < NPROC; p++)
      before[p] = rt_info(sim, pid[p]);
    swap_free0 = vmsim__swap_free_slots(sim);
    swapcached0 = rt_vmstat(sim, VMSIM_VM_nr_swapcached);
    int rc = vmsim_access(sim, 0, pid[C], RT_REGION(C) + c_pages * RT_PAGE, true);
    if (rc == 0)
      c_pages++;
    else
      assert_int_equal(rc, VMSIM_EKILLED);
  }
  /* C held 4992 - 4400 = 592 pages; the 593rd came after the kill. */
  assert_int_equal(c_pages, 593);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_oom_kill), 1);
  assert_true(rt_vmstat(sim, VMSIM_VM_allocstall) > 0);

  unsigned victim = NPROC;
  uint64_t others_swapents0 = 0, others_swapents1 = 0;
  for (unsigned p = 0; p < NPROC; p++) {
    vmsim_process_info pi = rt_info(sim, pid[p]);
    if (pi.state == VMSIM_PROC_KILLED) {
      assert_int_equal(victim, NPROC);
      victim = p;
      assert_int_equal(pi.rss_anon + pi.swapents, 0);
      continue;
    }
    assert_int_equal(pi.state, VMSIM_PROC_RUNNING);
    others_swapents0 += before[p].swapents;
    others_swapents1 += pi.swapents;
  }
  assert_int_not_equal(victim, NPROC);
  assert_int_equal(vmsim_access(sim, 0, pid[victim], RT_REGION(victim), false), VMSIM_EKILLED);
  assert_int_equal(vmsim_access(sim, 0, pid[victim], RT_REGION(victim), true), VMSIM_EKILLED);

  /* The victim's swap slots came back, and nothing else changed in swap:
   * once the kill freed memory, the allocation was served without more
   * reclaim. (A held the 1024 slots: the oldest pages went first.) */
  assert_int_equal(vmsim__swap_free_slots(sim) - swap_free0, before[victim].swapents);
  assert_int_equal(others_swapents1, others_swapents0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_swapcached), swapcached0);
  if (victim == A)
    assert_int_equal(before[A].swapents, 1024);
  assert_sim_consistent(sim);

  for (unsigned p = 0; p < NPROC; p++)
    if (p != victim)
      rt_expect_counts(sim, pid[p], RT_REGION(p), p == C ? c_pages : proc_pages[p], writes_of, &p);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_oom_kill), 1);
  rt_done(sim);
  return victim;
}

/* Rule 26, no adjustment: A (2408) beats B (2007) and C (597). */
static void test_kills_highest_badness(void **state) {
  (void)state;
  assert_int_equal(run_oom(0, 0), A);
}

/* Rule 26: oom_score_adj -1000 means never; then B (2007) is the highest. */
static void test_adj_min_protects(void **state) {
  (void)state;
  assert_int_equal(run_oom(-1000, 0), B);
}

/*
 * Rule 26's adjustment in units of totalpages / 1000 = 5, divided first:
 * adj -80 gives A 2408 - 400 = 2008 > B's 2007, so A dies (multiplying
 * first, 2408 - 80 * 5120 / 1000 = 1998 would spare it); adj -81 gives
 * 2408 - 405 = 2003 < 2007, so B dies. A positive adj on B: 2007 + 5 * 81
 * = 2412 > 2408, so B dies; 2007 + 5 * 80 = 2407 < 2408, A dies.
 */
static void test_adj_units(void **state) {
  (void)state;
  assert_int_equal(run_oom(-80, 0), A);
  assert_int_equal(run_oom(-81, 0), B);
  assert_int_equal(run_oom(0, 81), B);
  assert_int_equal(run_oom(0, 80), A);
}

/* Nothing killable (every process at -1000, rule 26): after the 16 rounds
 * of no progress and the HIGH retry (rule 18) the allocation fails with
 * VMSIM_EOOM and nobody dies. */
static void test_nothing_killable(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 256, "zram");
  uint32_t pid = rt_process(sim, 0, 8192);
  assert_ok(vmsim_process_set_oom_score_adj(sim, pid, -1000));
  uint64_t got;
  assert_int_equal(rt_grow_until_error(sim, pid, RT_REGION(0), 0, 8192, &got), VMSIM_EOOM);
  /* It got every frame above MIN plus every slot: 3968 + 256. */
  assert_int_equal(got, 4096 - 128 + 256);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_oom_kill), 0);
  assert_int_equal(rt_info(sim, pid).state, VMSIM_PROC_RUNNING);
  rt_done(sim);
}

/*
 * vmsim_access_batch() is vmsim_access() made n times: two copies of the
 * machine above run C's growth (every 37th access a segv, outside every
 * VMA), one access at a time and in batches of 64 resumed after each
 * error. A and B are exempt (-1000), so the OOM killer takes C itself,
 * mid-batch. Every access returns the same, and every counter, time and
 * TLB statistic ends the same.
 */
static void test_access_batch_is_n_accesses(void **state) {
  (void)state;
  enum { N = C_GROWTH + C_GROWTH / 36 };
  static vmsim_memref refs[N];
  static int rc_one[N], rc_batch[N];
  uint64_t page = proc_pages[C];
  for (int i = 0; i < N; i++) {
    bool segv = i % 37 == 36;
    refs[i].vaddr = segv ? RT_REGION(NPROC) : RT_REGION(C) + page++ * RT_PAGE;
    refs[i].write = i % 3 != 0;
  }
  vmsim_sim *sim[2];
  uint32_t pid[2][NPROC];
  for (int m = 0; m < 2; m++) {
    sim[m] = rt_sim(4096, 1024, "zram");
    for (unsigned p = 0; p < NPROC; p++)
      pid[m][p] = rt_process(sim[m], p, proc_pages[p] + (p == C ? C_GROWTH : 0));
    assert_ok(vmsim_process_set_oom_score_adj(sim[m], pid[m][A], -1000));
    assert_ok(vmsim_process_set_oom_score_adj(sim[m], pid[m][B], -1000));
    for (unsigned p = 0; p < NPROC; p++)
      rt_write_counts(sim[m], pid[m][p], RT_REGION(p), proc_pages[p], writes_of, &p);
  }
  for (int i = 0; i < N; i++)
    rc_one[i] = vmsim_access(sim[0], 0, pid[0][C], refs[i].vaddr, refs[i].write);
  for (int i = 0; i < N;) {
    size_t done = SIZE_MAX;
    int n = MIN(64, N - i);
    int rc = vmsim_access_batch(sim[1], 0, pid[1][C], refs + i, (size_t)n, &done);
    assert_true(done <= (size_t)n && (rc != 0 || done == (size_t)n));
    for (size_t k = 0; k < done; k++)
      rc_batch[i + k] = 0;
    i += (int)done;
    if (rc)
      rc_batch[i++] = rc;
  }

  /* One at a time: a segv at each 37th access, until the kill; after it,
   * every access is refused. */
  int grown = 0, kill = -1;
  for (int i = 0; i < N; i++) {
    if (rc_one[i] != rc_batch[i])
      fail_msg("access %d: %s one at a time, %s in a batch", i, vmsim_err_name(rc_one[i]),
               vmsim_err_name(rc_batch[i]));
    if (kill < 0 && rc_one[i] == VMSIM_EKILLED)
      kill = i;
    if (kill >= 0)
      assert_int_equal(rc_one[i], VMSIM_EKILLED);
    else
      assert_int_equal(rc_one[i], i % 37 == 36 ? VMSIM_EFAULT : 0);
    grown += kill < 0 && i % 37 != 36;
  }
  /* C held 592 pages when memory and swap ran out (see the top): 492 grown. */
  assert_int_equal(grown, 592 - 100);
  assert_true(kill % 64 != 0); /* mid-batch */
  assert_int_equal(rt_info(sim[0], pid[0][C]).state, VMSIM_PROC_KILLED);

  uint64_t vs[2][VMSIM_NR_VMSTAT];
  vmsim_tlb_info tlb[2];
  for (int m = 0; m < 2; m++) {
    vmsim_vmstat_snapshot(sim[m], vs[m]);
    assert_ok(vmsim_tlb_get_info(sim[m], UINT32_MAX, &tlb[m]));
    assert_sim_consistent(sim[m]);
  }
  assert_int_equal(vs[0][VMSIM_VM_oom_kill], 1);
  assert_memory_equal(vs[0], vs[1], sizeof(vs[0]));
  assert_memory_equal(&tlb[0], &tlb[1], sizeof(tlb[0]));
  assert_int_equal(vmsim_time_now(sim[0]), vmsim_time_now(sim[1]));
  for (unsigned p = 0; p < NPROC; p++) {
    vmsim_process_info a = rt_info(sim[0], pid[0][p]), b = rt_info(sim[1], pid[1][p]);
    assert_memory_equal(&a, &b, sizeof(a));
  }
  for (int m = 0; m < 2; m++)
    vmsim_sim_destroy(sim[m]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kills_highest_badness),
    cmocka_unit_test(test_adj_min_protects),
    cmocka_unit_test(test_adj_units),
    cmocka_unit_test(test_nothing_killable),
    cmocka_unit_test(test_access_batch_is_n_accesses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
