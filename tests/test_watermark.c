/* SPDX-License-Identifier: MIT */
/*
 * Zone watermarks, min_free_kbytes and lowmem_reserve (src/core/watermark.c)
 * and zone_watermark_ok (src/core/page_alloc.c), against values worked out
 * by hand from ../shared/docs/linux-reclaim.md:
 *   rule 16 (6.x __setup_per_zone_wmarks), rule 17 (lowmem_reserve and
 *   __zone_watermark_ok), rule 14 (2.6), rule 7 (2.4.0).
 * All sizes are in 4 KiB pages unless marked KiB. int_sqrt is the floor of
 * the square root; each one is bracketed by squares in the comments.
 */
#include "vmsim_test.h"

#include <stdlib.h>

/* ---- expectations ------------------------------------------------------- */

struct zexp {
  uint64_t min, low, high;
  uint64_t reserve[VMSIM_NR_ZONES];
};

#define ZERO_ZONE ((struct zexp){0, 0, 0, {0, 0, 0, 0}})

static void expect_zone(const vmsim_sim *sim, uint32_t nid, enum vmsim_zone_type zt,
                        struct zexp e) {
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, nid, zt, &zi));
  const uint64_t got[] = {zi.watermark[VMSIM_WMARK_MIN], zi.watermark[VMSIM_WMARK_LOW],
                          zi.watermark[VMSIM_WMARK_HIGH], zi.lowmem_reserve[0],
                          zi.lowmem_reserve[1], zi.lowmem_reserve[2], zi.lowmem_reserve[3]};
  const uint64_t want[] = {e.min, e.low, e.high, e.reserve[0], e.reserve[1], e.reserve[2],
                           e.reserve[3]};
  static const char *const what[] = {"min", "low", "high", "reserve[DMA]", "reserve[DMA32]",
                                     "reserve[Normal]", "reserve[Movable]"};
  for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
    if (got[i] != want[i])
      fail_msg("node %u zone %s: %s is %" PRIu64 ", expected %" PRIu64, nid,
               vmsim__zone_name(zt), what[i], got[i], want[i]);
}

/* Create the machine, check min_free_kbytes and each zone of each node
 * (zones[nid * VMSIM_NR_ZONES + zt]), destroy it. */
static void expect_machine(const vmsim_config *cfg, uint64_t min_free_kbytes,
                           const struct zexp *zones) {
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, cfg));
  assert_int_equal(vmsim_min_free_kbytes(sim), min_free_kbytes);
  for (uint32_t nid = 0; nid < cfg->nr_nodes; nid++)
    for (int zt = 0; zt < VMSIM_NR_ZONES; zt++)
      expect_zone(sim, nid, (enum vmsim_zone_type)zt, zones[nid * VMSIM_NR_ZONES + zt]);
  vmsim_sim_destroy(sim);
}

/* ---- machines ------------------------------------------------------------ */

static vmsim_config with_style(vmsim_config cfg, enum vmsim_watermark_style style) {
  cfg.watermark_style = style;
  return cfg;
}

/* 512 MiB = 131072 pages: DMA 4096 (16 MiB) + DMA32 126976 (the default). */
static vmsim_config machine_512m(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  return cfg;
}

/* 8 GiB = 2097152: DMA 4096, DMA32 1044480 (4 GiB - 16 MiB), Normal 1048576. */
static vmsim_config machine_8g(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 2097152, .zone_pages = {4096, 1044480, VMSIM_ZONE_REST, 0}, .nr_cpus = 4};
  return cfg;
}

/* 64 GiB = 16777216: DMA 4096, DMA32 1044480, Normal 7340032 (28 GiB),
 * Movable 8388608 (32 GiB, e.g. movablecore=32G). */
static vmsim_config machine_64g_movable(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 16777216, .zone_pages = {4096, 1044480, 7340032, VMSIM_ZONE_REST}, .nr_cpus = 8};
  return cfg;
}

/* Two nodes, 8 GiB in all: node 0 3 GiB = 786432 (DMA 4096, DMA32 782336),
 * node 1 5 GiB = 1310720 (Normal). */
static vmsim_config machine_two_nodes(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nr_nodes = 2;
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 786432, .zone_pages = {4096, VMSIM_ZONE_REST, 0, 0}, .nr_cpus = 2};
  cfg.nodes[1] = (vmsim_node_config){
    .pages = 1310720, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 2};
  return cfg;
}

/* 200 pages (800 KiB) of Normal: min_free_kbytes hits its floor. */
static vmsim_config machine_tiny(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 200, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
  return cfg;
}

/* ---- rule 16 / 17: modern ------------------------------------------------ */

/*
 * 512 MiB, modern, watermark_scale_factor 10 and 100 (rules 16, 17).
 * lowmem = 131072 pages = 524288 KiB; 524288 * 16 = 8388608;
 * int_sqrt = 2896 (2896^2 = 8386816 <= 8388608 < 2897^2 = 8392609).
 * pages_min = 2896 >> 2 = 724, shared by 131072 lowmem pages:
 *   DMA   724 * 4096 / 131072 = 22 (22.6); tmp = max(22 >> 2 = 5, 4096 * 10 / 10000 = 4) = 5
 *         -> 22 / 27 / 32
 *   DMA32 724 * 126976 / 131072 = 701 (701.4); tmp = max(175, 126976 * 10 / 10000 = 126) = 175
 *         -> 701 / 876 / 1051
 * factor 100: DMA tmp = max(5, 40) = 40 -> 22 / 62 / 102;
 *             DMA32 tmp = max(175, 1269) = 1269 -> 701 / 1970 / 3239.
 * lowmem_reserve (ratio 256, 256, 32): DMA[DMA32] = 126976 / 256 = 496,
 * DMA[Normal] = DMA[Movable] = (126976 + 0) / 256 = 496; DMA32 has no
 * pages above it: 0. Empty zones: all 0.
 */
