/* SPDX-License-Identifier: MIT */
/*
 * Reclaim mechanics (src/core/vmscan.c): writeback of dirty file pages
 * before they are dropped (linux-reclaim.md rule 12), the outcomes of
 * shrink_folio_list() for file pages (rule 24's RECLAIM_CLEAN), direct
 * reclaim when a burst outruns kswapd (rule 18), and slab shrinkers asked
 * for their share during real reclaim (rule 27).
 */
#include "reclaim_test.h"

#include "shrinker.h"

#define FILE_PAGES 512

/* Page i of the file is written (i % 3) + 1 times if even, only read if odd. */
static uint32_t file_writes(uint64_t i) { return i % 2 ? 0 : (uint32_t)(i % 3) + 1; }

/* A process mapping the whole file shared and writable at RT_REGION(0),
 * having written or read every page. */
static uint32_t map_and_dirty_file(vmsim_sim *sim, uint32_t *file) {
  uint32_t pid;
  assert_ok(vmsim_file_create(sim, FILE_PAGES, file));
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, RT_REGION(0), FILE_PAGES * RT_PAGE,
                       VMSIM_PROT_READ | VMSIM_PROT_WRITE, VMSIM_MAP_SHARED, *file, 0));
  for (uint64_t i = 0; i < FILE_PAGES; i++) {
    uint64_t va = RT_REGION(0) + i * RT_PAGE;
    if (file_writes(i) == 0)
      assert_ok(vmsim_access(sim, 0, pid, va, false));
    for (uint32_t w = 0; w < file_writes(i); w++)
      assert_ok(vmsim_access(sim, 0, pid, va, true));
  }
  return pid;
}

/*
 * Dirty file pages are written back before they are dropped; clean ones
 * are dropped without I/O (rule 12: dirty -> pageout(), clean -> freed).
 * No swap, so anon memory is unreclaimable and only file pages can make
 * room: another process takes 3700 anon pages of a 4096-page node
 * (MIN 128), on top of the 512 file pages, so at least
 * 3700 + 512 - (4096 - 128) = 144 file pages must go. The clock policy
 * evicts oldest first, i.e. file pages in index order, so even (dirty)
 * and odd (clean) pages both go. pgpgout counts KiB written: exactly
 * 4 x the dirty pages evicted.
 */
static void test_dirty_file_pages_written_back(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 0, NULL);
  uint32_t file;
  uint32_t pid = map_and_dirty_file(sim, &file);
  uint64_t dirty = 0;
  for (uint64_t i = 0; i < FILE_PAGES; i++)
    dirty += file_writes(i) > 0;
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_dirty), 0); /* PTE dirty bits only so far */
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), 0);
  assert_sim_consistent(sim);

  uint32_t anon = rt_process(sim, 1, 3700);
  rt_touch(sim, 0, anon, RT_REGION(1), 0, 3700, true);
  assert_sim_consistent(sim);

  struct vmsim_file *f = vmsim__file_get(sim, file);
  uint64_t evicted = 0, evicted_dirty = 0;
  bool gone[FILE_PAGES];
  for (uint64_t i = 0; i < FILE_PAGES; i++) {
    gone[i] = !cache_entry_is_page(f->cache[i]);
    evicted += gone[i];
    evicted_dirty += gone[i] && file_writes(i) > 0;
    /* The backing store holds what was written, for evicted dirty pages;
     * the original contents for all others. */
    uint32_t on_disk = gone[i] ? file_writes(i) : 0;
    assert_int_equal(f->disk[i], file_token(file, i, on_disk));
    if (gone[i])
      assert_true(vmsim_pte_is_file(rt_pte(sim, pid, RT_REGION(0) + i * RT_PAGE)));
  }
  assert_true(evicted >= 144);
  assert_true(evicted_dirty > 0 && evicted_dirty < evicted);
  assert_true(evicted_dirty <= dirty);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), 4 * evicted_dirty);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_file), evicted);

  /* Reading the evicted pages back gives the written contents. */
  uint64_t pgpgin = rt_vmstat(sim, VMSIM_VM_pgpgin);
  for (uint64_t i = 0; i < FILE_PAGES; i++) {
    if (!gone[i])
      continue;
    assert_ok(vmsim_access(sim, 0, pid, RT_REGION(0) + i * RT_PAGE, false));
    struct vmsim_page *p = rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE);
    assert_non_null(p);
    assert_int_equal(p->token, file_token(file, i, file_writes(i)));
  }
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgin) - pgpgin, 4 * evicted);
  rt_done(sim);
}

