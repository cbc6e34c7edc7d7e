/* SPDX-License-Identifier: MIT */
/*
 * random: evict a page chosen at random. A complete replacement policy for
 * libvmsim in one file, built out of tree as a shared object and loaded at
 * run time. Copy it and change shrink() to try your own idea.
 *
 * Algorithm: reclaim starts at a random position of the list and evicts the
 *   first page it can, walking toward the tail and wrapping around.
 *   References are ignored.
 * State: per node, the state of a xorshift64* generator, seeded from the
 *   machine's seed (vmsim_config.seed) and the node id, or from the policy
 *   parameter `seed`; so runs are reproducible. Lists: "random" (every
 *   evictable page) and "unevictable" (mlocked pages).
 * Cost: O(list length) per eviction (walking to the random position).
 *
 * Build:  cc -shared -fPIC -o random.so random.c $(pkg-config --cflags --libs vmsim)
 * Run:    vmsim_policy_load("./random.so", &name, msg, sizeof msg), then
 *         set vmsim_config.policy to "random" (see README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsim/vmsim.h>

/* Every policy lists its pages on lists it names. Mlocked pages must be
 * kept apart, on a list of kind UNEVICTABLE, and never evicted. */
enum { RANDOM_LIST, RANDOM_UNEVICTABLE, RANDOM_NR_LISTS };
static const char *const random_list_names[RANDOM_NR_LISTS] = {"random", "unevictable"};
static const enum vmsim_lru_kind random_list_kinds[RANDOM_NR_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

/* Per-node state: the core allocates node_state_size zeroed bytes. */
struct random_state {
  uint64_t x;
};

static uint64_t random_next(struct random_state *st) {
  st->x ^= st->x >> 12;
  st->x ^= st->x << 25;
  st->x ^= st->x >> 27;
  return st->x * UINT64_C(2685821657736338717);
}

static int random_init(vmsim_lruvec *lruvec, void *state) {
  struct random_state *st = state;
  const vmsim_config *cfg = vmsim_sim_config(vmsim_lruvec_sim(lruvec));
  st->x = (cfg->seed ^ (vmsim_lruvec_nid(lruvec) + 1) * UINT64_C(0x9e3779b97f4a7c15)) | 1;
  return 0;
}

static void random_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }

static void random_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_add(lruvec, vmsim_page_test(page, VMSIM_PG_mlocked) ? RANDOM_UNEVICTABLE : RANDOM_LIST,
                page);
}

static void random_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

/*
 * The policy's decision. The rules every shrink() keeps:
 *  - isolate a page before deciding (vmsim_lru_isolate); it fails, leaving
 *    the page listed, for pages of zones this reclaim may not touch;
 *  - every isolated page ends freed by vmsim_reclaim_page() or back on a list;
 *  - stop once sc->nr_reclaimed reaches sc->nr_to_reclaim;
 *  - with sc->on_demand, evict exactly that many if any page can go: so
 *    here, on demand, the walk may visit every page.
 */
static void random_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc) {
  struct random_state *st = state;
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, RANDOM_LIST);
  uint64_t budget = sc->on_demand ? 2 * list->nr : (list->nr >> sc->priority) + 1;
  if (list->nr == 0)
    return;

  vmsim_pfn_t pfn = list->head;
  for (uint64_t skip = random_next(st) % list->nr; skip; skip--)
    pfn = mem_map[pfn].lru_next;
  while (budget-- && list->nr && sc->nr_reclaimed < sc->nr_to_reclaim) {
    if (pfn == VMSIM_PFN_NONE)
      pfn = list->head; /* wrap around */
    struct vmsim_page *page = &mem_map[pfn];
    pfn = page->lru_next; /* read before the page leaves the list */
    if (vmsim_lru_isolate(lruvec, sc, page) != 0)
      continue;
    enum vmsim_reclaim_outcome outcome =
        vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
    if (outcome == VMSIM_RECLAIM_KEEP_MLOCKED)
      vmsim_lru_add(lruvec, RANDOM_UNEVICTABLE, page);
    else if (outcome != VMSIM_RECLAIM_FREED)
      vmsim_lru_add(lruvec, RANDOM_LIST, page); /* could not go now: try it later */
  }
}

/* Optional: a tunable, from vmsim_config.policy_params ("seed" = "N"). */
static int random_configure(vmsim_lruvec *lruvec, void *state, const char *key, const char *value,
                            char *msg, size_t len) {
  struct random_state *st = state;
  if (strcmp(key, "seed") != 0)
    return VMSIM_ENOENT;
  char *end;
  uint64_t seed = strtoull(value, &end, 0);
  if (*value == '\0' || *end != '\0') {
    if (msg)
      snprintf(msg, len, "policy 'random': seed '%s' is not a number (0..2^64-1)", value);
    return VMSIM_ECONFIG;
  }
  if (lruvec) /* NULL: vmsim_config_validate() only asks whether it parses */
    st->x = seed | 1; /* xorshift state must not be 0 */
  return 0;
}

/* The table: static const, one trailing comment per slot. */
static const vmsim_policy_ops random_ops = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* the ABI compiled against */
  .struct_size = sizeof(vmsim_policy_ops),       /* the table size compiled against */
  .name = "random",                              /* unique, [a-z0-9_-]+ */
  .description = "evict a page chosen at random (seeded)",
  .node_state_size = sizeof(struct random_state), /* zeroed, per node */
  .page_state_size = 0,                          /* page->policy unused */
  .nr_lists = RANDOM_NR_LISTS,                   /* random + unevictable */
  .list_names = random_list_names,
  .list_kinds = random_list_kinds,
  .init = random_init,                           /* seed the generator */
  .fini = random_fini,
  .page_add = random_page_add,                   /* every page listed */
  .page_del = random_page_del,
  .shrink = random_shrink,                       /* the decision */
  .configure = random_configure,                 /* "seed" */
};

/* The one symbol the library looks for (VMSIM_POLICY_ENTRY_SYMBOL). */
__attribute__((visibility("default"))) const vmsim_policy_ops *vmsim_policy_entry(void);
const vmsim_policy_ops *vmsim_policy_entry(void) { return &random_ops; }
