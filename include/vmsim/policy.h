/* SPDX-License-Identifier: MIT */
/*
 * The replacement-policy plugin API.
 *
 * A policy decides which pages reclaim keeps and which it evicts; the core
 * does the mechanics (isolating, unmapping through the reverse map, writing
 * to swap or back to the file, freeing to the buddy allocator) and reports
 * what happened to each candidate.
 *
 * A policy is a `vmsim_policy_ops` table. Like SQLite's sqlite3_io_methods,
 * the table is versioned and append-only: `abi_version` and `struct_size`
 * say which version the policy was built against, new members are only ever
 * added at the end, and the core calls an optional member only when the
 * table is large enough to have it and the pointer is not NULL. A policy
 * built against an older ABI therefore keeps loading.
 *
 * The state of a policy lives per NUMA node, in the node's lruvec: the core
 * allocates `node_state_size` zeroed bytes for each node and passes them to
 * every callback. Each page on the policy's lists also has 8 bytes of its
 * own, `page->policy`. A listed page's links (`lru_next`, `lru_prev`) and
 * `private` (a scan hint) are the core's: read the links, write neither.
 *
 * How a policy learns about references: the way a kernel does. Hardware
 * sets the accessed bit in the PTEs; a policy asks vmsim_page_referenced()
 * to test and clear those bits over the reverse map (an rmap walk, counted
 * because it is expensive), and gets explicit mark_accessed events for file
 * reads. Only reference policies that model an unrealisable ideal (exact
 * LRU, Belady's OPT) should set `access`: it is called on EVERY simulated
 * access, which no real kernel can do. A policy without it costs nothing on
 * the access path.
 *
 * A policy loaded from a shared object exports one symbol,
 * `vmsim_policy_entry`, a function returning its table (see
 * VMSIM_POLICY_ENTRY_SYMBOL).
 */
#ifndef VMSIM_POLICY_H
#define VMSIM_POLICY_H

#include "common.h"
#include "page.h"
#include "sim.h"

VMSIM_BEGIN_DECLS

/* Version 1: the first ABI. */
#define VMSIM_POLICY_ABI_VERSION 1

/* At most this many LRU lists per node. */
#define VMSIM_MAX_LRU_LISTS 8

/* A node's reclaim domain: its LRU lists and the policy's state. Opaque. */
typedef struct vmsim_lruvec vmsim_lruvec;

/*
 * One reclaim pass, as the kernel's struct scan_control. The core fills the
 * first part; the policy reads it, and the core updates the counters as the
 * policy isolates and reclaims.
 */
typedef struct vmsim_scan_control {
  uint64_t nr_to_reclaim;          /* stop once nr_reclaimed reaches this */
  int priority;                    /* DEF_PRIORITY (12) down to 0: scan list >> priority */
  unsigned order;                  /* the allocation order reclaim is for */
  enum vmsim_zone_type reclaim_idx; /* reclaim pages of zones up to this one only */
  bool may_writepage;              /* may write dirty pages out */
  bool may_unmap;                  /* may unmap mapped pages */
  bool may_swap;                   /* may swap anon pages out (swap space exists) */
  bool kswapd;                     /* kswapd, not direct reclaim */
  bool on_demand;                  /* exactly nr_to_reclaim pages, one at a time */
  uint32_t swappiness;             /* 0..200 */
  uint32_t cpu;                    /* the CPU reclaiming, UINT32_MAX for kswapd */
  vmsim_time_t cost;               /* simulated time reclaim spent (the core adds) */
  uint64_t nr_scanned;             /* pages isolated and considered */
  uint64_t nr_reclaimed;           /* pages freed */
} vmsim_scan_control;

/* What the policy decided about a candidate (folio_check_references). */
enum vmsim_pageref {
  VMSIM_PAGEREF_RECLAIM,       /* evict it */
  VMSIM_PAGEREF_RECLAIM_CLEAN, /* evict it only if clean (no writeback) */
  VMSIM_PAGEREF_KEEP,          /* keep it on the inactive side (rotate) */
  VMSIM_PAGEREF_ACTIVATE,      /* keep it and promote it */
};

/* What happened to a candidate the policy asked the core to reclaim. */
enum vmsim_reclaim_outcome {
  VMSIM_RECLAIM_FREED,        /* unmapped, written if dirty, and freed */
  VMSIM_RECLAIM_KEEP_LOCKED,  /* locked by someone else */
  VMSIM_RECLAIM_KEEP_MLOCKED, /* mlocked: belongs on an unevictable list */
  VMSIM_RECLAIM_KEEP_MAPPED,  /* mapped, and sc->may_unmap is off */
  VMSIM_RECLAIM_KEEP_DIRTY,   /* dirty, and writing is not allowed now */
  VMSIM_RECLAIM_KEEP_NOSWAP,  /* anon with no swap space (or may_swap off) */
  VMSIM_RECLAIM_KEEP_ZONE,    /* in a zone above sc->reclaim_idx */
  VMSIM_RECLAIM_KEEP_REFERENCED, /* the reference decision was KEEP or ACTIVATE */
};