static void test_modern_512m(void **state) {
  (void)state;
  vmsim_config cfg = machine_512m();
  const struct zexp f10[] = {
    {22, 27, 32, {0, 496, 496, 496}},
    {701, 876, 1051, {0, 0, 0, 0}},
    ZERO_ZONE,
    ZERO_ZONE,
  };
  expect_machine(&cfg, 2896, f10);

  cfg.watermark_scale_factor = 100;
  const struct zexp f100[] = {
    {22, 62, 102, {0, 496, 496, 496}},
    {701, 1970, 3239, {0, 0, 0, 0}},
    ZERO_ZONE,
    ZERO_ZONE,
  };
  expect_machine(&cfg, 2896, f100);
}

/*
 * The policy helpers on the same machine (factor 10): the HIGH watermarks
 * of the populated zones add up to 32 (DMA) + 1051 (DMA32) = 1083; all
 * 4096 + 126976 = 131072 frames start free, then an order-0 allocation
 * takes 1 and an order-3 one 8 more.
 */
static void test_lruvec_free_and_high(void **state) {
  (void)state;
  vmsim_config cfg = machine_512m();
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  const vmsim_lruvec *lv = sim->nodes[0].lruvec;
  assert_int_equal(vmsim_lruvec_high_wmark(lv), 1083);
  assert_int_equal(vmsim_lruvec_free_pages(lv), 131072);
  vmsim_pfn_t a, b;
  assert_ok(vmsim_alloc_pages(sim, 0, 0, 0, &a));
  assert_int_equal(vmsim_lruvec_free_pages(lv), 131071);
  assert_ok(vmsim_alloc_pages(sim, 0, 0, 3, &b));
  assert_int_equal(vmsim_lruvec_free_pages(lv), 131063);
  assert_ok(vmsim_free_pages(sim, a, 0));
  assert_ok(vmsim_free_pages(sim, b, 3));
  assert_int_equal(vmsim_lruvec_free_pages(lv), 131072);
  vmsim_sim_destroy(sim);
}

/*
 * 512 MiB with min_free_kbytes set to 8192 (not computed): pages_min 2048.
 *   DMA   2048 * 4096 / 131072 = 64; tmp = max(16, 4) = 16 -> 64 / 80 / 96
 *   DMA32 2048 * 126976 / 131072 = 1984; tmp = max(496, 126) -> 1984 / 2480 / 2976
 */
static void test_modern_configured_min_free(void **state) {
  (void)state;
  vmsim_config cfg = machine_512m();
  cfg.min_free_kbytes = 8192;
  const struct zexp z[] = {
    {64, 80, 96, {0, 496, 496, 496}},
    {1984, 2480, 2976, {0, 0, 0, 0}},
    ZERO_ZONE,
    ZERO_ZONE,
  };
  expect_machine(&cfg, 8192, z);
}

/*
 * 8 GiB, modern, factor 10 and 3000 (rules 16, 17).
 * lowmem = 2097152 pages = 8388608 KiB; * 16 = 134217728 (2^27);
 * int_sqrt = 11585 (11585^2 = 134212225, 11586^2 = 134235396).
 * pages_min = 11585 >> 2 = 2896 over 2097152 pages:
 *   DMA    2896 * 4096 / 2097152 = 5 (5.66); tmp = max(1, 4) = 4 -> 5 / 9 / 13
 *   DMA32  2896 * 1044480 / 2097152 = 1442 (1442.3); tmp = max(360, 1044) -> 1442 / 2486 / 3530
 *   Normal 2896 * 1048576 / 2097152 = 1448; tmp = max(362, 1048) -> 1448 / 2496 / 3544
 * factor 3000: tmp = managed * 3000 / 10000: DMA 1228 -> 5 / 1233 / 2461;
 *   DMA32 313344 -> 1442 / 314786 / 628130; Normal 314572 -> 1448 / 316020 / 630592.
 * lowmem_reserve: DMA[DMA32] = 1044480 / 256 = 4080,
 *   DMA[Normal] = DMA[Movable] = (1044480 + 1048576) / 256 = 8176;
 *   DMA32[Normal] = DMA32[Movable] = 1048576 / 256 = 4096; Normal[Movable] = 0 / 32 = 0.
 */
static void test_modern_8g(void **state) {
  (void)state;
  vmsim_config cfg = machine_8g();
  const struct zexp f10[] = {
    {5, 9, 13, {0, 4080, 8176, 8176}},
    {1442, 2486, 3530, {0, 0, 4096, 4096}},
    {1448, 2496, 3544, {0, 0, 0, 0}},
    ZERO_ZONE,
  };
  expect_machine(&cfg, 11585, f10);

  cfg.watermark_scale_factor = 3000;
  const struct zexp f3000[] = {
    {5, 1233, 2461, {0, 4080, 8176, 8176}},
    {1442, 314786, 628130, {0, 0, 4096, 4096}},
    {1448, 316020, 630592, {0, 0, 0, 0}},
    ZERO_ZONE,
  };
  expect_machine(&cfg, 11585, f3000);
}

