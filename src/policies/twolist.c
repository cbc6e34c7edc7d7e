/* SPDX-License-Identifier: MIT */
/*
 * twolist: the Linux 2.6 active/inactive lists, as in 2.6.11.
 *
 * Algorithm: two lists. Explicit accesses (read()) run mark_page_accessed's
 *   state machine: inactive,unreferenced -> inactive,referenced ->
 *   active,unreferenced -> active,referenced. Hardware references are seen
 *   only through the PTE young bits, which page_referenced() (here
 *   vmsim_page_referenced() plus PG_referenced, both tested and cleared)
 *   counts during scans. A reclaim pass is shrink_zone(): the accumulators
 *   grow by nr_scan_active += (nr_active >> priority) + 1, and likewise for
 *   the inactive list; an accumulator below SWAP_CLUSTER_MAX (32) scans
 *   nothing and keeps its count, one at 32 or more is spent in batches of
 *   32, alternately refill_inactive_zone() and shrink_cache(), until the
 *   pass has reclaimed enough. refill_inactive_zone(): distress = 100 >>
 *   prev_priority, mapped_ratio = mapped * 100 / total pages, swap_tendency
 *   = mapped_ratio / 2 + distress + swappiness (sc->swappiness), and
 *   reclaim_mapped when it reaches 100. A mapped page stays active unless
 *   reclaim_mapped, and even then when it is anon with no swap or
 *   referenced (page_referenced is only asked then); every other page goes
 *   to the inactive head (PG_referenced of an unmapped page survives).
 *   shrink_cache()/shrink_list(): from the inactive tail, a page referenced
 *   and in use (mapped, or in the swap cache) is activated; a referenced
 *   dirty page not in use is kept; the rest go to vmsim_reclaim_page()
 *   (add_to_swap, try_to_unmap, pageout, free). New anon pages start active
 *   (lru_cache_add_active in do_anonymous_page and the COW copy); file
 *   pages and swapped-in pages start inactive (add_to_page_cache_lru,
 *   read_swap_cache_async).
 *   Where the simulator differs: 2.6.11 had lists and accumulators per
 *   zone; here they are per node, and pages of zones above sc->reclaim_idx
 *   are passed over to the list head. zone->prev_priority was set at the
 *   end of each reclaim run; the policy does not see runs end, so a run is
 *   taken to start when the priority rises (or is DEF_PRIORITY again), and
 *   prev_priority becomes the last priority of the run before, lowered
 *   during a run as shrink_caches() did. The mapped count is nr_mapped
 *   (file) plus nr_anon_pages, as 2.6.11's nr_mapped counted both kinds;
 *   "in use" cannot see whether a file is mmapped elsewhere
 *   (mapping_mapped), only whether this page is. With sc->on_demand the
 *   accumulators are bypassed: the whole inactive list, then the whole
 *   active list (priority 0), up to three rounds, until the page is found.
 *   No pgrotated: 2.6.11 counted it only when writeback ended, and writes
 *   here are synchronous.
 * Era: Linux 2.5.x to 2.6.27 (split LRU came in 2.6.28); these rules are
 *   2.6.11's.
 * State: lists inactive, active, unevictable (mlocked pages: 2.6.11 kept
 *   them on the LRU and let try_to_unmap fail; they are never evicted
 *   here). PG_active and PG_referenced per page, no page->policy. Per node:
 *   nr_scan_active, nr_scan_inactive, prev_priority, temp_priority.
 * Invariants: PG_active is set exactly on pages of the active list;
 *   mlocked pages are only on the unevictable list; each accumulator is
 *   below 32 between passes (a batch once started is spent, or dropped
 *   when the pass has reclaimed enough, as in 2.6.11).
 * Cost: O(1) per page added, freed or read; a pass scans at most the
 *   accumulated pages, one rmap walk per inactive page examined and per
 *   mapped active page examined when reclaim_mapped.
 * Source: linux-reclaim.md rules 9 to 12; Linux 2.6.11 mm/swap.c
 *   (mark_page_accessed, activate_page), mm/vmscan.c (shrink_zone,
 *   refill_inactive_zone, shrink_cache, shrink_list, page_mapping_inuse,
 *   shrink_caches, try_to_free_pages, balance_pgdat), mm/rmap.c
 *   (page_referenced), mm/memory.c (do_anonymous_page).
 */
#include <vmsim/policy.h>

#include "internal.h"

enum { TL_INACTIVE, TL_ACTIVE, TL_UNEVICTABLE, TL_NR_LISTS };

static const char *const twolist_list_names[TL_NR_LISTS] = {"inactive", "active",
                                                            "unevictable"};
