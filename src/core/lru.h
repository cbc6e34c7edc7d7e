/* SPDX-License-Identifier: MIT */
/* The lruvec: a node's LRU lists and its policy's state. Internal. */
#ifndef VMSIM_LRU_H
#define VMSIM_LRU_H

#include <vmsim/policy.h>

#include "mm_types.h"

/*
 * A list's scan hints (see scan_ahead() in lru.c): the last pages added at
 * its head (the one added VMSIM_LRU_SKIP adds before a new one is linked
 * to it); the links the last departures from its tail found (the struct
 * of each was fetched, and its PTE is fetched VMSIM_LRU_PTE_LAG departures
 * later); and how far the links can be trusted. Measured best on the
 * reclaim benchmark: structs 12 pages ahead, PTEs 4.
 */
#define VMSIM_LRU_SKIP 12
#define VMSIM_LRU_PTE_LAG 8
#define VMSIM_LRU_TRUST_MAX 16
#define VMSIM_LRU_RING 16 /* a power of two above VMSIM_LRU_SKIP */
struct vmsim_lru_hints {
  vmsim_pfn_t added[VMSIM_LRU_RING];   /* by add number, mod VMSIM_LRU_RING */
  vmsim_pfn_t fetched[VMSIM_LRU_RING]; /* by departure number, likewise */
  uint32_t nr_added, nr_departed;
  int32_t trust; /* links that named the page to leave VMSIM_LRU_SKIP departures
                    later, less those that did not, within +-VMSIM_LRU_TRUST_MAX */
};

struct vmsim_lruvec {
  vmsim_sim *sim;
  struct vmsim_node *node;
  const vmsim_policy_ops *ops;
  void *state;
  bool initialised;
  uint32_t reclaim_cpu; /* the CPU reclaim runs on (TLB flush initiator) */
  vmsim_list lists[VMSIM_MAX_LRU_LISTS];
  struct vmsim_lru_hints hints[VMSIM_MAX_LRU_LISTS];
  uint64_t size[2][VMSIM_LRU_KIND_UNEVICTABLE + 1]; /* [anon][kind] */
};

/* Put back pages a broken policy left isolated (scans the node). */
void vmsim__lru_putback_isolated(vmsim_sim *sim, struct vmsim_node *node);
int vmsim__lruvecs_init(vmsim_sim *sim, const vmsim_policy_ops *ops);
void vmsim__lruvecs_fini(vmsim_sim *sim);

#endif
