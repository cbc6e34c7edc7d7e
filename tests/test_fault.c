/* SPDX-License-Identifier: MIT */
/*
 * The access path and the fault handler, end to end through vmsim_access():
 * accessed and dirty bits as the OS sees them, the TLBs (hits, misses, LRU
 * eviction, ASIDs, shootdowns), minor and major faults, the reverse map and
 * the page cache, copy-on-write, the simulated clock, and running out of
 * host memory in a fault.
 */
#include "mm_test.h"

#define VS(item) vmstat_get(sim, VMSIM_VM_##item)
#define SHARED VMSIM_MAP_SHARED
#define PRIVATE VMSIM_MAP_PRIVATE

static bool pte_has(vmsim_pte_t pte, vmsim_pte_t bits) { return (pte & bits) == bits; }

/* A process's fault and rss counters, and the machine's fault and read
 * counters (vmstat), all at once. */
struct counts {
  uint64_t pgfault, pgmajfault, rss_anon, rss_file; /* the process */
  uint64_t vm_pgfault, vm_pgmajfault, pgpgin;        /* the machine */
};
static void assert_counts(vmsim_sim *sim, uint32_t pid, struct counts want) {
  vmsim_process_info pi = proc_info(sim, pid);
  struct counts got = {pi.pgfault, pi.pgmajfault, pi.rss_anon, pi.rss_file,
                       VS(pgfault), VS(pgmajfault), VS(pgpgin)};
  if (memcmp(&got, &want, sizeof(got)) != 0)
    fail_msg("pid %u: pgfault %" PRIu64 " pgmajfault %" PRIu64 " rss %" PRIu64 "/%" PRIu64
             ", vmstat pgfault %" PRIu64 " pgmajfault %" PRIu64 " pgpgin %" PRIu64
             "; expected %" PRIu64 " %" PRIu64 " %" PRIu64 "/%" PRIu64 ", %" PRIu64 " %" PRIu64
             " %" PRIu64,
             pid, got.pgfault, got.pgmajfault, got.rss_anon, got.rss_file, got.vm_pgfault,
             got.vm_pgmajfault, got.pgpgin, want.pgfault, want.pgmajfault, want.rss_anon,
             want.rss_file, want.vm_pgfault, want.vm_pgmajfault, want.pgpgin);
}

/* ---- first touch ------------------------------------------------------ */

static void test_first_touch_anon_is_minor_and_zeroed(void **state) {
  (void)state;
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(2, 4, &pid);
  uint64_t free0 = VS(nr_free_pages);

  /* A read of a never-touched page: one minor fault, one new frame. */
  assert_ok(vmsim_access(sim, 0, pid, BASE + 0x123, false));
  assert_counts(sim, pid, (struct counts){1, 0, 1, 0, 1, 0, 0});
  assert_int_equal(proc_info(sim, pid).accesses, 1);
  assert_int_equal(VS(nr_free_pages), free0 - 1);
  assert_int_equal(VS(nr_anon_pages), 1);
  assert_int_equal(VS(nr_inactive_anon), 1); /* clock lists everything as inactive */

  struct vmsim_page *page = page_at(sim, pid, BASE);
  assert_true(vmsim_page_test(page, VMSIM_PG_anon));
  assert_true(vmsim_page_test(page, VMSIM_PG_swapbacked));
  assert_true(vmsim_page_test(page, VMSIM_PG_lru));
  assert_false(vmsim_page_test(page, VMSIM_PG_dirty));
  assert_int_equal(token_seq(page->token), 0); /* zero-filled: never written */
  assert_int_equal(page->mapping, pid);
  assert_int_equal(page->index, BASE >> VMSIM_PAGE_SHIFT);
  assert_int_equal(page->mapcount, 1);
  assert_int_equal(rmap_len(sim, page), 1);
  assert_true(rmap_has(sim, page, pid, BASE)); /* the page's address, not the access's */
  /* Writable VMA: a writable PTE even on a read fault; the read set A only. */
  vmsim_pte_t pte = pte_at(sim, pid, BASE);
  assert_true(pte_has(pte, VMSIM_PTE_PRESENT | VMSIM_PTE_USER | VMSIM_PTE_WRITE |
                               VMSIM_PTE_ACCESSED));
  assert_false(vmsim_pte_dirty(pte));

  /* The second access to the page does not fault; its write is counted. */
  assert_ok(vmsim_access(sim, 0, pid, BASE + 8, true));
  assert_int_equal(proc_info(sim, pid).pgfault, 1);
  assert_int_equal(token_seq(page->token), 1);

  /* A write as first touch: the zeroed page, then one write. */
  assert_ok(vmsim_access(sim, 1, pid, BASE + PAGE, true));
  struct vmsim_page *page1 = page_at(sim, pid, BASE + PAGE);
  assert_ptr_not_equal(page1, page);
  assert_int_equal(token_seq(page1->token), 1);
  assert_int_not_equal(page1->token >> 32, page->token >> 32); /* another page's identity */
  assert_int_equal(proc_info(sim, pid).pgfault, 2);
  assert_int_equal(VS(nr_free_pages), free0 - 2);
  check_and_destroy(sim);
}

/* ---- accessed and dirty bits ------------------------------------------ */

