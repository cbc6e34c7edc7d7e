/* SPDX-License-Identifier: MIT */
/*
 * aging: page aging with a per-page age, as Linux 2.0 and Linux 2.4.0 did it.
 *
 * Algorithm, variant linux20 (the default): every page has an age. The scan
 *   visits pages in turn; a page referenced since the last visit (a young
 *   PTE, made old by vmsim_page_referenced(), or PG_referenced from a read())
 *   is touched: age += age_advance, capped at age_max. Otherwise it ages:
 *   age -= age_decline, floored at 0, and it is evicted when that leaves
 *   age 0 (try_to_swap_out: "Only swap old pages (age==0 is oldest)"). A new
 *   page starts at initial_age. 2.0 found pages by walking processes
 *   (swap_out), taking AGE_CLUSTER_SIZE(rss) = max((rss * 32) >> 10, 4)
 *   turns from each before moving to the next -- "nibbling". The simulator
 *   has no per-process walk: a node's pages are one list in fault order, the
 *   hand is its tail, a visited page goes to the head, and the hand nibbles
 *   whole clusters of AGE_CLUSTER_SIZE(list size) pages, the list standing
 *   in for the process. A pass at priority p scans (n >> p) + 1 pages
 *   rounded up to a whole cluster, at most n, so a page is aged at most once
 *   per pass; a shared page is aged once per visit, not once per PTE.
 * Algorithm, variant linux24: lists active, inactive_dirty, inactive_clean.
 *   A new page enters active at initial_age (PAGE_AGE_START). age_page_up:
 *   an inactive page (age 0) is activated, its age raised to at least
 *   initial_age, then age += age_advance, capped at age_max; age_page_down:
 *   age >>= age_decline (1: halving). A read() of a cached page ages it up
 *   (__find_page_nolock). One reclaim pass does, in 2.4.0's order:
 *   reclaim_page() from inactive_clean (referenced or aged -> active, dirty
 *   -> inactive_dirty, else free); page_launder() over inactive_dirty
 *   (referenced or aged -> active, clean -> inactive_clean, dirty: rotated
 *   on the first loop, written on the second, MAX_LAUNDER = 4 <<
 *   page_cluster at most, only while reclaim is still short); then, while
 *   the inactive lists are short of inactive_target plus what reclaim still
 *   wants, refill_inactive_scan(): nr_active >> priority pages from the
 *   active tail, referenced -> age up, else age down, and age 0 ->
 *   inactive_dirty. inactive_target = min(memory_pressure >> 6,
 *   node pages / 4), where memory_pressure counts allocations and
 *   reclaims, less frees, and loses 1/64 every simulated second.
 *   Where the simulator differs: the core writes and frees a page in one
 *   step (vmsim_reclaim_page), so a dirty page the launder loop writes is
 *   freed at once instead of waiting on inactive_clean; a clean page goes to
 *   inactive_clean and is freed from there with VMSIM_PAGEREF_RECLAIM_CLEAN,
 *   which sends a page found dirty at unmap back to inactive_dirty, as
 *   reclaim_page() did. 2.4.0 kept mapped pages active until swap_out()
 *   unmapped them at age 0; the core unmaps only when it evicts, so here a
 *   page at age 0 is deactivated mapped or not (swap_out's unmap is
 *   deferred to eviction), and a young PTE found later on an inactive list
 *   stands for the fault that would have mapped it again (age up).
 *   2.4.0 kept anon pages off the LRU until swap_out put them in the swap
 *   cache; here they are listed from their first fault.
 *   Both variants run under the simulator's reclaim drivers (modern
 *   kswapd and direct reclaim, priority 12 down to 0), not 2.0's
 *   try_to_free_page (6 down to 0) or 2.4.0's kswapd/refill_inactive loops.
 * Tunables (policy_params): variant = linux20 | linux24; age_max 1..255;
 *   initial_age 0..age_max; age_advance 1..age_max; age_decline: linux20
 *   1..age_max (subtracted), linux24 1..7 (a right shift, 1 = halving).
 *   Unset constants take the variant's defaults: linux20 3, 3, 20, 1
 *   (2.0 swap_control), linux24 2, 3, 64, 1 (PAGE_AGE_START, PAGE_AGE_ADV,
 *   PAGE_AGE_MAX, halving). The variant cannot change once pages are listed.
 * Era: Linux 2.0 (1996) and Linux 2.4.0 (January 2001); 2.2 dropped the
 *   age and 2.4.10 removed it again.
 * State: page->policy holds the age (0..age_max <= 255). Per node: the
 *   tunables and memory_pressure. Lists: active (linux20 keeps every page
 *   here: 2.0 had no lists), inactive_dirty, inactive_clean (linux24 only),
 *   unevictable (mlocked pages, never evicted).
 * Invariants: PG_active is set exactly on pages of the active list; pages
 *   on inactive lists have age 0 when put there; linux20 uses only the
 *   active and unevictable lists; 0 <= age <= age_max.
 * Cost: O(1) per page added, freed or read. linux20 reclaim is O(pages
 *   visited), one rmap walk each; on demand an eviction takes at most
 *   n * (visits from age_max to 0 + 2) + 1 visits. linux24 reclaim scans both
 *   inactive lists once (twice for inactive_dirty when short) and
 *   nr_active >> priority active pages, one rmap walk per page examined.
 * Source: linux-reclaim.md rules 1, 2 and 6; Linux 2.0 mm/swap.c
 *   (swap_control), include/linux/swapctl.h (touch_page, age_page),
 *   mm/vmscan.c (try_to_swap_out, swap_out); Linux 2.4.0 include/linux/swap.h
 *   (PAGE_AGE_*, inactive_target), mm/swap.c (age_page_up, age_page_down,
 *   activate_page_nolock, deactivate_page_nolock, lru_cache_add,
 *   recalculate_vm_stats, swap_setup), mm/vmscan.c (refill_inactive_scan,
 *   page_launder, reclaim_page, inactive_shortage), mm/filemap.c
 *   (__find_page_nolock).
 */
