/* SPDX-License-Identifier: MIT */
/*
 * Swap devices, slots and the swap cache (src/core/swap.c): slot allocation
 * by device priority, a full swap device making anon pages unreclaimable
 * (and the OOM killer following), fork and exit with swapped-out pages,
 * swap-cache hits, and swap-in latency charged to the faulting process.
 *
 * Pages are pushed out with rt_reclaim() (a white-box shrink_node() pass)
 * so that exactly the pages wanted go to swap, in the clock policy's order:
 * oldest first, i.e. in the order they were first touched.
 */
#include "reclaim_test.h"

/* Write page i of the region (i % 3) + 1 times: a distinct count per page
 * that a lost or duplicated write would change. */
static uint32_t writes_of(const void *ctx, uint64_t i) {
  (void)ctx;
  return (uint32_t)(i % 3) + 1;
}

static void write_pattern(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t n) {
  rt_write_counts(sim, pid, base, n, writes_of, NULL);
}

/* Read every page back (swapping it in) and compare its write count. */
static void read_pattern(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t n) {
  rt_expect_counts(sim, pid, base, n, writes_of, NULL);
}

/* Swap out the region's pages one at a time; record the device each went to. */
static void swap_out_one_by_one(vmsim_sim *sim, unsigned nr_dev, unsigned *dev, unsigned n) {
  for (unsigned k = 0; k < n; k++) {
    uint64_t before[VMSIM_MAX_SWAP_DEVICES];
    for (unsigned t = 0; t < nr_dev; t++)
      before[t] = rt_swap_inuse(sim, t);
    assert_int_equal(rt_reclaim(sim, 0, 1), 1);
    dev[k] = UINT32_MAX;
    for (unsigned t = 0; t < nr_dev; t++)
      if (rt_swap_inuse(sim, t) == before[t] + 1)
        dev[k] = t;
    assert_int_not_equal(dev[k], UINT32_MAX);
  }
}

static vmsim_sim *sim_with_devices(const int *prio, unsigned nr_dev, uint64_t slots) {
  vmsim_config cfg;
  rt_config(&cfg, 4096, 0, NULL);
  cfg.nr_swap = nr_dev;
  for (unsigned t = 0; t < nr_dev; t++) {
    assert_ok(vmsim_swap_preset("zram", slots, &cfg.swap[t]));
    cfg.swap[t].priority = prio[t];
  }
  return rt_create(&cfg);
}

/*
 * get_swap_page(): the device of highest priority with a free slot is used
 * first; devices of equal priority take turns. Devices 0 (priority 5) and
 * 1 (priority 10), 8 slots each: the first 8 pages go to device 1, the next
 * 8 to device 0, and then swap is full. Devices 0 and 2 at priority 10 and
 * device 1 at 5: 0, 2, 0, 2, ... until both are full, then device 1.
 * (linux-reclaim.md has no rule on swap devices: this is the contract of
 * vmsim_swap_config in config.h, after mm/swapfile.c.)
 */
static void test_slot_allocation_by_priority(void **state) {
  (void)state;
  unsigned dev[24];

  vmsim_sim *sim = sim_with_devices((const int[]){5, 10}, 2, 8);
  uint32_t pid = rt_process(sim, 0, 32);
  write_pattern(sim, pid, RT_REGION(0), 32);
  swap_out_one_by_one(sim, 2, dev, 16);
  for (unsigned k = 0; k < 16; k++)
    assert_int_equal(dev[k], k < 8 ? 1 : 0);
  assert_int_equal(vmsim__swap_free_slots(sim), 0);
  /* Full: no slot, so no anon page can go (may_swap is off). */
  assert_int_equal(rt_reclaim(sim, 0, 1), 0);
  read_pattern(sim, pid, RT_REGION(0), 32);
  rt_done(sim);

  sim = sim_with_devices((const int[]){10, 5, 10}, 3, 8);
  pid = rt_process(sim, 0, 32);
  write_pattern(sim, pid, RT_REGION(0), 32);
  swap_out_one_by_one(sim, 3, dev, 24);
  for (unsigned k = 0; k < 16; k++)
    assert_int_equal(dev[k], k % 2 ? 2 : 0);
  for (unsigned k = 16; k < 24; k++)
    assert_int_equal(dev[k], 1);
  read_pattern(sim, pid, RT_REGION(0), 32);
  rt_done(sim);
}

