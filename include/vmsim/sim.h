/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine: create and destroy it, inspect its nodes and zones,
 * allocate page frames from its buddy allocator, read its counters.
 */
#ifndef VMSIM_SIM_H
#define VMSIM_SIM_H

#include "common.h"
#include "config.h"
#include "page.h"
#include "vmstat.h"

VMSIM_BEGIN_DECLS

/* A simulated machine. Opaque; created and destroyed by the library. One
 * host thread at a time may use a machine, even through functions that
 * take it const (they may update host-side caches, such as the page-table
 * lookup's); distinct machines may run in parallel, a thread each. */
typedef struct vmsim_sim vmsim_sim;

/*
 * Allocation flags, after the kernel's gfp_t. The zone modifiers choose the
 * highest zone the allocation may use (gfp_zone); the others say what the
 * allocator may do when memory is short.
 */
enum vmsim_gfp {
  VMSIM_GFP_DMA = 1u << 0,            /* only ZONE_DMA */
  VMSIM_GFP_DMA32 = 1u << 1,          /* up to ZONE_DMA32 */
  VMSIM_GFP_MOVABLE = 1u << 2,        /* up to ZONE_MOVABLE */
  VMSIM_GFP_HIGH = 1u << 3,           /* __GFP_HIGH: may dip to half of MIN */
  VMSIM_GFP_KSWAPD_RECLAIM = 1u << 4, /* may wake kswapd */
  VMSIM_GFP_DIRECT_RECLAIM = 1u << 5, /* may reclaim in the caller's context */
  VMSIM_GFP_THISNODE = 1u << 6,       /* no fallback to other nodes */
  VMSIM_GFP_NOWARN = 1u << 7,         /* failure is expected; not an event */
};
#define VMSIM_GFP_RECLAIM (VMSIM_GFP_KSWAPD_RECLAIM | VMSIM_GFP_DIRECT_RECLAIM)
#define VMSIM_GFP_KERNEL VMSIM_GFP_RECLAIM
#define VMSIM_GFP_ATOMIC (VMSIM_GFP_HIGH | VMSIM_GFP_KSWAPD_RECLAIM)
#define VMSIM_GFP_NOWAIT VMSIM_GFP_KSWAPD_RECLAIM
#define VMSIM_GFP_HIGHUSER_MOVABLE (VMSIM_GFP_KERNEL | VMSIM_GFP_MOVABLE)

/* Watermark indices, as enum zone_watermarks. */
enum vmsim_wmark { VMSIM_WMARK_MIN, VMSIM_WMARK_LOW, VMSIM_WMARK_HIGH, VMSIM_NR_WMARK };

/* A snapshot of one zone. */
typedef struct vmsim_zone_info {
  bool populated;                         /* has pages */
  vmsim_pfn_t start_pfn;
  uint64_t spanned_pages;                 /* = present = managed here */
  uint64_t managed_pages;
  uint64_t nr_free;                       /* free pages, all orders */
  uint64_t nr_free_area[VMSIM_MAX_ORDER]; /* free blocks per order */
  uint64_t watermark[VMSIM_NR_WMARK];
  uint64_t lowmem_reserve[VMSIM_NR_ZONES];
} vmsim_zone_info;

/* Create a machine from `cfg` (NULL: the default). *out is set on success.
 * Errors: VMSIM_ECONFIG (see vmsim_config_validate), VMSIM_ENOMEM. */
VMSIM_EXPORT int vmsim_sim_create(vmsim_sim **out, const vmsim_config *cfg);
/* Destroy a machine and everything it owns. NULL is a no-op. */
VMSIM_EXPORT void vmsim_sim_destroy(vmsim_sim *sim);

/* The configuration the machine was created with. */
VMSIM_EXPORT const vmsim_config *vmsim_sim_config(const vmsim_sim *sim);

VMSIM_EXPORT uint32_t vmsim_nr_nodes(const vmsim_sim *sim);
VMSIM_EXPORT uint32_t vmsim_nr_cpus(const vmsim_sim *sim);
/* The node a CPU belongs to, or VMSIM_EINVAL. */
VMSIM_EXPORT int vmsim_cpu_to_node(const vmsim_sim *sim, uint32_t cpu);
/* Total frames (the highest pfn + 1). */
VMSIM_EXPORT uint64_t vmsim_nr_pages(const vmsim_sim *sim);
/* The min_free_kbytes in force (configured or computed). */
VMSIM_EXPORT uint64_t vmsim_min_free_kbytes(const vmsim_sim *sim);

/* Fill `out` for zone `zt` of node `nid`. VMSIM_EINVAL if out of range. */
VMSIM_EXPORT int vmsim_zone_get_info(const vmsim_sim *sim, uint32_t nid,
                                     enum vmsim_zone_type zt, vmsim_zone_info *out);

/* The frame descriptor array, indexed by pfn (the kernel's mem_map). */
VMSIM_EXPORT struct vmsim_page *vmsim_mem_map(vmsim_sim *sim);

/*
 * Allocate 2^order contiguous frames for node `nid`'s zonelist (-1: node 0).
 * Runs the allocator's fast path at LOW, wakes kswapd, retries at MIN, and
 * (with VMSIM_GFP_DIRECT_RECLAIM) reclaims directly. The first frame's pfn
 * goes to *pfn. Errors: VMSIM_EINVAL (order or node out of range),
 * VMSIM_EOOM (no frames could be had).
 */
VMSIM_EXPORT int vmsim_alloc_pages(vmsim_sim *sim, int nid, uint32_t gfp,
                                   unsigned order, vmsim_pfn_t *pfn);
/* Free a block returned by vmsim_alloc_pages with the same order. */
VMSIM_EXPORT int vmsim_free_pages(vmsim_sim *sim, vmsim_pfn_t pfn, unsigned order);

/* Would zone `zt` of `nid` pass zone_watermark_ok() for this request?
 * `mark` is a vmsim_wmark; `highest_zone` the request's highest zone. */
VMSIM_EXPORT bool vmsim_zone_watermark_ok(const vmsim_sim *sim, uint32_t nid,
                                          enum vmsim_zone_type zt, unsigned order,
                                          enum vmsim_wmark mark,
                                          enum vmsim_zone_type highest_zone,
                                          uint32_t gfp);

/* One counter, by item (VMSIM_VM_*); 0 if out of range. */
VMSIM_EXPORT uint64_t vmsim_vmstat(const vmsim_sim *sim, int item);
/* All counters into out[VMSIM_NR_VMSTAT]. */
VMSIM_EXPORT void vmsim_vmstat_snapshot(const vmsim_sim *sim, uint64_t *out);

/* How many times policies called vmsim_page_referenced(): each is an rmap
 * walk over every PTE mapping a page, as costly in a real kernel. */
VMSIM_EXPORT uint64_t vmsim_rmap_walks(const vmsim_sim *sim);

/*
 * Check every invariant of the machine (free lists, LRU lists, page tables
 * and reverse map, swap and page caches, TLBs, counters, and that no data
 * was lost). Returns 0, or VMSIM_ECORRUPT with the first violation written
 * to msg; VMSIM_ENOMEM if the check could not get host memory. O(memory).
 */
VMSIM_EXPORT int vmsim_check(vmsim_sim *sim, char *msg, size_t len);
/* Content mismatches seen on swap-in and file reads, and other
 * inconsistencies the simulator caught as they happened. Must be 0. */
VMSIM_EXPORT uint64_t vmsim_integrity_errors(const vmsim_sim *sim);

VMSIM_END_DECLS

#endif /* VMSIM_SIM_H */
