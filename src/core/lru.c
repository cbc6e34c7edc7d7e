/* SPDX-License-Identifier: MIT */
/*
 * The reclaim domain of each node (its lruvec): the policy's LRU lists, the
 * list helpers policies call, and the hooks through which the fault path
 * hands pages to the policy.
 *
 * While a page is on a list (PG_lru), bits of its flags hold the list's
 * index and `private` a scan hint (see scan_ahead()). The
 * core keeps, per node, the number of listed pages by anon/file and list
 * kind, and the vmstat nr_{in,}active_{anon,file} / nr_unevictable /
 * nr_isolated_* counters, so that policies cannot get them wrong.
 */
#include "lru.h"

#include "swap.h"

static unsigned stat_item(const struct vmsim_lruvec *lv, unsigned lru, bool anon) {
  switch (lv->ops->list_kinds[lru]) {
  case VMSIM_LRU_KIND_ACTIVE:
    return anon ? VMSIM_VM_nr_active_anon : VMSIM_VM_nr_active_file;
  case VMSIM_LRU_KIND_UNEVICTABLE:
    return VMSIM_VM_nr_unevictable;
  case VMSIM_LRU_KIND_INACTIVE:
  default:
    return anon ? VMSIM_VM_nr_inactive_anon : VMSIM_VM_nr_inactive_file;
  }
}

static bool page_is_anon(const struct vmsim_page *page) {
  return vmsim_page_test(page, VMSIM_PG_swapbacked);
}

static void account(vmsim_lruvec *lv, unsigned lru, const struct vmsim_page *page, int64_t d) {
  bool anon = page_is_anon(page);
  lv->size[anon][lv->ops->list_kinds[lru]] += (uint64_t)d;
  lv->sim->vmstat[stat_item(lv, lru, anon)] += (uint64_t)d;
}

static void unisolate(vmsim_lruvec *lv, struct vmsim_page *page) {
  if (vmsim_page_test_and_clear(page, VMSIM_PG_isolated))
    lv->sim->vmstat[page_is_anon(page) ? VMSIM_VM_nr_isolated_anon : VMSIM_VM_nr_isolated_file]--;
}

_Static_assert(VMSIM_NR_PAGEFLAGS <= VMSIM_PAGE_LRU_SHIFT, "page flags overlap the list index");
_Static_assert(VMSIM_MAX_LRU_LISTS <= (VMSIM_PAGE_LRU_MASK >> VMSIM_PAGE_LRU_SHIFT) + 1,
               "the list index does not fit its bits of the page flags");
_Static_assert((VMSIM_LRU_RING & (VMSIM_LRU_RING - 1)) == 0 && VMSIM_LRU_RING > VMSIM_LRU_SKIP &&
                   VMSIM_LRU_SKIP > VMSIM_LRU_PTE_LAG,
               "the hint rings: a power of two, longer than the links reach");

static unsigned page_lru(const struct vmsim_page *page) {
  return (page->flags & VMSIM_PAGE_LRU_MASK) >> VMSIM_PAGE_LRU_SHIFT;
}
static void set_page_lru(struct vmsim_page *page, unsigned lru) {
  page->flags = (page->flags & ~VMSIM_PAGE_LRU_MASK) | (uint32_t)lru << VMSIM_PAGE_LRU_SHIFT;
}

/*
 * Frame `pfn` joins the head of `lru`: the page that joined VMSIM_LRU_SKIP adds
 * ago, if still on the list, links to it. A scan from the tail that is
 * steady (pages leave from the tail in the order they joined) then finds
 * in each page it takes the page VMSIM_LRU_SKIP places ahead.
 */
static void note_added(vmsim_lruvec *lv, unsigned lru, vmsim_pfn_t pfn) {
  struct vmsim_lru_hints *h = &lv->hints[lru];
  uint32_t n = h->nr_added++;
  vmsim_pfn_t older = h->added[(n - VMSIM_LRU_SKIP) % VMSIM_LRU_RING];
  if (older != VMSIM_PFN_NONE) {
    struct vmsim_page *p = &lv->sim->mem_map[older];
    if (vmsim_page_test(p, VMSIM_PG_lru) && page_lru(p) == lru)
      p->private = pfn;
  }
  h->added[n % VMSIM_LRU_RING] = pfn;
}