/*
 * Swap full: add_to_swap() fails, so shrink_folio_list() keeps anon pages
 * (VMSIM_RECLAIM_KEEP_NOSWAP), whether may_swap was on or already off
 * (rule 12: anon pages need add_to_swap(); rule 21: no swap, no anon
 * scanning); and once memory is exhausted too, the OOM killer takes the
 * largest process (rules 18, 26) and the other one reads its data back.
 */
static void test_swap_full_keeps_anon_then_oom(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 64, "zram");
  uint32_t small = rt_process(sim, 0, 300);
  write_pattern(sim, small, RT_REGION(0), 300);
  assert_int_equal(rt_reclaim(sim, 0, 1000), 64); /* as many as there are slots */
  assert_int_equal(vmsim__swap_free_slots(sim), 0);
  assert_int_equal(rt_info(sim, small).swapents, 64);

  /* A resident anon page the policy chose: kept, still mapped, no I/O. */
  struct vmsim_page *page = rt_page(sim, small, RT_REGION(0) + 299 * RT_PAGE);
  assert_non_null(page);
  uint64_t pswpout = rt_vmstat(sim, VMSIM_VM_pswpout);
  for (int may_swap = 0; may_swap <= 1; may_swap++) {
    vmsim_scan_control sc = rt_scan_control(sim);
    assert_false(sc.may_swap); /* no free slot, nothing in the swap cache */
    sc.may_swap = may_swap;
    assert_int_equal(rt_try_reclaim(sim, &sc, page, VMSIM_PAGEREF_RECLAIM),
                     VMSIM_RECLAIM_KEEP_NOSWAP);
    assert_int_equal(page->mapcount, 1);
    assert_false(vmsim_page_test(page, VMSIM_PG_swapcache));
  }
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), pswpout);
  assert_sim_consistent(sim);

  /* A second process grows past memory: with no swap left it is the one
   * killed (about 3900 pages against 300). */
  uint32_t big = rt_process(sim, 1, 8192);
  uint64_t got;
  assert_int_equal(rt_grow_until_error(sim, big, RT_REGION(1), 0, 8192, &got), VMSIM_EKILLED);
  /* It held at most all of memory: 4096 - MIN 128 frames. */
  assert_true(got <= 4096 - 128);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_oom_kill), 1);
  assert_int_equal(rt_info(sim, big).state, VMSIM_PROC_KILLED);
  assert_int_equal(rt_info(sim, small).state, VMSIM_PROC_RUNNING);
  read_pattern(sim, small, RT_REGION(0), 300);
  rt_done(sim);
}

/*
 * fork() with swapped-out pages: each swap PTE is copied, so every slot is
 * referenced twice (swap_map 2). Both processes read their pages back with
 * the parent's contents; the slot is shared through the swap cache, so the
 * second reader finds the page there. A later write by one process must not
 * be seen by the other (copy-on-write holds across swap). Exit drops the
 * references; when both are gone every slot is free. (Kernel behaviour
 * outside linux-reclaim.md's rules: swap_duplicate() at fork, and
 * do_swap_page() maps writable only a page no one else uses.)
 */