/* An LRU list's kind, for reports and for the sizes the core keeps. */
enum vmsim_lru_kind {
  VMSIM_LRU_KIND_INACTIVE, /* candidates for eviction */
  VMSIM_LRU_KIND_ACTIVE,   /* protected */
  VMSIM_LRU_KIND_UNEVICTABLE,
};

/* What a per-access notification carries. */
typedef struct vmsim_access_info {
  uint32_t cpu, pid;
  uint64_t vaddr;
  bool write;
  uint64_t seq;       /* index of the access in the run (0, 1, ...) */
  uint64_t next_use;  /* seq of the next access to the same page, if the
                         workload knows it (a trace with a future), else
                         UINT64_MAX */
} vmsim_access_info;

typedef struct vmsim_policy_ops {
  /* ---- version 1 ---------------------------------------------------- */
  uint32_t abi_version;     /* VMSIM_POLICY_ABI_VERSION when built */
  uint32_t struct_size;     /* sizeof(vmsim_policy_ops) when built */
  const char *name;         /* short, unique: [a-z0-9_-]+ */
  const char *description;  /* one line */
  size_t node_state_size;   /* bytes of zeroed per-node state (may be 0) */
  uint32_t page_state_size; /* bytes of page->policy it uses, 0..8 */
  uint32_t nr_lists;        /* LRU lists per node, 1..VMSIM_MAX_LRU_LISTS */
  const char *const *list_names;           /* nr_lists names */
  const enum vmsim_lru_kind *list_kinds;   /* nr_lists kinds */

  /* Required. */
  /* Set up / tear down the state of one node (the lists start empty). */
  int (*init)(vmsim_lruvec *lruvec, void *state);
  void (*fini)(vmsim_lruvec *lruvec, void *state);
  /* A page enters the reclaim domain (folio_add_lru): put it on a list
   * with vmsim_lru_add(). Mlocked pages (VMSIM_PG_mlocked) must go on an
   * unevictable list if the policy has one, and must never be evicted. */
  void (*page_add)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
  /* A page leaves it because its owner freed it (exit, munmap): it is on
   * one of the policy's lists, or isolated by the policy; take it off with
   * vmsim_lru_del() and forget it. */
  void (*page_del)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
  /* Reclaim: scan candidates, isolate them (vmsim_lru_isolate), decide, and
   * call vmsim_reclaim_page() on those to evict; put the rest back. Stop
   * when sc->nr_reclaimed >= sc->nr_to_reclaim or the scan budget for
   * sc->priority is spent. With sc->on_demand, evict exactly
   * nr_to_reclaim pages if any evictable page exists. */
  void (*shrink)(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc);

  /* Optional: NULL means "not needed". */
  /* An explicit access outside the MMU: a read() of a file page. */
  void (*mark_accessed)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
  /* Called each time kswapd finishes a balancing run: for background aging. */
  void (*age)(vmsim_lruvec *lruvec, void *state);
  /* The page is about to be evicted: return a shadow value (non-zero) to
   * keep in its place in the page cache or swap slot, or 0. */
  uint64_t (*evict)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
  /* The page was faulted back in where a shadow value was left; called
   * before page_add. */
  void (*refault)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page, uint64_t shadow);
  /* EVERY simulated access to a page on this node (see the note above). */
  void (*access)(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page,
                 const vmsim_access_info *info);
  /* A tunable from the configuration (policy_params), called after init
   * for each one: parse and range-check `value`; return VMSIM_ECONFIG with a
   * message naming the key and the allowed range for a bad value, or
   * VMSIM_ENOENT for a key the policy does not have. vmsim_config_validate()
   * calls it with lruvec NULL and a zeroed state to check a configuration:
   * then it must only parse and check. */
  int (*configure)(vmsim_lruvec *lruvec, void *state, const char *key, const char *value,
                   char *msg, size_t len);
  /* VMSIM_POLICY_F_* bits. */
  uint32_t flags;
} vmsim_policy_ops;

/* The policy needs each access's next use (vmsim_access_future): a driver
 * replaying a trace computes it for such a policy. */
#define VMSIM_POLICY_F_FUTURE (1u << 0)

/* The symbol a policy shared object exports. */
#define VMSIM_POLICY_ENTRY_SYMBOL "vmsim_policy_entry"
typedef const vmsim_policy_ops *(*vmsim_policy_entry_fn)(void);

/* ---- registry ----------------------------------------------------------- */

/* Check a table; VMSIM_EABI or VMSIM_EINVAL with a message naming the field. */
VMSIM_EXPORT int vmsim_policy_validate(const vmsim_policy_ops *ops, char *msg, size_t len);
/* Register a policy by name (process-global, thread-safe). */
VMSIM_EXPORT int vmsim_policy_register(const vmsim_policy_ops *ops, char *msg, size_t len);
/* Load a policy from a shared object and register it; the name goes to *name. */
VMSIM_EXPORT int vmsim_policy_load(const char *path, const char **name, char *msg, size_t len);
/* The registered policy called `name`, or NULL. Built-ins are always there. */
VMSIM_EXPORT const vmsim_policy_ops *vmsim_policy_find(const char *name);
/* The i-th registered policy (built-ins first), or NULL past the end. */
VMSIM_EXPORT const vmsim_policy_ops *vmsim_policy_at(size_t i);