/* Reclaim a file page with decision `ref`, writing allowed or not. */
static enum vmsim_reclaim_outcome reclaim_file_page(vmsim_sim *sim, struct vmsim_page *page,
                                                    enum vmsim_pageref ref, bool may_writepage) {
  vmsim_scan_control sc = rt_scan_control(sim);
  sc.may_writepage = may_writepage;
  return rt_try_reclaim(sim, &sc, page, ref);
}

/*
 * shrink_folio_list() on file pages: a dirty page is kept (unmapped, still
 * dirty, no I/O) when writing is not allowed or the policy said
 * RECLAIM_CLEAN (rule 24: a referenced file page may only go if clean);
 * with RECLAIM it is written (4 KiB of pgpgout) and freed. A clean page
 * goes under RECLAIM_CLEAN without I/O. KEEP and ACTIVATE keep any page.
 */
static void test_file_page_outcomes(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 0, NULL);
  uint32_t file;
  uint32_t pid = map_and_dirty_file(sim, &file);
  struct vmsim_file *f = vmsim__file_get(sim, file);
  struct vmsim_page *dirty = rt_page(sim, pid, RT_REGION(0)); /* page 0: written once */
  struct vmsim_page *clean = rt_page(sim, pid, RT_REGION(0) + RT_PAGE); /* page 1: read */
  assert_non_null(dirty);
  assert_non_null(clean);

  assert_int_equal(reclaim_file_page(sim, dirty, VMSIM_PAGEREF_KEEP, true),
                   VMSIM_RECLAIM_KEEP_REFERENCED);
  assert_int_equal(reclaim_file_page(sim, dirty, VMSIM_PAGEREF_ACTIVATE, true),
                   VMSIM_RECLAIM_KEEP_REFERENCED);
  assert_int_equal(dirty->mapcount, 1);
  assert_int_equal(reclaim_file_page(sim, dirty, VMSIM_PAGEREF_RECLAIM, false),
                   VMSIM_RECLAIM_KEEP_DIRTY);
  /* Unmapped on the way, its PTE dirty bit moved to PG_dirty. */
  assert_int_equal(dirty->mapcount, 0);
  assert_true(vmsim_page_test(dirty, VMSIM_PG_dirty));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_dirty), 1);
  assert_int_equal(reclaim_file_page(sim, dirty, VMSIM_PAGEREF_RECLAIM_CLEAN, true),
                   VMSIM_RECLAIM_KEEP_DIRTY);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), 0);
  assert_int_equal(f->disk[0], file_token(file, 0, 0));
  assert_sim_consistent(sim);

  assert_int_equal(reclaim_file_page(sim, dirty, VMSIM_PAGEREF_RECLAIM, true),
                   VMSIM_RECLAIM_FREED);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), 4);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_dirty), 0);
  assert_int_equal(f->disk[0], file_token(file, 0, file_writes(0)));

  assert_int_equal(reclaim_file_page(sim, clean, VMSIM_PAGEREF_RECLAIM_CLEAN, true),
                   VMSIM_RECLAIM_FREED);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), 4);
  assert_false(cache_entry_is_page(f->cache[1]));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_file), 2);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_direct), 2);
  rt_done(sim);
}

/*
 * A burst of first-touch anon faults larger than free memory outruns
 * kswapd (rule 18: retry at MIN, then direct reclaim). A first touch costs
 * the process 716 ns; kswapd pays at least a 4 us zram write for each
 * anon page it frees, so free memory falls to MIN and the allocating
 * process reclaims for itself. Direct reclaim runs only after the MIN
 * retry failed, i.e. with free <= MIN after kswapd caught up; kswapd only
 * adds pages and free never goes below MIN, so free was exactly MIN (128)
 * before every access that stalled. The stolen pages are dirty anon pages:
 * each costs its writer 4 us, charged to the stalled process.
 */
static void test_burst_triggers_direct_reclaim(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 8192, "zram");
  uint32_t pid = rt_process(sim, 0, 6144);
  uint64_t stalls = 0;
  for (uint64_t i = 0; i < 6144; i++) {
    uint64_t free0 = rt_vmstat(sim, VMSIM_VM_nr_free_pages);
    uint64_t stall0 = rt_vmstat(sim, VMSIM_VM_allocstall);
    uint64_t steal0 = rt_vmstat(sim, VMSIM_VM_pgsteal_direct);
    vmsim_time_t t0 = rt_info(sim, pid).time_ns;
    rt_touch(sim, 0, pid, RT_REGION(0), i, 1, true);
    if (rt_vmstat(sim, VMSIM_VM_allocstall) == stall0)
      continue;
    stalls++;
    if (free0 != 128)
      fail_msg("page %" PRIu64 ": direct reclaim with %" PRIu64 " pages free before", i, free0);
    uint64_t stolen = rt_vmstat(sim, VMSIM_VM_pgsteal_direct) - steal0;
    assert_true(rt_info(sim, pid).time_ns - t0 >= 716 + stolen * 4000);
  }
  assert_true(stalls > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgscan_direct) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_direct) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
  rt_done(sim);
}