static void test_fork_with_swapped_pages(void **state) {
  (void)state;
  enum { N = 64 };
  vmsim_sim *sim = rt_sim(4096, 1024, "zram");
  uint32_t parent = rt_process(sim, 0, N);
  uint64_t base = RT_REGION(0);
  write_pattern(sim, parent, base, N);
  assert_int_equal(rt_reclaim(sim, 0, N), N);
  assert_int_equal(rt_swap_inuse(sim, 0), N);

  uint32_t child;
  assert_ok(vmsim_process_fork(sim, parent, &child));
  for (uint64_t i = 0; i < N; i++) {
    vmsim_pte_t e = rt_pte(sim, parent, base + i * RT_PAGE);
    assert_true(vmsim_pte_is_swap(e));
    assert_true(rt_pte(sim, child, base + i * RT_PAGE) == e);
    assert_int_equal(rt_swap_map(sim, e), 2);
  }
  assert_int_equal(rt_info(sim, child).swapents, N);
  assert_sim_consistent(sim);

  /* The child reads first (from the device), then the parent (from the
   * swap cache: no more device reads). */
  uint64_t pswpin = rt_vmstat(sim, VMSIM_VM_pswpin);
  read_pattern(sim, child, base, N);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpin), pswpin + N);
  read_pattern(sim, parent, base, N);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpin), pswpin + N);
  for (uint64_t i = 0; i < N; i++)
    assert_ptr_equal(rt_page(sim, parent, base + i * RT_PAGE),
                     rt_page(sim, child, base + i * RT_PAGE));
  assert_sim_consistent(sim);

  /* The parent writes every page once more: the child keeps its contents. */
  for (uint64_t i = 0; i < N; i++)
    assert_ok(vmsim_access(sim, 0, parent, base + i * RT_PAGE, true));
  for (uint64_t i = 0; i < N; i++) {
    struct vmsim_page *pp = rt_page(sim, parent, base + i * RT_PAGE);
    struct vmsim_page *cp = rt_page(sim, child, base + i * RT_PAGE);
    assert_true(pp != cp);
    assert_int_equal(token_seq(pp->token), writes_of(NULL, i) + 1);
    assert_int_equal(token_seq(cp->token), writes_of(NULL, i));
  }
  read_pattern(sim, child, base, N);
  assert_sim_consistent(sim);

  /* Swap the child's pages out again, then exit both. */
  rt_reclaim(sim, 0, 2 * N);
  assert_true(rt_info(sim, child).swapents > 0);
  assert_ok(vmsim_process_exit(sim, child));
  assert_sim_consistent(sim);
  assert_ok(vmsim_process_exit(sim, parent));
  assert_int_equal(rt_swap_inuse(sim, 0), 0);
  assert_int_equal(vmsim__swap_free_slots(sim), 1024);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_swapcached), 0);
  rt_done(sim);
}

/* exit() frees the process's swap slots, and its write counts leave the
 * ledger with them (vmsim_check would see lost data otherwise). Kernel
 * behaviour outside linux-reclaim.md's rules (free_swap_and_cache()). */
static void test_exit_frees_swap_slots(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 1024, "zram");
  uint32_t a = rt_process(sim, 0, 200);
  uint32_t b = rt_process(sim, 1, 100);
  write_pattern(sim, a, RT_REGION(0), 200);
  write_pattern(sim, b, RT_REGION(1), 100);
  assert_int_equal(rt_reclaim(sim, 0, 300), 300);
  assert_int_equal(rt_info(sim, a).swapents, 200);
  assert_int_equal(rt_swap_inuse(sim, 0), 300);
  assert_ok(vmsim_process_exit(sim, a));
  assert_int_equal(rt_swap_inuse(sim, 0), 100);
  assert_int_equal(vmsim__swap_free_slots(sim), 1024 - 100);
  assert_sim_consistent(sim);
  read_pattern(sim, b, RT_REGION(1), 100);
  assert_ok(vmsim_process_exit(sim, b));
  assert_int_equal(rt_swap_inuse(sim, 0), 0);
  rt_done(sim);
}

/*
 * A swap-in that finds the page in the swap cache is a minor fault: no
 * device read (pswpin), no pgmajfault, no read latency. Costs (default
 * cfg.cost): a TLB miss is l1 1 + l2 7 + 4 levels x 25 = 108 ns, once
 * before the fault and once on the retry, plus the minor fault 500:
 * 716 ns. A swap-in from the device adds major_fault 2000 + read latency.
 * (do_swap_page()'s swap-cache lookup; no linux-reclaim.md rule.)
 */
#define MISS_TWICE_PLUS_FAULT 716u

