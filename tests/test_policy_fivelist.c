/* SPDX-License-Identifier: MIT */
/*
 * The fivelist policy (src/policies/fivelist.c): Linux 6.x active/inactive
 * anon/file lists, checked against results worked out by hand from
 * ../shared/docs/linux-reclaim.md rules 21-25 and Linux 6.6 mm/vmscan.c,
 * mm/swap.c and mm/workingset.c.
 *
 * Machines are one node with a single ZONE_NORMAL and one CPU. For 4096
 * frames the modern watermarks are (rule 16) MIN 128, LOW 160, HIGH 192.
 */
#include "reclaim_test.h"

/* A machine of `pages` frames (see reclaim_test.h) run by `policy`. */
static void fl_config(vmsim_config *cfg, const char *policy, uint64_t pages,
                      uint64_t swap_pages) {
  rt_config(cfg, pages, swap_pages, "ssd");
  strcpy(cfg->policy, policy);
}

static void fl_read(vmsim_sim *sim, uint32_t pid, uint32_t file, uint64_t first, uint64_t n) {
  for (uint64_t i = first; i < first + n; i++) {
    int rc = vmsim_file_read(sim, 0, pid, file, i);
    if (rc)
      fail_msg("read file %u page %" PRIu64 ": %s", file, i, vmsim_err_name(rc));
  }
}

/* The resident page of `file` at `index`, or NULL (white box). */
static struct vmsim_page *fl_cached(vmsim_sim *sim, uint32_t file, uint64_t index) {
  uint64_t e = vmsim__file_get(sim, file)->cache[index];
  return cache_entry_is_page(e) ? &vmsim_mem_map(sim)[cache_entry_pfn(e)] : NULL;
}

/* ---- registration --------------------------------------------------------- */

static void test_registered(void **state) {
  (void)state;
  const vmsim_policy_ops *ops = vmsim_policy_find("fivelist");
  assert_non_null(ops);
  char msg[256];
  assert_ok(vmsim_policy_validate(ops, msg, sizeof(msg)));
  assert_int_equal(ops->nr_lists, 5);
  assert_string_equal(ops->list_names[0], "inactive_anon");
  assert_string_equal(ops->list_names[4], "unevictable");
  assert_int_equal(ops->list_kinds[1], VMSIM_LRU_KIND_ACTIVE);
  assert_int_equal(ops->list_kinds[2], VMSIM_LRU_KIND_INACTIVE);
  assert_int_equal(ops->list_kinds[4], VMSIM_LRU_KIND_UNEVICTABLE);
}

/* ---- (1) scan resistance ---------------------------------------------------- */

#define SR_PAGES 4096
#define SR_WSET 1024    /* process A's working set */
#define SR_FILLER 4096  /* process B: touched once, in chunks, to make pressure */
#define SR_CHUNK 64
#define SR_STREAM (4 * SR_PAGES)

struct sr_result {
  uint64_t active_anon_before; /* nr_active_anon after phase 1 */
  uint64_t resident_after;     /* A's resident pages after the stream */
  uint64_t pgsteal_anon_stream; /* anon pages reclaimed during the stream */
};

/*
 * Phase 1 (warm-up): A's SR_WSET pages are touched again between every
 * chunk of SR_CHUNK new pages of B, so that reclaim, which must evict B to
 * make room, finds A's pages young on two consecutive looks (activated)
 * and B's young only once (evicted). The chunk is small because the first
 * reclaim finds every page young at once and, going down to priority 0,
 * looks at all of them; from then on the oldest pages (A's) are evicted
 * unless touched again within the next few dozen evictions. B exits; A is
 * touched once more, so all of A is resident. Phase 2: one read() of every
 * page of a file four times the size of memory; A is not touched.
 */
static struct sr_result scan_resistance_run(const char *policy) {
  vmsim_config cfg;
  fl_config(&cfg, policy, SR_PAGES, 65536);
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t a = rt_process(sim, 0, SR_WSET);
  uint32_t b = rt_process(sim, 1, SR_FILLER);
  for (uint64_t off = 0; off < SR_FILLER; off += SR_CHUNK) {
    rt_touch(sim, 0, a, RT_REGION(0), 0, SR_WSET, true);
    rt_touch(sim, 0, b, RT_REGION(1), off, SR_CHUNK, true);
  }
  assert_ok(vmsim_process_exit(sim, b));
  rt_touch(sim, 0, a, RT_REGION(0), 0, SR_WSET, false);
  assert_int_equal(rt_info(sim, a).rss_anon, SR_WSET);