static void lru_insert(vmsim_lruvec *lv, unsigned lru, struct vmsim_page *page, bool tail) {
  vmsim_pfn_t pfn = vmsim__page_to_pfn(lv->sim, page);
  assert(lru < lv->ops->nr_lists && !vmsim_page_test(page, VMSIM_PG_lru));
  unisolate(lv, page);
  page->private = VMSIM_PFN_NONE; /* no link until a later add makes one */
  if (tail) {
    vmsim_list_add_tail(lv->sim->mem_map, &lv->lists[lru], pfn);
  } else {
    vmsim_list_add(lv->sim->mem_map, &lv->lists[lru], pfn);
    note_added(lv, lru, pfn);
  }
  vmsim_page_set(page, VMSIM_PG_lru);
  /* PG_active says which side of the LRU a page is on, as in the kernel:
   * it follows the list's kind, so no policy has to keep it in step. */
  if (lv->ops->list_kinds[lru] == VMSIM_LRU_KIND_ACTIVE)
    vmsim_page_set(page, VMSIM_PG_active);
  else
    vmsim_page_clear(page, VMSIM_PG_active);
  set_page_lru(page, lru);
  account(lv, lru, page, 1);
}

void vmsim_lru_add(vmsim_lruvec *lv, unsigned lru, struct vmsim_page *page) {
  lru_insert(lv, lru, page, false);
}

void vmsim_lru_add_tail(vmsim_lruvec *lv, unsigned lru, struct vmsim_page *page) {
  lru_insert(lv, lru, page, true);
}

/* Fetch what reclaim reads of a page whose struct is cached: its PTE (the
 * rmap walk) and its swap slot (swap_duplicate on unmap). */
static ALWAYS_INLINE void fetch_for_reclaim(vmsim_sim *sim, const struct vmsim_page *page) {
  vmsim__rmap_prefetch(sim, page);
  if (vmsim_page_test(page, VMSIM_PG_swapcache))
    vmsim__swap_prefetch(sim, page->swap);
}

/* The chain's hints, for pages without skip links: the page two ahead of
 * the one taken (whose struct the previous departure fetched) gets its PTE
 * and swap slot fetched, the page three ahead its struct. */
static void scan_ahead_chain(vmsim_sim *sim, vmsim_pfn_t prev) {
  if (prev == VMSIM_PFN_NONE)
    return;
  const struct vmsim_page *next = &sim->mem_map[prev];
  if (next->lru_prev == VMSIM_PFN_NONE)
    return;
  const struct vmsim_page *after = &sim->mem_map[next->lru_prev];
  fetch_for_reclaim(sim, after);
  if (after->lru_prev != VMSIM_PFN_NONE)
    __builtin_prefetch(&sim->mem_map[after->lru_prev]);
}

/*
 * Hints for a scan that took `page` (frame `pfn`) from the tail of list
 * `lru`: reclaim (isolation, the active list's aging) scans from the tail,
 * so the pages before it are likely the next to go. The list is a chain,
 * one dependent host miss a page if followed; instead the page's skip link
 * (note_added()) names the page VMSIM_LRU_SKIP places ahead, whose struct
 * is fetched now, and the page so named VMSIM_LRU_PTE_LAG departures ago,
 * whose struct has arrived, gets its PTE and swap slot fetched: a dozen
 * misses in flight at once, none waiting for another.
 *
 * A link is right when the list's order near the tail is the order pages
 * were added in, as with FIFO-like lists (fifo, clock, the inactive and
 * active lists of twolist and fivelist, where a page once added leaves
 * from the tail). A policy that moves pages about (exact LRU moves every
 * accessed page to the head) leaves links to pages no longer ahead. So
 * each departure checks the link taken VMSIM_LRU_SKIP departures ago
 * against the page leaving now, and while more links were wrong than
 * right lately, the chain's hints stand in (as they do for pages with no
 * link: added at the tail, or on a short list). Hints only: a wrong link
 * costs a wasted fetch, no more.
 */
