/* SPDX-License-Identifier: MIT */
/*
 * Internal definitions of the simulated machine, shared by src/core, src/hw
 * and src/policies. Not installed. Internal non-static functions are named
 * vmsim__*.
 */
#ifndef VMSIM_INTERNAL_H
#define VMSIM_INTERNAL_H

#include <vmsim/vmsim.h>

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Constants shared with the kernel (../docs/linux-reclaim.md). */
/* The policy of vmsim_config_default(), and of vmsim_replay() without one. */
#define VMSIM_DEFAULT_POLICY "clock"
#define DEF_PRIORITY 12
#define SWAP_CLUSTER_MAX 32
#define MAX_RECLAIM_RETRIES 16
#define PAGE_ALLOC_COSTLY_ORDER 3

/* ---- policy tables ---------------------------------------------------- */
/* Is the member `field` inside the `struct_size` bytes a policy declared?
 * (Tables are append-only: an older policy's table stops earlier.) */
#define vmsim__ops_covers(ops, field) \
  ((ops)->struct_size >= offsetof(vmsim_policy_ops, field) + sizeof((ops)->field))
/* An optional callback is called only when covered and set. */
#define vmsim__ops_has(ops, field) (vmsim__ops_covers(ops, field) && (ops)->field != NULL)

/* ---- host allocation (alloc.c) -------------------------------------- */
void *vmsim__malloc(size_t size);
void *vmsim__calloc(size_t nmemb, size_t size);
void *vmsim__realloc(void *ptr, size_t size);
/* A zeroed array of `bytes` that starts on a host huge page boundary when
 * it spans one or more, so that transparent huge pages back all of it
 * (vmsim__calloc() backs only the whole huge pages inside what it gets).
 * *base is what to free. For tables read at random by the hot path. */
void *vmsim__calloc_huge(size_t bytes, void **base);
void vmsim__free(void *ptr);