static const enum vmsim_lru_kind twolist_list_kinds[TL_NR_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_ACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

#define TL_ON_DEMAND_ROUNDS 3

struct twolist_state {
  uint64_t nr_scan_active;   /* zone->nr_scan_active */
  uint64_t nr_scan_inactive; /* zone->nr_scan_inactive */
  int prev_priority;         /* zone->prev_priority: distress = 100 >> it */
  int temp_priority;         /* zone->temp_priority: the last pass's priority */
};

static bool reclaim_short(const vmsim_scan_control *sc) {
  return sc->nr_reclaimed < sc->nr_to_reclaim;
}

/* Put `page` (isolated, or listed) at the head of `lru` (the core keeps
 * PG_active in step with the list). */
static void twolist_put(vmsim_lruvec *lruvec, struct vmsim_page *page, unsigned lru) {
  if (vmsim_page_test(page, VMSIM_PG_lru))
    vmsim_lru_del(lruvec, page);
  vmsim_lru_add(lruvec, lru, page);
}

/* activate_page() / shrink_list's activate_locked. */
static void twolist_activate(vmsim_lruvec *lruvec, struct vmsim_page *page) {
  twolist_put(lruvec, page, TL_ACTIVE);
  vmsim_count_event(lruvec, VMSIM_VM_pgactivate, 1);
}

static int twolist_init(vmsim_lruvec *lruvec, void *state) {
  struct twolist_state *st = state;
  (void)lruvec;
  st->prev_priority = st->temp_priority = DEF_PRIORITY;
  return 0;
}

static void twolist_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

static void twolist_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  if (vmsim_page_test(page, VMSIM_PG_mlocked))
    twolist_put(lruvec, page, TL_UNEVICTABLE);
  else if (vmsim_page_test(page, VMSIM_PG_anon) && !vmsim_page_test(page, VMSIM_PG_swapcache))
    twolist_put(lruvec, page, TL_ACTIVE); /* lru_cache_add_active */
  else
    twolist_put(lruvec, page, TL_INACTIVE); /* lru_cache_add */
}

static void twolist_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

/* mark_page_accessed(). A page off the lists (isolated) or unevictable
 * only gets PG_referenced, as a !PageLRU page did. */
static void twolist_mark_accessed(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  bool on_lru = vmsim_page_test(page, VMSIM_PG_lru) && vmsim_page_lru(page) != TL_UNEVICTABLE;
  if (on_lru && !vmsim_page_test(page, VMSIM_PG_active) &&
      vmsim_page_test(page, VMSIM_PG_referenced)) {
    twolist_activate(lruvec, page);
    vmsim_page_clear(page, VMSIM_PG_referenced);
  } else if (!vmsim_page_test(page, VMSIM_PG_referenced)) {
    vmsim_page_set(page, VMSIM_PG_referenced);
  }
}

/* page_referenced(): young PTEs (tested and cleared) plus PG_referenced. */
static unsigned twolist_referenced(vmsim_lruvec *lruvec, struct vmsim_page *page) {
  unsigned n = vmsim_page_referenced(lruvec, page);
  return n + vmsim_page_test_and_clear(page, VMSIM_PG_referenced);
}

/* zone->prev_priority as 2.6.11 kept it (see the opening comment). */
static void note_priority(struct twolist_state *st, int priority) {
  if (priority > st->temp_priority || priority == DEF_PRIORITY)
    st->prev_priority = st->temp_priority; /* the run before has ended */
  st->temp_priority = priority;
  if (st->prev_priority > priority)
    st->prev_priority = priority;
}

/* refill_inactive_zone()'s decision: swap_tendency >= 100. */
static bool reclaim_mapped(vmsim_lruvec *lruvec, const struct twolist_state *st,
                           const vmsim_scan_control *sc) {
  const vmsim_sim *sim = vmsim_lruvec_sim(lruvec);
  /* 2.6.11's nr_mapped counted anon and file pages */
  uint64_t mapped =
      vmsim_vmstat(sim, VMSIM_VM_nr_mapped) + vmsim_vmstat(sim, VMSIM_VM_nr_anon_pages);
  uint64_t mapped_ratio = mapped * 100 / vmsim_nr_pages(sim);
  uint64_t distress = 100u >> st->prev_priority;
  uint64_t swap_tendency = mapped_ratio / 2 + distress + sc->swappiness;
  return swap_tendency >= 100;
}

/* refill_inactive_zone(): up to nr_to_scan pages from the active tail. */
static void refill_inactive(vmsim_lruvec *lruvec, struct twolist_state *st,
                            vmsim_scan_control *sc, uint64_t nr_to_scan) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, TL_ACTIVE);
  bool unmap = reclaim_mapped(lruvec, st, sc);
  uint64_t scanned = 0, deactivated = 0;

  for (uint64_t n = MIN(nr_to_scan, list->nr); n && list->nr; n--) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_page_zonenum(page) > sc->reclaim_idx) {
      vmsim_lru_move(lruvec, page, TL_ACTIVE, false); /* not this reclaim's zone */
      continue;
    }
    scanned++;
    if (page->mapcount > 0) {
      bool anon_noswap = vmsim_page_test(page, VMSIM_PG_swapbacked) && !sc->may_swap;
      if (!unmap || anon_noswap || twolist_referenced(lruvec, page)) {
        vmsim_lru_move(lruvec, page, TL_ACTIVE, false);
        continue;
      }
    }
    twolist_put(lruvec, page, TL_INACTIVE);
    deactivated++;
  }
  vmsim_count_event(lruvec, VMSIM_VM_pgrefill, scanned);
  vmsim_count_event(lruvec, VMSIM_VM_pgdeactivate, deactivated);
}