static void test_accessed_dirty_bits_and_page_referenced(void **state) {
  (void)state;
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(2, 2, &pid);

  assert_ok(vmsim_access(sim, 0, pid, BASE, false));
  assert_true(vmsim_pte_young(pte_at(sim, pid, BASE)));
  assert_false(vmsim_pte_dirty(pte_at(sim, pid, BASE)));

  /* A write through the TLB entry of the read sets D in the PTE, without
   * a walk: one L1 hit and nothing else. */
  vmsim_tlb_info t0 = tlb_info(sim, 0);
  assert_ok(vmsim_access(sim, 0, pid, BASE, true));
  assert_tlb_delta(sim, 0, &t0, 1, 0, 0, 0, 0, 0);
  assert_true(pte_has(pte_at(sim, pid, BASE), VMSIM_PTE_ACCESSED | VMSIM_PTE_DIRTY));

  /* A first-touch write sets both. */
  assert_ok(vmsim_access(sim, 0, pid, BASE + PAGE, true));
  assert_true(pte_has(pte_at(sim, pid, BASE + PAGE), VMSIM_PTE_ACCESSED | VMSIM_PTE_DIRTY));

  /* The OS clears A through the reverse map: one young PTE found, the
   * page flushed from CPU 0 (the initiator: a local flush, no shootdown),
   * D left alone. */
  struct vmsim_page *page = page_at(sim, pid, BASE);
  t0 = tlb_info(sim, 0);
  vmsim_tlb_info t1 = tlb_info(sim, 1);
  assert_int_equal(vmsim__page_referenced(sim, page, 0), 1);
  vmsim_pte_t pte = pte_at(sim, pid, BASE);
  assert_false(vmsim_pte_young(pte));
  assert_true(vmsim_pte_dirty(pte));
  assert_tlb_delta(sim, 0, &t0, 0, 0, 0, 1, 0, 0);
  assert_tlb_delta(sim, 1, &t1, 0, 0, 0, 0, 0, 0); /* never ran the process */
  /* Nothing young any more: no flush either. */
  assert_int_equal(vmsim__page_referenced(sim, page, 0), 0);
  assert_tlb_delta(sim, 0, &t0, 0, 0, 0, 1, 0, 0);

  /* The next access misses both TLB levels, walks, and sets A again. */
  assert_ok(vmsim_access(sim, 0, pid, BASE, false));
  assert_tlb_delta(sim, 0, &t0, 0, 0, 1, 1, 0, 0);
  assert_true(vmsim_pte_young(pte_at(sim, pid, BASE)));
  assert_int_equal(proc_info(sim, pid).pgfault, 2); /* no fault: the PTE was present */
  assert_ok(vmsim_access(sim, 0, pid, BASE, false));
  assert_tlb_delta(sim, 0, &t0, 1, 0, 1, 1, 0, 0);
  assert_int_equal(vmsim__page_referenced(sim, page, 0), 1);
  check_and_destroy(sim);
}

/* ---- TLB -------------------------------------------------------------- */

/*
 * Five pages 16 pages apart share one L1 set (set = vpn & 15) but sit in
 * five STLB sets (vpn & 127), so the STLB keeps them all while the 4-way L1
 * set must evict, least recently used first.
 */
static void test_tlb_hits_misses_and_lru_eviction(void **state) {
  (void)state;
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(1, 65, &pid);
  uint64_t k[5];
  for (int i = 0; i < 5; i++)
    k[i] = BASE + (uint64_t)i * 16 * PAGE;

  /* First touches: a miss that faults, then the retry's miss that fills.
   * 5 x 2 misses. The L1 set then holds k1 < k2 < k3 < k4 (LRU first):
   * k4's fill evicted k0. */
  vmsim_tlb_info t = tlb_info(sim, 0);
  for (int i = 0; i < 5; i++)
    assert_ok(vmsim_access(sim, 0, pid, k[i], true));
  assert_tlb_delta(sim, 0, &t, 0, 0, 10, 0, 0, 0);

  /*
   *   access  where        L1 set afterwards (LRU first)
   *   k1      L1 hit       k2 k3 k4 k1
   *   k0      STLB hit     k3 k4 k1 k0   (evicts k2, the LRU; FIFO would evict k1)
   *   k2      STLB hit     k4 k1 k0 k2   (evicts k3)
   *   k1      L1 hit       k4 k0 k2 k1
   *   k3      STLB hit     k0 k2 k1 k3   (evicts k4)
   *   k4      STLB hit     k2 k1 k3 k4   (evicts k0)
   *   k0      STLB hit     k1 k3 k4 k0   (evicts k2)
   * = 2 L1 hits, 5 STLB hits, 0 misses; time 2 x 1 + 5 x (1 + 7) = 42 ns.
   */
  static const int order[] = {1, 0, 2, 1, 3, 4, 0};
  t = tlb_info(sim, 0);
  vmsim_time_t time0 = proc_info(sim, pid).time_ns;
  for (size_t i = 0; i < ARRAY_SIZE(order); i++)
    assert_ok(vmsim_access(sim, 0, pid, k[order[i]], false));
  assert_tlb_delta(sim, 0, &t, 2, 5, 0, 0, 0, 0);
  assert_int_equal(proc_info(sim, pid).time_ns - time0, 42);

  /* The set's ways hold k1, k3, k4, k0 and not k2. */
  const struct vmsim_tlb_level *l1 = &sim->cpus[0].tlb.l1;
  size_t set = (size_t)((BASE >> VMSIM_PAGE_SHIFT) & l1->set_mask);
  bool held[5] = {false};
  for (size_t w = 0; w < l1->ways; w++)
    for (int i = 0; i < 5; i++)
      held[i] |= l1->tags[set * l1->ways + w] == vmsim__tlb_tag(pid, k[i]);
  assert_true(held[0] && held[1] && held[3] && held[4]);
  assert_false(held[2]);

  /* The summed view over all CPUs (one CPU here) agrees. */
  vmsim_tlb_info all = tlb_info(sim, UINT32_MAX), c0 = tlb_info(sim, 0);
  assert_memory_equal(&all, &c0, sizeof(all));
  assert_int_equal(c0.l1_hits, 2);
  assert_int_equal(c0.l2_hits, 5);
  assert_int_equal(c0.misses, 10);
  vmsim_tlb_info dummy;
  assert_int_equal(vmsim_tlb_get_info(sim, 1, &dummy), VMSIM_EINVAL);
  check_and_destroy(sim);
}

