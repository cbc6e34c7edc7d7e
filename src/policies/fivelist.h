/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of fivelist's rules (internal), said once for the two
 * places that apply them: the policy on the machine (fivelist.c) and the
 * frames engine's model of it (src/scenario/frames_fivelist.c). Each is a
 * pure function of the counts it is given; which counts, and when, is the
 * caller's part. Sources as in fivelist.c: Linux 6.6 mm/vmscan.c,
 * mm/swap.c, mm/workingset.c.
 */
#ifndef VMSIM_FIVELIST_H
#define VMSIM_FIVELIST_H

#include <stdbool.h>
#include <stdint.h>

#include <vmsim/page.h>

#include "internal.h"

/* Extra passes at priority 0 with forced deactivation for on-demand
 * reclaim: enough for a page to go from active, through a first
 * reference (KEEP), to eviction, with a dirty page's RECLAIM_CLEAN round. */
#define FIVELIST_ON_DEMAND_FORCE_PASSES 8

/* A shadow keeps this many bits of the node's nonresident age (the rest
 * of its 64 name the node and PG_workingset); refault distances are
 * taken modulo 2^FIVELIST_SHADOW_AGE_BITS, as the kernel's are modulo
 * its EVICTION_MASK. */
#define FIVELIST_SHADOW_AGE_BITS 54
#define FIVELIST_SHADOW_AGE_MASK ((UINT64_C(1) << FIVELIST_SHADOW_AGE_BITS) - 1)

/* Floor of the square root (the kernel's int_sqrt). */
static inline uint64_t fivelist_int_sqrt(uint64_t x) {
  uint64_t r = 0;
  for (uint64_t bit = UINT64_C(1) << 62; bit; bit >>= 2) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

/*
 * inactive_is_low(): the inactive list should hold 1/(ratio + 1) of the
 * type, ratio = int_sqrt(10 * GiB of the type), at least 1:
 *
 *   total   ratio  max inactive
 *   10 MiB    1      5 MiB
 *   1 GiB     3    250 MiB
 *   10 GiB   10    0.9 GiB
 *   100 GiB  31      3 GiB
 */
static inline bool fivelist_inactive_is_low(uint64_t inactive, uint64_t active) {
  uint64_t gb = (inactive + active) >> (30 - VMSIM_PAGE_SHIFT);
  uint64_t ratio = gb ? fivelist_int_sqrt(10 * gb) : 1;
  return inactive * ratio < active;
}

/*
 * lru_note_cost(): reclaiming a type costs its IO (pages written, or
 * refaults of workingset pages, weighted by SWAP_CLUSTER_MAX) plus
 * its CPU work (rotations). Both costs halve once they exceed a quarter
 * of the LRU (`lrusize` pages on the evictable lists), a floating average
 * that weighs recent events most.
 */
static inline void fivelist_note_cost(uint64_t *anon_cost, uint64_t *file_cost, bool file,
                                      uint64_t nr_io, uint64_t nr_rotated, uint64_t lrusize) {
  uint64_t cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated;
  *(file ? file_cost : anon_cost) += cost;
  if (*file_cost + *anon_cost > lrusize / 4) {
    *file_cost /= 2;
    *anon_cost /= 2;
  }
}

/*
 * get_scan_count()'s SCAN_FRACT: with recorded costs ac, fc,
 * a = (ac + fc) + ac, f = (ac + fc) + fc, T = a + f; anon gets
 * swappiness * (T + 1) / (a + 1), file (200 - swappiness) * (T + 1) /
 * (f + 1), each of the sum (*denominator) of the two: fraction[0] anon's,
 * fraction[1] file's. At least a third of the pressure goes to each type
 * before swappiness.
 */
static inline void fivelist_scan_fractions(uint64_t swappiness, uint64_t anon_cost,
                                           uint64_t file_cost, uint64_t fraction[2],
                                           uint64_t *denominator) {
  uint64_t total = anon_cost + file_cost;
  uint64_t a = total + anon_cost, f = total + file_cost;
  total = a + f;
  fraction[0] = swappiness * (total + 1) / (a + 1);
  fraction[1] = (200 - swappiness) * (total + 1) / (f + 1);
  *denominator = fraction[0] + fraction[1];
}

#endif
