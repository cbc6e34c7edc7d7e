/* SPDX-License-Identifier: MIT */
/* The lruvec: a node's LRU lists and its policy's state. Internal. */
#ifndef VMSIM_LRU_H
#define VMSIM_LRU_H

#include <vmsim/policy.h>

#include "mm_types.h"

struct vmsim_lruvec {
  vmsim_sim *sim;
  struct vmsim_node *node;
  const vmsim_policy_ops *ops;
  void *state;
  bool initialised;
  uint32_t reclaim_cpu; /* the CPU reclaim runs on (TLB flush initiator) */
  vmsim_list lists[VMSIM_MAX_LRU_LISTS];
  uint64_t size[2][VMSIM_LRU_KIND_UNEVICTABLE + 1]; /* [anon][kind] */
};

/* Put back pages a broken policy left isolated (scans the node). */
void vmsim__lru_putback_isolated(vmsim_sim *sim, struct vmsim_node *node);
int vmsim__lruvecs_init(vmsim_sim *sim, const vmsim_policy_ops *ops);
void vmsim__lruvecs_fini(vmsim_sim *sim);

#endif