#include <stdlib.h>

#include <vmsim/mm.h>
#include <vmsim/policy.h>

#include "internal.h"

enum { AGING_ACTIVE, AGING_INACTIVE_DIRTY, AGING_INACTIVE_CLEAN, AGING_UNEVICTABLE,
       AGING_NR_LISTS };

static const char *const aging_list_names[AGING_NR_LISTS] = {
  "active", "inactive_dirty", "inactive_clean", "unevictable"};
static const enum vmsim_lru_kind aging_list_kinds[AGING_NR_LISTS] = {
  VMSIM_LRU_KIND_ACTIVE, VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_INACTIVE,
  VMSIM_LRU_KIND_UNEVICTABLE};

/* Zero is the default, so that a zeroed state (vmsim_config_validate's)
 * describes the default configuration. */
enum aging_variant { AGING_LINUX20, AGING_LINUX24, AGING_NR_VARIANTS };
static const char *const aging_variant_names[AGING_NR_VARIANTS] = {"linux20", "linux24"};

enum aging_param { P_INITIAL, P_ADVANCE, P_MAX, P_DECLINE, NR_PARAMS };
static const char *const aging_param_keys[NR_PARAMS] = {"initial_age", "age_advance", "age_max",
                                                        "age_decline"};
/* Per variant: 2.0 swap_control (3, 3, 20, 1); 2.4.0 PAGE_AGE_START 2,
 * PAGE_AGE_ADV 3, PAGE_AGE_MAX 64, and a decline of one halving. */
static const uint32_t aging_defaults[AGING_NR_VARIANTS][NR_PARAMS] = {{3, 3, 20, 1},
                                                                      {2, 3, 64, 1}};
#define AGING_AGE_LIMIT 255u   /* ages fit a byte */
#define AGING_SHIFT_LIMIT 7u   /* linux24 decline: age >>= 1..7 */
#define INACTIVE_SHIFT 6       /* 2.4.0 include/linux/swap.h */
#define NSEC_PER_SEC UINT64_C(1000000000)

struct aging_state {
  /* Tunables: a value counts only if its bit is in `set`, else the
   * variant's default applies. */
  uint32_t variant;
  uint32_t set;
  uint32_t value[NR_PARAMS];
  /* linux24 */
  uint64_t memory_pressure;
  uint64_t pressure_sec; /* simulated seconds already decayed */
  uint64_t node_pages;   /* num_physpages of the node, 0 until computed */
};

