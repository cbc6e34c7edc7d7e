/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator (mm/page_alloc.c): per-zone free lists for orders
 * 0..VMSIM_MAX_ORDER-1, split on allocation, coalesce on free, and the
 * allocation path that walks a node's zonelist against the watermarks and
 * calls the reclaim hooks when memory is short.
 *
 * A free block is marked by PG_buddy on its first frame, with its order in
 * `private`; only that frame is on a free list. An allocated block's first
 * frame has refcount 1 and its order in `private`, so a free can be checked.
 */
#include "internal.h"

/* ---- default reclaim hooks: no reclaim engine installed --------------- */
static void no_wakeup_kswapd(vmsim_sim *sim, struct vmsim_node *node, unsigned order,
                             enum vmsim_zone_type highest_zone) {
  (void)sim, (void)node, (void)order, (void)highest_zone;
}
static uint64_t no_direct_reclaim(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  (void)sim, (void)ac;
  return 0;
}
static bool no_out_of_memory(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  (void)sim, (void)ac;
  return false;
}

/* One block of the pair became, or stopped being, a free block. */
static void toggle_pair_bit(struct vmsim_zone *zone, vmsim_pfn_t pfn, unsigned order) {
  if (order == VMSIM_MAX_ORDER - 1)
    return; /* no map: the top order never merges */
  uint64_t i = vmsim__buddy_pair_index(zone, pfn, order);
  zone->free_area[order].map[i / 64] ^= UINT64_C(1) << (i % 64);
}

static void add_to_free_list(vmsim_sim *sim, struct vmsim_zone *zone, vmsim_pfn_t pfn,
                             unsigned order) {
  struct vmsim_page *p = &sim->mem_map[pfn];
  vmsim_page_set(p, VMSIM_PG_buddy);
  p->private = order;
  vmsim_list_add(sim->mem_map, &zone->free_area[order].free_list, pfn);
  toggle_pair_bit(zone, pfn, order);
}

static void del_from_free_list(vmsim_sim *sim, struct vmsim_zone *zone, vmsim_pfn_t pfn,
                               unsigned order) {
  struct vmsim_page *p = &sim->mem_map[pfn];
  vmsim_list_del(sim->mem_map, &zone->free_area[order].free_list, pfn);
  vmsim_page_clear(p, VMSIM_PG_buddy);
  p->private = 0;
  toggle_pair_bit(zone, pfn, order);
}

/* __free_one_page: merge with free buddies of the same order while we can. */
static void free_one_block(vmsim_sim *sim, struct vmsim_zone *zone, vmsim_pfn_t pfn,
                           unsigned order) {
  zone->nr_free += UINT64_C(1) << order;
  sim->vmstat[VMSIM_VM_nr_free_pages] += UINT64_C(1) << order;
  while (order < VMSIM_MAX_ORDER - 1) {
    vmsim_pfn_t buddy = pfn ^ ((vmsim_pfn_t)1 << order);
    if (!vmsim__zone_spans_pfn(zone, buddy))
      break;
    /* `pfn` is not a free block, so the pair's bit is the buddy's state. */
    assert(vmsim__buddy_pair_bit(zone, pfn, order) == vmsim__page_is_buddy(sim, buddy, order));
    if (!vmsim__buddy_pair_bit(zone, pfn, order))
      break;
    del_from_free_list(sim, zone, buddy, order);
    pfn &= buddy; /* the lower of the two heads the merged block */
    order++;
  }
  add_to_free_list(sim, zone, pfn, order);
}

