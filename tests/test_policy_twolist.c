/* SPDX-License-Identifier: MIT */
/*
 * The twolist policy (src/policies/twolist.c): Linux 2.6.11 active/inactive
 * lists, against results worked out by hand from ../shared/docs/
 * linux-reclaim.md rules 9-12.
 *
 * Machines are one node with a single ZONE_NORMAL of 4096 frames (MIN 128,
 * LOW 160, HIGH 192 by rule 16) and one CPU; the tests use far fewer pages
 * than that, so reclaim runs only when a test calls shrink_node() itself,
 * with a scan_control whose priority it chooses. The on-demand test uses a
 * machine of exactly 4 frames. test_conformance runs the policy through the
 * conformance suite with every other built-in.
 */
#include "reclaim_test.h"

/* The policy's lists. */
enum { TL_INACTIVE, TL_ACTIVE, TL_UNEVICTABLE };

static vmsim_sim *tl_sim(uint64_t pages, uint32_t swappiness, enum vmsim_reclaim_mode mode) {
  vmsim_config cfg;
  rt_config(&cfg, pages, 65536, "ssd");
  strcpy(cfg.policy, "twolist");
  cfg.swappiness = swappiness;
  cfg.reclaim_mode = mode;
  return rt_create(&cfg);
}

static const vmsim_list *tl_list(vmsim_sim *sim, unsigned lru) {
  return vmsim_lruvec_list(sim->nodes[0].lruvec, lru);
}

/* The page cache's page for `index` of `file`, or NULL if not cached. */
static struct vmsim_page *tl_file_page(vmsim_sim *sim, uint32_t file, uint64_t index) {
  uint64_t e = vmsim__file_get(sim, file)->cache[index];
  return cache_entry_is_page(e) ? &sim->mem_map[cache_entry_pfn(e)] : NULL;
}

/* A kswapd-mode machine (swappiness 60) with a process and a file of `pages`. */
static vmsim_sim *tl_file_sim(uint64_t pages, uint32_t *pid, uint32_t *file) {
  vmsim_sim *sim = tl_sim(4096, 60, VMSIM_RECLAIM_KSWAPD);
  assert_ok(vmsim_process_create(sim, pid));
  assert_ok(vmsim_file_create(sim, pages, file));
  return sim;
}

static void tl_read(vmsim_sim *sim, uint32_t pid, uint32_t file, uint64_t index) {
  int rc = vmsim_file_read(sim, 0, pid, file, index);
  if (rc)
    fail_msg("read file %u page %" PRIu64 ": %s", file, index, vmsim_err_name(rc));
}

static void expect_page(const struct vmsim_page *page, unsigned lru, bool active,
                        bool referenced) {
  assert_non_null(page);
  assert_true(vmsim_page_test(page, VMSIM_PG_lru));
  assert_int_equal(vmsim_page_lru(page), lru);
  assert_int_equal(vmsim_page_test(page, VMSIM_PG_active), active);
  assert_int_equal(vmsim_page_test(page, VMSIM_PG_referenced), referenced);
}

/*
 * Rule 9 with read(): a file page enters the inactive list unreferenced and
 * the read marks it (inactive, referenced); the second read activates it
 * (active, unreferenced: pgactivate 1); the third marks it (active,
 * referenced); a fourth changes nothing.
 */
static void test_mark_accessed_state_machine(void **state) {
  (void)state;
  uint32_t pid = 0, file = 0;
  vmsim_sim *sim = tl_file_sim(4, &pid, &file);

  tl_read(sim, pid, file, 0);
  struct vmsim_page *page = tl_file_page(sim, file, 0);
  expect_page(page, TL_INACTIVE, false, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_inactive_file), 1);

  tl_read(sim, pid, file, 0);
  expect_page(page, TL_ACTIVE, true, false);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_active_file), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_inactive_file), 0);

  tl_read(sim, pid, file, 0);
  expect_page(page, TL_ACTIVE, true, true);
  tl_read(sim, pid, file, 0);
  expect_page(page, TL_ACTIVE, true, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 1);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/*
 * Hardware references, seen by page_referenced() during scans (rules 9, 10,
 * 11, 12). 40 pages of a shared file mapping are touched once: each fault
 * adds its page to the inactive list, and the retried access leaves the
 * PTE young.
 *
 * Pass 1, priority 0: nr_scan_active = (0 >> 0) + 1 = 1 (below 32: kept);
 * nr_scan_inactive = (40 >> 0) + 1 = 41: shrink_cache(32) then (9). All 40
 * pages are referenced (young) and in use (mapped): activated, nothing
 * reclaimed, the young bits cleared. pgactivate 40, 40 scanned.
 *
 * Pass 2, priority 0: prev_priority is 0, so distress = 100 >> 0 = 100 and
 * swap_tendency >= 100: reclaim_mapped. nr_scan_active = 1 + (40 >> 0) + 1 =
 * 42: refill(32) then refill(10), which finds 8 left. Each mapped page is
 * now unreferenced: all 40 deactivated (pgrefill 40, pgdeactivate 40).
 * nr_scan_inactive = (0 >> 0) + 1 = 1: no inactive scan.
 */