static uint32_t param(const struct aging_state *st, enum aging_param p) {
  return (st->set >> p) & 1u ? st->value[p] : aging_defaults[st->variant][p];
}

static unsigned page_age(const struct vmsim_page *page) { return (unsigned)(page->policy & 0xff); }
static void set_page_age(struct vmsim_page *page, unsigned age) { page->policy = age; }

/* touch_page() / the arithmetic part of age_page_up(). */
static unsigned age_up(const struct aging_state *st, unsigned age) {
  return MIN(age + param(st, P_ADVANCE), param(st, P_MAX));
}

/* age_page() (2.0) or age_page_down() (2.4.0). */
static unsigned age_down(const struct aging_state *st, unsigned age) {
  uint32_t d = param(st, P_DECLINE);
  if (st->variant == AGING_LINUX24)
    return age >> d;
  return age > d ? age - d : 0;
}

/* Unreferenced visits that take a page from age_max to 0. */
static uint64_t visits_to_zero(const struct aging_state *st) {
  uint64_t n = 0;
  for (unsigned age = param(st, P_MAX); age; age = age_down(st, age))
    n++;
  return n;
}

/* Referenced: a young PTE (tested and cleared) or PG_referenced. */
static bool page_was_referenced(vmsim_lruvec *lruvec, struct vmsim_page *page) {
  bool young = vmsim_page_referenced(lruvec, page) > 0;
  return vmsim_page_test_and_clear(page, VMSIM_PG_referenced) || young;
}

static bool reclaim_short(const vmsim_scan_control *sc) {
  return sc->nr_reclaimed < sc->nr_to_reclaim;
}

/*
 * Put `page` (isolated, or listed on `from`) at the head of `to`, counting
 * activations and deactivations.
 */
static void aging_put(vmsim_lruvec *lruvec, struct vmsim_page *page, unsigned from, unsigned to) {
  if (vmsim_page_test(page, VMSIM_PG_lru))
    vmsim_lru_del(lruvec, page);
  vmsim_lru_add(lruvec, to, page); /* sets or clears PG_active */
  bool was_inactive = from == AGING_INACTIVE_DIRTY || from == AGING_INACTIVE_CLEAN;
  if (was_inactive && to == AGING_ACTIVE)
    vmsim_count_event(lruvec, VMSIM_VM_pgactivate, 1);
  else if (from == AGING_ACTIVE && (to == AGING_INACTIVE_DIRTY || to == AGING_INACTIVE_CLEAN))
    vmsim_count_event(lruvec, VMSIM_VM_pgdeactivate, 1);
}

/* ---- linux24: memory_pressure and inactive_target ---------------------- */

static uint64_t node_pages(vmsim_lruvec *lruvec, struct aging_state *st) {
  if (!st->node_pages) {
    vmsim_sim *sim = vmsim_lruvec_sim(lruvec);
    for (int z = 0; z < VMSIM_NR_ZONES; z++) {
      vmsim_zone_info zi;
      if (vmsim_zone_get_info(sim, vmsim_lruvec_nid(lruvec), (enum vmsim_zone_type)z, &zi) == 0)
        st->node_pages += zi.spanned_pages;
    }
  }
  return st->node_pages;
}

/* recalculate_vm_stats(), once per simulated second that has passed. */
static void pressure_decay(vmsim_lruvec *lruvec, struct aging_state *st) {
  uint64_t sec = vmsim_time_now(vmsim_lruvec_sim(lruvec)) / NSEC_PER_SEC;
  while (st->pressure_sec < sec) {
    uint64_t d = st->memory_pressure >> INACTIVE_SHIFT;
    if (!d) {
      st->pressure_sec = sec; /* nothing more to take off */
      break;
    }
    st->memory_pressure -= d;
    st->pressure_sec++;
  }
}

static uint64_t inactive_target(vmsim_lruvec *lruvec, struct aging_state *st) {
  pressure_decay(lruvec, st);
  return MIN(st->memory_pressure >> INACTIVE_SHIFT, node_pages(lruvec, st) / 4);
}