/*
 * 64 GiB with ZONE_MOVABLE, modern (rules 16, 17, and 6.x's treatment of
 * ZONE_MOVABLE: it is not lowmem, as nr_free_buffer_pages() leaves it out
 * of min_free_kbytes; its MIN is managed / 1024 clamped to [32, 128]).
 * lowmem = DMA + DMA32 + Normal = 8388608 pages = 33554432 KiB;
 * * 16 = 536870912 (2^29); int_sqrt = 23170 (23170^2 = 536848900,
 * 23171^2 = 536895241). pages_min = 23170 >> 2 = 5792 over 8388608 pages:
 *   DMA     5792 * 4096 / 8388608 = 2 (2.8); tmp = max(0, 4) -> 2 / 6 / 10
 *   DMA32   5792 * 1044480 / 8388608 = 721 (721.2); tmp = max(180, 1044) -> 721 / 1765 / 2809
 *   Normal  5792 * 7340032 / 8388608 = 5068; tmp = max(1267, 7340) -> 5068 / 12408 / 19748
 *   Movable share 5792 * 8388608 / 8388608 = 5792 (used only for tmp);
 *           MIN = clamp(8388608 / 1024 = 8192, 32, 128) = 128;
 *           tmp = max(5792 >> 2 = 1448, 8388) = 8388 -> 128 / 8516 / 16904
 * lowmem_reserve: DMA: 1044480 / 256 = 4080; (1044480 + 7340032) / 256 = 32752;
 *   (8384512 + 8388608) / 256 = 65520. DMA32: 7340032 / 256 = 28672;
 *   (7340032 + 8388608) / 256 = 61440. Normal[Movable] = 8388608 / 32 = 262144.
 */
static const struct zexp lowmem_reserve_64g[VMSIM_NR_ZONES] = {
  {0, 0, 0, {0, 4080, 32752, 65520}},
  {0, 0, 0, {0, 0, 28672, 61440}},
  {0, 0, 0, {0, 0, 0, 262144}},
  {0, 0, 0, {0, 0, 0, 0}},
};

static void with_reserves(struct zexp *zones, const struct zexp *r) {
  for (int zt = 0; zt < VMSIM_NR_ZONES; zt++)
    memcpy(zones[zt].reserve, r[zt].reserve, sizeof(zones[zt].reserve));
}

static void test_modern_64g_movable(void **state) {
  (void)state;
  vmsim_config cfg = machine_64g_movable();
  struct zexp z[] = {
    {2, 6, 10, {0}},
    {721, 1765, 2809, {0}},
    {5068, 12408, 19748, {0}},
    {128, 8516, 16904, {0}},
  };
  with_reserves(z, lowmem_reserve_64g);
  expect_machine(&cfg, 23170, z);
}

/*
 * A small machine with ZONE_MOVABLE, where the zone's share, not its capped
 * MIN, sets the LOW/HIGH gaps (rule 16 with 6.x's Movable handling):
 * DMA32 16384 + Movable 16384 pages. lowmem = 16384 pages = 65536 KiB;
 * * 16 = 1048576 = 2^20, int_sqrt = 1024 exactly. pages_min = 256 over
 * the 16384 lowmem pages:
 *   DMA32   share 256; tmp = max(64, 16384 * 10 / 10000 = 16) = 64 -> 256 / 320 / 384
 *   Movable share 256 * 16384 / 16384 = 256; MIN = clamp(16, 32, 128) = 32;
 *           tmp = max(256 >> 2 = 64, 16) = 64 -> 32 / 96 / 160
 * 2.6 shares over all 32768 pages: 256 * 16384 / 32768 = 128 each ->
 *   128 / 160 / 192 for both zones.
 * lowmem_reserve: DMA32[Normal] = 0 / 256 = 0, DMA32[Movable] = 16384 / 256 = 64.
 */
static void test_small_movable(void **state) {
  (void)state;
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 32768, .zone_pages = {0, 16384, 0, VMSIM_ZONE_REST}, .nr_cpus = 1};
  const struct zexp modern[] = {
    ZERO_ZONE, {256, 320, 384, {0, 0, 0, 64}}, ZERO_ZONE, {32, 96, 160, {0}},
  };
  expect_machine(&cfg, 1024, modern);
  cfg.watermark_style = VMSIM_WMARK_LINUX26;
  const struct zexp old[] = {
    ZERO_ZONE, {128, 160, 192, {0, 0, 0, 64}}, ZERO_ZONE, {128, 160, 192, {0}},
  };
  expect_machine(&cfg, 1024, old);
}

/*
 * Two nodes (rules 16, 17): min_free_kbytes counts lowmem of every node,
 * 786432 + 1310720 = 2097152 pages, so as for 8 GiB: 11585 KiB, pages_min
 * 2896 shared over 2097152 pages:
 *   node 0 DMA    5 (as 8 GiB) -> 5 / 9 / 13
 *   node 0 DMA32  2896 * 782336 / 2097152 = 1080 (1080.3); tmp = max(270, 782) -> 1080 / 1862 / 2644
 *   node 1 Normal 2896 * 1310720 / 2097152 = 1810; tmp = max(452, 1310) -> 1810 / 3120 / 4430
 * lowmem_reserve is per node: node 0 DMA[DMA32..Movable] = 782336 / 256 = 3056
 * (node 0 has nothing above DMA32); node 1's Normal reserves 0.
 */
static void test_modern_two_nodes(void **state) {
  (void)state;
  vmsim_config cfg = machine_two_nodes();
  const struct zexp z[] = {
    {5, 9, 13, {0, 3056, 3056, 3056}}, {1080, 1862, 2644, {0}}, ZERO_ZONE, ZERO_ZONE, /* node 0 */
    ZERO_ZONE, ZERO_ZONE, {1810, 3120, 4430, {0}}, ZERO_ZONE,                         /* node 1 */
  };
  expect_machine(&cfg, 11585, z);
}