/* ---- shrinkers under real reclaim ------------------------------------- */

#define MAX_CALLS 4096

/* One do_shrink_slab() call as the cache saw it, with the reclaim
 * counters at that moment (shrink_slab runs at the end of each pass). */
struct slab_call {
  int priority;
  uint64_t freeable;   /* what count_objects returned */
  uint32_t first_scan; /* its scan_objects calls: scans[first_scan ..] */
  uint32_t nr_scans;
  bool on_kswapd;
  uint64_t pageoutrun, allocstall, pgscan_kswapd, pgsteal_kswapd;
};

struct slab_cache {
  const vmsim_sim *sim;
  uint64_t objects;
  uint32_t seeks;
  uint64_t batch;
  uint32_t nr_calls, nr_scan_calls;
  struct slab_call calls[MAX_CALLS];
  uint64_t scans[4 * MAX_CALLS];
};

static uint64_t slab_count(void *ctx, vmsim_shrink_control *sc) {
  struct slab_cache *c = ctx;
  assert_true(c->nr_calls < MAX_CALLS);
  c->calls[c->nr_calls++] = (struct slab_call){
    .priority = sc->priority,
    .freeable = c->objects,
    .first_scan = c->nr_scan_calls,
    .on_kswapd = sc->kswapd,
    .pageoutrun = rt_vmstat(c->sim, VMSIM_VM_pageoutrun),
    .allocstall = rt_vmstat(c->sim, VMSIM_VM_allocstall),
    .pgscan_kswapd = rt_vmstat(c->sim, VMSIM_VM_pgscan_kswapd),
    .pgsteal_kswapd = rt_vmstat(c->sim, VMSIM_VM_pgsteal_kswapd),
  };
  return c->objects;
}

static uint64_t slab_scan(void *ctx, vmsim_shrink_control *sc) {
  struct slab_cache *c = ctx;
  assert_true(c->nr_scan_calls < ARRAY_SIZE(c->scans));
  c->scans[c->nr_scan_calls++] = sc->nr_to_scan;
  c->calls[c->nr_calls - 1].nr_scans++;
  uint64_t freed = MIN(sc->nr_to_scan, c->objects);
  c->objects -= freed;
  return freed;
}

/*
 * Replay the calls against rule 27, written out here independently of
 * shrinker.c: freeable f, deferred work nr taken at the start,
 *   delta = (f >> priority) * 4 / seeks,
 *   total = min((nr >> priority) + delta, 2 f),
 *   scan min(batch, total) while total >= batch or total >= f,
 *   deferred = min(max(nr + delta - scanned, 0), 2 f).
 * Returns the objects scanned; *deferred is left as the model has it.
 */
static uint64_t replay(const struct slab_cache *c, uint64_t *deferred) {
  uint64_t nr_deferred = 0, all = 0;
  for (uint32_t k = 0; k < c->nr_calls; k++) {
    const struct slab_call *call = &c->calls[k];
    uint64_t f = call->freeable, nr = nr_deferred, scanned = 0;
    if (f == 0)
      continue;
    int p = call->priority;
    uint64_t delta = (f >> p) * 4 / c->seeks;
    uint64_t total = MIN((nr >> p) + delta, 2 * f);
    uint32_t n = 0;
    while (total >= c->batch || total >= f) {
      uint64_t want = MIN(c->batch, total);
      if (n >= call->nr_scans || c->scans[call->first_scan + n] != want)
        fail_msg("call %u (priority %d, freeable %" PRIu64 "): scan %u should ask %" PRIu64, k, p,
                 f, n, want);
      total -= want;
      scanned += want;
      n++;
    }
    if (n != call->nr_scans)
      fail_msg("call %u: %u scans, expected %u", k, call->nr_scans, n);
    nr_deferred = MIN(nr + delta > scanned ? nr + delta - scanned : 0, 2 * f);
    all += scanned;
  }
  *deferred = nr_deferred;
  return all;
}