/* ---- helpers a policy calls ------------------------------------------- */

VMSIM_EXPORT vmsim_sim *vmsim_lruvec_sim(vmsim_lruvec *lruvec);
VMSIM_EXPORT uint32_t vmsim_lruvec_nid(const vmsim_lruvec *lruvec);
/* The frame descriptor array, for the list helpers of <vmsim/page.h>. */
VMSIM_EXPORT struct vmsim_page *vmsim_lruvec_mem_map(vmsim_lruvec *lruvec);
/* List `lru` of the node, read-only: walk it with head/tail and lru_next/prev. */
VMSIM_EXPORT const vmsim_list *vmsim_lruvec_list(const vmsim_lruvec *lruvec, unsigned lru);
/* Pages on the node's lists holding anon (swap-backed) or file pages, by kind. */
VMSIM_EXPORT uint64_t vmsim_lruvec_size(const vmsim_lruvec *lruvec, bool anon,
                                        enum vmsim_lru_kind kind);
/* Free swap slots left on all devices. */
VMSIM_EXPORT uint64_t vmsim_lruvec_swap_free(const vmsim_lruvec *lruvec);
/* The node's free pages, all zones (the kernel's sum of NR_FREE_PAGES). */
VMSIM_EXPORT uint64_t vmsim_lruvec_free_pages(const vmsim_lruvec *lruvec);
/* The sum of the HIGH watermarks of the node's populated zones (6.x
 * prepare_scan_control()'s total_high_wmark). Cheap enough for every shrink,
 * unlike vmsim_zone_get_info(), which copies a whole zone's state. */
VMSIM_EXPORT uint64_t vmsim_lruvec_high_wmark(const vmsim_lruvec *lruvec);
/* The list `page` is on (it must be on one). */
VMSIM_EXPORT unsigned vmsim_page_lru(const struct vmsim_page *page);

/* Put a page that is on no list at the head (most recent) or tail of `lru`.
 * Sets VMSIM_PG_active if `lru` is of kind VMSIM_LRU_KIND_ACTIVE, clears it
 * otherwise (so do vmsim_lru_add_tail and vmsim_lru_move). */
VMSIM_EXPORT void vmsim_lru_add(vmsim_lruvec *lruvec, unsigned lru, struct vmsim_page *page);
VMSIM_EXPORT void vmsim_lru_add_tail(vmsim_lruvec *lruvec, unsigned lru, struct vmsim_page *page);
/* Take a page off its list (or out of isolation). A page taken from a
 * list's tail has the pages before it fetched into the host's cache (their
 * structs, PTEs and swap slots): a scan that walks from the tail, taking
 * or moving each page it looks at, runs ahead of its misses for free. */
VMSIM_EXPORT void vmsim_lru_del(vmsim_lruvec *lruvec, struct vmsim_page *page);
/* Move a listed page to the head (or tail) of list `lru` (may be its own). */
VMSIM_EXPORT void vmsim_lru_move(vmsim_lruvec *lruvec, struct vmsim_page *page, unsigned lru,
                                 bool tail);
/*
 * Isolate a listed page for reclaim (isolate_lru_folios): it leaves its
 * list, counts as scanned, and must end either in vmsim_reclaim_page()
 * returning VMSIM_RECLAIM_FREED or back on a list. Fails with
 * VMSIM_EAGAIN, leaving it listed, if its zone is above sc->reclaim_idx.
 */
VMSIM_EXPORT int vmsim_lru_isolate(vmsim_lruvec *lruvec, vmsim_scan_control *sc,
                                   struct vmsim_page *page);
/*
 * page_referenced(): test and clear the accessed bit of every PTE that maps
 * the page (flushing the TLB entries that could hide a later access), and
 * return how many were set. Counted: an rmap walk per call.
 */
VMSIM_EXPORT unsigned vmsim_page_referenced(vmsim_lruvec *lruvec, struct vmsim_page *page);
/*
 * shrink_folio_list() for one isolated page the policy chose to evict:
 * swap slot for anon, unmap, write out if dirty, free. On FREED the page is
 * gone (do not touch it); otherwise it is still isolated and the policy
 * puts it back where the outcome says it belongs.
 */
VMSIM_EXPORT enum vmsim_reclaim_outcome vmsim_reclaim_page(vmsim_lruvec *lruvec,
                                                           vmsim_scan_control *sc,
                                                           struct vmsim_page *page,
                                                           enum vmsim_pageref ref);
/* Count an event under its /proc/vmstat name (pgactivate, pgrotated, ...). */
VMSIM_EXPORT void vmsim_count_event(vmsim_lruvec *lruvec, enum vmsim_vmstat_item item,
                                    uint64_t n);

VMSIM_END_DECLS

#endif /* VMSIM_POLICY_H */