static void scan_ahead(vmsim_lruvec *lv, unsigned lru, const struct vmsim_page *page,
                       vmsim_pfn_t pfn) {
  vmsim_sim *sim = lv->sim;
  struct vmsim_lru_hints *h = &lv->hints[lru];
  uint32_t n = h->nr_departed++;
  vmsim_pfn_t named = h->fetched[(n - VMSIM_LRU_SKIP) % VMSIM_LRU_RING];
  vmsim_pfn_t due = h->fetched[(n - VMSIM_LRU_PTE_LAG) % VMSIM_LRU_RING];
  vmsim_pfn_t skip = page->private < sim->nr_pages ? page->private : VMSIM_PFN_NONE;
  h->fetched[n % VMSIM_LRU_RING] = skip;
  if (named == pfn)
    h->trust += h->trust < VMSIM_LRU_TRUST_MAX;
  else if (named != VMSIM_PFN_NONE)
    h->trust -= h->trust > -VMSIM_LRU_TRUST_MAX;
  if (h->trust < 0 || due == VMSIM_PFN_NONE) {
    scan_ahead_chain(sim, page->lru_prev);
    return;
  }
  if (skip != VMSIM_PFN_NONE)
    __builtin_prefetch(&sim->mem_map[skip]);
  fetch_for_reclaim(sim, &sim->mem_map[due]);
}

/* vmsim_lru_del(), inline in the calls that take a page off its list. */
static ALWAYS_INLINE void lru_unlink(vmsim_lruvec *lv, struct vmsim_page *page) {
  if (vmsim_page_test_and_clear(page, VMSIM_PG_lru)) {
    unsigned lru = page_lru(page);
    vmsim_pfn_t pfn = vmsim__page_to_pfn(lv->sim, page);
    if (page->lru_next == VMSIM_PFN_NONE) /* the tail: a scan, most likely */
      scan_ahead(lv, lru, page, pfn);
    vmsim_list_del(lv->sim->mem_map, &lv->lists[lru], pfn);
    account(lv, lru, page, -1);
    page->private = 0;
    set_page_lru(page, 0);
  }
  unisolate(lv, page);
}

void vmsim_lru_del(vmsim_lruvec *lv, struct vmsim_page *page) { lru_unlink(lv, page); }

void vmsim_lru_move(vmsim_lruvec *lv, struct vmsim_page *page, unsigned lru, bool tail) {
  lru_unlink(lv, page);
  lru_insert(lv, lru, page, tail);
}

unsigned vmsim_page_lru(const struct vmsim_page *page) { return page_lru(page); }

int vmsim_lru_isolate(vmsim_lruvec *lv, vmsim_scan_control *sc, struct vmsim_page *page) {
  vmsim_sim *sim = lv->sim;
  if (!vmsim_page_test(page, VMSIM_PG_lru))
    return VMSIM_EINVAL;
  if (vmsim_page_zonenum(page) > sc->reclaim_idx)
    return VMSIM_EAGAIN;
  lru_unlink(lv, page);
  bool anon = page_is_anon(page);
  vmsim_page_set(page, VMSIM_PG_isolated);
  sim->vmstat[anon ? VMSIM_VM_nr_isolated_anon : VMSIM_VM_nr_isolated_file]++;
  sim->vmstat[sc->kswapd ? VMSIM_VM_pgscan_kswapd : VMSIM_VM_pgscan_direct]++;
  sim->vmstat[anon ? VMSIM_VM_pgscan_anon : VMSIM_VM_pgscan_file]++;
  sc->nr_scanned++;
  return 0;
}

vmsim_sim *vmsim_lruvec_sim(vmsim_lruvec *lv) { return lv->sim; }

uint64_t vmsim_lruvec_free_pages(const vmsim_lruvec *lv) {
  uint64_t free = 0;
  for (int z = 0; z < VMSIM_NR_ZONES; z++)
    free += lv->node->zones[z].nr_free;
  return free;
}

uint64_t vmsim_lruvec_high_wmark(const vmsim_lruvec *lv) {
  uint64_t high = 0;
  for (int z = 0; z < VMSIM_NR_ZONES; z++)
    if (vmsim__zone_populated(&lv->node->zones[z]))
      high += lv->node->zones[z].watermark[VMSIM_WMARK_HIGH];
  return high;
}
uint32_t vmsim_lruvec_nid(const vmsim_lruvec *lv) { return lv->node->id; }
struct vmsim_page *vmsim_lruvec_mem_map(vmsim_lruvec *lv) { return lv->sim->mem_map; }

const vmsim_list *vmsim_lruvec_list(const vmsim_lruvec *lv, unsigned lru) {
  return lru < lv->ops->nr_lists ? &lv->lists[lru] : NULL;
}

uint64_t vmsim_lruvec_size(const vmsim_lruvec *lv, bool anon, enum vmsim_lru_kind kind) {
  return (unsigned)kind <= VMSIM_LRU_KIND_UNEVICTABLE ? lv->size[anon][kind] : 0;
}