/* shrink_list() for one isolated inactive page. */
static void shrink_page(vmsim_lruvec *lruvec, vmsim_scan_control *sc, struct vmsim_page *page) {
  bool referenced = twolist_referenced(lruvec, page) > 0;
  /* page_mapping_inuse(): mapped, or in the swap cache */
  bool in_use = page->mapcount > 0 || vmsim_page_test(page, VMSIM_PG_swapcache);
  if (referenced && in_use) {
    twolist_activate(lruvec, page);
    return;
  }
  if (referenced && vmsim_page_test(page, VMSIM_PG_dirty)) {
    twolist_put(lruvec, page, TL_INACTIVE); /* keep: no writeout for a used page */
    return;
  }
  switch (vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM)) {
  case VMSIM_RECLAIM_FREED:
    return;
  case VMSIM_RECLAIM_KEEP_MLOCKED:
    twolist_put(lruvec, page, TL_UNEVICTABLE);
    return;
  case VMSIM_RECLAIM_KEEP_NOSWAP:
    twolist_activate(lruvec, page); /* add_to_swap failed: activate_locked */
    return;
  default:
    twolist_put(lruvec, page, TL_INACTIVE); /* keep_locked */
    return;
  }
}

/* shrink_cache(): up to nr_to_scan pages from the inactive tail. */
static void shrink_inactive(vmsim_lruvec *lruvec, vmsim_scan_control *sc, uint64_t nr_to_scan) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, TL_INACTIVE);
  for (uint64_t n = MIN(nr_to_scan, list->nr); n && list->nr && reclaim_short(sc); n--) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_lru_isolate(lruvec, sc, page) != 0)
      vmsim_lru_move(lruvec, page, TL_INACTIVE, false); /* not this reclaim's zone */
    else
      shrink_page(lruvec, sc, page);
  }
}

/* Add a pass's share to an accumulator; what may be scanned now (0 below
 * a batch, and then the count is kept for the next pass). */
static uint64_t accumulate(uint64_t *acc, uint64_t nr, int priority) {
  *acc += (nr >> priority) + 1;
  if (*acc < SWAP_CLUSTER_MAX)
    return 0;
  uint64_t n = *acc;
  *acc = 0;
  return n;
}

static void twolist_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct twolist_state *st = state;
  const vmsim_list *active = vmsim_lruvec_list(lruvec, TL_ACTIVE);
  const vmsim_list *inactive = vmsim_lruvec_list(lruvec, TL_INACTIVE);

  note_priority(st, sc->priority);
  if (sc->on_demand) {
    for (int round = 0; round < TL_ON_DEMAND_ROUNDS && reclaim_short(sc); round++) {
      shrink_inactive(lruvec, sc, inactive->nr);
      if (reclaim_short(sc))
        refill_inactive(lruvec, st, sc, active->nr);
    }
    return;
  }

  /* shrink_zone() */
  uint64_t nr_active = accumulate(&st->nr_scan_active, active->nr, sc->priority);
  uint64_t nr_inactive = accumulate(&st->nr_scan_inactive, inactive->nr, sc->priority);
  while (nr_active || nr_inactive) {
    if (nr_active) {
      uint64_t n = MIN(nr_active, SWAP_CLUSTER_MAX);
      nr_active -= n;
      refill_inactive(lruvec, st, sc, n);
    }
    if (nr_inactive) {
      uint64_t n = MIN(nr_inactive, SWAP_CLUSTER_MAX);
      nr_inactive -= n;
      shrink_inactive(lruvec, sc, n);
      if (!reclaim_short(sc))
        break;
    }
  }
}

const vmsim_policy_ops vmsim__policy_twolist = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,        /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),        /* and this table size */
  .name = "twolist",                              /* registry name */
  .description = "Linux 2.6.11 active/inactive lists with mark_page_accessed and swap_tendency",
  .node_state_size = sizeof(struct twolist_state), /* accumulators, priorities */
  .page_state_size = 0,                           /* PG_active, PG_referenced only */
  .nr_lists = TL_NR_LISTS,                        /* inactive, active, unevictable */
  .list_names = twolist_list_names,
  .list_kinds = twolist_list_kinds,
  .init = twolist_init,                           /* prev_priority = DEF_PRIORITY */
  .fini = twolist_fini,
  .page_add = twolist_page_add,                   /* new anon active, the rest inactive */
  .page_del = twolist_page_del,
  .shrink = twolist_shrink,                       /* shrink_zone() */
  .mark_accessed = twolist_mark_accessed,         /* read(): the state machine */
};
