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

static inline uint64_t rt_vmstat(const vmsim_sim *sim, enum vmsim_vmstat_item item) {
  return vmsim_vmstat(sim, item);
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
    vmsim_scan_control sc;
    vmsim__scan_control_init(sim, &sc, 0, VMSIM_ZONE_MOVABLE, false, UINT32_MAX);
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
  return d->swap_map[vmsim_swp_offset(entry)];
}

#endif