  struct sr_result r = {.active_anon_before = rt_vmstat(sim, VMSIM_VM_nr_active_anon)};
  uint32_t file = 0;
  assert_ok(vmsim_file_create(sim, SR_STREAM, &file));
  uint64_t steal_anon = rt_vmstat(sim, VMSIM_VM_pgsteal_anon);
  fl_read(sim, a, file, 0, SR_STREAM);
  r.resident_after = rt_info(sim, a).rss_anon;
  r.pgsteal_anon_stream = rt_vmstat(sim, VMSIM_VM_pgsteal_anon) - steal_anon;
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
  return r;
}

/*
 * fivelist: every streamed page is read once, so it enters the inactive
 * file list with PG_referenced only; with no young PTE it is
 * RECLAIM_CLEAN, and clean, so it goes the first time reclaim reaches it:
 * no file page is ever activated and no file page refaults. Hence the file
 * lists never ask for deactivation (active_file = 0 is not more than
 * inactive_file, and workingset_activate_file does not move), and at any
 * priority p where inactive_file >> p >= 1, cache_trim_mode makes the scan
 * SCAN_FILE: anon is not scanned. At a priority where inactive_file >> p is
 * 0, SCAN_FRACT scans (size >> p) * fraction of each anon list, which is 0
 * too, because each anon list holds at most SR_WSET = 1024 pages and the
 * inactive file list, once the stream has filled memory (reclaim starts
 * only then), holds about 4096 - 1024 - HIGH > 2700 pages. Priority 0
 * (SCAN_EQUAL) needs 12 failed passes, impossible with clean file pages
 * at the tail. So A's pages are never scanned, let alone reclaimed: all
 * SR_WSET stay resident and pgsteal_anon does not move during the stream.
 * (Half of them may be deactivated by the anon rebalancing, which only
 * moves them to inactive_anon.)
 *
 * clock: A's pages are on the one clock list with everything else. The
 * stream must evict at least SR_STREAM - (SR_PAGES - SR_WSET) = 13312 pages
 * (memory holds no more than the 3072 frames A leaves), and each eviction
 * is a step of the hand. A page of A not touched since phase 1 is passed
 * once (its young bit is cleared, it moves to the head) and evicted when
 * the hand reaches it again, at most SR_PAGES steps later: within
 * 2 * SR_PAGES = 8192 < 13312 steps every page of A is gone.
 */
static void test_scan_resistance(void **state) {
  (void)state;
  struct sr_result fl = scan_resistance_run("fivelist");
  struct sr_result ck = scan_resistance_run("clock");

  /* Phase 1 activated the working set (most of it; B is gone). */
  assert_true(fl.active_anon_before >= SR_WSET / 2);
  assert_int_equal(fl.resident_after, SR_WSET);
  assert_int_equal(fl.pgsteal_anon_stream, 0);
  assert_int_equal(ck.resident_after, 0);
  assert_int_equal(ck.pgsteal_anon_stream, SR_WSET);
}

/* ---- (2) refault distance ---------------------------------------------------- */

/*
 * Demand paging on exactly 8 frames, no swap, one file F. With no swap,
 * get_scan_count() is SCAN_FILE and the workingset size of a file refault
 * is active_file alone (rule 25). On-demand reclaim runs priorities 12..0
 * and stops at the first eviction; with 4 pages on a list, the first
 * priority that scans is 2 (4 >> 2 = 1), one page from the tail.
 * "age" is the node's nonresident_age, E a page's age at eviction.
 *
 *  1. read 0,1,2,3          inactive [3 2 1 0], each PG_referenced
 *  2. read 0,1,2,3 again    mark_accessed activates each: active
 *                           [3 2 1 0], pgactivate 4, age 4
 *  3. read 10,11,12,13      inactive [13 12 11 10]; all 8 frames used
 *  4. read 20,21,22,23      each evicts the inactive tail (PG_referenced,
 *                           no PTE: RECLAIM_CLEAN, clean): 10 (E 4),
 *                           11 (E 5), 12 (E 6), 13 (E 7); age 8.
 *                           No deactivation: inactive 4 is not < active 4.
 *  5. read 10               evicts 20 (E 8), age 9; refault distance of 10
 *                           = 9 - 4 = 5 > active_file 4: NOT activated.
 *                           inactive [10 23 22 21]
 *  6. read 12               evicts 21 (E 9), age 10; distance 10 - 6 = 4
 *                           <= 4: activated (age 11). active [12 3 2 1 0],
 *                           inactive [10 23 22]
 *  7. read 24               the activation moved workingset_activate_file
 *                           past its snapshot: deactivate file. Priority 2:
 *                           inactive 3 >> 2 = 0, active 5 >> 2 = 1: page 0
 *                           (tail) goes inactive with PG_workingset
 *                           (pgdeactivate 1); nothing freed. Priority 1:
 *                           inactive 4 >> 1 = 2: evict 22 (E 11), age 12.
 *                           inactive [24 0 10 23], active [12 3 2 1];
 *                           the end of reclaim snapshots the activations.
 *  8. read 25, 26, 27       no deactivation (4 vs 4, snapshot current):
 *                           evict 23 (E 12), 10 (E 13), 0 (E 14, with
 *                           PG_workingset in its shadow); age 15
 *  9. read 0                evicts 24 (E 15), age 16; distance 16 - 14 = 2
 *                           <= 4: activated and, as it was workingset,
 *                           restored.
 * Totals: refaults 3 (10, 12, 0), activations 2 (12, 0), restores 1 (0),
 * 11 evictions, pgactivate 4, pgdeactivate 1; active [0 12 3 2 1],
 * inactive [27 26 25].
 */