static void test_tlb_asid_isolation(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(1);
  uint32_t p1 = new_process(sim), p2 = new_process(sim);
  map_anon(sim, p1, BASE, 1, RW);
  map_anon(sim, p2, BASE, 1, RW);

  assert_ok(vmsim_access(sim, 0, p1, BASE, true));
  /* Same CPU, same address, another address space: p1's entry must not
   * answer. A miss, a fault, a miss: p2 gets its own zeroed frame. */
  vmsim_tlb_info t = tlb_info(sim, 0);
  assert_ok(vmsim_access(sim, 0, p2, BASE, false));
  assert_tlb_delta(sim, 0, &t, 0, 0, 2, 0, 0, 0);
  assert_int_equal(proc_info(sim, p2).pgfault, 1);
  struct vmsim_page *a = page_at(sim, p1, BASE), *b = page_at(sim, p2, BASE);
  assert_ptr_not_equal(a, b);
  assert_int_equal(token_seq(a->token), 1);
  assert_int_equal(token_seq(b->token), 0);

  /* Both translations live side by side: two L1 hits. */
  t = tlb_info(sim, 0);
  assert_ok(vmsim_access(sim, 0, p1, BASE, false));
  assert_ok(vmsim_access(sim, 0, p2, BASE, true));
  assert_tlb_delta(sim, 0, &t, 2, 0, 0, 0, 0, 0);
  assert_int_equal(token_seq(a->token), 1);
  assert_int_equal(token_seq(b->token), 1);

  /* p1's exit flushes p1's ASID only: p2 still hits. */
  assert_ok(vmsim_process_exit(sim, p1));
  t = tlb_info(sim, 0);
  assert_ok(vmsim_access(sim, 0, p2, BASE, false));
  assert_tlb_delta(sim, 0, &t, 1, 0, 0, 0, 0, 0);
  check_and_destroy(sim);
}

/*
 * Process P runs on CPUs 0 and 1 of 4, Q on CPUs 2 and 3. Every unmapping
 * of P's translations, initiated on CPU 0, flushes CPU 0 locally and shoots
 * down CPU 1, and leaves CPUs 2 and 3 alone. A system call (munmap, exit)
 * runs on the CPU the process last ran on: CPU 0 here.
 */
struct two_procs {
  vmsim_sim *sim;
  uint32_t p, q, file;
  vmsim_tlb_info t[4];
};

#define SHARED_AT BASE                    /* P: file pages 0..3, shared */
#define PRIVATE_AT (BASE + 64 * PAGE)     /* P: file pages 0..3, private */
#define ANON_AT (BASE + 128 * PAGE)       /* P: 4 anon pages */

/* P touches `vaddr` on CPU 1 then CPU 0 (both cache it); snapshot the TLBs. */
static void run_on_0_and_1(struct two_procs *s, uint64_t vaddr) {
  assert_ok(vmsim_access(s->sim, 1, s->p, vaddr, false));
  assert_ok(vmsim_access(s->sim, 0, s->p, vaddr, false));
  for (uint32_t c = 0; c < 4; c++)
    s->t[c] = tlb_info(s->sim, c);
}

/* CPU 0 flushed `page`/`asid` flushes locally, CPU 1 the same by shootdown,
 * CPUs 2 and 3 nothing. */
static void assert_shot_down(struct two_procs *s, uint64_t flush_page, uint64_t flush_asid) {
  assert_tlb_delta(s->sim, 0, &s->t[0], 0, 0, 0, flush_page, flush_asid, 0);
  assert_tlb_delta(s->sim, 1, &s->t[1], 0, 0, 0, flush_page, flush_asid, flush_page + flush_asid);
  assert_tlb_delta(s->sim, 2, &s->t[2], 0, 0, 0, 0, 0, 0);
  assert_tlb_delta(s->sim, 3, &s->t[3], 0, 0, 0, 0, 0, 0);
}

