/* SPDX-License-Identifier: MIT */
/* Slab shrinkers: what the reclaim engine calls (shrinker.c). Internal. */
#ifndef VMSIM_CORE_SHRINKER_H
#define VMSIM_CORE_SHRINKER_H

#include "internal.h"

#include <vmsim/shrinker.h>

/*
 * shrink_slab(): run every registered shrinker for node `nid` at reclaim
 * `priority` (DEF_PRIORITY .. 0), for kswapd or direct reclaim (`kswapd`,
 * which the callbacks see), and return the objects they freed.
 * Shrinkers that are not NUMA-aware run on every node's call, as node 0.
 * Objects scanned are counted in slabs_scanned. Returns 0 when nid is out of
 * range or when called from a shrinker's callback.
 */
uint64_t vmsim__shrink_slab(vmsim_sim *sim, uint32_t nid, int priority, bool kswapd);

/* Unregister every shrinker and free the storage; sim->shrinkers may be
 * NULL and is NULL afterwards. */
void vmsim__shrinkers_fini(vmsim_sim *sim);

#endif /* VMSIM_CORE_SHRINKER_H */