int vmsim__zones_init(vmsim_sim *sim) {
  sim->hooks.wakeup_kswapd = no_wakeup_kswapd;
  sim->hooks.direct_reclaim = no_direct_reclaim;
  sim->hooks.out_of_memory = no_out_of_memory;

  /* The pair maps of each zone, in one allocation hung on order 0's. */
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    for (int z = 0; z < VMSIM_NR_ZONES; z++) {
      struct vmsim_zone *zone = &sim->nodes[nid].zones[z];
      if (zone->spanned_pages == 0)
        continue;
      vmsim_pfn_t last = (vmsim_pfn_t)(zone->start_pfn + zone->spanned_pages - 1);
      uint64_t words[VMSIM_MAX_ORDER - 1], total = 0;
      for (unsigned o = 0; o < VMSIM_MAX_ORDER - 1; o++)
        total += words[o] = vmsim__buddy_pair_index(zone, last, o) / 64 + 1;
      uint64_t *map = vmsim__calloc(total, sizeof(*map));
      if (!map)
        return VMSIM_ENOMEM;
      for (unsigned o = 0; o < VMSIM_MAX_ORDER - 1; o++) {
        zone->free_area[o].map = map;
        map += words[o];
      }
    }
  }

  /* Hand every frame to the allocator in the largest aligned blocks that
   * fit in its zone, as memblock_free_all() does at boot. */
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    for (int z = 0; z < VMSIM_NR_ZONES; z++) {
      struct vmsim_zone *zone = &sim->nodes[nid].zones[z];
      vmsim_pfn_t pfn = zone->start_pfn;
      vmsim_pfn_t end = (vmsim_pfn_t)(zone->start_pfn + zone->spanned_pages);
      while (pfn < end) {
        unsigned order = VMSIM_MAX_ORDER - 1;
        while (order > 0 && ((pfn & (((vmsim_pfn_t)1 << order) - 1)) ||
                             (uint64_t)pfn + (UINT64_C(1) << order) > end))
          order--;
        free_one_block(sim, zone, pfn, order);
        pfn += (vmsim_pfn_t)1 << order;
      }
    }
  }
  return 0;
}

void vmsim__zones_fini(vmsim_sim *sim) {
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++)
    for (int z = 0; z < VMSIM_NR_ZONES; z++)
      vmsim__free(sim->nodes[nid].zones[z].free_area[0].map);
}

enum vmsim_zone_type vmsim__gfp_zone(uint32_t gfp) {
  if (gfp & VMSIM_GFP_DMA)
    return VMSIM_ZONE_DMA;
  if (gfp & VMSIM_GFP_DMA32)
    return VMSIM_ZONE_DMA32;
  if (gfp & VMSIM_GFP_MOVABLE)
    return VMSIM_ZONE_MOVABLE;
  return VMSIM_ZONE_NORMAL;
}

/*
 * zone_watermark_ok(). `alloc_high` is ALLOC_HIGH (__GFP_HIGH in the slow
 * path): it takes half of `mark` away.
 *
 * Modern (__zone_watermark_ok, 6.x): fail when
 *   free - ((1 << order) - 1) <= min + lowmem_reserve[highest_zone];
 * for order > 0 a free block of at least `order` must also exist.
 * 2.6 style (2.6.11): the same first test, then for each order o below the
 * request, free blocks of order o do not count and min halves:
 *   free -= nr_free[o] << o; min >>= 1; fail if free <= min.
 */
static bool watermark_ok(const vmsim_sim *sim, const struct vmsim_zone *z, unsigned order,
                         uint64_t mark, enum vmsim_zone_type highest_zone, bool alloc_high) {
  int64_t free_pages = (int64_t)z->nr_free - (((int64_t)1 << order) - 1);
  int64_t min = (int64_t)mark;

  if (order >= VMSIM_MAX_ORDER)
    return false;
  if (alloc_high)
    min -= min / 2;
  if (free_pages <= min + (int64_t)z->lowmem_reserve[highest_zone])
    return false;
  if (order == 0)
    return true;
  if (sim->cfg.watermark_style == VMSIM_WMARK_MODERN) {
    for (unsigned o = order; o < VMSIM_MAX_ORDER; o++)
      if (!vmsim_list_empty(&z->free_area[o].free_list))
        return true;
    return false;
  }
  for (unsigned o = 0; o < order; o++) {
    free_pages -= (int64_t)(z->free_area[o].free_list.nr << o);
    min >>= 1;
    if (free_pages <= min)
      return false;
  }
  return true;
}

bool vmsim__zone_watermark_ok(const vmsim_sim *sim, const struct vmsim_zone *z, unsigned order,
                              uint64_t mark, enum vmsim_zone_type highest_zone, uint32_t gfp) {
  return watermark_ok(sim, z, order, mark, highest_zone, (gfp & VMSIM_GFP_HIGH) != 0);
}

