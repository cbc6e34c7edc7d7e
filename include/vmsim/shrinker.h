/* SPDX-License-Identifier: MIT */
/*
 * Slab shrinkers, after include/linux/shrinker.h. A cache of objects that the
 * simulation does not hold as pages (dentries, inodes, ...) registers a pair
 * of callbacks; reclaim asks each cache to free a share of its objects that
 * grows with the cache's size and with reclaim pressure (lower priority), and
 * remembers per node the work it could not do (nr_deferred) for next time.
 */
#ifndef VMSIM_SHRINKER_H
#define VMSIM_SHRINKER_H

#include "common.h"
#include "sim.h"

VMSIM_BEGIN_DECLS

/* scan_objects: "no progress possible now; stop calling me" (SHRINK_STOP). */
#define VMSIM_SHRINK_STOP UINT64_MAX
/* count_objects: "the cache is empty" (SHRINK_EMPTY); the same as 0 here. */
#define VMSIM_SHRINK_EMPTY (UINT64_MAX - 1)
/* The cost of recreating an object, relative to a page (DEFAULT_SEEKS). */
#define VMSIM_DEFAULT_SEEKS 2
/* Objects handed to one scan_objects call by default (SHRINK_BATCH). */
#define VMSIM_SHRINK_BATCH 128

/* What a callback is asked (struct shrink_control). */
typedef struct vmsim_shrink_control {
  uint32_t nid;        /* the node reclaim works on; 0 if not NUMA-aware */
  uint64_t nr_to_scan; /* scan_objects: how many objects to look at */
  uint64_t nr_scanned; /* scan_objects: set to nr_to_scan; a callback may
                        * lower or raise it to report what it looked at */
  int priority;        /* the reclaim priority, 12 (light) .. 0 (desperate) */
  bool kswapd;         /* reclaim by kswapd (current_is_kswapd()), not direct */
} vmsim_shrink_control;

/*
 * A shrinker (struct shrinker). The library copies it on registration. Zero
 * fields take the defaults, so `(vmsim_shrinker){.count_objects = ...,
 * .scan_objects = ...}` is a complete, default shrinker.
 */
typedef struct vmsim_shrinker {
  /* How many objects could be freed now (on node sc->nid if NUMA-aware).
   * 0 or VMSIM_SHRINK_EMPTY: nothing; scan_objects is not called. */
  uint64_t (*count_objects)(void *ctx, vmsim_shrink_control *sc);
  /* Look at up to sc->nr_to_scan objects and free what can be freed. Returns
   * the number freed, or VMSIM_SHRINK_STOP to end this round; the work not
   * done is deferred to the next round. */
  uint64_t (*scan_objects)(void *ctx, vmsim_shrink_control *sc);
  void *ctx;        /* passed to both callbacks */
  uint32_t seeks;   /* cost to recreate an object; 0: VMSIM_DEFAULT_SEEKS */
  uint64_t batch;   /* objects per scan_objects call; 0: VMSIM_SHRINK_BATCH */
  bool numa_aware;  /* SHRINKER_NUMA_AWARE: counted, scanned and deferred
                     * per node. Otherwise one cache for the machine: called
                     * on every node's reclaim with sc->nid 0, one deferred
                     * count (node 0's). */
} vmsim_shrinker;

/*
 * Register a copy of `s`; its id goes to *id (the lowest free one). The
 * callbacks must not register or unregister shrinkers. Errors: VMSIM_EINVAL
 * (a NULL argument or callback), VMSIM_EBUSY (called from a callback),
 * VMSIM_ENOMEM (nothing was registered).
 */
VMSIM_EXPORT int vmsim_shrinker_register(vmsim_sim *sim, const vmsim_shrinker *s, uint32_t *id);
/* Unregister shrinker `id`; its deferred work is dropped and the id may be
 * reused. Errors: VMSIM_ENOENT (no such shrinker), VMSIM_EBUSY (called from
 * a callback). */
VMSIM_EXPORT int vmsim_shrinker_unregister(vmsim_sim *sim, uint32_t id);
/* The work shrinker `id` has deferred on node `nid` (always 0 for nodes
 * other than 0 if it is not NUMA-aware). Errors: VMSIM_ENOENT (no such
 * shrinker), VMSIM_EINVAL (nid out of range or out NULL). */
VMSIM_EXPORT int vmsim_shrinker_get_deferred(const vmsim_sim *sim, uint32_t id, uint32_t nid,
                                             uint64_t *out);

VMSIM_END_DECLS

#endif /* VMSIM_SHRINKER_H */