/*
 * The lower clamp (rules 14, 16): 200 pages = 800 KiB; 800 * 16 = 12800;
 * int_sqrt = 113 (113^2 = 12769, 114^2 = 12996) < 128 -> 128 KiB.
 * pages_min 32, all of it Normal's: tmp = max(8, 200 * 10 / 10000 = 0) = 8.
 * Modern: 32 / 40 / 48. 2.6: 32 / 32 + 8 = 40 / 32 + 16 = 48.
 * 2.4 (rule 7): 200 / 128 = 1, clamped up to 10 -> 10 / 20 / 30.
 */
static void test_min_free_kbytes_floor(void **state) {
  (void)state;
  const struct zexp z[] = {ZERO_ZONE, ZERO_ZONE, {32, 40, 48, {0}}, ZERO_ZONE};
  vmsim_config cfg = machine_tiny();
  expect_machine(&cfg, 128, z);
  cfg = with_style(machine_tiny(), VMSIM_WMARK_LINUX26);
  expect_machine(&cfg, 128, z);

  cfg = with_style(machine_tiny(), VMSIM_WMARK_LINUX24);
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  expect_zone(sim, 0, VMSIM_ZONE_NORMAL, (struct zexp){10, 20, 30, {0}});
  vmsim_sim_destroy(sim);
}

/*
 * The upper clamps (rule 14: 65536 KiB in 2.6; rule 16: 262144 KiB in
 * 6.x) need terabytes of lowmem, too big to create for real; the watermark
 * setup runs here on a machine of zone sizes only (no frames).
 * 1 TiB = 268435456 pages: DMA 4096, DMA32 1044480, Normal 267386880.
 *   lowmem 2^30 KiB * 16 = 2^34, int_sqrt = 2^17 = 131072.
 *   6.x keeps 131072: pages_min 32768 over 2^28 pages:
 *     DMA    32768 * 4096 / 2^28 = 0; tmp = max(0, 4) -> 0 / 4 / 8
 *     DMA32  1044480 / 8192 = 127 (127.5); tmp = max(31, 1044) -> 127 / 1171 / 2215
 *     Normal 267386880 / 8192 = 32640; tmp = max(8160, 267386) -> 32640 / 300026 / 567412
 *   2.6 clamps to 65536: pages_min 16384:
 *     DMA 0 / 0 / 0; DMA32 1044480 / 16384 = 63 -> low 315 / 4 = 78, high 378 / 4 = 94;
 *     Normal 267386880 / 16384 = 16320 -> 20400 / 24480.
 * 8 TiB = 2^31 pages, Normal 2^31 - 2^20: lowmem 2^33 KiB * 16 = 2^37,
 *   int_sqrt = 370727 > 262144 -> 262144; pages_min 65536;
 *   Normal MIN = 65536 * 2146435072 / 2^31 = 65504.
 */
static void setup_zone_sizes_only(const vmsim_config *cfg, const uint64_t pages[VMSIM_NR_ZONES],
                                  const struct zexp expect[VMSIM_NR_ZONES],
                                  uint64_t min_free_kbytes) {
  vmsim_sim *sim = calloc(1, sizeof(*sim));
  struct vmsim_node *node = calloc(1, sizeof(*node));
  assert_true(sim && node);
  sim->cfg = *cfg;
  sim->nr_nodes = 1;
  sim->nodes = node;
  for (int zt = 0; zt < VMSIM_NR_ZONES; zt++) {
    node->zones[zt].type = (enum vmsim_zone_type)zt;
    node->zones[zt].node = node;
    node->zones[zt].managed_pages = node->zones[zt].spanned_pages = pages[zt];
  }
  vmsim__setup_watermarks(sim);
  assert_int_equal(vmsim_min_free_kbytes(sim), min_free_kbytes);
  for (int zt = 0; zt < VMSIM_NR_ZONES; zt++)
    if (expect)
      expect_zone(sim, 0, (enum vmsim_zone_type)zt, expect[zt]);
  free(node);
  free(sim);
}

static void test_min_free_kbytes_ceiling(void **state) {
  (void)state;
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  const uint64_t tib[VMSIM_NR_ZONES] = {4096, 1044480, 267386880, 0};
  /* lowmem_reserve: DMA 1044480 / 256 = 4080, (1044480 + 267386880) / 256 = 1048560;
   * DMA32 267386880 / 256 = 1044480. */
  const struct zexp modern[VMSIM_NR_ZONES] = {
    {0, 4, 8, {0, 4080, 1048560, 1048560}},
    {127, 1171, 2215, {0, 0, 1044480, 1044480}},
    {32640, 300026, 567412, {0}},
    ZERO_ZONE,
  };
  setup_zone_sizes_only(&cfg, tib, modern, 131072);
  const struct zexp old[VMSIM_NR_ZONES] = {
    {0, 0, 0, {0, 4080, 1048560, 1048560}},
    {63, 78, 94, {0, 0, 1044480, 1044480}},
    {16320, 20400, 24480, {0}},
    ZERO_ZONE,
  };
  cfg.watermark_style = VMSIM_WMARK_LINUX26;
  setup_zone_sizes_only(&cfg, tib, old, 65536);

  cfg.watermark_style = VMSIM_WMARK_MODERN;
  const uint64_t tib8[VMSIM_NR_ZONES] = {4096, 1044480, UINT64_C(2146435072), 0};
  setup_zone_sizes_only(&cfg, tib8, NULL, 262144);
}

