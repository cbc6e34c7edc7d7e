/* SPDX-License-Identifier: MIT */
/*
 * fifo: first in, first out.
 *
 * Algorithm: pages sit on one list in the order they arrived (entered the
 *   reclaim domain); reclaim evicts the oldest. References are ignored
 *   entirely: no accessed bit is read, no read() promotes a page. A page
 *   reclaim cannot free right now (locked, dirty while writing is off, anon
 *   with no swap) keeps its place at the old end.
 * Era: the first replacement rule of paged machines (early 1960s), and the
 *   textbook baseline that Belady showed can fault MORE with more frames
 *   (Belady's anomaly: 1,2,3,4,1,2,5,1,2,3,4,5 faults 9 times with 3 frames
 *   and 10 times with 4). A reference for checking and teaching.
 * State: list 0 "fifo" (head = newest, tail = oldest), list 1
 *   "unevictable" (mlocked pages). No per-page or per-node state.
 * Invariants: every evictable page the policy owns is on the fifo list, in
 *   arrival order, or isolated for reclaim; mlocked pages are only on the
 *   unevictable list. Pages of zones above sc->reclaim_idx stay in place.
 * Cost: O(1) per page added or freed; reclaim is O(pages examined) with no
 *   rmap walk at all. On demand it examines at most the whole list.
 * Source: L. A. Belady, "A study of replacement algorithms for a
 *   virtual-storage computer", IBM Systems Journal 5(2), 1966; L. A. Belady,
 *   R. A. Nelson, G. S. Shedler, "An anomaly in space-time characteristics
 *   of certain programs running in a paging machine", CACM 12(6), 1969.
 */
#include "fifo.h"

static const char *const fifo_list_names[FIFO_NR_LISTS] = {"fifo", "unevictable"};
static const enum vmsim_lru_kind fifo_list_kinds[FIFO_NR_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

int vmsim__fifo_init(vmsim_lruvec *lruvec, void *state) {
  (void)lruvec, (void)state;
  return 0;
}

void vmsim__fifo_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

void vmsim__fifo_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_add(lruvec, vmsim_page_test(page, VMSIM_PG_mlocked) ? FIFO_UNEVICTABLE : FIFO_LIST,
                page);
}

void vmsim__fifo_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

/*
 * Evict from the tail of the list (the oldest end). Pages of zones above
 * sc->reclaim_idx are passed over in place. Pages reclaim could not free
 * wait on a private list, as the kernel's shrink_folio_list() keeps its
 * folios, and go back to the old end afterwards in their original order.
 */
void vmsim__fifo_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, FIFO_LIST);
  vmsim_list kept = VMSIM_LIST_INIT; /* newest at the head */
  (void)state;

  /* Scan budget: (size >> priority) + 1 as shrink_list() does; on demand,
   * the whole list, so that an evictable page is always found. */
  uint64_t budget = sc->on_demand ? list->nr : (list->nr >> sc->priority) + 1;
  vmsim_pfn_t pfn = list->tail;

  while (budget-- && pfn != VMSIM_PFN_NONE && sc->nr_reclaimed < sc->nr_to_reclaim) {
    struct vmsim_page *page = &mem_map[pfn];
    vmsim_pfn_t self = pfn;
    pfn = page->lru_prev; /* the next older page, read before this one leaves */
    if (vmsim_lru_isolate(lruvec, sc, page) != 0)
      continue; /* a zone this reclaim may not touch: leave it in place */
    enum vmsim_reclaim_outcome outcome =
        vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
    if (outcome == VMSIM_RECLAIM_KEEP_MLOCKED)
      vmsim_lru_add(lruvec, FIFO_UNEVICTABLE, page);
    else if (outcome != VMSIM_RECLAIM_FREED)
      vmsim_list_add(mem_map, &kept, self); /* still isolated: on no LRU list */
  }
  /* Newest kept page first to the tail, so the oldest ends up last. */
  while (kept.head != VMSIM_PFN_NONE) {
    vmsim_pfn_t k = kept.head;
    vmsim_list_del(mem_map, &kept, k);
    vmsim_lru_add_tail(lruvec, FIFO_LIST, &mem_map[k]);
  }
}

const vmsim_policy_ops vmsim__policy_fifo = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "fifo",                                /* registry name */
  .description = "FIFO: evict in arrival order, ignore references",
  .node_state_size = 0,                          /* stateless */
  .page_state_size = 0,                          /* no per-page state */
  .nr_lists = FIFO_NR_LISTS,                     /* fifo + unevictable */
  .list_names = fifo_list_names,
  .list_kinds = fifo_list_kinds,
  .init = vmsim__fifo_init,                      /* nothing to set up */
  .fini = vmsim__fifo_fini,
  .page_add = vmsim__fifo_page_add,              /* arrivals at the head */
  .page_del = vmsim__fifo_page_del,
  .shrink = vmsim__fifo_shrink,                  /* evict from the tail */
};
