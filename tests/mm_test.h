/* SPDX-License-Identifier: MIT */
/*
 * What the address-space tests (test_mm.c, test_fault.c) share: a small
 * machine, the end-of-scenario checks, and views of the internal state
 * (PTEs, frames, reverse map, TLB counters) they assert on.
 */
#ifndef VMSIM_MM_TEST_H
#define VMSIM_MM_TEST_H

#include "vmsim_test.h"

#include "lru.h"
#include "mm_types.h"
#include "mmu.h"

#define PAGE VMSIM_PAGE_SIZE
#define RW (VMSIM_PROT_READ | VMSIM_PROT_WRITE)
#define ANON (VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS)
/* 256 MiB: 2 MiB aligned, in the first GiB (PGD and PUD index 0). */
#define BASE UINT64_C(0x10000000)
/* 512 MiB: another 2 MiB page-table leaf of the same PMD. */
#define BASE2 UINT64_C(0x20000000)

/*
 * A 16 MiB one-node machine, all of it one Normal zone of 4096 frames, with
 * `nr_cpus` CPUs and the default TLBs (L1 64 entries 4-way = 16 sets; STLB
 * 1536 entries 12-way = 128 sets), costs, policy (clock) and swap device.
 * The tests use far fewer frames than the watermarks leave free, so no
 * reclaim runs. small_config() writes its configuration, small_sim()
 * creates it.
 */
static inline void small_config(vmsim_config *cfg, uint32_t nr_cpus) {
  vmsim_config_default(cfg);
  cfg->nodes[0].pages = 4096;
  cfg->nodes[0].zone_pages[VMSIM_ZONE_DMA] = 0;
  cfg->nodes[0].zone_pages[VMSIM_ZONE_DMA32] = 0;
  cfg->nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
  cfg->nodes[0].nr_cpus = nr_cpus;
}
static inline vmsim_sim *small_sim(uint32_t nr_cpus) {
  vmsim_config cfg;
  small_config(&cfg, nr_cpus);
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  return sim;
}