/* ---- rule 14: 2.6 ---------------------------------------------------------- */

/*
 * 2.6 style (rule 14): min_free_kbytes as above (no clamp reached), MIN the
 * same share, LOW = MIN * 5 / 4, HIGH = MIN * 6 / 4; lowmem_reserve as in
 * rule 17 (same ratios).
 * 512 MiB: DMA 22 -> 110 / 4 = 27, 132 / 4 = 33; DMA32 701 -> 3505 / 4 = 876, 4206 / 4 = 1051.
 * 8 GiB:   DMA 5 -> 6, 7; DMA32 1442 -> 7210 / 4 = 1802, 8652 / 4 = 2163;
 *          Normal 1448 -> 1810, 2172.
 * 64 GiB:  x86-64 has no highmem, so 2.6 shares MIN over every zone, Movable
 *          too: 5792 over 16777216 pages: DMA 5792 * 4096 / 16777216 = 1 -> 1, 1;
 *          DMA32 5792 * 1044480 / 16777216 = 360 (360.6) -> 450, 540;
 *          Normal 5792 * 7 / 16 = 2534 -> 12670 / 4 = 3167, 15204 / 4 = 3801;
 *          Movable 5792 / 2 = 2896 -> 3620, 4344.
 * Two nodes: DMA 5 -> 6, 7; DMA32 1080 -> 1350, 1620; Normal 1810 -> 9050 / 4 = 2262, 2715.
 */
static void test_linux26(void **state) {
  (void)state;
  vmsim_config cfg = with_style(machine_512m(), VMSIM_WMARK_LINUX26);
  const struct zexp m512[] = {
    {22, 27, 33, {0, 496, 496, 496}},
    {701, 876, 1051, {0}},
    ZERO_ZONE,
    ZERO_ZONE,
  };
  expect_machine(&cfg, 2896, m512);

  cfg = with_style(machine_8g(), VMSIM_WMARK_LINUX26);
  const struct zexp m8g[] = {
    {5, 6, 7, {0, 4080, 8176, 8176}},
    {1442, 1802, 2163, {0, 0, 4096, 4096}},
    {1448, 1810, 2172, {0}},
    ZERO_ZONE,
  };
  expect_machine(&cfg, 11585, m8g);

  cfg = with_style(machine_64g_movable(), VMSIM_WMARK_LINUX26);
  struct zexp m64g[] = {
    {1, 1, 1, {0}},
    {360, 450, 540, {0}},
    {2534, 3167, 3801, {0}},
    {2896, 3620, 4344, {0}},
  };
  with_reserves(m64g, lowmem_reserve_64g);
  expect_machine(&cfg, 23170, m64g);

  cfg = with_style(machine_two_nodes(), VMSIM_WMARK_LINUX26);
  const struct zexp two[] = {
    {5, 6, 7, {0, 3056, 3056, 3056}}, {1080, 1350, 1620, {0}}, ZERO_ZONE, ZERO_ZONE, /* node 0 */
    ZERO_ZONE, ZERO_ZONE, {1810, 2262, 2715, {0}}, ZERO_ZONE,                         /* node 1 */
  };
  expect_machine(&cfg, 11585, two);
}

/* ---- rule 7: 2.4.0 ----------------------------------------------------------- */

/*
 * 2.4.0 style (rule 7): pages_min = size / zone_balance_ratio (DMA 32,
 * others 128) clamped to [10, 255], low 2 min, high 3 min, no
 * lowmem_reserve; every zone on its own (nothing shared).
 * DMA 4096 / 32 = 128 -> 128 / 256 / 384 on every machine here.
 * DMA32 126976 / 128 = 992, 1044480 / 128 = 8160, 782336 / 128 = 6112;
 * Normal 1048576 / 128 = 8192, 1310720 / 128 = 10240: all clamped to 255
 * -> 255 / 510 / 765. (The 64 GiB machine is left out: 1 GiB of frame
 * descriptors to learn that 255 is 255 again.)
 * An unclamped non-DMA zone: zone_balance_ratio[DMA32] = 1024 on 512 MiB
 * gives 126976 / 1024 = 124 -> 124 / 248 / 372.
 */
static void test_linux24(void **state) {
  (void)state;
  const struct zexp dma = {128, 256, 384, {0}}, capped = {255, 510, 765, {0}};
  vmsim_sim *sim = NULL;
  const vmsim_config machines[] = {
    with_style(machine_512m(), VMSIM_WMARK_LINUX24),
    with_style(machine_8g(), VMSIM_WMARK_LINUX24),
    with_style(machine_two_nodes(), VMSIM_WMARK_LINUX24),
  };
  for (unsigned m = 0; m < ARRAY_SIZE(machines); m++) {
    assert_ok(vmsim_sim_create(&sim, &machines[m]));
    for (uint32_t nid = 0; nid < machines[m].nr_nodes; nid++)
      for (int zt = 0; zt < VMSIM_NR_ZONES; zt++) {
        vmsim_zone_info zi;
        assert_ok(vmsim_zone_get_info(sim, nid, (enum vmsim_zone_type)zt, &zi));
        expect_zone(sim, nid, (enum vmsim_zone_type)zt,
                    !zi.populated ? ZERO_ZONE : zt == VMSIM_ZONE_DMA ? dma : capped);
      }
    vmsim_sim_destroy(sim);
  }

  vmsim_config cfg = with_style(machine_512m(), VMSIM_WMARK_LINUX24);
  cfg.zone_balance_ratio[VMSIM_ZONE_DMA32] = 1024;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  expect_zone(sim, 0, VMSIM_ZONE_DMA32, (struct zexp){124, 248, 372, {0}});
  vmsim_sim_destroy(sim);
}

