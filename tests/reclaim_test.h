/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the reclaim-engine tests (test_swap, test_vmscan,
 * test_kswapd, test_oom, test_check): small machines, processes with an
 * anonymous region, and white-box looks at PTEs, pages and swap slots.
 *
 * The machines are one node with a single ZONE_NORMAL of `pages` frames.
 * For 4096 pages the modern watermarks are, by linux-reclaim.md rule 16:
 * lowmem 16384 KiB, min_free_kbytes = int_sqrt(16384 * 16) = 512 KiB =
 * 128 pages = MIN; tmp = max(128 >> 2, 4096 * 10 / 10000) = 32, so
 * LOW = 160 and HIGH = 192. No lowmem_reserve applies (no zone above).
 */
#ifndef VMSIM_RECLAIM_TEST_H
#define VMSIM_RECLAIM_TEST_H

#include "vmsim_test.h"

#include "lru.h"
#include "swap.h"
#include "vmscan.h"

#define RT_PAGE VMSIM_PAGE_SIZE
/* Where test processes map their regions: 1 GiB apart, so that each
 * region has its own PUD entry and page-table counts are easy to derive. */
#define RT_REGION(i) ((uint64_t)(i + 1) << 30)

/* One node, one CPU per node, ZONE_NORMAL only; swap: `swap_pages` slots of
 * the named preset (0 slots: no swap device). */
static inline void rt_config(vmsim_config *cfg, uint64_t pages, uint64_t swap_pages,
                             const char *preset) {
  vmsim_config_default(cfg);
  cfg->nodes[0].pages = pages;
  memset(cfg->nodes[0].zone_pages, 0, sizeof(cfg->nodes[0].zone_pages));
  cfg->nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
  cfg->nodes[0].nr_cpus = 1;
  cfg->nr_swap = swap_pages ? 1 : 0;
  if (swap_pages)
    assert_ok(vmsim_swap_preset(preset, swap_pages, &cfg->swap[0]));
}

/* End of a scenario: the machine passes vmsim_check(); then it goes. */
#define rt_done(sim)                                                               \
  do {                                                                             \
    assert_sim_consistent(sim);                                                    \
    vmsim_sim_destroy(sim);                                                        \
  } while (0)

static inline vmsim_sim *rt_create(const vmsim_config *cfg) {
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, cfg));
  return sim;
}

static inline vmsim_sim *rt_sim(uint64_t pages, uint64_t swap_pages, const char *preset) {
  vmsim_config cfg;
  rt_config(&cfg, pages, swap_pages, preset);
  return rt_create(&cfg);
}

/* A new process with `pages` of private anonymous read-write memory at
 * RT_REGION(region). */
static inline uint32_t rt_process(vmsim_sim *sim, unsigned region, uint64_t pages) {
  uint32_t pid = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, RT_REGION(region), pages * RT_PAGE,
                       VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
  return pid;
}

/* Access pages [first, first + n) of the region at `base`, in order. */
static inline void rt_touch(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t base,
                            uint64_t first, uint64_t n, bool write) {
  for (uint64_t i = first; i < first + n; i++) {
    int rc = vmsim_access(sim, cpu, pid, base + i * RT_PAGE, write);
    if (rc)
      fail_msg("access pid %u page %" PRIu64 ": %s", pid, i, vmsim_err_name(rc));
  }
}

static inline vmsim_process_info rt_info(const vmsim_sim *sim, uint32_t pid) {
  vmsim_process_info pi;
  assert_ok(vmsim_process_get_info(sim, pid, &pi));
  return pi;
}

/* The PTE of `vaddr` in `pid` (0 if there is no table). */
static inline vmsim_pte_t rt_pte(vmsim_sim *sim, uint32_t pid, uint64_t vaddr) {
  struct vmsim_mm *mm = vmsim__mm_get(sim, pid);
  assert_non_null(mm);
  vmsim_pte_t *ptep = vmsim__pte_lookup(&mm->pgt, vaddr, NULL);
  return ptep ? *ptep : 0;
}

/* The page mapped at `vaddr` in `pid`, or NULL if none is present. */
static inline struct vmsim_page *rt_page(vmsim_sim *sim, uint32_t pid, uint64_t vaddr) {
  vmsim_pte_t pte = rt_pte(sim, pid, vaddr);
  return vmsim_pte_present(pte) ? &sim->mem_map[vmsim_pte_pfn(pte)] : NULL;
}

/*
 * A region's expected contents: page i has received writes(ctx, i) writes.
 * rt_write_counts() makes them (each page written that many times in a
 * row); rt_expect_counts() reads every page (swapping it in as needed) and
 * compares the write count of its content token.
 */
typedef uint32_t (*rt_writes_fn)(const void *ctx, uint64_t i);

