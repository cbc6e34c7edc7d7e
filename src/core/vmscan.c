/* SPDX-License-Identifier: MIT */
/*
 * The reclaim mechanics (mm/vmscan.c): what happens to a page the policy
 * chose to evict (shrink_folio_list), one reclaim pass over a node
 * (shrink_node), and direct reclaim in the allocating context
 * (try_to_free_pages), including the on-demand mode that evicts exactly one
 * page when no frame is free.
 *
 * Writeback is synchronous in simulated time: a dirty page is written when
 * reclaim picks it, and the write latency is charged to whoever reclaims.
 */
#include "vmscan.h"

#include "shrinker.h"
#include "swap.h"

uint64_t vmsim_lruvec_swap_free(const vmsim_lruvec *lv) { return vmsim__swap_free_slots(lv->sim); }

unsigned vmsim_page_referenced(vmsim_lruvec *lv, struct vmsim_page *page) {
  lv->sim->rmap_walks++;
  return vmsim__page_referenced(lv->sim, page, lv->reclaim_cpu);
}

/* pageout() of a file page: its contents go back to the file. */
static void file_writepage(vmsim_sim *sim, struct vmsim_page *page, vmsim_time_t *cost) {
  struct vmsim_file *file = vmsim__file_get(sim, page->mapping);
  file->disk[page->index] = page->token;
  vmsim__clear_page_dirty(sim, page);
  sim->vmstat[VMSIM_VM_pgpgout] += VMSIM_PAGE_SIZE >> 10;
  *cost += sim->cfg.cost.file_write;
}

/* __remove_mapping() of a file page: out of the page cache, a shadow left. */
static void remove_from_page_cache(vmsim_sim *sim, struct vmsim_page *page, uint64_t shadow) {
  struct vmsim_file *file = vmsim__file_get(sim, page->mapping);
  file->cache[page->index] = shadow ? (shadow | VMSIM_SHADOW_BIT) : 0;
  file->nr_cached--;
  sim->vmstat[VMSIM_VM_nr_file_pages]--;
}

enum vmsim_reclaim_outcome vmsim_reclaim_page(vmsim_lruvec *lv, vmsim_scan_control *sc,
                                              struct vmsim_page *page, enum vmsim_pageref ref) {
  vmsim_sim *sim = lv->sim;
  bool anon = vmsim_page_test(page, VMSIM_PG_swapbacked);

  assert(vmsim_page_test(page, VMSIM_PG_isolated));
  if (ref == VMSIM_PAGEREF_KEEP || ref == VMSIM_PAGEREF_ACTIVATE)
    return VMSIM_RECLAIM_KEEP_REFERENCED;
  if (vmsim_page_zonenum(page) > sc->reclaim_idx)
    return VMSIM_RECLAIM_KEEP_ZONE;
  if (vmsim_page_test(page, VMSIM_PG_mlocked) || vmsim_page_test(page, VMSIM_PG_unevictable))
    return VMSIM_RECLAIM_KEEP_MLOCKED;
  if (vmsim_page_test(page, VMSIM_PG_locked))
    return VMSIM_RECLAIM_KEEP_LOCKED;

  /* Anon pages need a slot before they can be unmapped (add_to_swap). */
  if (anon && !vmsim_page_test(page, VMSIM_PG_swapcache)) {
    if (!sc->may_swap || vmsim__add_to_swap(sim, page))
      return VMSIM_RECLAIM_KEEP_NOSWAP;
  }
  if (page->mapcount) {
    if (!sc->may_unmap)
      return VMSIM_RECLAIM_KEEP_MAPPED;
    vmsim__try_to_unmap(sim, page, lv->reclaim_cpu);
    if (page->mapcount)
      return VMSIM_RECLAIM_KEEP_MAPPED;
  }
  if (vmsim_page_test(page, VMSIM_PG_dirty)) {
    if (!sc->may_writepage || (ref == VMSIM_PAGEREF_RECLAIM_CLEAN && !anon))
      return VMSIM_RECLAIM_KEEP_DIRTY;
    if (anon)
      vmsim__swap_writepage(sim, page, &sc->cost);
    else
      file_writepage(sim, page, &sc->cost);
  }

  /* Clean and unmapped: let the policy leave a shadow, then free. */
  uint64_t shadow = vmsim__ops_has(lv->ops, evict) ? lv->ops->evict(lv, lv->state, page) : 0;
  if (anon)
    vmsim__delete_from_swap_cache(sim, page, shadow);
  else
    remove_from_page_cache(sim, page, shadow);
  vmsim_lru_del(lv, page); /* out of isolation */
  vmsim__put_user_page(sim, page);

  sc->nr_reclaimed++;
  sim->vmstat[sc->kswapd ? VMSIM_VM_pgsteal_kswapd : VMSIM_VM_pgsteal_direct]++;
  sim->vmstat[anon ? VMSIM_VM_pgsteal_anon : VMSIM_VM_pgsteal_file]++;
  return VMSIM_RECLAIM_FREED;
}

