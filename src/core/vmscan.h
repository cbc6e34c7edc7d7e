/* SPDX-License-Identifier: MIT */
/* Reclaim: mechanics, kswapd, OOM. Internal. */
#ifndef VMSIM_VMSCAN_H
#define VMSIM_VMSCAN_H

#include "lru.h"

void vmsim__vmscan_init(vmsim_sim *sim);
bool vmsim__can_swap(const vmsim_sim *sim);
void vmsim__scan_control_init(vmsim_sim *sim, vmsim_scan_control *sc, unsigned order,
                              enum vmsim_zone_type reclaim_idx, bool kswapd, uint32_t cpu);
/* One reclaim pass over a node: the policy's shrink, then the shrinkers.
 * Returns the pages reclaimed by the pass. */
uint64_t vmsim__shrink_node(vmsim_sim *sim, struct vmsim_node *node, vmsim_scan_control *sc);

/* oom.c */
void vmsim__oom_init(vmsim_sim *sim);
/* oom_badness() of a process; LONG_MIN-like INT64_MIN if never to be killed. */
int64_t vmsim__oom_badness(const vmsim_sim *sim, const struct vmsim_mm *mm, uint64_t totalpages);

/* kswapd.c */
int vmsim__kswapd_init(vmsim_sim *sim);
void vmsim__kswapd_fini(vmsim_sim *sim);
/*
 * The earliest time at which a hand-off could find work for some kswapd:
 * a nap's end, a running kswapd's clock (it runs once the CPU's time has
 * reached it), 0 for one that is on the CPU now, and never (UINT64_MAX)
 * while all sleep. A catch-up leaves it in sim->kswapd_due (UINT64_MAX
 * too without kswapds), and vmsim__kswapd_hand_off() hands off only from
 * then on: before it a catch-up would only look at each kswapd and leave.
 * sim->kswapd_due may be early, never late: a kswapd's clock only grows
 * while it stands, and every change of state resets it to 0 (vmsim_check()
 * verifies this).
 */
vmsim_time_t vmsim__kswapd_due(const vmsim_sim *sim);
bool vmsim__pgdat_balanced(const vmsim_sim *sim, const struct vmsim_node *node, unsigned order,
                           enum vmsim_zone_type highest_zone);

#endif
