/* SPDX-License-Identifier: MIT */
/*
 * opt: Belady's MIN, the optimal offline replacement.
 *
 * *** An unrealisable ideal: it needs to know the future. ***
 * It reads, on EVERY access (the `access` callback), when the page will be
 * used next: vmsim_access_info.next_use, which only a workload that knows
 * its future supplies, through vmsim_access_future() (a trace read ahead,
 * or a reference string with a backward pass). It gives the fewest faults
 * any policy can have on demand paging, so it is the yardstick below which
 * no real policy goes.
 *
 * Algorithm: evict the resident page whose next use lies farthest in the
 *   future. A page with no known future (reached only through
 *   vmsim_access(), or brought in by read() or read-ahead, or never
 *   accessed since it arrived) counts as never used again and goes first.
 *   Ties, which only such pages can have, go to the lowest pfn. Reclaim
 *   under kswapd evicts in the same order, ahead of need.
 * Era: L. A. Belady's MIN (1966), proved optimal by Mattson et al. (1970).
 * State: per node, a binary max-heap of the node's evictable pages keyed
 *   by next use, with the heap position of each frame (indexed by pfn from
 *   the node's first frame; sized from the node's zones at init).
 *   page->policy holds next_use + 1, so that the 0 every frame starts with
 *   means "no known future" (UINT64_MAX + 1 wraps to 0 too). Lists: 0
 *   "resident" (in no particular order), 1 "unevictable" (mlocked).
 * Invariants: outside shrink(), a page is in the heap if and only if it is
 *   on the resident list; every heap entry's key is >= its children's keys
 *   (ties: lower pfn above); pos[] and heap[] are inverse of each other.
 *   Mlocked pages are only on the unevictable list and never in the heap.
 * Cost: O(log n) per access, per page added or freed, and per page
 *   examined by reclaim (n = the node's evictable pages); 8 bytes of host
 *   memory per frame of the node. No rmap walks.
 * Source: L. A. Belady, "A study of replacement algorithms for a
 *   virtual-storage computer", IBM Systems Journal 5(2), 1966; R. L.
 *   Mattson et al., "Evaluation techniques for storage hierarchies", IBM
 *   Systems Journal 9(2), 1970.
 */
#include "internal.h"

enum { OPT_LIST, OPT_UNEVICTABLE, OPT_NR_LISTS };

static const char *const opt_list_names[OPT_NR_LISTS] = {"resident", "unevictable"};
static const enum vmsim_lru_kind opt_list_kinds[OPT_NR_LISTS] = {VMSIM_LRU_KIND_INACTIVE,
                                                                 VMSIM_LRU_KIND_UNEVICTABLE};

struct opt_node {
  struct vmsim_page *mem_map;
  vmsim_pfn_t start;    /* the node's first pfn */
  uint32_t nr_frames;   /* frames the node spans: the capacity of heap[] */
  uint32_t nr;          /* pages in the heap: heap[0 .. nr) */
  vmsim_pfn_t *heap;    /* pfns; the page to evict first at [0] */
  uint32_t *pos;        /* pos[pfn - start]: heap index + 1, 0 = not in it */
};

/* The next use of a page: the farther, the sooner it goes. */
static uint64_t opt_key(const struct vmsim_page *page) { return page->policy - 1; }

/* Should the page at pfn a be evicted before the one at b? */
static bool opt_before(const struct opt_node *st, vmsim_pfn_t a, vmsim_pfn_t b) {
  uint64_t ka = opt_key(&st->mem_map[a]), kb = opt_key(&st->mem_map[b]);
  return ka > kb || (ka == kb && a < b);
}

static void opt_place(struct opt_node *st, uint32_t i, vmsim_pfn_t pfn) {
  st->heap[i] = pfn;
  st->pos[pfn - st->start] = i + 1;
}

static void opt_sift_up(struct opt_node *st, uint32_t i) {
  vmsim_pfn_t pfn = st->heap[i];
  while (i > 0 && opt_before(st, pfn, st->heap[(i - 1) / 2])) {
    opt_place(st, i, st->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  opt_place(st, i, pfn);
}

static void opt_sift_down(struct opt_node *st, uint32_t i) {
  vmsim_pfn_t pfn = st->heap[i];
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= st->nr)
      break;
    if (c + 1 < st->nr && opt_before(st, st->heap[c + 1], st->heap[c]))
      c++;
    if (!opt_before(st, st->heap[c], pfn))
      break;
    opt_place(st, i, st->heap[c]);
    i = c;
  }
  opt_place(st, i, pfn);
}

static void opt_heap_push(struct opt_node *st, vmsim_pfn_t pfn) {
  st->heap[st->nr] = pfn;
  opt_sift_up(st, st->nr++);
}

/* Restore the heap order around `pfn`, whose key changed. */
static void opt_heap_fix(struct opt_node *st, vmsim_pfn_t pfn) {
  const uint32_t *p = &st->pos[pfn - st->start];
  opt_sift_up(st, *p - 1);
  opt_sift_down(st, *p - 1);
}