/* Every scenario ends here: all invariants hold, nothing was corrupted. */
static inline void check_and_destroy(vmsim_sim *sim) {
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/* Host allocations of the library still live. */
static inline uint64_t live_allocs(void) {
  vmsim_alloc_stats st;
  vmsim_alloc_get_stats(&st);
  return st.nr_allocs - st.nr_frees;
}

/*
 * Fail each host allocation of a call in turn (fail_after(n), n = 1, 2, ...)
 * until the call succeeds: each failure must be VMSIM_ENOMEM, pass the
 * caller's checks (after_failure, if any) and leave the machine consistent.
 * Returns the n that succeeded.
 */
static inline unsigned fail_each_allocation(vmsim_sim *sim, int (*call)(vmsim_sim *, void *),
                                            void *arg,
                                            void (*after_failure)(vmsim_sim *, void *)) {
  for (unsigned n = 1;; n++) {
    vmsim_alloc_fail_after(n, false);
    int rc = call(sim, arg);
    vmsim_alloc_fail_after(0, false);
    if (rc == 0)
      return n;
    if (rc != VMSIM_ENOMEM)
      fail_msg("allocation %u failed: %s, expected ENOMEM", n, vmsim_err_name(rc));
    if (after_failure)
      after_failure(sim, arg);
    assert_sim_consistent(sim);
  }
}

static inline uint32_t new_process(vmsim_sim *sim) {
  uint32_t pid = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  return pid;
}

static inline uint32_t new_file(vmsim_sim *sim, uint64_t pages) {
  uint32_t file = 0;
  assert_ok(vmsim_file_create(sim, pages, &file));
  return file;
}

static inline void map_anon(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t pages,
                            unsigned prot) {
  assert_ok(vmsim_mmap(sim, pid, addr, pages * PAGE, prot, ANON, 0, 0));
}

/* small_sim() with one process mapping `pages` anon read-write pages at BASE. */
static inline vmsim_sim *sim_with_anon(uint32_t nr_cpus, uint64_t pages, uint32_t *pid) {
  vmsim_sim *sim = small_sim(nr_cpus);
  *pid = new_process(sim);
  map_anon(sim, *pid, BASE, pages, RW);
  return sim;
}

static inline void map_file(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t pages,
                            unsigned prot, unsigned flags, uint32_t file, uint64_t pgoff) {
  assert_ok(vmsim_mmap(sim, pid, addr, pages * PAGE, prot, flags, file, pgoff));
}

static inline vmsim_process_info proc_info(const vmsim_sim *sim, uint32_t pid) {
  vmsim_process_info info;
  assert_ok(vmsim_process_get_info(sim, pid, &info));
  return info;
}

static inline vmsim_tlb_info tlb_info(const vmsim_sim *sim, uint32_t cpu) {
  vmsim_tlb_info info;
  assert_ok(vmsim_tlb_get_info(sim, cpu, &info));
  return info;
}

static inline uint64_t vmstat_get(const vmsim_sim *sim, int item) {
  return vmsim_vmstat(sim, item);
}

/* The PTE of `vaddr` in a running process, 0 where no table holds one. */
static inline vmsim_pte_t pte_at(vmsim_sim *sim, uint32_t pid, uint64_t vaddr) {
  struct vmsim_mm *mm = vmsim__mm_get(sim, pid);
  assert_non_null(mm);
  assert_int_equal(mm->state, VMSIM_PROC_RUNNING);
  vmsim_pte_t *ptep = vmsim__pte_lookup(&mm->pgt, vaddr, NULL);
  return ptep ? *ptep : 0;
}

/* The frame a present PTE maps. */
static inline struct vmsim_page *page_at(vmsim_sim *sim, uint32_t pid, uint64_t vaddr) {
  vmsim_pte_t pte = pte_at(sim, pid, vaddr);
  if (!vmsim_pte_present(pte))
    fail_msg("pid %u %#" PRIx64 ": PTE %#" PRIx64 " is not present", pid, vaddr, pte);
  return &sim->mem_map[vmsim_pte_pfn(pte)];
}

static inline vmsim_pfn_t pfn_at(vmsim_sim *sim, uint32_t pid, uint64_t vaddr) {
  return vmsim__page_to_pfn(sim, page_at(sim, pid, vaddr));
}

/* An anon page mapped once, by the process and at the address it was
 * faulted in at, has no chain: the mapping is (page->mapping, page->index). */
static inline bool rmap_is_implicit(const struct vmsim_page *page) {
  return page->rmap == 0 && page->mapcount > 0 && vmsim_page_test(page, VMSIM_PG_anon);
}

/* The number of mappings the reverse map records for a frame. */
static inline unsigned rmap_len(const vmsim_sim *sim, const struct vmsim_page *page) {
  unsigned n = rmap_is_implicit(page);
  for (uint32_t i = page->rmap; i && n < 1000; i = sim->rmap[i].next)
    n++;
  return n;
}

/* Does the reverse map record (pid, vaddr)? */
static inline bool rmap_has(const vmsim_sim *sim, const struct vmsim_page *page, uint32_t pid,
                            uint64_t vaddr) {
  if (rmap_is_implicit(page))
    return page->mapping == pid && page->index << VMSIM_PAGE_SHIFT == vaddr;
  unsigned n = 0;
  for (uint32_t i = page->rmap; i && n < 1000; i = sim->rmap[i].next, n++)
    if (sim->rmap[i].pid == pid && sim->rmap[i].vaddr == vaddr)
      return true;
  return false;
}

/* The kind of LRU list a listed frame is on. */
static inline enum vmsim_lru_kind lru_kind(vmsim_sim *sim, const struct vmsim_page *page) {
  assert_true(vmsim_page_test(page, VMSIM_PG_lru));
  const vmsim_lruvec *lv = sim->nodes[vmsim_page_nid(page)].lruvec;
  return lv->ops->list_kinds[vmsim_page_lru(page)];
}

/* The file page `index` in the page cache, or NULL. */
static inline struct vmsim_page *cached_page(vmsim_sim *sim, uint32_t file, uint64_t index) {
  struct vmsim_file *f = vmsim__file_get(sim, file);
  assert_non_null(f);
  uint64_t e = f->cache[index];
  return cache_entry_is_page(e) ? &sim->mem_map[cache_entry_pfn(e)] : NULL;
}

/* Assert that every TLB counter of `cpu` moved by exactly the given amounts
 * since `before`. */
static inline void assert_tlb_delta(const vmsim_sim *sim, uint32_t cpu,
                                    const vmsim_tlb_info *before, uint64_t l1_hits,
                                    uint64_t l2_hits, uint64_t misses, uint64_t flush_page,
                                    uint64_t flush_asid, uint64_t shootdowns) {
  vmsim_tlb_info now = tlb_info(sim, cpu);
  const uint64_t got[] = {now.l1_hits - before->l1_hits,       now.l2_hits - before->l2_hits,
                          now.misses - before->misses,         now.flush_page - before->flush_page,
                          now.flush_asid - before->flush_asid, now.shootdowns - before->shootdowns,
                          now.flush_all - before->flush_all};
  const uint64_t want[] = {l1_hits, l2_hits, misses, flush_page, flush_asid, shootdowns, 0};
  static const char *const names[] = {"l1_hits",    "l2_hits",    "misses",   "flush_page",
                                      "flush_asid", "shootdowns", "flush_all"};
  for (size_t i = 0; i < ARRAY_SIZE(want); i++)
    if (got[i] != want[i])
      fail_msg("cpu %u: %s moved by %" PRIu64 ", expected %" PRIu64, cpu, names[i], got[i],
               want[i]);
}

#endif /* VMSIM_MM_TEST_H */