/* ---- rule 17: zone_watermark_ok ------------------------------------------------ */

/*
 * The machine for zone_watermark_ok: 8192 pages, DMA 1024 + DMA32 7168,
 * min_free_kbytes 1024 -> pages_min 256:
 *   DMA   256 * 1024 / 8192 = 32; tmp = max(8, 1) = 8  -> 32 / 40 / 48
 *         (2.6: 32 / 40 / 48 as well)
 *   DMA32 256 * 7168 / 8192 = 224; tmp = max(56, 7) = 56 -> 224 / 280 / 336
 *         (2.6: 224 / 280 / 336)
 *   DMA lowmem_reserve[DMA32] = [Normal] = 7168 / 256 = 28.
 */
static vmsim_sim *wmark_ok_machine(enum vmsim_watermark_style style) {
  vmsim_config cfg;
  vmsim_sim *sim = NULL;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 8192, .zone_pages = {1024, VMSIM_ZONE_REST, 0, 0}, .nr_cpus = 1};
  cfg.min_free_kbytes = 1024;
  cfg.watermark_style = style;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  expect_zone(sim, 0, VMSIM_ZONE_DMA, (struct zexp){32, 40, 48, {0, 28, 28, 28}});
  expect_zone(sim, 0, VMSIM_ZONE_DMA32, (struct zexp){224, 280, 336, {0}});
  return sim;
}

/*
 * Allocate order-0 frames with `gfp` until VMSIM_EOOM and compare the zones
 * they came from, as runs {zone, count} in order, with `expect`.
 */
struct zone_run {
  enum vmsim_zone_type zt;
  uint64_t count;
};

static void drain(vmsim_sim *sim, uint32_t gfp, const struct zone_run *expect, size_t nr) {
  struct zone_run got[8];
  size_t nr_got = 0;
  vmsim_pfn_t pfn;
  int rc;
  while ((rc = vmsim_alloc_pages(sim, 0, gfp, 0, &pfn)) == 0) {
    enum vmsim_zone_type zt = vmsim_page_zonenum(&vmsim_mem_map(sim)[pfn]);
    if (nr_got && got[nr_got - 1].zt == zt) {
      got[nr_got - 1].count++;
    } else {
      assert_true(nr_got < ARRAY_SIZE(got));
      got[nr_got++] = (struct zone_run){zt, 1};
    }
  }
  assert_int_equal(rc, VMSIM_EOOM);
  for (size_t i = 0; i < nr_got && i < nr; i++)
    if (got[i].zt != expect[i].zt || got[i].count != expect[i].count)
      fail_msg("gfp %#x run %zu: %" PRIu64 " frames from %s, expected %" PRIu64 " from %s", gfp,
               i, got[i].count, vmsim__zone_name(got[i].zt), expect[i].count,
               vmsim__zone_name(expect[i].zt));
  assert_int_equal(nr_got, nr);
}

static uint64_t zone_free(const vmsim_sim *sim, enum vmsim_zone_type zt) {
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, 0, zt, &zi));
  return zi.nr_free;
}

/*
 * The allocator stops where rules 17/18 say (order 0: free must stay above
 * mark + lowmem_reserve[highest zone]), taking zones highest first:
 *  - no zone modifier (highest Normal): DMA32 down to LOW 280 (6888
 *    frames), DMA down to 40 + 28 = 68 (956), then at MIN DMA32 to 224
 *    (56) and DMA to 32 + 28 = 60 (8);
 *  - then GFP_ATOMIC (__GFP_HIGH: MIN - MIN/2): DMA32 to 224 - 112 = 112
 *    (112 more), DMA to 16 + 28 = 44 (16 more);
 *  - then GFP_DMA (highest DMA: no reserve): 44 -> LOW 40 -> MIN 32 (12);
 *  - then GFP_DMA | __GFP_HIGH: 32 -> 16 (16).
 */
static void test_allocation_stops_at_watermarks(void **state) {
  (void)state;
  const enum vmsim_zone_type D = VMSIM_ZONE_DMA, D32 = VMSIM_ZONE_DMA32;
  vmsim_sim *sim = wmark_ok_machine(VMSIM_WMARK_MODERN);
  const struct zone_run normal[] = {{D32, 6888}, {D, 956}, {D32, 56}, {D, 8}};
  drain(sim, 0, normal, ARRAY_SIZE(normal));
  assert_int_equal(zone_free(sim, D32), 224);
  assert_int_equal(zone_free(sim, D), 60);
  const struct zone_run atomic[] = {{D32, 112}, {D, 16}};
  drain(sim, VMSIM_GFP_ATOMIC, atomic, ARRAY_SIZE(atomic));
  assert_int_equal(zone_free(sim, D32), 112);
  assert_int_equal(zone_free(sim, D), 44);
  const struct zone_run dma[] = {{D, 12}};
  drain(sim, VMSIM_GFP_DMA, dma, ARRAY_SIZE(dma));
  const struct zone_run dma_high[] = {{D, 16}};
  drain(sim, VMSIM_GFP_DMA | VMSIM_GFP_HIGH, dma_high, ARRAY_SIZE(dma_high));
  assert_int_equal(zone_free(sim, D), 16);
  vmsim_sim_destroy(sim);
}

