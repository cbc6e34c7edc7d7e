/* SPDX-License-Identifier: MIT */
/*
 * Slab shrinkers: registration and shrink_slab() / do_shrink_slab(), after
 * mm/shrinker.c of Linux 6.x (the arithmetic has been the same since Linux
 * 5.13, "mm: vmscan: shrink deferred objects proportional to priority").
 * ../shared/docs/linux-reclaim.md rule 27 summarises it.
 *
 * For one shrinker on one node, at reclaim priority p:
 *
 *   freeable   = count_objects()            (0 or SHRINK_EMPTY: stop here)
 *   nr         = nr_deferred[node], which is set to 0
 *   delta      = (freeable >> p) * 4 / seeks
 *   total_scan = min((nr >> p) + delta, 2 * freeable)
 *   while total_scan >= batch || total_scan >= freeable:
 *       nr_to_scan = nr_scanned = min(batch, total_scan)
 *       scan_objects(); SHRINK_STOP ends the loop, uncounted
 *       slabs_scanned += nr_scanned; total_scan -= nr_scanned;
 *       scanned += nr_scanned
 *   nr_deferred[node] += min(max(nr + delta - scanned, 0), 2 * freeable)
 *
 * So a cache is asked for a share of its objects that doubles with each
 * step of priority, is smaller for objects that are costly to recreate
 * (seeks), and is never more than twice its size. Work too small for a
 * batch, or refused with SHRINK_STOP, is deferred: the new work not done
 * (delta) is added and the old work done (scanned beyond delta) taken off.
 * The second loop condition lets a cache smaller than a batch be emptied
 * once reclaim is desperate enough to ask for all of it.
 *
 * Where this differs from the kernel, and why:
 * - seeks 0 means DEFAULT_SEEKS, so that a zeroed field is the default; the
 *   kernel's seeks 0 ("free to recreate": delta = freeable / 2) has no
 *   spelling here.
 * - The kernel's counts are longs; counts above FREEABLE_MAX are clamped to
 *   it so that no sum or product here overflows 64 bits.
 * - A callback that reports nr_scanned 0 would make the kernel loop forever;
 *   here it ends the loop. One that reports more than total_scan empties it.
 * - A shrinker that is not NUMA-aware runs on every node's shrink_slab with
 *   its one deferred count in node 0's slot, as in the kernel; it sees
 *   sc->nid 0, as the kernel documents (the 3.12 .. 4.x code reset it; 6.x
 *   passes the real node and expects such a shrinker to ignore it).
 * - Shrinkers run in id order (the kernel's global list runs in
 *   registration order; its memcg path in id order, as here).
 */
#include "shrinker.h"

#define FREEABLE_MAX (UINT64_MAX >> 3)

/* One registered shrinker: its copy with the defaults filled in, and its
 * deferred work per node (one count if not NUMA-aware). */
struct shrinker_slot {
  vmsim_shrinker s;
  uint64_t nr_deferred[];
};

struct vmsim_shrinker_set {
  struct shrinker_slot **slot; /* by id; NULL: a free id */
  uint32_t nr;                 /* ids below nr may be in use */
  uint32_t cap;                /* slots allocated */
  bool busy;                   /* inside shrink_slab: the set is frozen */
};

static struct shrinker_slot *find_slot(const vmsim_sim *sim, uint32_t id) {
  const struct vmsim_shrinker_set *set = sim ? sim->shrinkers : NULL;
  return set && id < set->nr ? set->slot[id] : NULL;
}

/* The id a new shrinker takes (the lowest free one, like idr_alloc), with
 * room made for it. VMSIM_ENOMEM if there is none. */
static int reserve_id(struct vmsim_shrinker_set *set, uint32_t *id) {
  uint32_t i = 0;
  while (i < set->nr && set->slot[i])
    i++;
  if (i == set->cap) {
    uint32_t cap = set->cap ? 2 * set->cap : 8;
    struct shrinker_slot **slot;
    if (set->cap > UINT32_MAX / 2)
      return VMSIM_ENOMEM;
    slot = vmsim__realloc(set->slot, (size_t)cap * sizeof(*slot));
    if (!slot)
      return VMSIM_ENOMEM;
    set->slot = slot;
    set->cap = cap;
  }
  *id = i;
  return 0;
}

