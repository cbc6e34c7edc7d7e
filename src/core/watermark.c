/* SPDX-License-Identifier: MIT */
/*
 * Zone watermarks and lowmem_reserve, computed as the kernel era chosen by
 * cfg.watermark_style does (../shared/docs/linux-reclaim.md rules 7, 14, 16
 * and 17). Run once when the machine is created.
 */
#include "internal.h"

/* int_sqrt(): the floor of the square root. */
static uint64_t int_sqrt(uint64_t x) {
  uint64_t r = 0, bit = UINT64_C(1) << 62;
  while (bit > x)
    bit >>= 2;
  while (bit) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}

/*
 * calculate_min_free_kbytes(): lowmem_kbytes is nr_free_buffer_pages(), the
 * managed pages of zones up to ZONE_NORMAL on every node (no watermark is
 * set yet at boot), in KiB; min_free_kbytes = int_sqrt(lowmem_kbytes * 16),
 * clamped to [128, 262144] (6.x) or [128, 65536] (2.6).
 */
static uint64_t calculate_min_free_kbytes(vmsim_sim *sim, uint64_t max) {
  uint64_t lowmem_kbytes = 0;
  for_each_zone(sim, z)
    if (z->type <= VMSIM_ZONE_NORMAL)
      lowmem_kbytes += z->managed_pages * (VMSIM_PAGE_SIZE >> 10);
  uint64_t kb = int_sqrt(lowmem_kbytes * 16);
  return kb < 128 ? 128 : kb > max ? max : kb;
}

/*
 * __setup_per_zone_wmarks() (6.x): pages_min = min_free_kbytes / 4 is
 * shared by managed pages among the lowmem zones, which on x86-64 (no
 * highmem) are all zones but ZONE_MOVABLE: min_free_kbytes is computed
 * without ZONE_MOVABLE, so it gets no share of it. Its MIN is capped
 * instead, as highmem's is: managed / 1024 clamped to [32, 128]. Then
 * tmp = max(share >> 2, managed * scale_factor / 10000), where share is
 * the zone's proportional part (also for ZONE_MOVABLE), LOW = MIN + tmp,
 * HIGH = LOW + tmp.
 * 2.6: every zone shares MIN (2.6.23+ treats ZONE_MOVABLE as highmem only
 * when it is carved from highmem, never on x86-64); LOW = MIN + MIN/4,
 * HIGH = MIN + MIN/2. Empty zones keep 0 watermarks.
 */
static void setup_wmarks_shared(vmsim_sim *sim, bool modern) {
  uint64_t pages_min = sim->min_free_kbytes >> (VMSIM_PAGE_SHIFT - 10);
  uint64_t lowmem_pages = 0;

  for_each_zone(sim, z)
    if (!modern || z->type != VMSIM_ZONE_MOVABLE)
      lowmem_pages += z->managed_pages;
  for_each_zone(sim, z) {
    uint64_t share = lowmem_pages ? pages_min * z->managed_pages / lowmem_pages : 0;
    uint64_t min = share;
    uint64_t tmp;
    if (modern) {
      if (z->type == VMSIM_ZONE_MOVABLE && vmsim__zone_populated(z))
        min = MIN(MAX(z->managed_pages / 1024, SWAP_CLUSTER_MAX), 128);
      tmp = z->managed_pages * sim->cfg.watermark_scale_factor / 10000;
      tmp = MAX(share >> 2, tmp);
      z->watermark[VMSIM_WMARK_MIN] = min;
      z->watermark[VMSIM_WMARK_LOW] = min + tmp;
      z->watermark[VMSIM_WMARK_HIGH] = min + 2 * tmp;
    } else {
      z->watermark[VMSIM_WMARK_MIN] = min;
      z->watermark[VMSIM_WMARK_LOW] = min + (min >> 2);
      z->watermark[VMSIM_WMARK_HIGH] = min + (min >> 1);
    }
  }
}

/*
 * setup_per_zone_lowmem_reserve(): zone[i].lowmem_reserve[j] for j > i is
 * the managed pages of zones i+1..j of the same node divided by
 * lowmem_reserve_ratio[i]; 0 when the ratio is 0 or zone i is empty.
 */
static void setup_lowmem_reserve(vmsim_sim *sim) {
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    struct vmsim_node *node = &sim->nodes[nid];
    for (int i = 0; i < VMSIM_NR_ZONES; i++) {
      struct vmsim_zone *z = &node->zones[i];
      uint32_t ratio = sim->cfg.lowmem_reserve_ratio[i];
      uint64_t upper = 0;
      memset(z->lowmem_reserve, 0, sizeof(z->lowmem_reserve));
      for (int j = i + 1; j < VMSIM_NR_ZONES; j++) {
        upper += node->zones[j].managed_pages;
        z->lowmem_reserve[j] = (ratio && z->managed_pages) ? upper / ratio : 0;
      }
    }
  }
}

/*
 * 2.4.0 free_area_init_core(): pages_min = size / zone_balance_ratio,
 * clamped to [10, 255]; low = 2 min, high = 3 min; no lowmem_reserve.
 */
static void setup_wmarks_linux24(vmsim_sim *sim) {
  uint64_t total_min = 0;
  for_each_zone(sim, z) {
    memset(z->lowmem_reserve, 0, sizeof(z->lowmem_reserve));
    memset(z->watermark, 0, sizeof(z->watermark));
    if (!vmsim__zone_populated(z))
      continue;
    uint64_t mask = z->managed_pages / sim->cfg.zone_balance_ratio[z->type];
    mask = mask < 10 ? 10 : mask > 255 ? 255 : mask;
    z->watermark[VMSIM_WMARK_MIN] = mask;
    z->watermark[VMSIM_WMARK_LOW] = mask * 2;
    z->watermark[VMSIM_WMARK_HIGH] = mask * 3;
    total_min += mask;
  }
  sim->min_free_kbytes = total_min << (VMSIM_PAGE_SHIFT - 10);
}

void vmsim__setup_watermarks(vmsim_sim *sim) {
  const vmsim_config *cfg = &sim->cfg;
  if (cfg->reclaim_mode == VMSIM_RECLAIM_ON_DEMAND) {
    /* Demand paging: every frame may be used; evict only when none is free. */
    for_each_zone(sim, z) {
      memset(z->watermark, 0, sizeof(z->watermark));
      memset(z->lowmem_reserve, 0, sizeof(z->lowmem_reserve));
    }
    sim->min_free_kbytes = 0;
    return;
  }
  switch (cfg->watermark_style) {
  case VMSIM_WMARK_LINUX24:
    setup_wmarks_linux24(sim);
    return;
  case VMSIM_WMARK_LINUX26:
  case VMSIM_WMARK_MODERN: {
    bool modern = cfg->watermark_style == VMSIM_WMARK_MODERN;
    sim->min_free_kbytes = cfg->min_free_kbytes >= 0
                               ? (uint64_t)cfg->min_free_kbytes
                               : calculate_min_free_kbytes(sim, modern ? 262144 : 65536);
    setup_wmarks_shared(sim, modern);
    setup_lowmem_reserve(sim);
    return;
  }
  }
}