static void test_shootdown_reaches_only_cpus_that_ran_the_mm(void **state) {
  (void)state;
  struct two_procs s = {.sim = small_sim(4)};
  vmsim_sim *sim = s.sim;
  s.p = new_process(sim);
  s.q = new_process(sim);
  s.file = new_file(sim, 4);
  map_file(sim, s.p, SHARED_AT, 4, RW, SHARED, s.file, 0);
  map_file(sim, s.p, PRIVATE_AT, 4, RW, PRIVATE, s.file, 0);
  map_anon(sim, s.p, ANON_AT, 4, RW);
  map_anon(sim, s.q, BASE, 1, RW);
  assert_ok(vmsim_access(sim, 2, s.q, BASE, true));
  assert_ok(vmsim_access(sim, 3, s.q, BASE, true));

  /* page_referenced() from CPU 0. */
  run_on_0_and_1(&s, SHARED_AT);
  struct vmsim_page *page = page_at(sim, s.p, SHARED_AT);
  assert_int_equal(vmsim__page_referenced(sim, page, 0), 1);
  assert_shot_down(&s, 1, 0);

  /* page_referenced() from CPU 2 (kswapd, say), which never ran P: both
   * of P's CPUs receive a shootdown, CPU 2 flushes nothing of its own. */
  run_on_0_and_1(&s, SHARED_AT);
  assert_int_equal(vmsim__page_referenced(sim, page, 2), 1);
  assert_tlb_delta(sim, 0, &s.t[0], 0, 0, 0, 1, 0, 1);
  assert_tlb_delta(sim, 1, &s.t[1], 0, 0, 0, 1, 0, 1);
  assert_tlb_delta(sim, 2, &s.t[2], 0, 0, 0, 0, 0, 0);
  assert_tlb_delta(sim, 3, &s.t[3], 0, 0, 0, 0, 0, 0);

  /* try_to_unmap() from CPU 0: the PTE becomes the file marker, and the
   * next access refaults the page from the page cache (minor). */
  run_on_0_and_1(&s, SHARED_AT);
  vmsim_pfn_t pfn = vmsim__page_to_pfn(sim, page);
  vmsim__try_to_unmap(sim, page, 0);
  assert_shot_down(&s, 1, 0);
  assert_int_equal(pte_at(sim, s.p, SHARED_AT), VMSIM_PTE_FILE);
  assert_int_equal(page->mapcount, 0);
  assert_int_equal(page->rmap, 0);
  assert_int_equal(proc_info(sim, s.p).rss_file, 0);
  assert_int_equal(VS(nr_mapped), 0);
  assert_sim_consistent(sim);
  vmsim_process_info before = proc_info(sim, s.p);
  assert_ok(vmsim_access(sim, 1, s.p, SHARED_AT, false));
  assert_int_equal(proc_info(sim, s.p).pgfault, before.pgfault + 1);
  assert_int_equal(proc_info(sim, s.p).pgmajfault, before.pgmajfault);
  assert_int_equal(pfn_at(sim, s.p, SHARED_AT), pfn);

  /* Copy-on-write of a private file page, written on CPU 0. */
  run_on_0_and_1(&s, PRIVATE_AT);
  assert_ok(vmsim_access(sim, 0, s.p, PRIVATE_AT, true));
  /* CPU 0: the write hit the read-only L1 entry (dropped, uncounted),
   * faulted, and its retry missed; the COW flushed the page everywhere. */
  assert_tlb_delta(sim, 0, &s.t[0], 1, 0, 1, 1, 0, 0);
  assert_tlb_delta(sim, 1, &s.t[1], 0, 0, 0, 1, 0, 1);
  assert_tlb_delta(sim, 2, &s.t[2], 0, 0, 0, 0, 0, 0);
  assert_tlb_delta(sim, 3, &s.t[3], 0, 0, 0, 0, 0, 0);

  /* munmap of part of the anon VMA: P last ran on CPU 0. */
  run_on_0_and_1(&s, ANON_AT);
  assert_ok(vmsim_munmap(sim, s.p, ANON_AT, PAGE));
  /* One page is under x86's single-page flush ceiling (33): flushed by
   * page, not the whole address space. */
  assert_shot_down(&s, 1, 0);

  /* Q's translations survived all of that: two L1 hits. */
  vmsim_tlb_info t2 = tlb_info(sim, 2), t3 = tlb_info(sim, 3);
  assert_ok(vmsim_access(sim, 2, s.q, BASE, false));
  assert_ok(vmsim_access(sim, 3, s.q, BASE, false));
  assert_tlb_delta(sim, 2, &t2, 1, 0, 0, 0, 0, 0);
  assert_tlb_delta(sim, 3, &t3, 1, 0, 0, 0, 0, 0);

  /* fork, on CPU 0 too: P's two writable private pages (the COW copy and
   * an anon page) are write-protected, and the address space is flushed
   * once at the end, as dup_mmap() does with flush_tlb_mm(). */
  run_on_0_and_1(&s, ANON_AT + PAGE);
  uint32_t child;
  assert_ok(vmsim_process_fork(sim, s.p, &child));
  assert_shot_down(&s, 0, 1);
  assert_false(vmsim_pte_write(pte_at(sim, s.p, PRIVATE_AT)));

  /* exit, on CPU 0 too. */
  run_on_0_and_1(&s, ANON_AT + PAGE);
  assert_ok(vmsim_process_exit(sim, s.p));
  assert_shot_down(&s, 0, 1);
  check_and_destroy(sim);
}