int vmsim_shrinker_register(vmsim_sim *sim, const vmsim_shrinker *s, uint32_t *id) {
  struct vmsim_shrinker_set *set;
  struct shrinker_slot *slot;
  uint32_t i, nr_counts;
  int err;

  if (!sim || !s || !id || !s->count_objects || !s->scan_objects)
    return VMSIM_EINVAL;
  set = sim->shrinkers;
  if (set && set->busy)
    return VMSIM_EBUSY;
  if (!set) {
    /* Kept once made, even if this registration fails: fini frees it. */
    if (!(set = vmsim__calloc(1, sizeof(*set))))
      return VMSIM_ENOMEM;
    sim->shrinkers = set;
  }
  if ((err = reserve_id(set, &i)))
    return err;
  nr_counts = s->numa_aware ? sim->nr_nodes : 1;
  slot = vmsim__calloc(1, sizeof(*slot) + (size_t)nr_counts * sizeof(slot->nr_deferred[0]));
  if (!slot)
    return VMSIM_ENOMEM;
  slot->s = *s;
  if (!slot->s.seeks)
    slot->s.seeks = VMSIM_DEFAULT_SEEKS;
  if (!slot->s.batch)
    slot->s.batch = VMSIM_SHRINK_BATCH;
  set->slot[i] = slot;
  if (i == set->nr)
    set->nr++;
  *id = i;
  return 0;
}

int vmsim_shrinker_unregister(vmsim_sim *sim, uint32_t id) {
  struct vmsim_shrinker_set *set;

  if (!find_slot(sim, id))
    return VMSIM_ENOENT;
  set = sim->shrinkers;
  if (set->busy)
    return VMSIM_EBUSY;
  vmsim__free(set->slot[id]);
  set->slot[id] = NULL;
  while (set->nr && !set->slot[set->nr - 1])
    set->nr--;
  return 0;
}

int vmsim_shrinker_get_deferred(const vmsim_sim *sim, uint32_t id, uint32_t nid, uint64_t *out) {
  const struct shrinker_slot *slot = find_slot(sim, id);

  if (!slot)
    return VMSIM_ENOENT;
  if (nid >= sim->nr_nodes || !out)
    return VMSIM_EINVAL;
  *out = slot->s.numa_aware ? slot->nr_deferred[nid] : nid == 0 ? slot->nr_deferred[0] : 0;
  return 0;
}

void vmsim__shrinkers_fini(vmsim_sim *sim) {
  struct vmsim_shrinker_set *set = sim->shrinkers;

  if (!set)
    return;
  for (uint32_t i = 0; i < set->nr; i++)
    vmsim__free(set->slot[i]);
  vmsim__free(set->slot);
  vmsim__free(set);
  sim->shrinkers = NULL;
}

/* do_shrink_slab(): one shrinker, one node; see the comment at the top. */
static uint64_t do_shrink_slab(vmsim_sim *sim, struct shrinker_slot *slot, uint32_t nid,
                               int priority, bool kswapd) {
  const vmsim_shrinker *s = &slot->s;
  uint32_t slot_nid = s->numa_aware ? nid : 0;
  vmsim_shrink_control sc = {.nid = slot_nid, .priority = priority, .kswapd = kswapd};
  uint64_t freeable, nr, delta, total_scan, next_deferred;
  uint64_t scanned = 0, freed = 0;

  freeable = s->count_objects(s->ctx, &sc);
  if (freeable == 0 || freeable == VMSIM_SHRINK_EMPTY)
    return 0;
  freeable = MIN(freeable, FREEABLE_MAX);

  /* Take the deferred work, as the kernel's xchg does. */
  nr = slot->nr_deferred[slot_nid];
  slot->nr_deferred[slot_nid] = 0;

  delta = (freeable >> priority) * 4 / s->seeks;
  total_scan = MIN((nr >> priority) + delta, 2 * freeable);

  while (total_scan >= s->batch || total_scan >= freeable) {
    uint64_t ret;

    sc.nr_to_scan = MIN(s->batch, total_scan);
    sc.nr_scanned = sc.nr_to_scan;
    ret = s->scan_objects(s->ctx, &sc);
    if (ret == VMSIM_SHRINK_STOP)
      break;
    freed += ret;
    sim->vmstat[VMSIM_VM_slabs_scanned] += sc.nr_scanned;
    total_scan -= MIN(sc.nr_scanned, total_scan);
    scanned += sc.nr_scanned;
    if (sc.nr_scanned == 0)
      break;
  }

  /* New work not done is added, old work done is taken off. */
  next_deferred = nr + delta > scanned ? nr + delta - scanned : 0;
  slot->nr_deferred[slot_nid] += MIN(next_deferred, 2 * freeable);
  return freed;
}

uint64_t vmsim__shrink_slab(vmsim_sim *sim, uint32_t nid, int priority, bool kswapd) {
  struct vmsim_shrinker_set *set = sim->shrinkers;
  uint64_t freed = 0;

  if (!set || set->busy || nid >= sim->nr_nodes)
    return 0;
  /* Priorities run DEF_PRIORITY .. 0; keep any other value a valid shift. */
  priority = MAX(0, MIN(priority, 63));
  set->busy = true;
  for (uint32_t id = 0; id < set->nr; id++)
    if (set->slot[id])
      freed += do_shrink_slab(sim, set->slot[id], nid, priority, kswapd);
  set->busy = false;
  return freed;
}