/*
 * The priorities the shrinker was called at are those of the reclaim
 * passes that ran. Every kswapd run (a new pageoutrun) and every direct
 * reclaim (a new allocstall) starts at DEF_PRIORITY 12 (rules 13, 20).
 * Within a kswapd run, a pass lowers the priority for the next one only
 * when it scanned less than nr_to_reclaim = max(HIGH 192, 32) = 192 or
 * reclaimed nothing (rule 20); the pass's scanned and stolen pages are the
 * growth of pgscan_kswapd and pgsteal_kswapd since the previous call.
 */
static void check_priorities(const struct slab_cache *c) {
  const struct slab_call *ks = NULL, *dr = NULL; /* the last kswapd and direct passes */
  uint64_t ks_scanned = 0, ks_stolen = 0;        /* what the last kswapd pass did */
  unsigned kswapd = 0, direct = 0, kept = 0;
  for (uint32_t k = 0; k < c->nr_calls; k++) {
    const struct slab_call *call = &c->calls[k];
    assert_true(call->priority >= 0 && call->priority <= 12);
    if (!call->on_kswapd) {
      /* try_to_free_pages() on one node: one pass per priority. */
      if (!dr || call->allocstall != dr->allocstall)
        assert_int_equal(call->priority, 12);
      else
        assert_int_equal(call->priority, dr->priority - 1);
      dr = call;
      direct++;
      continue;
    }
    if (!ks || call->pageoutrun != ks->pageoutrun) {
      assert_int_equal(call->priority, 12);
    } else {
      int lower = ks_scanned < 192 || ks_stolen == 0;
      if (call->priority != ks->priority - lower)
        fail_msg("kswapd pass at priority %d after one at %d that scanned %" PRIu64
                 " and stole %" PRIu64, call->priority, ks->priority, ks_scanned, ks_stolen);
      kept += !lower;
    }
    assert_true(call->priority >= 1);
    ks_scanned = call->pgscan_kswapd - (ks ? ks->pgscan_kswapd : 0);
    ks_stolen = call->pgsteal_kswapd - (ks ? ks->pgsteal_kswapd : 0);
    ks = call;
    kswapd++;
  }
  /* Both reclaimers ran, and some kswapd pass did enough to keep its
   * priority. */
  assert_true(kswapd > 0 && direct > 0 && kept > 0);
}

/*
 * Two caches of different sizes and seeks, registered on a machine under
 * swap pressure (ssd: kswapd falls behind, so both kswapd and direct
 * reclaim call shrink_slab at many priorities). Every request each cache
 * saw matches rule 27 for the priority that ran, their sum is
 * slabs_scanned, and the deferred work left matches the model's.
 */
static void test_shrinkers_scanned_in_proportion(void **state) {
  (void)state;
  static struct slab_cache big, small;
  big = (struct slab_cache){.objects = 1000000, .seeks = 2,
                            .batch = VMSIM_SHRINK_BATCH};
  small = (struct slab_cache){.objects = 30000, .seeks = 8,
                              .batch = 64};
  vmsim_sim *sim = rt_sim(4096, 8192, "ssd");
  big.sim = small.sim = sim;
  uint32_t id_big, id_small;
  assert_ok(vmsim_shrinker_register(
      sim, &(vmsim_shrinker){.count_objects = slab_count, .scan_objects = slab_scan, .ctx = &big},
      &id_big));
  assert_ok(vmsim_shrinker_register(sim,
                                    &(vmsim_shrinker){.count_objects = slab_count,
                                                      .scan_objects = slab_scan,
                                                      .ctx = &small,
                                                      .seeks = 8,
                                                      .batch = 64},
                                    &id_small));
  uint32_t pid = rt_process(sim, 0, 5000);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 5000, true);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 2000, false);

  uint64_t deferred;
  uint64_t scanned = replay(&big, &deferred);
  uint64_t d = UINT64_MAX;
  assert_ok(vmsim_shrinker_get_deferred(sim, id_big, 0, &d));
  assert_int_equal(d, deferred);
  scanned += replay(&small, &deferred);
  assert_ok(vmsim_shrinker_get_deferred(sim, id_small, 0, &d));
  assert_int_equal(d, deferred);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_slabs_scanned), scanned);
  assert_true(scanned > 0);

  check_priorities(&big);
  assert_true(rt_vmstat(sim, VMSIM_VM_allocstall) > 0);
  /* Each shrink_node pass calls each cache once, in id order. */
  assert_int_equal(big.nr_calls, small.nr_calls);
  rt_done(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dirty_file_pages_written_back),
    cmocka_unit_test(test_file_page_outcomes),
    cmocka_unit_test(test_burst_triggers_direct_reclaim),
    cmocka_unit_test(test_shrinkers_scanned_in_proportion),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