/* ---- the page cache and the reverse map -------------------------------- */

static void test_shared_file_page_two_processes(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t p1 = new_process(sim), p2 = new_process(sim), file = new_file(sim, 4);
  /* File page 1 is at a1 in p1 and at BASE2 in p2 (pgoff 1). */
  const uint64_t a1 = BASE + PAGE;
  map_file(sim, p1, BASE, 4, RW, SHARED, file, 0);
  map_file(sim, p2, BASE2, 2, RW, SHARED, file, 1);
  uint64_t free0 = VS(nr_free_pages);

  /* First touch: not in the page cache, read from the file: major. */
  assert_ok(vmsim_access(sim, 0, p1, a1, false));
  /* pgpgin: one 4 KiB page, counted in KiB */
  assert_counts(sim, p1, (struct counts){1, 1, 0, 1, 1, 1, 4});
  assert_int_equal(VS(nr_file_pages), 1);
  assert_int_equal(VS(nr_mapped), 1);
  assert_int_equal(VS(nr_free_pages), free0 - 1);

  /* The other process finds it cached: minor, no I/O, no new frame. */
  assert_ok(vmsim_access(sim, 1, p2, BASE2, false));
  assert_counts(sim, p2, (struct counts){1, 0, 0, 1, 2, 1, 4});
  assert_int_equal(VS(nr_file_pages), 1);
  assert_int_equal(VS(nr_mapped), 1);
  assert_int_equal(VS(nr_free_pages), free0 - 1);
  assert_int_equal(VS(nr_inactive_file), 1);

  /* One frame, in the page cache at index 1, mapped twice. */
  struct vmsim_page *page = page_at(sim, p1, a1);
  assert_ptr_equal(page_at(sim, p2, BASE2), page);
  assert_ptr_equal(cached_page(sim, file, 1), page);
  assert_null(cached_page(sim, file, 0));
  assert_null(cached_page(sim, file, 2));
  assert_int_equal(vmsim__file_get(sim, file)->nr_cached, 1);
  assert_false(vmsim_page_test(page, VMSIM_PG_anon));
  assert_int_equal(page->mapping, file);
  assert_int_equal(page->index, 1);
  assert_int_equal(token_seq(page->token), 0);
  assert_int_equal(page->mapcount, 2);
  assert_int_equal(rmap_len(sim, page), 2);
  assert_true(rmap_has(sim, page, p1, a1));
  assert_true(rmap_has(sim, page, p2, BASE2));

  /* Shared and writable: a write needs no fault and is seen by both. */
  assert_true(vmsim_pte_write(pte_at(sim, p2, BASE2)));
  assert_ok(vmsim_access(sim, 1, p2, BASE2, true));
  assert_int_equal(proc_info(sim, p2).pgfault, 1);
  assert_int_equal(token_seq(page->token), 1);
  assert_true(vmsim_pte_dirty(pte_at(sim, p2, BASE2)));
  assert_false(vmsim_pte_dirty(pte_at(sim, p1, a1)));

  /* The rmap walk finds both young PTEs; p1 ran on CPU 0 (the initiator:
   * a local flush), p2 on CPU 1 (a shootdown). */
  vmsim_tlb_info t0 = tlb_info(sim, 0), t1 = tlb_info(sim, 1);
  assert_int_equal(vmsim__page_referenced(sim, page, 0), 2);
  assert_tlb_delta(sim, 0, &t0, 0, 0, 0, 1, 0, 0);
  assert_tlb_delta(sim, 1, &t1, 0, 0, 0, 1, 0, 1);
  assert_false(vmsim_pte_young(pte_at(sim, p1, a1)));
  assert_false(vmsim_pte_young(pte_at(sim, p2, BASE2)));

  /* Unmapped from both through the rmap: two file markers, still cached. */
  vmsim__try_to_unmap(sim, page, 0);
  assert_int_equal(pte_at(sim, p1, a1), VMSIM_PTE_FILE);
  assert_int_equal(pte_at(sim, p2, BASE2), VMSIM_PTE_FILE);
  assert_int_equal(page->mapcount, 0);
  assert_int_equal(rmap_len(sim, page), 0);
  assert_int_equal(VS(nr_mapped), 0);
  assert_int_equal(VS(nr_dirty), 1); /* p2's dirty PTE moved to PG_dirty */
  assert_true(vmsim_page_test(page, VMSIM_PG_dirty));
  assert_ptr_equal(cached_page(sim, file, 1), page);
  check_and_destroy(sim);
}

/* ---- copy-on-write ----------------------------------------------------- */