/* MAX_LAUNDER = 4 << page_cluster, page_cluster from swap_setup(). */
static uint64_t max_launder(vmsim_lruvec *lruvec, struct aging_state *st) {
  uint64_t pages = node_pages(lruvec, st);
  unsigned page_cluster = pages < (16u << 20) / VMSIM_PAGE_SIZE   ? 2
                          : pages < (32u << 20) / VMSIM_PAGE_SIZE ? 3
                                                                  : 4;
  return UINT64_C(4) << page_cluster;
}

/* ---- callbacks ------------------------------------------------------------ */

static int aging_init(vmsim_lruvec *lruvec, void *state) {
  (void)lruvec, (void)state; /* the zeroed state is the default */
  return 0;
}

static void aging_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

static void aging_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  struct aging_state *st = state;
  unsigned age = MIN(param(st, P_INITIAL), param(st, P_MAX));
  set_page_age(page, age);
  if (vmsim_page_test(page, VMSIM_PG_mlocked)) {
    aging_put(lruvec, page, AGING_UNEVICTABLE, AGING_UNEVICTABLE);
    return;
  }
  if (st->variant == AGING_LINUX24) {
    st->memory_pressure++; /* __alloc_pages */
    /* lru_cache_add(): active, unless it starts at age 0 ("rare") */
    if (!age) {
      aging_put(lruvec, page, AGING_INACTIVE_DIRTY, AGING_INACTIVE_DIRTY);
      return;
    }
  }
  aging_put(lruvec, page, AGING_ACTIVE, AGING_ACTIVE);
}

static void aging_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  struct aging_state *st = state;
  if (st->variant == AGING_LINUX24 && st->memory_pressure)
    st->memory_pressure--; /* __free_pages_ok */
  vmsim_lru_del(lruvec, page);
}

/* age_page_up(): activate_page_nolock() first lifts an age of 0 to
 * initial_age ("a fair chance at staying active"), then the age advances. */
static unsigned age_up24(const struct aging_state *st, unsigned age) {
  return age_up(st, age ? age : MIN(param(st, P_INITIAL), param(st, P_MAX)));
}

/* age_page_up() of a page listed on, or isolated from, list `from`: a page
 * from an inactive list goes back to the active one. */
static void age_page_up24(vmsim_lruvec *lruvec, struct aging_state *st, struct vmsim_page *page,
                          unsigned from) {
  set_page_age(page, age_up24(st, page_age(page)));
  if (from == AGING_INACTIVE_DIRTY || from == AGING_INACTIVE_CLEAN)
    aging_put(lruvec, page, from, AGING_ACTIVE);
}

/* read() of a cached page: 2.0 find_page sets PG_referenced for the next
 * scan; 2.4.0 __find_page_nolock ages the page up at once. */
static void aging_mark_accessed(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  struct aging_state *st = state;
  if (st->variant == AGING_LINUX20 || !vmsim_page_test(page, VMSIM_PG_lru)) {
    vmsim_page_set(page, VMSIM_PG_referenced);
    return;
  }
  age_page_up24(lruvec, st, page, vmsim_page_lru(page));
}

/* Where a page reclaim could not free goes (2.4.0: "page_active" for pages
 * in use, inactive_dirty for those to retry later). */
static unsigned outcome_list24(enum vmsim_reclaim_outcome outcome) {
  switch (outcome) {
  case VMSIM_RECLAIM_KEEP_MLOCKED:
    return AGING_UNEVICTABLE;
  case VMSIM_RECLAIM_KEEP_MAPPED:
  case VMSIM_RECLAIM_KEEP_NOSWAP:
  case VMSIM_RECLAIM_KEEP_REFERENCED:
    return AGING_ACTIVE;
  default:
    return AGING_INACTIVE_DIRTY;
  }
}

/* ---- linux20 -------------------------------------------------------------- */

/* AGE_CLUSTER_SIZE(n) = max((n * 32) >> 10, 4). */
static uint64_t age_cluster_size(uint64_t n) { return MAX((n * 32) >> 10, 4); }