static void test_refault_distance(void **state) {
  (void)state;
  vmsim_config cfg;
  fl_config(&cfg, "fivelist", 8, 0);
  cfg.reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  vmsim_sim *sim = rt_create(&cfg);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 8);
  uint32_t pid = 0, f = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_file_create(sim, 64, &f));

  fl_read(sim, pid, f, 0, 4);
  fl_read(sim, pid, f, 0, 4);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 4);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_active_file), 4);
  fl_read(sim, pid, f, 10, 4);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_file), 0);
  fl_read(sim, pid, f, 20, 4);
  for (uint64_t i = 10; i < 14; i++)
    assert_null(fl_cached(sim, f, i));

  /* 5: beyond the distance */
  fl_read(sim, pid, f, 10, 1);
  assert_null(fl_cached(sim, f, 20));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_refault_file), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_activate_file), 0);
  assert_false(vmsim_page_test(fl_cached(sim, f, 10), VMSIM_PG_active));

  /* 6: within it */
  fl_read(sim, pid, f, 12, 1);
  assert_null(fl_cached(sim, f, 21));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_refault_file), 2);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_activate_file), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_restore_file), 0);
  assert_true(vmsim_page_test(fl_cached(sim, f, 12), VMSIM_PG_active));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_active_file), 5);

  /* 7: the refault makes the active list shrink */
  fl_read(sim, pid, f, 24, 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), 1);
  assert_null(fl_cached(sim, f, 22));
  assert_true(vmsim_page_test(fl_cached(sim, f, 0), VMSIM_PG_workingset));
  assert_false(vmsim_page_test(fl_cached(sim, f, 0), VMSIM_PG_active));

  /* 8, 9: a deactivated workingset page refaults: activated and restored */
  fl_read(sim, pid, f, 25, 3);
  assert_null(fl_cached(sim, f, 0));
  fl_read(sim, pid, f, 0, 1);
  assert_null(fl_cached(sim, f, 24));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_refault_file), 3);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_activate_file), 2);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_restore_file), 1);
  assert_true(vmsim_page_test(fl_cached(sim, f, 0), VMSIM_PG_active));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_file), 11);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 4);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_active_file), 5);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_inactive_file), 3);
  static const uint64_t resident[] = {0, 1, 2, 3, 12, 25, 26, 27};
  for (size_t i = 0; i < ARRAY_SIZE(resident); i++)
    assert_non_null(fl_cached(sim, f, resident[i]));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_workingset_refault_anon), 0);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/* ---- (3) swappiness ------------------------------------------------------------ */

#define SW_PAGES 4096
#define SW_ANON_A 1024
#define SW_FILE 1024
#define SW_ANON_B 2304

struct sw_result {
  uint64_t steal_anon, steal_file;
};

/*
 * Anon A (1024 pages, written once), then file F (1024 pages, read twice:
 * all active), then anon B (2304 pages, written once). Demand is 4352
 * pages on 4096 frames, so at least 256 pages must be reclaimed.
 */
static struct sw_result swappiness_run(uint32_t swappiness) {
  vmsim_config cfg;
  fl_config(&cfg, "fivelist", SW_PAGES, 65536);
  cfg.swappiness = swappiness;
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t pid = rt_process(sim, 0, SW_ANON_A), f = 0;
  assert_ok(vmsim_mmap(sim, pid, RT_REGION(1), SW_ANON_B * RT_PAGE,
                       VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS,
                       0, 0));
  assert_ok(vmsim_file_create(sim, SW_FILE, &f));
  rt_touch(sim, 0, pid, RT_REGION(0), 0, SW_ANON_A, true);
  fl_read(sim, pid, f, 0, SW_FILE);
  fl_read(sim, pid, f, 0, SW_FILE);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_active_file), SW_FILE);
  rt_touch(sim, 0, pid, RT_REGION(1), 0, SW_ANON_B, true);
  struct sw_result r = {rt_vmstat(sim, VMSIM_VM_pgsteal_anon),
                        rt_vmstat(sim, VMSIM_VM_pgsteal_file)};
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
  return r;
}