static void test_swap_cache_hit_is_minor(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 1024, "ssd");
  uint32_t parent = rt_process(sim, 0, 1);
  uint64_t va = RT_REGION(0);
  write_pattern(sim, parent, va, 1);
  assert_int_equal(rt_reclaim(sim, 0, 1), 1);
  uint32_t child;
  assert_ok(vmsim_process_fork(sim, parent, &child));

  /* The child reads it from the device: it stays in the swap cache, as
   * the parent's PTE still names the slot. */
  vmsim_process_info c0 = rt_info(sim, child);
  assert_ok(vmsim_access(sim, 0, child, va, false));
  vmsim_process_info c1 = rt_info(sim, child);
  assert_int_equal(c1.pgmajfault, c0.pgmajfault + 1);
  assert_int_equal(c1.time_ns - c0.time_ns, MISS_TWICE_PLUS_FAULT + 2000 + 100000);
  struct vmsim_page *page = rt_page(sim, child, va);
  assert_non_null(page);
  assert_true(vmsim_page_test(page, VMSIM_PG_swapcache));

  uint64_t pswpin = rt_vmstat(sim, VMSIM_VM_pswpin);
  uint64_t majflt = rt_vmstat(sim, VMSIM_VM_pgmajfault);
  vmsim_process_info p0 = rt_info(sim, parent);
  assert_ok(vmsim_access(sim, 0, parent, va, false));
  vmsim_process_info p1 = rt_info(sim, parent);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpin), pswpin);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgmajfault), majflt);
  assert_int_equal(p1.pgfault, p0.pgfault + 1);
  assert_int_equal(p1.pgmajfault, p0.pgmajfault);
  assert_int_equal(p1.time_ns - p0.time_ns, MISS_TWICE_PLUS_FAULT);
  assert_ptr_equal(rt_page(sim, parent, va), page);
  assert_int_equal(token_seq(page->token), writes_of(NULL, 0));
  rt_done(sim);
}

/*
 * Each latency preset of vmsim_swap_preset() (config.h: ssd 100 us, nvme
 * 20 us, zram 2 us, hdd 8 ms per page read) is charged to the process that
 * faults the page in, and to its CPU's clock: 716 + 2000 + read latency.
 * (The simulator's cost model, cfg.cost; no linux-reclaim.md rule.)
 */
static void test_swapin_latency_presets(void **state) {
  (void)state;
  static const struct {
    const char *name;
    vmsim_time_t read;
  } presets[] = {{"ssd", 100000}, {"nvme", 20000}, {"zram", 2000}, {"hdd", 8000000}};
  for (size_t k = 0; k < ARRAY_SIZE(presets); k++) {
    vmsim_sim *sim = rt_sim(4096, 256, presets[k].name);
    uint32_t pid = rt_process(sim, 0, 1);
    write_pattern(sim, pid, RT_REGION(0), 1);
    assert_int_equal(rt_reclaim(sim, 0, 1), 1);
    vmsim_process_info before = rt_info(sim, pid);
    vmsim_time_t now = vmsim_time_now(sim);
    assert_ok(vmsim_access(sim, 0, pid, RT_REGION(0), false));
    vmsim_process_info after = rt_info(sim, pid);
    vmsim_time_t expect = MISS_TWICE_PLUS_FAULT + 2000 + presets[k].read;
    if (after.time_ns - before.time_ns != expect)
      fail_msg("%s: swap-in cost %" PRIu64 " ns, expected %" PRIu64, presets[k].name,
               after.time_ns - before.time_ns, expect);
    assert_int_equal(vmsim_time_now(sim) - now, expect);
    assert_int_equal(after.pgmajfault, before.pgmajfault + 1);
    rt_done(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_slot_allocation_by_priority),
    cmocka_unit_test(test_swap_full_keeps_anon_then_oom),
    cmocka_unit_test(test_fork_with_swapped_pages),
    cmocka_unit_test(test_exit_frees_swap_slots),
    cmocka_unit_test(test_swap_cache_hit_is_minor),
    cmocka_unit_test(test_swapin_latency_presets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