static void shrink20(vmsim_lruvec *lruvec, struct aging_state *st, vmsim_scan_control *sc) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, AGING_ACTIVE);
  uint64_t n = list->nr, budget;

  if (sc->on_demand) {
    /* Sweep until a page reaches age 0: the first sweep may only clear
     * references, then every page declines once per sweep. */
    budget = n * (visits_to_zero(st) + 2) + 1;
  } else {
    uint64_t cluster = age_cluster_size(n);
    budget = (n >> sc->priority) + 1;
    budget = MIN((budget + cluster - 1) / cluster * cluster, n);
  }
  while (budget-- && list->nr && reclaim_short(sc)) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_lru_isolate(lruvec, sc, page) != 0) {
      vmsim_lru_move(lruvec, page, AGING_ACTIVE, false); /* zone not eligible: pass */
      continue;
    }
    unsigned age = page_age(page);
    if (page_was_referenced(lruvec, page)) {
      set_page_age(page, age_up(st, age)); /* touch_page */
      vmsim_lru_add(lruvec, AGING_ACTIVE, page);
      continue;
    }
    age = age_down(st, age); /* age_page */
    set_page_age(page, age);
    enum vmsim_reclaim_outcome outcome =
        age ? VMSIM_RECLAIM_KEEP_REFERENCED : vmsim_reclaim_page(lruvec, sc, page,
                                                                  VMSIM_PAGEREF_RECLAIM);
    if (outcome != VMSIM_RECLAIM_FREED)
      aging_put(lruvec, page, AGING_ACTIVE,
                outcome == VMSIM_RECLAIM_KEEP_MLOCKED ? AGING_UNEVICTABLE : AGING_ACTIVE);
  }
}

/* ---- linux24 -------------------------------------------------------------- */

/* Must be written before it can be freed: dirty, or anon without a swap copy. */
static bool needs_write(const struct vmsim_page *page) {
  return vmsim_page_test(page, VMSIM_PG_dirty) ||
         (vmsim_page_test(page, VMSIM_PG_swapbacked) &&
          !vmsim_page_test(page, VMSIM_PG_swapcache));
}

/*
 * Isolate the tail of inactive list `lru` and handle what both inactive
 * scans share: true when the page is still to be decided (isolated, not
 * in use); false when it was passed over (zone) or went back to active
 * (referenced, or aged: "Page is or was in use?").
 */
static bool inactive_candidate(vmsim_lruvec *lruvec, struct aging_state *st,
                               vmsim_scan_control *sc, struct vmsim_page *page, unsigned lru) {
  if (vmsim_lru_isolate(lruvec, sc, page) != 0) {
    vmsim_lru_move(lruvec, page, lru, false);
    return false;
  }
  if (page_was_referenced(lruvec, page)) {
    age_page_up24(lruvec, st, page, lru);
    return false;
  }
  if (page_age(page) > 0) {
    aging_put(lruvec, page, lru, AGING_ACTIVE);
    return false;
  }
  return true;
}

/* Evict an isolated page; put it where the outcome says if it stays. */
static void evict24(vmsim_lruvec *lruvec, struct aging_state *st, vmsim_scan_control *sc,
                    struct vmsim_page *page, unsigned from, enum vmsim_pageref ref) {
  enum vmsim_reclaim_outcome outcome = vmsim_reclaim_page(lruvec, sc, page, ref);
  if (outcome == VMSIM_RECLAIM_FREED)
    st->memory_pressure++; /* reclaim_page: memory_pressure++ */
  else
    aging_put(lruvec, page, from, outcome_list24(outcome));
}

/* reclaim_page(): free clean pages from the inactive_clean tail. */
static void reclaim_clean24(vmsim_lruvec *lruvec, struct aging_state *st,
                            vmsim_scan_control *sc) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, AGING_INACTIVE_CLEAN);
  for (uint64_t maxscan = list->nr; maxscan && list->nr && reclaim_short(sc); maxscan--) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (!inactive_candidate(lruvec, st, sc, page, AGING_INACTIVE_CLEAN))
      continue;
    if (needs_write(page))
      aging_put(lruvec, page, AGING_INACTIVE_CLEAN, AGING_INACTIVE_DIRTY);
    else
      evict24(lruvec, st, sc, page, AGING_INACTIVE_CLEAN, VMSIM_PAGEREF_RECLAIM_CLEAN);
  }
}

/* page_launder(): one loop over inactive_dirty. Clean pages move to
 * inactive_clean; dirty ones are rotated, or on the launder loop (`write`)
 * written -- which in the simulator also frees them. */