/* Take the page at heap index i out of the heap. */
static void opt_heap_remove(struct opt_node *st, uint32_t i) {
  st->pos[st->heap[i] - st->start] = 0;
  if (i == --st->nr)
    return;
  opt_place(st, i, st->heap[st->nr]);
  opt_heap_fix(st, st->heap[i]);
}

static vmsim_pfn_t opt_pfn(const struct opt_node *st, const struct vmsim_page *page) {
  return (vmsim_pfn_t)(page - st->mem_map);
}

static int opt_init(vmsim_lruvec *lruvec, void *state) {
  struct opt_node *st = state;
  vmsim_sim *sim = vmsim_lruvec_sim(lruvec);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int z = 0; z < VMSIM_NR_ZONES; z++) {
    vmsim_zone_info zi;
    if (vmsim_zone_get_info(sim, vmsim_lruvec_nid(lruvec), (enum vmsim_zone_type)z, &zi) == 0 &&
        zi.populated) {
      lo = MIN(lo, zi.start_pfn);
      hi = MAX(hi, zi.start_pfn + zi.spanned_pages);
    }
  }
  st->mem_map = vmsim_lruvec_mem_map(lruvec);
  if (hi <= lo)
    return 0; /* a node without memory never has pages */
  st->start = (vmsim_pfn_t)lo;
  st->nr_frames = (uint32_t)(hi - lo);
  st->heap = vmsim__calloc(st->nr_frames, sizeof(*st->heap));
  st->pos = vmsim__calloc(st->nr_frames, sizeof(*st->pos));
  if (!st->heap || !st->pos) {
    vmsim__free(st->heap);
    vmsim__free(st->pos);
    return VMSIM_ENOMEM; /* fini is not called when init fails */
  }
  return 0;
}

static void opt_fini(vmsim_lruvec *lruvec, void *state) {
  struct opt_node *st = state;
  (void)lruvec;
  vmsim__free(st->heap);
  vmsim__free(st->pos);
}

static void opt_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  struct opt_node *st = state;
  /* page->policy is kept: a page moved between lists (mlock, munlock)
   * keeps the future it was told; a new frame starts at 0, "unknown". */
  if (vmsim_page_test(page, VMSIM_PG_mlocked)) {
    vmsim_lru_add(lruvec, OPT_UNEVICTABLE, page);
    return;
  }
  vmsim_lru_add(lruvec, OPT_LIST, page);
  opt_heap_push(st, opt_pfn(st, page));
}

static void opt_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  struct opt_node *st = state;
  uint32_t p = st->pos[opt_pfn(st, page) - st->start];
  if (p)
    opt_heap_remove(st, p - 1);
  vmsim_lru_del(lruvec, page);
}

static void opt_access(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page,
                       const vmsim_access_info *info) {
  struct opt_node *st = state;
  (void)lruvec;
  page->policy = info->next_use + 1; /* UINT64_MAX (no future) wraps to 0 */
  if (st->pos[opt_pfn(st, page) - st->start])
    opt_heap_fix(st, opt_pfn(st, page));
}

/*
 * Pop the page to evict first and try it. Pages that stay (a zone this
 * reclaim may not touch, locked, no swap, ...) are parked at the far end of
 * heap[] (the heap and the parked pages together never exceed the node's
 * evictable pages) and pushed back when the pass ends, so that each page
 * is tried at most once per pass.
 */
static void opt_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct opt_node *st = state;
  uint32_t parked = 0;

  uint64_t budget = sc->on_demand ? st->nr : (st->nr >> sc->priority) + 1;
  while (budget-- && st->nr && sc->nr_reclaimed < sc->nr_to_reclaim) {
    vmsim_pfn_t pfn = st->heap[0];
    struct vmsim_page *page = &st->mem_map[pfn];
    opt_heap_remove(st, 0);
    if (vmsim_lru_isolate(lruvec, sc, page) == 0) {
      enum vmsim_reclaim_outcome outcome =
          vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
      if (outcome == VMSIM_RECLAIM_FREED)
        continue;
      if (outcome == VMSIM_RECLAIM_KEEP_MLOCKED) {
        vmsim_lru_add(lruvec, OPT_UNEVICTABLE, page);
        continue;
      }
      vmsim_lru_add(lruvec, OPT_LIST, page);
    }
    st->heap[st->nr_frames - ++parked] = pfn;
  }
  while (parked)
    opt_heap_push(st, st->heap[st->nr_frames - parked--]);
}

const vmsim_policy_ops vmsim__policy_opt = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "opt",                                 /* registry name */
  .description = "Belady's MIN (ideal: knows each page's next use)",
  .node_state_size = sizeof(struct opt_node),    /* the heap */
  .page_state_size = sizeof(uint64_t),           /* next use + 1 */
  .nr_lists = OPT_NR_LISTS,                      /* resident + unevictable */
  .list_names = opt_list_names,
  .list_kinds = opt_list_kinds,
  .init = opt_init,                              /* size the heap from the node */
  .fini = opt_fini,
  .page_add = opt_page_add,                      /* into the heap, future kept */
  .page_del = opt_page_del,                      /* out of the heap */
  .shrink = opt_shrink,                          /* evict the farthest next use */
  .access = opt_access,                          /* every access: new next use */
  .flags = VMSIM_POLICY_F_FUTURE,                /* drivers must supply next_use */
};
