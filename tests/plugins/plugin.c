/* SPDX-License-Identifier: MIT */
/*
 * Test plugins for tests/test_plugin.c, one shared object per variant of
 * this file (tests/plugins/meson.build passes -DPLUGIN_<VARIANT>):
 *
 *   NOSYM     exports no vmsim_policy_entry
 *   ABI99     abi_version 99
 *   SMALL     struct_size smaller than a version-1 table
 *   NULLCB    the required shrink callback is NULL
 *   BADNAME   the name "Bad Name" (not [a-z0-9_-]+)
 *   DUPNAME   the name "clock", which a built-in has
 *   OLDABI    a working FIFO whose struct_size stops after `shrink`, as if
 *             built before the optional members existed: the members past
 *             it are set to functions that abort, to prove the library
 *             never reads them.
 *
 * Only the public headers are used, as out of tree.
 */
#include <stdlib.h>

#include <vmsim/vmsim.h>

enum { PLUGIN_LIST, PLUGIN_UNEVICTABLE, PLUGIN_NR_LISTS };
static const char *const plugin_list_names[PLUGIN_NR_LISTS] = {"fifo", "unevictable"};
static const enum vmsim_lru_kind plugin_list_kinds[PLUGIN_NR_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

static int plugin_init(vmsim_lruvec *lruvec, void *state) {
  (void)lruvec, (void)state;
  return 0;
}

static void plugin_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

static void plugin_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_add(lruvec, vmsim_page_test(page, VMSIM_PG_mlocked) ? PLUGIN_UNEVICTABLE : PLUGIN_LIST,
                page);
}

static void plugin_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

/* FIFO from the tail; pages that cannot go now return to the head.
 * (Unused in the NULLCB variant.) */
__attribute__((unused)) static void plugin_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, PLUGIN_LIST);
  uint64_t budget = sc->on_demand ? list->nr : (list->nr >> sc->priority) + 1;
  vmsim_pfn_t pfn = list->tail;
  (void)state;
  while (budget-- && pfn != VMSIM_PFN_NONE && sc->nr_reclaimed < sc->nr_to_reclaim) {
    struct vmsim_page *page = &mem_map[pfn];
    pfn = page->lru_prev;
    if (vmsim_lru_isolate(lruvec, sc, page) != 0)
      continue;
    enum vmsim_reclaim_outcome outcome =
        vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
    if (outcome != VMSIM_RECLAIM_FREED)
      vmsim_lru_add(lruvec,
                    outcome == VMSIM_RECLAIM_KEEP_MLOCKED ? PLUGIN_UNEVICTABLE : PLUGIN_LIST, page);
  }
}

#ifdef PLUGIN_OLDABI
/* Past struct_size: the library must not call these. */
static void never_mark_accessed(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)lruvec, (void)state, (void)page;
  abort();
}
static void never_access(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page,
                         const vmsim_access_info *info) {
  (void)lruvec, (void)state, (void)page, (void)info;
  abort();
}
#endif

#if defined(PLUGIN_ABI99)
#define PLUGIN_NAME "abi99"
#define PLUGIN_ABI 99
#elif defined(PLUGIN_BADNAME)
#define PLUGIN_NAME "Bad Name"
#elif defined(PLUGIN_DUPNAME)
#define PLUGIN_NAME "clock"
#elif defined(PLUGIN_OLDABI)
#define PLUGIN_NAME "oldabi"
#define PLUGIN_SIZE (offsetof(vmsim_policy_ops, shrink) + sizeof(void (*)(void)))
#elif defined(PLUGIN_SMALL)
#define PLUGIN_NAME "small"
#define PLUGIN_SIZE offsetof(vmsim_policy_ops, shrink)
#else
#define PLUGIN_NAME "plugin"
#endif
#ifndef PLUGIN_ABI
#define PLUGIN_ABI VMSIM_POLICY_ABI_VERSION
#endif
#ifndef PLUGIN_SIZE
#define PLUGIN_SIZE sizeof(vmsim_policy_ops)
#endif

static const vmsim_policy_ops plugin_ops = {
  .abi_version = PLUGIN_ABI,                     /* 99 for ABI99 */
  .struct_size = PLUGIN_SIZE,                    /* short for SMALL and OLDABI */
  .name = PLUGIN_NAME,                           /* bad for BADNAME, DUPNAME */
  .description = "a test plugin (tests/plugins/plugin.c)",
  .node_state_size = 0,                          /* stateless */
  .page_state_size = 0,                          /* no per-page state */
  .nr_lists = PLUGIN_NR_LISTS,                   /* fifo + unevictable */
  .list_names = plugin_list_names,
  .list_kinds = plugin_list_kinds,
  .init = plugin_init,                           /* nothing to set up */
  .fini = plugin_fini,
  .page_add = plugin_page_add,                   /* arrivals at the head */
  .page_del = plugin_page_del,
#ifndef PLUGIN_NULLCB
  .shrink = plugin_shrink,                       /* evict from the tail */
#endif
#ifdef PLUGIN_OLDABI
  .mark_accessed = never_mark_accessed,          /* beyond struct_size */
  .access = never_access,                        /* beyond struct_size */
#endif
};

#ifndef PLUGIN_NOSYM
__attribute__((visibility("default"))) const vmsim_policy_ops *vmsim_policy_entry(void);
const vmsim_policy_ops *vmsim_policy_entry(void) { return &plugin_ops; }
#else
/* Something else, so the object is not empty. */
__attribute__((visibility("default"))) const vmsim_policy_ops *not_the_entry(void);
const vmsim_policy_ops *not_the_entry(void) { return &plugin_ops; }
#endif