static void launder24(vmsim_lruvec *lruvec, struct aging_state *st, vmsim_scan_control *sc,
                      bool write) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, AGING_INACTIVE_DIRTY);
  uint64_t launder = write ? max_launder(lruvec, st) : 0;
  for (uint64_t maxscan = list->nr; maxscan && list->nr && (!write || reclaim_short(sc));
       maxscan--) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (!inactive_candidate(lruvec, st, sc, page, AGING_INACTIVE_DIRTY))
      continue;
    if (!needs_write(page)) {
      aging_put(lruvec, page, AGING_INACTIVE_DIRTY, AGING_INACTIVE_CLEAN);
    } else if (launder) {
      launder--;
      evict24(lruvec, st, sc, page, AGING_INACTIVE_DIRTY, VMSIM_PAGEREF_RECLAIM);
    } else {
      vmsim_lru_add(lruvec, AGING_INACTIVE_DIRTY, page); /* to the back of the list */
    }
  }
}

/* refill_inactive_scan(): age nr_active >> priority pages from the active
 * tail, deactivating at most `shortage` of them. */
static void refill24(vmsim_lruvec *lruvec, struct aging_state *st, vmsim_scan_control *sc,
                     uint64_t shortage) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, AGING_ACTIVE);
  uint64_t maxscan = list->nr >> sc->priority;
  while (maxscan-- && list->nr && shortage) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_page_zonenum(page) > sc->reclaim_idx) {
      vmsim_lru_move(lruvec, page, AGING_ACTIVE, false);
      continue;
    }
    vmsim_count_event(lruvec, VMSIM_VM_pgrefill, 1);
    unsigned age = page_age(page);
    age = page_was_referenced(lruvec, page) ? age_up24(st, age) : age_down(st, age);
    set_page_age(page, age);
    if (age) {
      vmsim_lru_move(lruvec, page, AGING_ACTIVE, false);
    } else {
      aging_put(lruvec, page, AGING_ACTIVE, AGING_INACTIVE_DIRTY); /* deactivate_page */
      shortage--;
    }
  }
}

/* inactive_shortage(): target plus what reclaim still wants (freepages.high
 * - nr_free), less what the inactive lists hold. */
static uint64_t inactive_shortage(vmsim_lruvec *lruvec, struct aging_state *st,
                                  const vmsim_scan_control *sc) {
  uint64_t want = reclaim_short(sc) ? sc->nr_to_reclaim - sc->nr_reclaimed : 0;
  uint64_t have = vmsim_lruvec_list(lruvec, AGING_INACTIVE_DIRTY)->nr +
                  vmsim_lruvec_list(lruvec, AGING_INACTIVE_CLEAN)->nr;
  uint64_t need = inactive_target(lruvec, st) + want;
  return need > have ? need - have : 0;
}

static void shrink24(vmsim_lruvec *lruvec, struct aging_state *st, vmsim_scan_control *sc) {
  /* On demand, repeat until a page has aged to 0 and left: the first round
   * may only find references, then each round halves every active age, and
   * a deactivated page needs one more round to be laundered and freed. */
  uint64_t rounds = sc->on_demand ? visits_to_zero(st) + 4 : 1;
  do {
    reclaim_clean24(lruvec, st, sc);
    if (reclaim_short(sc)) {
      launder24(lruvec, st, sc, false);
      reclaim_clean24(lruvec, st, sc);
      if (reclaim_short(sc))
        launder24(lruvec, st, sc, true);
    }
    uint64_t shortage = inactive_shortage(lruvec, st, sc);
    if (shortage)
      refill24(lruvec, st, sc, shortage);
  } while (--rounds && reclaim_short(sc));
}

static void aging_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct aging_state *st = state;
  if (st->variant == AGING_LINUX24)
    shrink24(lruvec, st, sc);
  else
    shrink20(lruvec, st, sc);
}

/* ---- tunables ------------------------------------------------------------- */

/* The range of each constant, given the others. */
static uint32_t param_lo(enum aging_param p) { return p == P_INITIAL ? 0 : 1; }
static uint32_t param_hi(const struct aging_state *st, enum aging_param p) {
  if (p == P_MAX)
    return AGING_AGE_LIMIT;
  if (p == P_DECLINE && st->variant == AGING_LINUX24)
    return AGING_SHIFT_LIMIT;
  return param(st, P_MAX);
}