static void test_hardware_references(void **state) {
  (void)state;
  uint32_t pid = 0, file = 0;
  vmsim_sim *sim = tl_file_sim(40, &pid, &file);
  assert_ok(vmsim_mmap(sim, pid, RT_REGION(0), 40 * RT_PAGE, VMSIM_PROT_READ, VMSIM_MAP_SHARED,
                       file, 0));
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 40, false);
  assert_int_equal(tl_list(sim, TL_INACTIVE)->nr, 40);

  vmsim_scan_control sc = rt_shrink(sim, 0, 32);
  assert_int_equal(sc.nr_scanned, 40);
  assert_int_equal(sc.nr_reclaimed, 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 40);
  assert_int_equal(tl_list(sim, TL_ACTIVE)->nr, 40);
  for (uint64_t i = 0; i < 40; i++)
    expect_page(rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE), TL_ACTIVE, true, false);

  sc = rt_shrink(sim, 0, 32);
  assert_int_equal(sc.nr_reclaimed, 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), 40);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 40);
  assert_int_equal(tl_list(sim, TL_INACTIVE)->nr, 40);
  for (uint64_t i = 0; i < 40; i++)
    expect_page(rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE), TL_INACTIVE, false, false);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/*
 * Rule 11, swap_tendency. 32 anon pages written once start on the active
 * list (lru_cache_add_active), PTEs young. mapped = nr_mapped 0 +
 * nr_anon_pages 32; mapped_ratio = 32 * 100 / 4096 = 0. Four passes at
 * priority 2: prev_priority = min(12, 2) = 2, distress = 100 >> 2 = 25.
 *   swappiness 0:   swap_tendency = 0 / 2 + 25 + 0   = 25  < 100
 *   swappiness 100: swap_tendency = 0 / 2 + 25 + 100 = 125 >= 100
 * nr_scan_active grows by (32 >> 2) + 1 = 9: 9, 18, 27 (no scan), then 36:
 * refill(32), refill(4). nr_scan_inactive grows by (0 >> 2) + 1 = 1: never
 * a batch.
 *   swappiness 0: no page_referenced() (no rmap walk); all 36 visits keep
 *     the mapped pages active. pgrefill 36, pgdeactivate 0.
 *   swappiness 100: refill(32) finds each page young (32 rmap walks),
 *     clears it and keeps the page, which goes to the head in tail order:
 *     the order is unchanged, page 0 at the tail. refill(4) then finds
 *     pages 0..3 unreferenced (4 walks) and deactivates them. pgrefill 36,
 *     pgdeactivate 4.
 */
static void run_swap_tendency(uint32_t swappiness) {
  vmsim_sim *sim = tl_sim(4096, swappiness, VMSIM_RECLAIM_KSWAPD);
  uint32_t pid = rt_process(sim, 0, 32);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 32, true);
  assert_int_equal(tl_list(sim, TL_ACTIVE)->nr, 32);
  uint64_t walks = sim->rmap_walks;

  for (int pass = 1; pass <= 3; pass++) {
    vmsim_scan_control sc = rt_shrink(sim, 2, 32);
    assert_int_equal(sc.nr_scanned, 0);
    assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), 0);
  }
  rt_shrink(sim, 2, 32);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), 36);
  bool reclaim_mapped = swappiness == 100;
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), reclaim_mapped ? 4 : 0);
  assert_int_equal(sim->rmap_walks - walks, reclaim_mapped ? 36 : 0);
  assert_int_equal(tl_list(sim, TL_ACTIVE)->nr, reclaim_mapped ? 28 : 32);
  assert_int_equal(tl_list(sim, TL_INACTIVE)->nr, reclaim_mapped ? 4 : 0);
  for (uint64_t i = 0; i < 32; i++) {
    struct vmsim_page *page = rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE);
    bool deactivated = reclaim_mapped && i < 4;
    expect_page(page, deactivated ? TL_INACTIVE : TL_ACTIVE, !deactivated, false);
  }
  assert_int_equal(rt_info(sim, pid).rss_anon, 32); /* deactivation unmaps nothing */

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