static void test_private_file_mapping_cow(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t p1 = new_process(sim), p2 = new_process(sim), file = new_file(sim, 2);
  map_file(sim, p1, BASE, 2, RW, PRIVATE, file, 0);
  map_file(sim, p2, BASE2, 2, VMSIM_PROT_READ, SHARED, file, 0);

  assert_ok(vmsim_access(sim, 0, p1, BASE, false));
  assert_ok(vmsim_access(sim, 1, p2, BASE2, false));
  struct vmsim_page *pc = cached_page(sim, file, 0);
  assert_non_null(pc);
  assert_ptr_equal(page_at(sim, p1, BASE), pc);
  assert_int_equal(pc->mapcount, 2);
  /* A private mapping maps the page-cache page read-only. */
  assert_false(vmsim_pte_write(pte_at(sim, p1, BASE)));
  vmsim_pte_t p2_pte = pte_at(sim, p2, BASE2);
  uint64_t free0 = VS(nr_free_pages);

  /* p1 writes: its own anon copy; the page cache and p2 are untouched. */
  assert_ok(vmsim_access(sim, 0, p1, BASE, true));
  assert_counts(sim, p1, (struct counts){2, 1, 1, 0, 3, 1, 4}); /* no new I/O */
  assert_int_equal(VS(nr_free_pages), free0 - 1);
  assert_int_equal(VS(nr_anon_pages), 1);
  struct vmsim_page *copy = page_at(sim, p1, BASE);
  assert_ptr_not_equal(copy, pc);
  assert_true(vmsim_page_test(copy, VMSIM_PG_anon));
  assert_int_equal(copy->mapping, p1);
  assert_int_equal(copy->index, BASE >> VMSIM_PAGE_SHIFT);
  assert_int_equal(token_seq(copy->token), 1); /* 0 writes copied + this one */
  assert_int_equal(copy->mapcount, 1);
  assert_int_equal(rmap_len(sim, copy), 1);
  assert_true(rmap_has(sim, copy, p1, BASE));
  assert_true(pte_has(pte_at(sim, p1, BASE), VMSIM_PTE_WRITE | VMSIM_PTE_DIRTY |
                                                 VMSIM_PTE_ACCESSED));
  assert_ptr_equal(cached_page(sim, file, 0), pc);
  assert_int_equal(token_seq(pc->token), 0);
  assert_false(vmsim_page_test(pc, VMSIM_PG_dirty));
  assert_int_equal(pc->mapcount, 1);
  assert_int_equal(rmap_len(sim, pc), 1);
  assert_true(rmap_has(sim, pc, p2, BASE2));
  assert_int_equal(pte_at(sim, p2, BASE2), p2_pte);
  assert_int_equal(proc_info(sim, p2).rss_file, 1);

  /* Further writes go to the copy without faulting. */
  assert_ok(vmsim_access(sim, 0, p1, BASE + 16, true));
  assert_int_equal(proc_info(sim, p1).pgfault, 2);
  assert_int_equal(token_seq(copy->token), 2);
  assert_int_equal(token_seq(pc->token), 0);

  /* A write as first touch of an uncached page: read from the file into
   * the page cache (major), then copied; the cached page stays unmapped. */
  assert_ok(vmsim_access(sim, 0, p1, BASE + PAGE, true));
  assert_int_equal(proc_info(sim, p1).pgmajfault, 2);
  assert_int_equal(VS(pgpgin), 8);
  struct vmsim_page *pc1 = cached_page(sim, file, 1), *copy1 = page_at(sim, p1, BASE + PAGE);
  assert_non_null(pc1);
  assert_ptr_not_equal(pc1, copy1);
  assert_int_equal(pc1->mapcount, 0);
  assert_int_equal(token_seq(pc1->token), 0);
  assert_int_equal(token_seq(copy1->token), 1);
  assert_int_equal(VS(nr_free_pages), free0 - 3);
  assert_int_equal(VS(nr_file_pages), 2);
  check_and_destroy(sim);
}