/*
 * Build a DMA-zone state: GFP_DMA | __GFP_HIGH takes DMA from 1024 free
 * frames down to 16 (LOW 40, then MIN - MIN/2 = 16): 1008 frames, handed
 * out in address order by the buddy split (pfns 0..1007), leaving one
 * order-4 block at 1008. Then free the listed frames.
 */
static void dma_state(vmsim_sim *sim, const vmsim_pfn_t *frees, size_t nr) {
  const struct zone_run all[] = {{VMSIM_ZONE_DMA, 1008}};
  drain(sim, VMSIM_GFP_DMA | VMSIM_GFP_HIGH, all, ARRAY_SIZE(all));
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, 0, VMSIM_ZONE_DMA, &zi));
  assert_int_equal(zi.nr_free, 16);
  assert_int_equal(zi.nr_free_area[4], 1);
  for (size_t i = 0; i < nr; i++)
    assert_ok(vmsim_free_pages(sim, frees[i], 0));
}

/* Rule 17 as written, for a zone with free_area[o] blocks and nr_free:
 * the order test, lowmem_reserve, __GFP_HIGH, then the era's order check. */
static bool reference_ok(const vmsim_zone_info *zi, unsigned order, int64_t mark,
                         enum vmsim_zone_type hz, bool high, bool modern) {
  int64_t free_pages = (int64_t)zi->nr_free - ((INT64_C(1) << order) - 1);
  int64_t min = mark;
  if (high)
    min -= min / 2;
  if (free_pages <= min + (int64_t)zi->lowmem_reserve[hz])
    return false;
  if (modern) {
    for (unsigned o = order; o < VMSIM_MAX_ORDER; o++)
      if (zi->nr_free_area[o])
        return true;
    return order == 0;
  }
  for (unsigned o = 0; o < order; o++) {
    free_pages -= (int64_t)(zi->nr_free_area[o] << o);
    min >>= 1;
    if (free_pages <= min)
      return false;
  }
  return true;
}

/* The internal entry with a raw mark. */
static bool ok(const vmsim_sim *sim, unsigned order, uint64_t mark, enum vmsim_zone_type hz,
               uint32_t gfp) {
  const struct vmsim_zone *z = &sim->nodes[0].zones[VMSIM_ZONE_DMA];
  return vmsim__zone_watermark_ok(sim, z, order, mark, hz, gfp);
}

/* Compare every (order, mark, highest zone, __GFP_HIGH) on the DMA zone
 * with reference_ok. */
static void sweep_against_reference(const vmsim_sim *sim, bool modern) {
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, 0, VMSIM_ZONE_DMA, &zi));
  for (unsigned order = 0; order < VMSIM_MAX_ORDER; order++)
    for (uint64_t mark = 0; mark <= 100; mark++)
      for (int hz = 0; hz < VMSIM_NR_ZONES; hz++)
        for (int high = 0; high < 2; high++) {
          bool want = reference_ok(&zi, order, (int64_t)mark, (enum vmsim_zone_type)hz, high,
                                   modern);
          if (ok(sim, order, mark, (enum vmsim_zone_type)hz, high ? VMSIM_GFP_HIGH : 0) != want)
            fail_msg("order %u mark %" PRIu64 " hz %d high %d: expected %d", order, mark, hz,
                     high, want);
        }
}

/*
 * State A: 16 free in one order-4 block, plus frames 0, 2, ..., 38 freed:
 * their buddies (1, 3, ...) are held, so 20 order-0 blocks; nr_free 36.
 * Hand-worked (rule 17), same for modern and 2.6 unless noted:
 *  order 0: mark 35 ok (36 > 35); mark 36 fails (36 <= 36).
 *  highest DMA32 adds reserve 28: mark 7 ok (36 > 35), mark 8 fails.
 *  __GFP_HIGH: min - min/2: mark 70 -> 35 ok; mark 71 -> 36 fails
 *    (71 - 35 = 36: the kernel keeps the larger half).
 *  __GFP_HIGH and highest DMA32: mark 14 -> 7 + 28 = 35 ok; 15 -> 8 + 28 fails.
 *  order 1: free counted as 36 - 1 = 35.
 *    modern: mark 30 ok (35 > 30 and an order-4 block exists); 35 fails.
 *    2.6: mark 30: 35 > 30, then o=0: 35 - 20 = 15, min 15 -> fails;
 *         mark 29: min 14 < 15 -> ok.
 *  order 4: 36 - 15 = 21. modern: mark 20 ok, 21 fails.
 *    2.6: mark 1: o=0: 21 - 20 = 1 > (1 >> 1 = 0), o=1..3: nothing -> ok;
 *         mark 2: o=0: 1 <= 1 -> fails.
 *  order 5: 36 - 31 = 5. modern: mark 0 fails (no block of order >= 5);
 *    2.6: mark 0: o=0: 5 - 20 < 0 -> fails.
 */
