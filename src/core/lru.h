/* SPDX-License-Identifier: MIT */
/* The lruvec: a node's LRU lists and its policy's state. Internal. */
#ifndef VMSIM_LRU_H
#define VMSIM_LRU_H

#include <vmsim/policy.h>

#include "mm_types.h"

/*
 * A list's scan hints (see scan_ahead() in lru.c): the last VMSIM_LRU_SKIP
 * pages added at its head, the oldest of which is linked to each new one,
 * and the last VMSIM_LRU_PTE_AHEAD pages a scan fetched ahead (the oldest
 * gets its PTE fetched at the next departure). Measured best on the
 * reclaim benchmark of 12 and 8: structs 12 pages ahead, PTEs 4.
 */
#define VMSIM_LRU_SKIP 12
#define VMSIM_LRU_PTE_AHEAD 8
struct vmsim_lru_hints {
  vmsim_pfn_t added[VMSIM_LRU_SKIP];
  vmsim_pfn_t fetched[VMSIM_LRU_PTE_AHEAD];
  uint8_t next_added, next_fetched; /* the oldest of each, replaced next */
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