void vmsim_count_event(vmsim_lruvec *lv, enum vmsim_vmstat_item item, uint64_t n) {
  if ((unsigned)item < VMSIM_NR_VMSTAT)
    lv->sim->vmstat[item] += n;
}

/* ---- hooks of the fault path ------------------------------------------ */

static vmsim_lruvec *page_lruvec(vmsim_sim *sim, const struct vmsim_page *page) {
  return sim->nodes[vmsim_page_nid(page)].lruvec;
}

void vmsim__lru_add(vmsim_sim *sim, struct vmsim_page *page) {
  vmsim_lruvec *lv = page_lruvec(sim, page);
  lv->ops->page_add(lv, lv->state, page);
  if (!vmsim_page_test(page, VMSIM_PG_lru)) {
    /* A policy must list every page it is given. */
    sim->integrity_errors++;
    vmsim_lru_add(lv, 0, page);
  }
}

void vmsim__lru_del(vmsim_sim *sim, struct vmsim_page *page) {
  vmsim_lruvec *lv = page_lruvec(sim, page);
  lv->ops->page_del(lv, lv->state, page);
  if (vmsim_page_test(page, VMSIM_PG_lru) || vmsim_page_test(page, VMSIM_PG_isolated)) {
    sim->integrity_errors++;
    vmsim_lru_del(lv, page);
  }
}

void vmsim__mark_page_accessed(vmsim_sim *sim, struct vmsim_page *page) {
  vmsim_lruvec *lv = page_lruvec(sim, page);
  if (vmsim__ops_has(lv->ops, mark_accessed))
    lv->ops->mark_accessed(lv, lv->state, page);
}

void vmsim__lru_refault(vmsim_sim *sim, struct vmsim_page *page, uint64_t shadow) {
  vmsim_lruvec *lv = page_lruvec(sim, page);
  if (vmsim__ops_has(lv->ops, refault))
    lv->ops->refault(lv, lv->state, page, shadow);
}

void vmsim__lru_putback_isolated(vmsim_sim *sim, struct vmsim_node *node) {
  for (uint64_t i = 0; i < node->spanned_pages; i++) {
    struct vmsim_page *page = &sim->mem_map[node->start_pfn + i];
    if (vmsim_page_test(page, VMSIM_PG_isolated))
      vmsim_lru_add(node->lruvec, 0, page);
  }
}

/* ---- per-node setup --------------------------------------------------- */

int vmsim__lruvecs_init(vmsim_sim *sim, const vmsim_policy_ops *ops) {
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    vmsim_lruvec *lv = vmsim__calloc(1, sizeof(*lv));
    if (!lv)
      return VMSIM_ENOMEM;
    sim->nodes[nid].lruvec = lv;
    lv->sim = sim;
    lv->node = &sim->nodes[nid];
    lv->ops = ops;
    for (unsigned i = 0; i < VMSIM_MAX_LRU_LISTS; i++) {
      vmsim_list_init(&lv->lists[i]);
      for (unsigned j = 0; j < VMSIM_LRU_RING; j++)
        lv->hints[i].added[j] = lv->hints[i].fetched[j] = VMSIM_PFN_NONE;
    }
    if (ops->node_state_size && !(lv->state = vmsim__calloc(1, ops->node_state_size)))
      return VMSIM_ENOMEM;
    int err = ops->init(lv, lv->state);
    if (err)
      return err;
    lv->initialised = true;
    for (uint32_t i = 0; i < sim->cfg.nr_policy_params; i++) {
      const char *key = sim->cfg.policy_params[i].key;
      err = vmsim__ops_has(ops, configure)
                ? ops->configure(lv, lv->state, key, sim->cfg.policy_params[i].value, NULL, 0)
                : VMSIM_ENOENT;
      if (err)
        return err == VMSIM_ENOENT ? VMSIM_ECONFIG : err;
    }
  }
  sim->access_notify = vmsim__ops_has(ops, access);
  return 0;
}

void vmsim__lruvecs_fini(vmsim_sim *sim) {
  /* A machine whose creation failed early may have no nodes yet. */
  for (uint32_t nid = 0; sim->nodes && nid < sim->nr_nodes; nid++) {
    vmsim_lruvec *lv = sim->nodes[nid].lruvec;
    if (!lv)
      continue;
    if (lv->initialised)
      lv->ops->fini(lv, lv->state);
    vmsim__free(lv->state);
    vmsim__free(lv);
    sim->nodes[nid].lruvec = NULL;
  }
}