static void test_fork_cow(void **state) {
  (void)state;
  uint32_t parent, child;
  vmsim_sim *sim = sim_with_anon(2, 2, &parent);
  assert_ok(vmsim_access(sim, 0, parent, BASE, true));
  assert_ok(vmsim_access(sim, 0, parent, BASE + PAGE, false));
  struct vmsim_page *orig = page_at(sim, parent, BASE);
  vmsim_pfn_t pfn = vmsim__page_to_pfn(sim, orig);
  uint64_t free0 = VS(nr_free_pages);

  assert_ok(vmsim_process_fork(sim, parent, &child));
  assert_int_equal(VS(nr_free_pages), free0); /* fork copies no frame */
  /* Both map the same frame, read-only; the child's PTE starts old. */
  vmsim_pte_t ppte = pte_at(sim, parent, BASE), cpte = pte_at(sim, child, BASE);
  assert_int_equal(vmsim_pte_pfn(cpte), pfn);
  assert_int_equal(vmsim_pte_pfn(ppte), pfn);
  assert_false(vmsim_pte_write(ppte));
  assert_false(vmsim_pte_write(cpte));
  assert_false(vmsim_pte_young(cpte));
  assert_int_equal(orig->mapcount, 2);
  assert_int_equal(rmap_len(sim, orig), 2);
  assert_true(rmap_has(sim, orig, parent, BASE));
  assert_true(rmap_has(sim, orig, child, BASE));
  assert_int_equal(proc_info(sim, child).rss_anon, 2);
  assert_int_equal(proc_info(sim, child).pgfault, 0);

  /* A read by the child shares; a write copies. */
  assert_ok(vmsim_access(sim, 1, child, BASE, false));
  assert_int_equal(pfn_at(sim, child, BASE), pfn);
  assert_int_equal(proc_info(sim, child).pgfault, 0);
  assert_ok(vmsim_access(sim, 1, child, BASE, true));
  assert_int_equal(proc_info(sim, child).pgfault, 1);
  struct vmsim_page *copy = page_at(sim, child, BASE);
  assert_ptr_not_equal(copy, orig);
  assert_int_equal(token_seq(copy->token), 2); /* the parent's 1 write copied, + 1 */
  assert_int_equal(token_seq(orig->token), 1);
  assert_true(vmsim_pte_write(pte_at(sim, child, BASE)));
  assert_int_equal(pte_at(sim, parent, BASE), ppte); /* the parent's PTE is untouched */
  assert_int_equal(orig->mapcount, 1);
  assert_int_equal(rmap_len(sim, orig), 1);
  assert_true(rmap_has(sim, orig, parent, BASE));
  assert_int_equal(copy->mapcount, 1);
  assert_int_equal(VS(nr_free_pages), free0 - 1);
  assert_int_equal(VS(nr_anon_pages), 3);

  /* Now the parent is the only mapper: its write reuses the frame. */
  assert_ok(vmsim_access(sim, 0, parent, BASE, true));
  assert_int_equal(pfn_at(sim, parent, BASE), pfn);
  assert_true(vmsim_pte_write(pte_at(sim, parent, BASE)));
  assert_int_equal(token_seq(orig->token), 2);
  assert_int_equal(VS(nr_free_pages), free0 - 1);
  assert_int_equal(proc_info(sim, parent).pgfault, 3); /* 2 first touches + 1 wp */

  /* The child exits: the parent's write of the other page reuses it too.
   * The child's exit frees only its copy. */
  struct vmsim_page *second = page_at(sim, parent, BASE + PAGE);
  assert_int_equal(second->mapcount, 2);
  assert_ok(vmsim_process_exit(sim, child));
  assert_int_equal(VS(nr_free_pages), free0);
  assert_int_equal(second->mapcount, 1);
  assert_ok(vmsim_access(sim, 0, parent, BASE + PAGE, true));
  assert_ptr_equal(page_at(sim, parent, BASE + PAGE), second);
  assert_int_equal(VS(nr_free_pages), free0);
  assert_int_equal(token_seq(second->token), 1);

  /* The other way round: fork again, the parent exits, the child writes. */
  uint32_t child2;
  assert_ok(vmsim_process_fork(sim, parent, &child2));
  assert_ok(vmsim_process_exit(sim, parent));
  assert_int_equal(VS(nr_free_pages), free0);
  assert_ok(vmsim_access(sim, 1, child2, BASE, true));
  assert_int_equal(pfn_at(sim, child2, BASE), pfn);
  assert_int_equal(VS(nr_free_pages), free0);
  assert_int_equal(token_seq(orig->token), 3);
  check_and_destroy(sim);
}

/* ---- the simulated clock ----------------------------------------------- */

/*
 * Default costs: L1 hit 1 ns, STLB hit +7, walk 25 per table read, minor
 * fault 500, major fault 2000, file read 100000. A TLB miss costs
 * 1 + 7 + levels x 25, where levels counts the tables read: 1 when the PGD
 * entry is absent (33 ns), 2 when the PUD entry is (58), 3 when the PMD
 * entry is (83), 4 when the leaf is reached (108).
 */
static void test_virtual_clock(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t p1 = new_process(sim), p2 = new_process(sim), file = new_file(sim, 2);
  const uint64_t gib1 = UINT64_C(0x40000000); /* PUD index 1 */
  const uint64_t file_at = BASE + (UINT64_C(2) << 20); /* next PMD entry */
  const uint64_t priv_at = BASE + 16 * PAGE;           /* BASE's leaf table */
  map_anon(sim, p1, BASE, 2, RW);
  map_anon(sim, p1, gib1, 1, RW);
  map_file(sim, p1, file_at, 1, RW, SHARED, file, 0);
  map_file(sim, p1, priv_at, 1, RW, PRIVATE, file, 0);
  map_file(sim, p2, BASE, 1, RW, SHARED, file, 0);

  static const struct {
    uint64_t vaddr;
    bool write;
    int rc;
    vmsim_time_t ns;
  } script[] = {
    /* first touch, no table but the PGD: miss 33 + minor 500 + retry 108 */
    {BASE, true, 0, 33 + 500 + 108},
    {BASE, false, 0, 1},                      /* L1 hit */
    {BASE + PAGE, false, 0, 108 + 500 + 108}, /* the leaf exists, its PTE not */
    {BASE + PAGE, true, 0, 1},                /* L1 hit, D set through the entry */
    {gib1, false, 0, 58 + 500 + 108},         /* PUD entry absent */
    {UINT64_C(0x80000000), false, VMSIM_EFAULT, 58}, /* no VMA: the walk, no fault cost */
    {VMSIM_TASK_SIZE, false, VMSIM_EFAULT, 1},       /* beyond the user half: L1 probe only */
    /* PMD entry absent; a page-cache miss: minor + file read + major */
    {file_at, false, 0, 83 + 500 + 100000 + 2000 + 108},
    {priv_at, false, 0, 108 + 500 + 108},     /* cached now: minor */
    /* write to the read-only L1 entry: 1, fault 500 (COW), retry misses 108 */
    {priv_at, true, 0, 1 + 500 + 108},
  };
  vmsim_time_t p1_total = 0;
  for (size_t i = 0; i < ARRAY_SIZE(script); i++) {
    vmsim_time_t t0 = proc_info(sim, p1).time_ns;
    assert_int_equal(vmsim_access(sim, 0, p1, script[i].vaddr, script[i].write), script[i].rc);
    vmsim_time_t dt = proc_info(sim, p1).time_ns - t0;
    if (dt != script[i].ns)
      fail_msg("step %zu: %" PRIu64 " ns, expected %" PRIu64, i, dt, script[i].ns);
    p1_total += script[i].ns;
  }
  assert_int_equal(p1_total, 106100);
  assert_int_equal(vmsim_time_now(sim), 106100);

  /* p2 on CPU 1: first touch of the cached page (33 + 500 + 108), a write
   * through its writable entry (1); then on CPU 0, whose TLB lacks p2's
   * entry: a walk through p2's existing tables (108). */
  assert_ok(vmsim_access(sim, 1, p2, BASE, false));
  assert_ok(vmsim_access(sim, 1, p2, BASE, true));
  assert_int_equal(proc_info(sim, p2).time_ns, 642);
  assert_int_equal(vmsim_time_now(sim), 106100); /* CPU 0 is ahead */
  assert_ok(vmsim_access(sim, 0, p2, BASE, false));
  assert_int_equal(proc_info(sim, p2).time_ns, 750);
  assert_int_equal(vmsim_time_now(sim), 106100 + 108);
  assert_int_equal(sim->cpu_clock[0], 106208);
  assert_int_equal(sim->cpu_clock[1], 642);

  vmsim_process_info i1 = proc_info(sim, p1);
  assert_int_equal(i1.accesses, 8);
  assert_int_equal(i1.segv, 2);
  assert_int_equal(i1.pgfault, 6);
  assert_int_equal(i1.pgmajfault, 1);
  check_and_destroy(sim);
}