bool vmsim_zone_watermark_ok(const vmsim_sim *sim, uint32_t nid, enum vmsim_zone_type zt,
                             unsigned order, enum vmsim_wmark mark,
                             enum vmsim_zone_type highest_zone, uint32_t gfp) {
  if (nid >= sim->nr_nodes || (unsigned)zt >= VMSIM_NR_ZONES || order >= VMSIM_MAX_ORDER ||
      (unsigned)mark >= VMSIM_NR_WMARK || (unsigned)highest_zone >= VMSIM_NR_ZONES)
    return false;
  const struct vmsim_zone *z = &sim->nodes[nid].zones[zt];
  return vmsim__zone_watermark_ok(sim, z, order, z->watermark[mark], highest_zone, gfp);
}

/* __rmqueue_smallest + expand: take the smallest block that fits and put
 * the unused halves back, high half first at each step. */
static struct vmsim_page *rmqueue(vmsim_sim *sim, struct vmsim_zone *zone, unsigned order) {
  for (unsigned o = order; o < VMSIM_MAX_ORDER; o++) {
    vmsim_list *fl = &zone->free_area[o].free_list;
    if (vmsim_list_empty(fl))
      continue;
    vmsim_pfn_t pfn = fl->head;
    del_from_free_list(sim, zone, pfn, o);
    while (o > order) {
      o--;
      add_to_free_list(sim, zone, pfn + ((vmsim_pfn_t)1 << o), o);
    }
    zone->nr_free -= UINT64_C(1) << order;
    sim->vmstat[VMSIM_VM_nr_free_pages] -= UINT64_C(1) << order;
    sim->vmstat[VMSIM_VM_pgalloc] += UINT64_C(1) << order;
    struct vmsim_page *p = &sim->mem_map[pfn];
    p->refcount = 1;
    p->private = order;
    return p;
  }
  return NULL;
}

/* get_page_from_freelist: the first zone of the zonelist that passes. */
static struct vmsim_page *get_page_from_freelist(vmsim_sim *sim,
                                                 const struct vmsim_alloc_context *ac,
                                                 enum vmsim_wmark mark, bool alloc_high) {
  const struct vmsim_node *pref = ac->preferred;
  for (uint32_t i = 0; i < pref->nr_zonelist; i++) {
    struct vmsim_zone *z = pref->zonelist[i];
    if (z->type > ac->highest_zone)
      continue;
    if ((ac->gfp & VMSIM_GFP_THISNODE) && z->node != pref)
      continue;
    if (!watermark_ok(sim, z, ac->order, z->watermark[mark], ac->highest_zone, alloc_high))
      continue;
    struct vmsim_page *p = rmqueue(sim, z, ac->order);
    if (p)
      return p;
  }
  return NULL;
}

/* wake_all_kswapds: each node with an eligible zone in the zonelist, once. */
static void wake_all_kswapds(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  uint64_t woken[(VMSIM_MAX_NODES + 63) / 64] = {0};
  const struct vmsim_node *pref = ac->preferred;
  for (uint32_t i = 0; i < pref->nr_zonelist; i++) {
    struct vmsim_zone *z = pref->zonelist[i];
    uint32_t nid = z->node->id;
    if (z->type > ac->highest_zone || (woken[nid / 64] >> (nid % 64)) & 1)
      continue;
    if ((ac->gfp & VMSIM_GFP_THISNODE) && z->node != pref)
      continue;
    woken[nid / 64] |= UINT64_C(1) << (nid % 64);
    sim->hooks.wakeup_kswapd(sim, z->node, ac->order, ac->highest_zone);
  }
}

/*
 * __alloc_pages_slowpath, reduced to what the simulator models: wake
 * kswapd, retry at MIN, then direct reclaim while it makes progress; after
 * MAX_RECLAIM_RETRIES rounds without progress, try HIGH once and call the
 * OOM killer (not for costly orders, which just fail).
 */
