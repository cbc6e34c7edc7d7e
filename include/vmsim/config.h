/* SPDX-License-Identifier: MIT */
/*
 * The configuration of a simulated machine. Always start from
 * vmsim_config_default(), then change what you need: fields added in later
 * versions get sensible defaults that way.
 */
#ifndef VMSIM_CONFIG_H
#define VMSIM_CONFIG_H

#include "common.h"

VMSIM_BEGIN_DECLS

/* How zone watermarks are computed (see docs/linux-reclaim notes). */
enum vmsim_watermark_style {
  /* Linux 5.x/6.x __setup_per_zone_wmarks: min shared by managed pages,
   * low/high spaced by max(min/4, managed * watermark_scale_factor/10000). */
  VMSIM_WMARK_MODERN,
  /* Linux 2.6: min_free_kbytes clamped to [128, 65536], low = 5/4 min,
   * high = 6/4 min; zone_watermark_ok() with the per-order loop. */
  VMSIM_WMARK_LINUX26,
  /* Linux 2.4.0: pages_min = size / zone_balance_ratio clamped to [10, 255],
   * low = 2 min, high = 3 min; no lowmem_reserve. */
  VMSIM_WMARK_LINUX24,
};

/* Who frees memory when it runs short. */
enum vmsim_reclaim_mode {
  VMSIM_RECLAIM_KSWAPD,    /* watermarks, a kswapd per node, direct reclaim */
  VMSIM_RECLAIM_ON_DEMAND, /* evict one page only when no frame is free */
};

/* A zone size that takes what the node's other zones leave. */
#define VMSIM_ZONE_REST UINT64_MAX

/*
 * One NUMA node: `pages` frames of 4 KiB, carved into zones in address order
 * (DMA, DMA32, Normal, Movable). A zone of 0 pages is absent; at most one
 * zone may be VMSIM_ZONE_REST. The zones must add up to the node.
 */
typedef struct vmsim_node_config {
  uint64_t pages;
  uint64_t zone_pages[VMSIM_NR_ZONES];
  uint32_t nr_cpus; /* CPUs local to this node (a node may have none) */
} vmsim_node_config;

/* Per-CPU TLB geometry. entries must be a multiple of ways, and the number
 * of sets (entries / ways) a power of two. l2_entries 0 means no STLB. */
typedef struct vmsim_tlb_config {
  uint32_t l1_entries, l1_ways; /* default 64, 4   (L1 dTLB) */
  uint32_t l2_entries, l2_ways; /* default 1536, 12 (STLB)   */
} vmsim_tlb_config;

/* Costs charged to the simulated clock, in nanoseconds. */
typedef struct vmsim_cost_config {
  vmsim_time_t l1_tlb_hit;      /* an access whose translation hit the L1 TLB */
  vmsim_time_t l2_tlb_hit;      /* extra for an STLB hit */
  vmsim_time_t walk_level;      /* each page-table level read on a walk */
  vmsim_time_t minor_fault;     /* fault handled without I/O */
  vmsim_time_t major_fault;     /* fault software cost; device latency is added */
  vmsim_time_t file_read;       /* file backing-store read latency per page */
  vmsim_time_t file_write;      /* file backing-store write latency per page */
  vmsim_time_t reclaim_scan;    /* reclaim cost per page scanned */
} vmsim_cost_config;

/* At most this many policy tunables in a configuration. */
#define VMSIM_MAX_POLICY_PARAMS 16

/* At most this many swap devices (swap types in a swap PTE). */
#define VMSIM_MAX_SWAP_DEVICES 32

/* A swap device: `pages` slots, used highest priority first (equal
 * priorities share round-robin), with a latency per page read or written. */
typedef struct vmsim_swap_config {
  uint64_t pages;
  int priority;
  vmsim_time_t read_latency;
  vmsim_time_t write_latency;
  char name[16];
} vmsim_swap_config;

typedef struct vmsim_config {
  uint32_t nr_nodes;
  vmsim_node_config nodes[VMSIM_MAX_NODES];
  /* NUMA distances as in the ACPI SLIT; all zero means 10 local, 20 remote. */
  uint8_t node_distance[VMSIM_MAX_NODES][VMSIM_MAX_NODES];

  enum vmsim_watermark_style watermark_style;
  int64_t min_free_kbytes;          /* -1: computed from lowmem size */
  uint32_t watermark_scale_factor;  /* 1..3000, default 10 (0.1%) */
  uint32_t lowmem_reserve_ratio[VMSIM_NR_ZONES]; /* default 256, 256, 32, 0 */
  uint32_t zone_balance_ratio[VMSIM_NR_ZONES];   /* 2.4 style: 32, 128, 128, 128 */

  vmsim_tlb_config tlb;
  vmsim_cost_config cost;

  uint32_t nr_swap;
  vmsim_swap_config swap[VMSIM_MAX_SWAP_DEVICES];

  /* The replacement policy, by registered name (see <vmsim/policy.h>),
   * and its tunables as key = value strings (the policy parses them). */
  char policy[32];
  uint32_t nr_policy_params;
  struct {
    char key[32];
    char value[32];
  } policy_params[VMSIM_MAX_POLICY_PARAMS];
  enum vmsim_reclaim_mode reclaim_mode;
  uint32_t swappiness; /* 0..200, default 60 */
  uint64_t seed;
} vmsim_config;

/* Fill `cfg` with the built-in default machine: one node, two CPUs,
 * 16 MiB DMA + 496 MiB DMA32 (a 512 MiB x86-64 machine), modern watermarks,
 * a 256 MiB SSD swap device, the "clock" policy. */
VMSIM_EXPORT void vmsim_config_default(vmsim_config *cfg);

/*
 * Check a configuration. Returns 0, or VMSIM_ECONFIG with a message naming
 * the offending field written to `msg` (if not NULL, at most `len` bytes).
 */
/*
 * A swap device preset with `pages` slots: "ssd" (100 us read, 20 us
 * write), "nvme" (20 us, 5 us), "zram" (2 us, 4 us: compression in RAM) or
 * "hdd" (8 ms, 2 ms). The read latency is what a major fault waits for; the
 * write latency is device time per page written by reclaim, which in a real
 * kernel writes asynchronously at queue depth (the simulator writes
 * synchronously and charges this to whoever reclaims). VMSIM_ENOENT for an
 * unknown name.
 */
VMSIM_EXPORT int vmsim_swap_preset(const char *name, uint64_t pages, vmsim_swap_config *out);

VMSIM_EXPORT int vmsim_config_validate(const vmsim_config *cfg, char *msg, size_t len);

VMSIM_END_DECLS

#endif /* VMSIM_CONFIG_H */
