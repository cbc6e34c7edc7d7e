/* SPDX-License-Identifier: MIT */
/*
 * lru: exact Least Recently Used.
 *
 * *** An unrealisable ideal. No kernel can implement this. ***
 * It needs to hear about EVERY memory access (the `access` callback, made
 * by the simulator on each vmsim_access()), and real hardware reports none:
 * an access that hits the TLB leaves no trace but a sticky accessed bit.
 * Kernels approximate LRU with CLOCK and active/inactive lists instead.
 * This policy exists to measure how close those approximations come, and
 * to check the simulator against textbook fault counts. Asking for the
 * per-access notification takes the access path off its fast path.
 *
 * Algorithm: one list ordered by recency: each access (and each read() of
 *   a file page) moves the page to the head; reclaim evicts from the tail,
 *   the page unused for longest. It is FIFO in which every access makes the
 *   page arrive again, so it shares fifo.c's list and eviction. It works
 *   in on-demand mode and under kswapd alike: kswapd just evicts from the
 *   same tail, ahead of need.
 * Era: the stack algorithm of Mattson et al. (1970); the yardstick of
 *   replacement since the 1960s, never implemented exactly for paging.
 * State: list 0 "lru" (head = most recently used), list 1 "unevictable"
 *   (mlocked pages). No per-page or per-node state.
 * Invariants: the evictable list is in exact recency order; mlocked pages
 *   are only on the unevictable list; a page that reclaim could not free
 *   keeps its place at the old end.
 * Cost: O(1) per access (a list move), per page added or freed, and per
 *   page examined by reclaim; no rmap walks.
 * Source: R. L. Mattson, J. Gecsei, D. R. Slutz, I. L. Traiger,
 *   "Evaluation techniques for storage hierarchies", IBM Systems Journal
 *   9(2), 1970; A. S. Tanenbaum, Modern Operating Systems, "The Least
 *   Recently Used (LRU) Page Replacement Algorithm".
 */
#include "fifo.h"

static const char *const lru_list_names[FIFO_NR_LISTS] = {"lru", "unevictable"};
static const enum vmsim_lru_kind lru_list_kinds[FIFO_NR_LISTS] = {VMSIM_LRU_KIND_INACTIVE,
                                                                  VMSIM_LRU_KIND_UNEVICTABLE};

/* The page was used now: to the head, unless it is mlocked. */
static void lru_touch(vmsim_lruvec *lruvec, struct vmsim_page *page) {
  if (vmsim_page_test(page, VMSIM_PG_lru) && vmsim_page_lru(page) == FIFO_LIST)
    vmsim_lru_move(lruvec, page, FIFO_LIST, false);
}

static void lru_access(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page,
                       const vmsim_access_info *info) {
  (void)state, (void)info;
  lru_touch(lruvec, page);
}

static void lru_mark_accessed(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  lru_touch(lruvec, page);
}

const vmsim_policy_ops vmsim__policy_lru = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "lru",                                 /* registry name */
  .description = "exact LRU (ideal: sees every access; no kernel can)",
  .node_state_size = 0,                          /* stateless */
  .page_state_size = 0,                          /* no per-page state */
  .nr_lists = FIFO_NR_LISTS,                     /* lru + unevictable */
  .list_names = lru_list_names,
  .list_kinds = lru_list_kinds,
  .init = vmsim__fifo_init,                      /* nothing to set up */
  .fini = vmsim__fifo_fini,
  .page_add = vmsim__fifo_page_add,              /* new pages are the most recent */
  .page_del = vmsim__fifo_page_del,
  .shrink = vmsim__fifo_shrink,                  /* evict from the tail */
  .mark_accessed = lru_mark_accessed,            /* read(): to the head */
  .access = lru_access,                          /* every access: to the head */
};