static NOINLINE struct vmsim_page *alloc_slowpath(vmsim_sim *sim,
                                                  const struct vmsim_alloc_context *ac) {
  bool alloc_high = (ac->gfp & VMSIM_GFP_HIGH) != 0;
  struct vmsim_page *p;
  unsigned no_progress = 0;

  if (ac->gfp & VMSIM_GFP_KSWAPD_RECLAIM) {
    wake_all_kswapds(sim, ac);
    /* kswapd has been running alongside: let it catch up to now. */
    if (sim->current_cpu < sim->nr_cpus)
      vmsim__kswapd_hand_off(sim, sim->cpu_clock[sim->current_cpu]);
  }
  if ((p = get_page_from_freelist(sim, ac, VMSIM_WMARK_MIN, alloc_high)))
    return p;
  if (!(ac->gfp & VMSIM_GFP_DIRECT_RECLAIM))
    return NULL;

  for (;;) {
    uint64_t progress = sim->hooks.direct_reclaim(sim, ac);
    if ((p = get_page_from_freelist(sim, ac, VMSIM_WMARK_MIN, alloc_high)))
      return p;
    no_progress = progress ? 0 : no_progress + 1;
    if (no_progress < MAX_RECLAIM_RETRIES)
      continue;
    if (ac->order > PAGE_ALLOC_COSTLY_ORDER)
      return NULL;
    /* __alloc_pages_may_oom: one last try at HIGH, then kill. */
    if ((p = get_page_from_freelist(sim, ac, VMSIM_WMARK_HIGH, false)))
      return p;
    if (!sim->hooks.out_of_memory(sim, ac))
      return NULL;
    /* The victim's memory is free: retry the free lists before reclaiming
     * again, as the kernel's slow path goes back to `retry`, which starts
     * with get_page_from_freelist(). */
    if ((p = get_page_from_freelist(sim, ac, VMSIM_WMARK_MIN, alloc_high)))
      return p;
    no_progress = 0;
  }
}

struct vmsim_page *vmsim__alloc_pages(vmsim_sim *sim, struct vmsim_node *preferred, uint32_t gfp,
                                      unsigned order) {
  struct vmsim_alloc_context ac = {
    .gfp = gfp,
    .order = order,
    .highest_zone = vmsim__gfp_zone(gfp),
    .preferred = preferred,
  };
  struct vmsim_page *p = get_page_from_freelist(sim, &ac, VMSIM_WMARK_LOW, false);
  if (likely(p))
    return p;
  return alloc_slowpath(sim, &ac);
}

void vmsim__free_pages(vmsim_sim *sim, struct vmsim_page *page, unsigned order) {
  page->refcount = 0;
  page->private = 0;
  page->mapping = 0; /* free_pages_prepare(): a free page belongs to no one */
  page->flags &= ~VMSIM_PAGE_FLAGS_MASK; /* keep only the zone id */
  sim->vmstat[VMSIM_VM_pgfree] += UINT64_C(1) << order;
  sim->nodes[vmsim_page_nid(page)].kswapd_failures = 0; /* a page was freed */
  free_one_block(sim, vmsim__page_zone(sim, page), vmsim__page_to_pfn(sim, page), order);
}

int vmsim_alloc_pages(vmsim_sim *sim, int nid, uint32_t gfp, unsigned order, vmsim_pfn_t *pfn) {
  if (!sim || !pfn || order >= VMSIM_MAX_ORDER || nid < -1 || nid >= (int)sim->nr_nodes)
    return VMSIM_EINVAL;
  struct vmsim_page *p = vmsim__alloc_pages(sim, &sim->nodes[nid < 0 ? 0 : nid], gfp, order);
  if (!p)
    return VMSIM_EOOM;
  *pfn = vmsim__page_to_pfn(sim, p);
  return 0;
}

int vmsim_free_pages(vmsim_sim *sim, vmsim_pfn_t pfn, unsigned order) {
  if (!sim || pfn >= sim->nr_pages || order >= VMSIM_MAX_ORDER)
    return VMSIM_EINVAL;
  struct vmsim_page *p = &sim->mem_map[pfn];
  /* Only the head of an allocated block, freed with its own order. */
  if (p->refcount != 1 || p->private != order || vmsim_page_test(p, VMSIM_PG_buddy) ||
      p->mapcount != 0)
    return VMSIM_EINVAL;
  vmsim__free_pages(sim, p, order);
  return 0;
}
