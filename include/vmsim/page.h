/* SPDX-License-Identifier: MIT */
/*
 * The frame descriptor: one struct vmsim_page per simulated 4 KiB frame, the
 * analogue of the kernel's struct page. Policies and the hot path touch it
 * directly, so it is a plain struct; it must stay at most 64 bytes (one host
 * cache line), which a static assertion in tests/test_page.c enforces.
 *
 * Lists of pages (buddy free lists, LRU lists) are linked through lru_next /
 * lru_prev, which hold pfns rather than pointers: half the size, and a page
 * is on at most one list at a time, as in the kernel.
 */
#ifndef VMSIM_PAGE_H
#define VMSIM_PAGE_H

#include "common.h"

VMSIM_BEGIN_DECLS

/* Page flags, named after the kernel's PG_* bits. */
enum vmsim_pageflag {
  VMSIM_PG_locked,      /* I/O or reclaim holds the page */
  VMSIM_PG_referenced,  /* software referenced bit (mark_page_accessed) */
  VMSIM_PG_uptodate,    /* contents valid */
  VMSIM_PG_dirty,       /* contents newer than the backing store */
  VMSIM_PG_lru,         /* on an LRU list of its node's lruvec */
  VMSIM_PG_active,      /* on an active list */
  VMSIM_PG_workingset,  /* part of the working set (refault detection) */
  VMSIM_PG_writeback,   /* being written to its backing store */
  VMSIM_PG_reclaim,     /* reclaim wants it freed after writeback */
  VMSIM_PG_swapbacked,  /* backed by swap (anon or shmem) */
  VMSIM_PG_unevictable, /* on the unevictable list */
  VMSIM_PG_mlocked,     /* mapped by an mlocked VMA */
  VMSIM_PG_swapcache,   /* in the swap cache; `swap` holds the entry */
  VMSIM_PG_anon,        /* anonymous: `mapping` is an anon owner id */
  VMSIM_PG_buddy,       /* free, heads a buddy block; `private` is its order */
  VMSIM_PG_isolated,    /* taken off the LRU by reclaim */
  VMSIM_PG_reserved,    /* never given out */
  VMSIM_NR_PAGEFLAGS
};

/* The top 8 bits of flags hold the page's zone: node * VMSIM_NR_ZONES + zone.
 * Bits 20..23 hold the index of the LRU list the page is on while PG_lru
 * (the core's: read it with vmsim_page_lru()). */
#define VMSIM_PAGE_ZONEID_SHIFT 24
#define VMSIM_PAGE_LRU_SHIFT 20
#define VMSIM_PAGE_LRU_MASK (UINT32_C(15) << VMSIM_PAGE_LRU_SHIFT)
#define VMSIM_PAGE_FLAGS_MASK ((UINT32_C(1) << VMSIM_PAGE_ZONEID_SHIFT) - 1)

struct vmsim_page {
  uint32_t flags;        /* VMSIM_PG_* bits, zone id in the top byte */
  int32_t refcount;      /* references held (0 when free) */
  int32_t mapcount;      /* number of PTEs that map the page */
  uint32_t private;      /* buddy order while free; the core's scan hint while
                            on an LRU list (PG_lru); else owner-specific */
  vmsim_pfn_t lru_next;  /* list links (pfns), VMSIM_PFN_NONE at the ends */
  vmsim_pfn_t lru_prev;
  uint32_t mapping;      /* anon owner id or file id (0 = none) */
  uint32_t rmap;         /* head of the reverse-map chain (0 = empty) */
  uint64_t index;        /* file page offset, or virtual page number if anon */
  uint64_t swap;         /* swap entry while in the swap cache */
  uint64_t token;        /* content token: changes on every simulated write */
  uint64_t policy;       /* private to the replacement policy */
};

static inline bool vmsim_page_test(const struct vmsim_page *p, enum vmsim_pageflag f) {
  return (p->flags >> f) & 1u;
}
static inline void vmsim_page_set(struct vmsim_page *p, enum vmsim_pageflag f) {
  p->flags |= UINT32_C(1) << f;
}
static inline void vmsim_page_clear(struct vmsim_page *p, enum vmsim_pageflag f) {
  p->flags &= ~(UINT32_C(1) << f);
}
/* Set or clear `f`, returning its old value. */
static inline bool vmsim_page_test_and_set(struct vmsim_page *p, enum vmsim_pageflag f) {
  bool old = vmsim_page_test(p, f);
  vmsim_page_set(p, f);
  return old;
}
static inline bool vmsim_page_test_and_clear(struct vmsim_page *p, enum vmsim_pageflag f) {
  bool old = vmsim_page_test(p, f);
  vmsim_page_clear(p, f);
  return old;
}
static inline unsigned vmsim_page_nid(const struct vmsim_page *p) {
  return (p->flags >> VMSIM_PAGE_ZONEID_SHIFT) / VMSIM_NR_ZONES;
}
static inline enum vmsim_zone_type vmsim_page_zonenum(const struct vmsim_page *p) {
  return (enum vmsim_zone_type)((p->flags >> VMSIM_PAGE_ZONEID_SHIFT) % VMSIM_NR_ZONES);
}

/*
 * A list of pages linked through lru_next / lru_prev. `head` is the most
 * recently added end (the kernel's list_add), `tail` the oldest.
 */
typedef struct vmsim_list {
  vmsim_pfn_t head, tail;
  uint64_t nr;
} vmsim_list;

#define VMSIM_LIST_INIT {VMSIM_PFN_NONE, VMSIM_PFN_NONE, 0}

static inline void vmsim_list_init(vmsim_list *l) {
  l->head = l->tail = VMSIM_PFN_NONE;
  l->nr = 0;
}
static inline bool vmsim_list_empty(const vmsim_list *l) { return l->nr == 0; }

/* Add `pfn` at the head (list_add). mem_map is the machine's page array. */
static inline void vmsim_list_add(struct vmsim_page *mem_map, vmsim_list *l, vmsim_pfn_t pfn) {
  struct vmsim_page *p = &mem_map[pfn];
  p->lru_prev = VMSIM_PFN_NONE;
  p->lru_next = l->head;
  if (l->head != VMSIM_PFN_NONE)
    mem_map[l->head].lru_prev = pfn;
  else
    l->tail = pfn;
  l->head = pfn;
  l->nr++;
}
/* Add `pfn` at the tail (list_add_tail). */
static inline void vmsim_list_add_tail(struct vmsim_page *mem_map, vmsim_list *l, vmsim_pfn_t pfn) {
  struct vmsim_page *p = &mem_map[pfn];
  p->lru_next = VMSIM_PFN_NONE;
  p->lru_prev = l->tail;
  if (l->tail != VMSIM_PFN_NONE)
    mem_map[l->tail].lru_next = pfn;
  else
    l->head = pfn;
  l->tail = pfn;
  l->nr++;
}
/* Unlink `pfn`, which must be on `l`. */
static inline void vmsim_list_del(struct vmsim_page *mem_map, vmsim_list *l, vmsim_pfn_t pfn) {
  struct vmsim_page *p = &mem_map[pfn];
  if (p->lru_prev != VMSIM_PFN_NONE)
    mem_map[p->lru_prev].lru_next = p->lru_next;
  else
    l->head = p->lru_next;
  if (p->lru_next != VMSIM_PFN_NONE)
    mem_map[p->lru_next].lru_prev = p->lru_prev;
  else
    l->tail = p->lru_prev;
  p->lru_next = p->lru_prev = VMSIM_PFN_NONE;
  l->nr--;
}

VMSIM_END_DECLS

#endif /* VMSIM_PAGE_H */