/* A node's lruvec has an eligible zone for this reclaim. */
static bool node_eligible(const struct vmsim_node *node, enum vmsim_zone_type reclaim_idx) {
  for (int z = 0; z <= (int)reclaim_idx; z++)
    if (vmsim__zone_populated(&node->zones[z]))
      return true;
  return false;
}

uint64_t vmsim__shrink_node(vmsim_sim *sim, struct vmsim_node *node, vmsim_scan_control *sc) {
  vmsim_lruvec *lv = node->lruvec;
  uint64_t reclaimed = sc->nr_reclaimed, scanned = sc->nr_scanned;

  lv->reclaim_cpu = sc->cpu;
  lv->ops->shrink(lv, lv->state, sc);
  if (sim->vmstat[VMSIM_VM_nr_isolated_anon] || sim->vmstat[VMSIM_VM_nr_isolated_file]) {
    /* The policy left pages isolated: a broken plugin. Put them back so
     * they are not lost, and say so. */
    sim->integrity_errors++;
    vmsim__lru_putback_isolated(sim, node);
  }
  if (!sc->on_demand)
    vmsim__shrink_slab(sim, node->id, sc->priority, sc->kswapd);
  sc->cost += (sc->nr_scanned - scanned) * sim->cfg.cost.reclaim_scan;
  return sc->nr_reclaimed - reclaimed;
}

/* Anon pages can go to swap: a free slot, or pages already in the swap
 * cache (which have theirs). sc->may_swap is this, re-read as it changes. */
bool vmsim__can_swap(const vmsim_sim *sim) {
  return vmsim__swap_free_slots(sim) > 0 || sim->vmstat[VMSIM_VM_nr_swapcached] > 0;
}

void vmsim__scan_control_init(vmsim_sim *sim, vmsim_scan_control *sc, unsigned order,
                              enum vmsim_zone_type reclaim_idx, bool kswapd, uint32_t cpu) {
  memset(sc, 0, sizeof(*sc));
  sc->nr_to_reclaim = SWAP_CLUSTER_MAX;
  sc->priority = DEF_PRIORITY;
  sc->order = order;
  sc->reclaim_idx = reclaim_idx;
  sc->may_writepage = true;
  sc->may_unmap = true;
  sc->may_swap = vmsim__can_swap(sim);
  sc->kswapd = kswapd;
  sc->swappiness = sim->cfg.swappiness;
  sc->cpu = cpu;
}

/* Charge reclaim done in the allocating context to who allocates. */
static void charge_current(vmsim_sim *sim, vmsim_time_t cost) {
  if (sim->current_mm)
    sim->current_mm->time += cost;
  if (sim->current_cpu < sim->nr_cpus)
    sim->cpu_clock[sim->current_cpu] += cost;
}

/*
 * Demand paging: no frame is free, so evict exactly 2^order pages from the
 * preferred node, chosen by the policy. No watermarks, no kswapd.
 */
static uint64_t reclaim_on_demand(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  vmsim_scan_control sc;
  vmsim__scan_control_init(sim, &sc, ac->order, ac->highest_zone, false, sim->current_cpu);
  sc.on_demand = true;
  sc.priority = 0;
  sc.nr_to_reclaim = UINT64_C(1) << ac->order;
  vmsim__shrink_node(sim, ac->preferred, &sc);
  charge_current(sim, sc.cost);
  return sc.nr_reclaimed;
}

/*
 * try_to_free_pages(): priority DEF_PRIORITY down to 0 over the nodes of
 * the zonelist, until SWAP_CLUSTER_MAX pages are reclaimed. Counts
 * allocstall; the time goes to the process that stalled.
 */
static uint64_t try_to_free_pages(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  if (sim->cfg.reclaim_mode == VMSIM_RECLAIM_ON_DEMAND)
    return reclaim_on_demand(sim, ac);

  vmsim_scan_control sc;
  vmsim__scan_control_init(sim, &sc, ac->order, ac->highest_zone, false, sim->current_cpu);
  sim->vmstat[VMSIM_VM_allocstall]++;
  const struct vmsim_node *pref = ac->preferred;
  do {
    uint64_t done[(VMSIM_MAX_NODES + 63) / 64] = {0};
    for (uint32_t i = 0; i < pref->nr_zonelist; i++) {
      struct vmsim_node *node = pref->zonelist[i]->node;
      if ((done[node->id / 64] >> (node->id % 64)) & 1 || !node_eligible(node, sc.reclaim_idx))
        continue;
      if ((ac->gfp & VMSIM_GFP_THISNODE) && node != pref)
        continue;
      done[node->id / 64] |= UINT64_C(1) << (node->id % 64);
      vmsim__shrink_node(sim, node, &sc);
      if (sc.nr_reclaimed >= sc.nr_to_reclaim)
        break;
    }
  } while (sc.nr_reclaimed < sc.nr_to_reclaim && --sc.priority >= 0);
  charge_current(sim, sc.cost);
  return sc.nr_reclaimed;
}

void vmsim__vmscan_init(vmsim_sim *sim) { sim->hooks.direct_reclaim = try_to_free_pages; }