static void test_watermark_ok_state_a(void **state) {
  (void)state;
  vmsim_pfn_t frees[20];
  for (unsigned i = 0; i < 20; i++)
    frees[i] = 2 * i;
  for (int modern = 1; modern >= 0; modern--) {
    vmsim_sim *sim = wmark_ok_machine(modern ? VMSIM_WMARK_MODERN : VMSIM_WMARK_LINUX26);
    dma_state(sim, frees, ARRAY_SIZE(frees));
    vmsim_zone_info zi;
    assert_ok(vmsim_zone_get_info(sim, 0, VMSIM_ZONE_DMA, &zi));
    assert_int_equal(zi.nr_free, 36);
    assert_int_equal(zi.nr_free_area[0], 20);

    const enum vmsim_zone_type D = VMSIM_ZONE_DMA, D32 = VMSIM_ZONE_DMA32;
    assert_true(ok(sim, 0, 35, D, 0));
    assert_false(ok(sim, 0, 36, D, 0));
    assert_true(ok(sim, 0, 7, D32, 0));
    assert_false(ok(sim, 0, 8, D32, 0));
    assert_true(ok(sim, 0, 70, D, VMSIM_GFP_HIGH));
    assert_false(ok(sim, 0, 71, D, VMSIM_GFP_HIGH));
    assert_true(ok(sim, 0, 14, D32, VMSIM_GFP_HIGH));
    assert_false(ok(sim, 0, 15, D32, VMSIM_GFP_HIGH));
    assert_false(ok(sim, 1, 35, D, 0));
    assert_int_equal(ok(sim, 1, 30, D, 0), modern);
    assert_true(ok(sim, 1, 29, D, 0));
    if (modern) {
      assert_true(ok(sim, 4, 20, D, 0));
      assert_false(ok(sim, 4, 21, D, 0));
    } else {
      assert_true(ok(sim, 4, 1, D, 0));
      assert_false(ok(sim, 4, 2, D, 0));
    }
    assert_false(ok(sim, 5, 0, D, 0));

    /* The public entry, with the zone's own marks MIN 32, LOW 40, HIGH 48. */
    assert_true(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_MIN, D, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_LOW, D, 0));
    assert_true(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_LOW, D, VMSIM_GFP_HIGH));
    assert_true(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_HIGH, D, VMSIM_GFP_HIGH));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_MIN, D32, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_MIN, D32, VMSIM_GFP_HIGH));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_MIN, VMSIM_ZONE_NORMAL, 0));
    /* DMA32 is at 7168 - 0 = 7168 free in order-10 blocks. */
    assert_true(vmsim_zone_watermark_ok(sim, 0, D32, 10, VMSIM_WMARK_HIGH, VMSIM_ZONE_NORMAL, 0));
    /* Out-of-range arguments answer false. */
    assert_false(vmsim_zone_watermark_ok(sim, 1, D, 0, VMSIM_WMARK_MIN, D, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, VMSIM_NR_ZONES, 0, VMSIM_WMARK_MIN, D, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, VMSIM_MAX_ORDER, VMSIM_WMARK_MIN, D, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_NR_WMARK, D, 0));
    assert_false(vmsim_zone_watermark_ok(sim, 0, D, 0, VMSIM_WMARK_MIN, VMSIM_NR_ZONES, 0));

    sweep_against_reference(sim, modern);
    vmsim_sim_destroy(sim);
  }
}

/*
 * State B: frames 0..15 and 32..47 freed: each run merges into an order-4
 * block (their buddies 16..31 and 48..63 are held), so three order-4
 * blocks and nothing smaller; nr_free 48.
 *  order 5: 48 - 31 = 17 passes the count test at mark 16, but no block
 *    of order >= 5 exists. modern: fails for that reason. 2.6: the loop
 *    over o = 0..4 takes off the three order-4 blocks at o=4 (17 - 48 < 0)
 *    and fails too. Mark 17 fails the count test in both.
 *  order 4: 48 - 15 = 33. Both eras: mark 32 ok (2.6: orders 0..3 empty,
 *    33 stays above 16, 8, 4, 2); mark 33 fails.
 */
static void test_watermark_ok_state_b(void **state) {
  (void)state;
  vmsim_pfn_t frees[32];
  for (unsigned i = 0; i < 16; i++) {
    frees[i] = i;
    frees[16 + i] = 32 + i;
  }
  for (int modern = 1; modern >= 0; modern--) {
    vmsim_sim *sim = wmark_ok_machine(modern ? VMSIM_WMARK_MODERN : VMSIM_WMARK_LINUX26);
    dma_state(sim, frees, ARRAY_SIZE(frees));
    vmsim_zone_info zi;
    assert_ok(vmsim_zone_get_info(sim, 0, VMSIM_ZONE_DMA, &zi));
    assert_int_equal(zi.nr_free, 48);
    assert_int_equal(zi.nr_free_area[4], 3);

    assert_false(ok(sim, 5, 0, VMSIM_ZONE_DMA, 0));
    assert_false(ok(sim, 5, 16, VMSIM_ZONE_DMA, 0));
    assert_false(ok(sim, 5, 17, VMSIM_ZONE_DMA, 0));
    assert_true(ok(sim, 4, 32, VMSIM_ZONE_DMA, 0));
    assert_false(ok(sim, 4, 33, VMSIM_ZONE_DMA, 0));
    sweep_against_reference(sim, modern);
    vmsim_sim_destroy(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_modern_512m),
    cmocka_unit_test(test_lruvec_free_and_high),
    cmocka_unit_test(test_modern_configured_min_free),
    cmocka_unit_test(test_modern_8g),
    cmocka_unit_test(test_modern_64g_movable),
    cmocka_unit_test(test_small_movable),
    cmocka_unit_test(test_modern_two_nodes),
    cmocka_unit_test(test_min_free_kbytes_floor),
    cmocka_unit_test(test_min_free_kbytes_ceiling),
    cmocka_unit_test(test_linux26),
    cmocka_unit_test(test_linux24),
    cmocka_unit_test(test_allocation_stops_at_watermarks),
    cmocka_unit_test(test_watermark_ok_state_a),
    cmocka_unit_test(test_watermark_ok_state_b),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