static void test_swap_tendency_swappiness_0(void **state) {
  (void)state;
  run_swap_tendency(0);
}

static void test_swap_tendency_swappiness_100(void **state) {
  (void)state;
  run_swap_tendency(100);
}

/*
 * Rule 10, batching. 100 file pages read once each sit on the inactive list,
 * referenced but not in use (not mapped). At priority 12 (DEF_PRIORITY)
 * each pass adds (100 >> 12) + 1 = 1 to nr_scan_inactive and (0 >> 12) + 1
 * = 1 to nr_scan_active: passes 1..31 scan nothing. Pass 32 reaches 32:
 * refill(32) on the empty active list, then shrink_cache(32) takes pages
 * 0..31 from the tail (read first): referenced but not in use, clean, so
 * all are freed (rule 12). nr_reclaimed = 32 = nr_to_reclaim. Pass 33 starts
 * again from 1.
 */
static void test_scan_batching(void **state) {
  (void)state;
  uint32_t pid = 0, file = 0;
  vmsim_sim *sim = tl_file_sim(100, &pid, &file);
  for (uint64_t i = 0; i < 100; i++)
    tl_read(sim, pid, file, i);

  for (int pass = 1; pass <= 31; pass++) {
    vmsim_scan_control sc = rt_shrink(sim, DEF_PRIORITY, 32);
    assert_int_equal(sc.nr_scanned, 0);
  }
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgscan_direct), 0);
  vmsim_scan_control sc = rt_shrink(sim, DEF_PRIORITY, 32);
  assert_int_equal(sc.nr_scanned, 32);
  assert_int_equal(sc.nr_reclaimed, 32);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_direct), 32);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), 0);
  for (uint64_t i = 0; i < 100; i++)
    assert_int_equal(tl_file_page(sim, file, i) != NULL, i >= 32);
  assert_int_equal(tl_list(sim, TL_INACTIVE)->nr, 68);

  sc = rt_shrink(sim, DEF_PRIORITY, 32);
  assert_int_equal(sc.nr_scanned, 0);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/*
 * Demand paging with 4 frames (anon pages 0..6 of one region, written).
 *   write 0..3: the frames fill; each page active, PTE young.
 *   write 4: no frame. Round 1: inactive empty; refill(4) at priority 0
 *     (distress 100: reclaim_mapped) finds 0..3 young: kept, bits cleared.
 *     Round 2: refill deactivates 0, 1, 2, 3 (in that order: 3 at the
 *     head). Round 3: shrink_cache takes 0 from the tail: unreferenced, so
 *     it is swapped out. 4 goes active.
 *   write 5: shrink_cache takes 1 (unreferenced): swapped out.
 *   read 2: a hit; its PTE becomes young again.
 *   write 6: shrink_cache finds 2 referenced and mapped: activated
 *     (pgactivate 1); then 3, unreferenced: swapped out.
 * Resident: 2, 4, 5, 6. Evicted: 0, 1, 3.
 */
static void test_on_demand(void **state) {
  (void)state;
  vmsim_sim *sim = tl_sim(4, 60, VMSIM_RECLAIM_ON_DEMAND);
  uint32_t pid = rt_process(sim, 0, 7);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 4, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 0);
  rt_touch(sim, 0, pid, RT_REGION(0), 4, 2, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), 2);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 0);
  rt_touch(sim, 0, pid, RT_REGION(0), 2, 1, false);
  rt_touch(sim, 0, pid, RT_REGION(0), 6, 1, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), 3);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 1);
  static const bool resident[7] = {false, false, true, false, true, true, true};
  for (uint64_t i = 0; i < 7; i++)
    assert_int_equal(rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE) != NULL, resident[i]);
  expect_page(rt_page(sim, pid, RT_REGION(0) + 2 * RT_PAGE), TL_ACTIVE, true, false);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mark_accessed_state_machine),
    cmocka_unit_test(test_hardware_references),
    cmocka_unit_test(test_swap_tendency_swappiness_0),
    cmocka_unit_test(test_swap_tendency_swappiness_100),
    cmocka_unit_test(test_scan_batching),
    cmocka_unit_test(test_on_demand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