/* ---- error messages -------------------------------------------------- */
/* snprintf into msg (if not NULL) and return `err`. */
int vmsim__errf(char *msg, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- zones and nodes ------------------------------------------------- */
struct vmsim_free_area {
  vmsim_list free_list;
  /* One bit per aligned pair of buddies of this order, set while exactly
   * one of the two is a free block of this order (2.4's free_area_t.map):
   * a free learns whether its buddy is free without reading the buddy's
   * struct vmsim_page, a host cache miss. Indexed from the zone's first
   * pair; NULL in an empty zone and for the top order, which never merges. */
  uint64_t *map;
};

struct vmsim_zone {
  /* Read-mostly: watermarks and geometry. */
  uint64_t watermark[VMSIM_NR_WMARK];
  uint64_t lowmem_reserve[VMSIM_NR_ZONES];
  vmsim_pfn_t start_pfn;
  uint64_t spanned_pages;
  uint64_t managed_pages;
  struct vmsim_node *node;
  enum vmsim_zone_type type;

  /* Written by the allocator. */
  uint64_t nr_free;
  struct vmsim_free_area free_area[VMSIM_MAX_ORDER];
};

static inline bool vmsim__zone_populated(const struct vmsim_zone *z) {
  return z->managed_pages != 0;
}

struct vmsim_node {
  uint32_t id;
  struct vmsim_zone zones[VMSIM_NR_ZONES];
  /* Every populated zone of every node, in fallback order: this node's
   * zones from the highest type down, then other nodes' by distance. */
  struct vmsim_zone **zonelist;
  uint32_t nr_zonelist;
  uint32_t first_cpu, nr_cpus; /* CPUs first_cpu .. first_cpu+nr_cpus-1 */
  vmsim_pfn_t start_pfn;
  uint64_t spanned_pages;
  struct vmsim_lruvec *lruvec; /* its LRU lists and policy state */
  unsigned kswapd_failures;     /* runs that reclaimed nothing; reset by a free */
};

/*
 * Hooks the allocator calls when memory is short. They are real interfaces:
 * the reclaim engine installs its implementations; without one the defaults
 * do nothing (wakeup) and report no progress (direct reclaim, OOM).
 */
struct vmsim_alloc_context {
  uint32_t gfp;
  unsigned order;
  enum vmsim_zone_type highest_zone;
  struct vmsim_node *preferred;
};

struct vmsim_reclaim_hooks {
  /* A zone of `node` failed its LOW watermark (wakeup_kswapd). */
  void (*wakeup_kswapd)(vmsim_sim *sim, struct vmsim_node *node, unsigned order,
                        enum vmsim_zone_type highest_zone);
  /* Reclaim synchronously for `ac`; return the number of pages freed. */
  uint64_t (*direct_reclaim)(vmsim_sim *sim, const struct vmsim_alloc_context *ac);
  /* Out of memory for `ac`: free memory (kill) and return true if the
   * allocation should be retried. */
  bool (*out_of_memory)(vmsim_sim *sim, const struct vmsim_alloc_context *ac);
};

/* ---- the machine ----------------------------------------------------- */
struct vmsim_cpu;
struct vmsim_mm;
struct vmsim_file;
struct vmsim_rmap_item;
struct vmsim_swap_hooks;
struct vmsim_shrinker_set;
struct vmsim_swap_info;
struct vmsim_kswapd;

struct vmsim_sim {
  /* Hot: read on every access. */
  struct vmsim_page *mem_map; /* nr_pages frame descriptors */
  struct vmsim_cpu *cpus;     /* nr_cpus simulated CPUs with their TLBs */
  vmsim_time_t *cpu_clock;    /* each CPU's simulated time */
  struct vmsim_mm **mms;      /* by pid; [0] unused */
  uint64_t token_ledger;      /* writes ever made, plus contents copied */
  uint64_t access_seq;        /* accesses attempted so far */
  bool access_notify;         /* the policy wants every access */

  uint64_t nr_pages;
  void *mem_map_base;         /* what to free: mem_map starts on a host huge page in it */
  uint32_t nr_nodes;
  uint32_t nr_cpus;
  uint32_t nr_mms, cap_mms;   /* pids 1..nr_mms-1 exist */
  uint32_t nr_files, cap_files;
  struct vmsim_node *nodes;
  struct vmsim_file **files;  /* by id; [0] unused */
  struct vmsim_rmap_item *rmap; /* reverse-map item pool; [0] unused */
  uint32_t rmap_cap, rmap_free, rmap_used;
  uint64_t min_free_kbytes;
  uint64_t integrity_errors;
  uint64_t rmap_walks;        /* page_referenced() calls by policies */
  struct vmsim_kswapd **kswapd; /* per node, when reclaim_mode is kswapd */
  uint32_t kswapd_pending;    /* kswapds running or napping */
  vmsim_time_t kswapd_due;    /* no kswapd has anything to do at a hand-off before this time */
  struct vmsim_reclaim_hooks hooks;
  struct vmsim_swap_hooks *swap;
  struct vmsim_swap_info *swapinfo;        /* swap devices (swap.c) */
  struct vmsim_shrinker_set *shrinkers;    /* registered shrinkers (shrinker.c) */
  /* `current`: who is running, for charging direct reclaim and OOM. */
  uint32_t current_cpu;
  struct vmsim_mm *current_mm;
  uint64_t vmstat[VMSIM_NR_VMSTAT];
  vmsim_config cfg;
};

static inline vmsim_pfn_t vmsim__page_to_pfn(vmsim_sim *sim, const struct vmsim_page *p) {
  return (vmsim_pfn_t)(p - sim->mem_map);
}
static inline struct vmsim_zone *vmsim__page_zone(vmsim_sim *sim, const struct vmsim_page *p) {
  return &sim->nodes[vmsim_page_nid(p)].zones[vmsim_page_zonenum(p)];
}

/* Every zone of every node, populated or not, in node then type order. */
#define for_each_zone(sim, z)                                             \
  for (uint32_t z##_nid_ = 0; z##_nid_ < (sim)->nr_nodes; z##_nid_++)     \
    for (struct vmsim_zone *z = (sim)->nodes[z##_nid_].zones;              \
         z < (sim)->nodes[z##_nid_].zones + VMSIM_NR_ZONES; z++)

/* zone_spans_pfn() */
static inline bool vmsim__zone_spans_pfn(const struct vmsim_zone *zone, uint64_t pfn) {
  return pfn >= zone->start_pfn && pfn - zone->start_pfn < zone->spanned_pages;
}

/* page_is_buddy(): frame `pfn` heads a free block of `order`. */
static inline bool vmsim__page_is_buddy(const vmsim_sim *sim, vmsim_pfn_t pfn, unsigned order) {
  const struct vmsim_page *p = &sim->mem_map[pfn];
  return vmsim_page_test(p, VMSIM_PG_buddy) && p->private == order;
}

/* The bit in free_area[order].map of the pair of buddies `pfn` is in.
 * Blocks of the top order never merge, so it has no map. */
static inline uint64_t vmsim__buddy_pair_index(const struct vmsim_zone *zone, vmsim_pfn_t pfn,
                                               unsigned order) {
  return (pfn >> (order + 1)) - (zone->start_pfn >> (order + 1));
}

static inline bool vmsim__buddy_pair_bit(const struct vmsim_zone *zone, vmsim_pfn_t pfn,
                                         unsigned order) {
  uint64_t i = vmsim__buddy_pair_index(zone, pfn, order);
  return (zone->free_area[order].map[i / 64] >> (i % 64)) & 1;
}

/* page_alloc.c */
int vmsim__zones_init(vmsim_sim *sim);
void vmsim__zones_fini(vmsim_sim *sim);
struct vmsim_page *vmsim__alloc_pages(vmsim_sim *sim, struct vmsim_node *preferred,
                                      uint32_t gfp, unsigned order);
void vmsim__free_pages(vmsim_sim *sim, struct vmsim_page *page, unsigned order);
enum vmsim_zone_type vmsim__gfp_zone(uint32_t gfp);
bool vmsim__zone_watermark_ok(const vmsim_sim *sim, const struct vmsim_zone *z, unsigned order,
                              uint64_t mark, enum vmsim_zone_type highest_zone, uint32_t gfp);

/* config.c */
const char *vmsim__zone_name(enum vmsim_zone_type zt);
int vmsim__node_zone_pages(const vmsim_config *cfg, uint32_t nid, uint64_t out[VMSIM_NR_ZONES],
                           char *msg, size_t len);
/* The host's physical memory in bytes (UINT64_MAX if unknown), which
 * configurations and traces must fit in; tests may pretend it is `bytes`
 * (0: the real value again). */
uint64_t vmsim__host_memory(void);
void vmsim__set_host_memory(uint64_t bytes);
/* "24 GiB", "1.2 TiB": a byte count for messages. */
const char *vmsim__format_bytes(char *buf, size_t len, uint64_t bytes);

/* kswapd.c: let every kswapd with work run up to simulated time `now`. */
void vmsim__kswapd_catch_up(vmsim_sim *sim, vmsim_time_t now);
/* A hand-off point at simulated time `now`: kswapd catches up if it may
 * have work by then (sim->kswapd_due, see vmsim__kswapd_due()). */
static inline void vmsim__kswapd_hand_off(vmsim_sim *sim, vmsim_time_t now) {
  if (unlikely(now >= sim->kswapd_due))
    vmsim__kswapd_catch_up(sim, now);
}

/* watermark.c */
void vmsim__setup_watermarks(vmsim_sim *sim);

#endif /* VMSIM_INTERNAL_H */
