/* SPDX-License-Identifier: MIT */
/*
 * clock: the CLOCK (second-chance) algorithm.
 *
 * Algorithm: pages sit on one circular list in arrival order; the clock hand
 *   is the list's tail. Reclaim looks at the page under the hand: if it was
 *   referenced since the hand last passed (a young PTE found by
 *   vmsim_page_referenced(), or PG_referenced from a read()), the bit is
 *   cleared and the page goes to the head (it gets a second chance);
 *   otherwise the page is evicted.
 * Era: Corbató's CLOCK (1968), the classic approximation of LRU; Linux's
 *   2.2 shrink_mmap() swept the page cache this way. Here a reference for
 *   checking and teaching, and the simple default of the reclaim engine.
 * State: list 0 "clock" (tail = hand), list 1 "unevictable" (mlocked
 *   pages). No per-page state beyond PG_referenced.
 * Invariants: every evictable page the policy owns is on the clock list
 *   or isolated for reclaim; mlocked pages are only on the unevictable list.
 * Cost: O(1) per page added or freed; reclaim is O(pages examined), with
 *   one rmap walk (page_referenced) per examined page. A full sweep clears
 *   every reference, so an eviction needs at most list-size + 1 steps.
 * Source: F. J. Corbató, "A paging experiment with the Multics system"
 *   (MIT Project MAC, 1968); A. S. Tanenbaum, Modern Operating Systems,
 *   "The Clock Page Replacement Algorithm".
 */
#include <vmsim/policy.h>

enum { CLOCK_LIST, CLOCK_UNEVICTABLE, CLOCK_NR_LISTS };

static const char *const clock_list_names[CLOCK_NR_LISTS] = {"clock", "unevictable"};
static const enum vmsim_lru_kind clock_list_kinds[CLOCK_NR_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

static int clock_init(vmsim_lruvec *lruvec, void *state) {
  (void)lruvec, (void)state;
  return 0;
}

static void clock_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

static void clock_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_add(lruvec, vmsim_page_test(page, VMSIM_PG_mlocked) ? CLOCK_UNEVICTABLE : CLOCK_LIST,
                page);
}

static void clock_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

static void clock_mark_accessed(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)lruvec, (void)state;
  vmsim_page_set(page, VMSIM_PG_referenced);
}

/* Put back a page reclaim could not free: mlocked ones aside, the rest to
 * the head, where they wait a whole sweep before being looked at again. */
static void clock_putback(vmsim_lruvec *lruvec, struct vmsim_page *page,
                          enum vmsim_reclaim_outcome outcome) {
  vmsim_lru_add(lruvec, outcome == VMSIM_RECLAIM_KEEP_MLOCKED ? CLOCK_UNEVICTABLE : CLOCK_LIST,
                page);
}

static void clock_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, CLOCK_LIST);
  (void)state;

  /* Scan budget: (size >> priority) + 1 per pass as shrink_list() does;
   * on demand, up to two sweeps (the first may only clear references). */
  uint64_t budget = sc->on_demand ? 2 * list->nr + 1 : (list->nr >> sc->priority) + 1;
  uint64_t skipped = 0;

  while (budget-- && list->nr > skipped && sc->nr_reclaimed < sc->nr_to_reclaim) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_lru_isolate(lruvec, sc, page) != 0) {
      /* Not eligible for this reclaim (zone): pass over it. */
      vmsim_lru_move(lruvec, page, CLOCK_LIST, false);
      skipped++;
      continue;
    }
    bool young = vmsim_page_referenced(lruvec, page) > 0;
    young |= vmsim_page_test_and_clear(page, VMSIM_PG_referenced);
    if (young) {
      vmsim_lru_add(lruvec, CLOCK_LIST, page); /* second chance */
      continue;
    }
    enum vmsim_reclaim_outcome outcome =
        vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
    if (outcome != VMSIM_RECLAIM_FREED)
      clock_putback(lruvec, page, outcome);
  }
}

const vmsim_policy_ops vmsim__policy_clock = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "clock",                               /* registry name */
  .description = "CLOCK / second chance on the PTE accessed bit",
  .node_state_size = 0,                          /* stateless */
  .page_state_size = 0,                          /* uses PG_referenced only */
  .nr_lists = CLOCK_NR_LISTS,                    /* clock + unevictable */
  .list_names = clock_list_names,
  .list_kinds = clock_list_kinds,
  .init = clock_init,                            /* nothing to set up */
  .fini = clock_fini,
  .page_add = clock_page_add,                    /* new pages at the head */
  .page_del = clock_page_del,
  .shrink = clock_shrink,                        /* sweep from the tail */
  .mark_accessed = clock_mark_accessed,          /* read(): PG_referenced */
};