static inline void rt_write_counts(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t n,
                                   rt_writes_fn writes, const void *ctx) {
  for (uint64_t i = 0; i < n; i++)
    for (uint32_t w = writes(ctx, i); w; w--)
      assert_ok(vmsim_access(sim, 0, pid, base + i * RT_PAGE, true));
}

static inline void rt_expect_counts(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t n,
                                    rt_writes_fn writes, const void *ctx) {
  for (uint64_t i = 0; i < n; i++) {
    assert_ok(vmsim_access(sim, 0, pid, base + i * RT_PAGE, false));
    struct vmsim_page *p = rt_page(sim, pid, base + i * RT_PAGE);
    assert_non_null(p);
    if (token_seq(p->token) != writes(ctx, i))
      fail_msg("pid %u page %" PRIu64 ": %u writes, expected %u", pid, i, token_seq(p->token),
               writes(ctx, i));
  }
}

/* Write-access pages of a region from page `from` on, up to page `max`,
 * until an access fails; its error is returned, and the number of pages
 * that were written goes to *done. */
static inline int rt_grow_until_error(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t from,
                                      uint64_t max, uint64_t *done) {
  int rc = 0;
  uint64_t i;
  for (i = from; i < max && rc == 0; i++)
    rc = vmsim_access(sim, 0, pid, base + i * RT_PAGE, true);
  *done = rc ? i - 1 : i;
  return rc;
}

static inline uint64_t rt_vmstat(const vmsim_sim *sim, enum vmsim_vmstat_item item) {
  return vmsim_vmstat(sim, item);
}

/* A scan_control as direct reclaim on no particular CPU starts one:
 * DEF_PRIORITY, every zone, may write, unmap and (if swap is left) swap. */
static inline vmsim_scan_control rt_scan_control(vmsim_sim *sim) {
  vmsim_scan_control sc;
  vmsim__scan_control_init(sim, &sc, 0, VMSIM_ZONE_MOVABLE, false, UINT32_MAX);
  return sc;
}

/* One direct-reclaim pass (shrink_node) over node 0 at `priority` for up
 * to `nr` pages; returns the scan control with what it scanned and freed. */
static inline vmsim_scan_control rt_shrink(vmsim_sim *sim, int priority, uint64_t nr) {
  vmsim_scan_control sc = rt_scan_control(sim);
  sc.priority = priority;
  sc.nr_to_reclaim = nr;
  vmsim__shrink_node(sim, &sim->nodes[0], &sc);
  return sc;
}

/* shrink_folio_list() for one page of node 0 with decision `ref`: isolate
 * it, reclaim it, and put it back on the policy's first list if it was
 * kept. Returns the outcome. */
static inline enum vmsim_reclaim_outcome rt_try_reclaim(vmsim_sim *sim, vmsim_scan_control *sc,
                                                        struct vmsim_page *page,
                                                        enum vmsim_pageref ref) {
  vmsim_lruvec *lv = sim->nodes[0].lruvec;
  assert_ok(vmsim_lru_isolate(lv, sc, page));
  enum vmsim_reclaim_outcome out = vmsim_reclaim_page(lv, sc, page, ref);
  if (out != VMSIM_RECLAIM_FREED)
    vmsim_lru_add(lv, 0, page);
  return out;
}

/*
 * Reclaim on node `nid` as a white-box caller: one shrink_node() pass at
 * priority 0 (the policy may scan its whole list) for up to `nr` pages,
 * repeated while it makes progress. The clock policy needs two sweeps to
 * evict a page that was referenced. Returns the pages freed.
 */
static inline uint64_t rt_reclaim(vmsim_sim *sim, uint32_t nid, uint64_t nr) {
  uint64_t total = 0;
  while (total < nr) {
    vmsim_scan_control sc = rt_scan_control(sim);
    sc.priority = 0;
    sc.nr_to_reclaim = nr - total;
    uint64_t got = vmsim__shrink_node(sim, &sim->nodes[nid], &sc);
    if (got == 0) {
      /* A sweep may only have cleared references: one more. */
      got = vmsim__shrink_node(sim, &sim->nodes[nid], &sc);
      if (got == 0)
        break;
    }
    total += got;
  }
  return total;
}

/* Slots in use on swap device `type`. */
static inline uint64_t rt_swap_inuse(const vmsim_sim *sim, unsigned type) {
  assert_non_null(sim->swapinfo);
  assert_true(type < sim->swapinfo->nr);
  return sim->swapinfo->dev[type].inuse;
}

/* swap_map[] of the slot a swap PTE names (references | SWAP_HAS_CACHE). */
static inline uint16_t rt_swap_map(const vmsim_sim *sim, vmsim_pte_t entry) {
  struct vmsim_swap_device *d = vmsim__swap_dev(sim, entry);
  assert_non_null(d);
  return d->slots[vmsim_swp_offset(entry)].map;
}

#endif