/*
 * get_scan_count() with ap = swappiness * (T + 1) / (a + 1) and
 * fp = (200 - swappiness) * (T + 1) / (f + 1):
 *
 * swappiness 0: ap = 0, so SCAN_FRACT never scans anon; SCAN_EQUAL needs
 *   swappiness > 0; SCAN_ANON needs file + free <= HIGH = 192, but while no
 *   anon page is reclaimed, anon holds at most 1024 + 2304 = 3328 frames,
 *   so file + free >= 4096 - 3328 = 768. By induction no anon page is ever
 *   reclaimed, and the >= 256 pages of the overcommit all come from the
 *   file lists (active file is deactivated: inactive_file 0 < active_file).
 * swappiness 200: fp = 0, so SCAN_FRACT never scans file. The file pages
 *   are all active and inactive_file is 0, so cache_trim_mode (which needs
 *   inactive_file >> priority) is off, and only a SCAN_EQUAL pass at
 *   priority 0 (direct reclaim that found nothing at 12..1) scans file:
 *   its targets are fixed when it starts, with inactive_file still 0, and
 *   the inactive anon batch comes first in each round. So reclaim is
 *   almost all anon, and less file is reclaimed than with swappiness 0.
 */
static void test_swappiness(void **state) {
  (void)state;
  struct sw_result lo = swappiness_run(0);
  struct sw_result hi = swappiness_run(200);

  const uint64_t overcommit = SW_ANON_A + SW_FILE + SW_ANON_B - SW_PAGES;
  assert_int_equal(lo.steal_anon, 0);
  assert_true(lo.steal_file >= overcommit);
  assert_true(hi.steal_anon + hi.steal_file >= overcommit);
  assert_true(hi.steal_anon > hi.steal_file);
  assert_true(hi.steal_anon > lo.steal_anon);
  assert_true(hi.steal_file < lo.steal_file);
}

/* ---- (4) no swap ------------------------------------------------------------------ */

/*
 * No swap device: may_swap is off and no slot is free, so get_scan_count()
 * is SCAN_FILE at every priority, and can_age_anon_pages() (swap
 * configured) is false, so the anon rebalancing never runs either: no anon
 * page is ever isolated (pgscan_anon 0) or deactivated. A's 3584 anon
 * pages leave at most 512 frames to the file stream, so this rule is what
 * protects them: without it, at priority 9 inactive_file >> 9 = 0 turns
 * cache_trim_mode off, and SCAN_FRACT (swappiness 60, no costs yet:
 * anon 60 / 200) would scan (3584 >> 9) * 60 / 200 = 2 anon pages.
 */
#define NS_ANON 3584

static void test_no_swap(void **state) {
  (void)state;
  vmsim_config cfg;
  fl_config(&cfg, "fivelist", 4096, 0);
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t pid = rt_process(sim, 0, NS_ANON), f = 0;
  rt_touch(sim, 0, pid, RT_REGION(0), 0, NS_ANON, true);
  assert_ok(vmsim_file_create(sim, 8192, &f));
  fl_read(sim, pid, f, 0, 8192);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, NS_ANON, false);

  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgscan_anon), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_anon), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgscan_file) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_file) >= 8192 - (4096 - NS_ANON));
  assert_int_equal(rt_info(sim, pid).rss_anon, NS_ANON);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/* ---- mlocked pages ------------------------------------------------------------------ */

/*
 * Pages of an mlocked VMA go to the unevictable list (lru_add_fn) and are
 * never evicted, whatever the pressure: 256 of them survive a stream of
 * twice the memory, on the unevictable list throughout.
 */
static void test_mlocked_unevictable(void **state) {
  (void)state;
  vmsim_config cfg;
  fl_config(&cfg, "fivelist", 4096, 65536);
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t pid = 0, f = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, RT_REGION(0), 256 * RT_PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_LOCKED, 0, 0));
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 256, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_unevictable), 256);
  assert_ok(vmsim_file_create(sim, 8192, &f));
  fl_read(sim, pid, f, 0, 8192);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_unevictable), 256);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_anon), 0);
  assert_int_equal(rt_info(sim, pid).rss_anon, 256);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_registered),
    cmocka_unit_test(test_scan_resistance),
    cmocka_unit_test(test_refault_distance),
    cmocka_unit_test(test_swappiness),
    cmocka_unit_test(test_no_swap),
    cmocka_unit_test(test_mlocked_unevictable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