/* ---- host memory exhaustion in a fault --------------------------------- */

/*
 * A first touch needs host memory for the PUD, PMD and PTE tables and, the
 * first time, the reverse-map pool. Fail each allocation in turn: the
 * access reports VMSIM_ENOMEM and leaves nothing behind (no frame, no
 * table, no mapping), and the process goes on.
 */
struct touch_case {
  uint32_t pid;
  uint64_t vaddr, free0;
};

static int call_write(vmsim_sim *sim, void *arg) {
  struct touch_case *t = arg;
  return vmsim_access(sim, 0, t->pid, t->vaddr, true);
}

/* Nothing of the failed fault is left: no frame, no table, no mapping. */
static void after_touch_failure(vmsim_sim *sim, void *arg) {
  struct touch_case *t = arg;
  vmsim_process_info pi = proc_info(sim, t->pid);
  assert_int_equal(pi.rss_anon, 0);
  assert_int_equal(pi.pgtables, 1); /* the PGD alone */
  assert_int_equal(pi.accesses, 0);
  assert_int_equal(VS(nr_free_pages), t->free0);
  assert_int_equal(VS(nr_anon_pages), 0);
  assert_int_equal(pte_at(sim, t->pid, t->vaddr), 0);
}

static void test_first_touch_out_of_host_memory(void **state) {
  (void)state;
  uint64_t live0 = live_allocs();
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(1, 1, &pid);
  uint32_t file = new_file(sim, 1);
  map_file(sim, pid, BASE2, 1, RW, SHARED, file, 0);
  struct touch_case t = {pid, BASE, VS(nr_free_pages)};

  /* PUD, PMD, PTE table (an anon page mapped once needs no reverse-map
   * item: its mapping is implicit); success at the 4th. */
  assert_int_equal(fail_each_allocation(sim, call_write, &t, after_touch_failure), 4);
  assert_int_equal(token_seq(page_at(sim, pid, BASE)->token), 1);

  /* A file fault in a fresh PMD range: the table allocation fails after
   * the page was read; the page stays cached, unmapped. */
  vmsim_alloc_fail_after(1, false);
  assert_int_equal(vmsim_access(sim, 0, pid, BASE2, false), VMSIM_ENOMEM);
  vmsim_alloc_fail_after(0, false);
  assert_int_equal(proc_info(sim, pid).rss_file, 0);
  assert_int_equal(proc_info(sim, pid).pgtables, 4);
  assert_sim_consistent(sim);
  assert_ok(vmsim_access(sim, 0, pid, BASE2, false));
  assert_int_equal(proc_info(sim, pid).pgmajfault, 1); /* read once */
  check_and_destroy(sim);
  assert_int_equal(live_allocs(), live0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_touch_anon_is_minor_and_zeroed),
    cmocka_unit_test(test_accessed_dirty_bits_and_page_referenced),
    cmocka_unit_test(test_tlb_hits_misses_and_lru_eviction),
    cmocka_unit_test(test_tlb_asid_isolation),
    cmocka_unit_test(test_shootdown_reaches_only_cpus_that_ran_the_mm),
    cmocka_unit_test(test_shared_file_page_two_processes),
    cmocka_unit_test(test_private_file_mapping_cow),
    cmocka_unit_test(test_fork_cow),
    cmocka_unit_test(test_virtual_clock),
    cmocka_unit_test(test_first_touch_out_of_host_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