static bool param_ok(const struct aging_state *st, enum aging_param p) {
  uint32_t v = param(st, p);
  return v >= param_lo(p) && v <= param_hi(st, p);
}

/* The constant called `key`, or NR_PARAMS. */
static int param_index(const char *key) {
  int p = 0;
  while (p < NR_PARAMS && strcmp(key, aging_param_keys[p]) != 0)
    p++;
  return p;
}

/* Constant `p` is out of range; `key` is the tunable just set. */
static int param_error(const struct aging_state *st, enum aging_param p, const char *key,
                       char *msg, size_t len) {
  const char *why = p == P_MAX                                     ? ""
                    : p == P_DECLINE && st->variant == AGING_LINUX24 ? " (linux24: a right shift)"
                                                                     : " (at most age_max)";
  uint32_t v = param(st, p), lo = param_lo(p), hi = param_hi(st, p);
  if (strcmp(key, aging_param_keys[p]) == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "aging: %s = %u is out of range %u..%u%s", key, v,
                       lo, hi, why);
  return vmsim__errf(msg, len, VMSIM_ECONFIG,
                     "aging: with %s as set, %s = %u is out of range %u..%u%s", key,
                     aging_param_keys[p], v, lo, hi, why);
}

/* Every constant in its range: the one named `key` first, then those that
 * setting `key` may have pushed out of range. */
static int check_params(const struct aging_state *st, const char *key, char *msg, size_t len) {
  int k = param_index(key);
  if (k < NR_PARAMS && !param_ok(st, (enum aging_param)k))
    return param_error(st, (enum aging_param)k, key, msg, len);
  for (int p = 0; p < NR_PARAMS; p++)
    if (!param_ok(st, (enum aging_param)p))
      return param_error(st, (enum aging_param)p, key, msg, len);
  return 0;
}

static bool lists_empty(vmsim_lruvec *lruvec) {
  for (unsigned l = 0; l < AGING_NR_LISTS; l++)
    if (vmsim_lruvec_list(lruvec, l)->nr)
      return false;
  return true;
}

static int aging_configure(vmsim_lruvec *lruvec, void *state, const char *key, const char *value,
                           char *msg, size_t len) {
  struct aging_state *st = state, next = *st;
  if (strcmp(key, "variant") == 0) {
    for (next.variant = 0; next.variant < AGING_NR_VARIANTS; next.variant++)
      if (strcmp(value, aging_variant_names[next.variant]) == 0)
        break;
    if (next.variant == AGING_NR_VARIANTS)
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "aging: variant = '%s' is not one of linux20 | linux24", value);
    if (lruvec && next.variant != st->variant && !lists_empty(lruvec))
      return vmsim__errf(msg, len, VMSIM_EBUSY,
                         "aging: variant cannot change while pages are on the lists");
  } else {
    int p = param_index(key);
    if (p == NR_PARAMS)
      return VMSIM_ENOENT;
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end)
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "aging: %s = '%s' is not a whole number", key, value);
    next.value[p] = (uint32_t)MIN(v, (unsigned long)UINT32_MAX);
    next.set |= 1u << p;
  }
  int err = check_params(&next, key, msg, len);
  if (!err)
    *st = next;
  return err;
}

const vmsim_policy_ops vmsim__policy_aging = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "aging",                               /* registry name */
  .description = "page aging: Linux 2.0 ages, or 2.4.0 active/inactive_dirty/inactive_clean",
  .node_state_size = sizeof(struct aging_state), /* tunables, memory_pressure */
  .page_state_size = 1,                          /* the age, 0..255 */
  .nr_lists = AGING_NR_LISTS,                    /* active, inactive x2, unevictable */
  .list_names = aging_list_names,
  .list_kinds = aging_list_kinds,
  .init = aging_init,                            /* zeroed state = linux20 defaults */
  .fini = aging_fini,
  .page_add = aging_page_add,                    /* age initial_age, on active */
  .page_del = aging_page_del,
  .shrink = aging_shrink,                        /* 2.0 nibbling scan or 2.4.0 passes */
  .mark_accessed = aging_mark_accessed,          /* read(): PG_referenced / age up */
  .configure = aging_configure,                  /* variant and the four constants */
};
