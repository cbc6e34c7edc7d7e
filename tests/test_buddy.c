/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator (src/core/page_alloc.c) and the zonelists it walks
 * (src/core/sim.c), checked against a brute-force model kept by the test:
 * a shadow map of the blocks the test holds, and a checker that walks every
 * free list and accounts for every frame of the machine.
 */
#include "vmsim_test.h"

#include <stdlib.h>

/* ---- machines ---------------------------------------------------------- */

/* Two nodes with awkward zone sizes (not multiples of 1024) so that zone
 * edges cut buddy blocks. min_free_kbytes 0 lets the test drain zones. */
static void config_two_nodes(vmsim_config *cfg) {
  vmsim_config_default(cfg);
  cfg->nr_nodes = 2;
  cfg->nodes[0] = (vmsim_node_config){
    .pages = 8500, .zone_pages = {1000, 3000, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
  cfg->nodes[1] = (vmsim_node_config){
    .pages = 7003, .zone_pages = {0, 0, 5003, VMSIM_ZONE_REST}, .nr_cpus = 1};
  cfg->min_free_kbytes = 0;
}

/* `n` nodes of `pages` frames each, all ZONE_NORMAL. */
static void config_normal_nodes(vmsim_config *cfg, uint32_t n, uint64_t pages) {
  vmsim_config_default(cfg);
  cfg->nr_nodes = n;
  for (uint32_t i = 0; i < n; i++)
    cfg->nodes[i] = (vmsim_node_config){
      .pages = pages, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
}

static vmsim_sim *create(const vmsim_config *cfg) {
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, cfg));
  assert_non_null(sim);
  return sim;
}

/* ---- where a frame is, from the zone spans (not from page flags) -------- */

struct zone_at {
  uint32_t nid;
  enum vmsim_zone_type zt;
};

static struct zone_at zone_of_pfn(const vmsim_sim *sim, vmsim_pfn_t pfn) {
  for (uint32_t nid = 0; nid < vmsim_nr_nodes(sim); nid++)
    for (int zt = 0; zt < VMSIM_NR_ZONES; zt++) {
      vmsim_zone_info zi;
      assert_ok(vmsim_zone_get_info(sim, nid, (enum vmsim_zone_type)zt, &zi));
      if (pfn >= zi.start_pfn && pfn - zi.start_pfn < zi.spanned_pages)
        return (struct zone_at){nid, (enum vmsim_zone_type)zt};
    }
  fail_msg("pfn %u is in no zone", pfn);
  return (struct zone_at){0, 0};
}

/* ---- the shadow of allocated blocks ------------------------------------ */

struct block {
  vmsim_pfn_t pfn;
  unsigned order;
};

/* A machine, the blocks the test holds on it, and free-list snapshots
 * (per frame: order + 1 where a free block starts, else 0). */
struct shadow {
  vmsim_sim *sim;
  uint64_t nr_pages;
  uint8_t *allocated;  /* per frame: held by the test */
  struct block *blocks;
  size_t nr_blocks;
  uint8_t *initial;    /* the free blocks of the new machine */
  uint8_t *now;        /* the free blocks at the last check */
};

/* Record a block the allocator returned; no frame may be handed out twice. */
static void shadow_add(struct shadow *s, vmsim_pfn_t pfn, unsigned order) {
  assert_int_equal(pfn & ((UINT32_C(1) << order) - 1), 0); /* naturally aligned */
  assert_true((uint64_t)pfn + (UINT64_C(1) << order) <= s->nr_pages);
  for (uint64_t f = pfn; f < pfn + (UINT64_C(1) << order); f++) {
    if (s->allocated[f])
      fail_msg("frame %" PRIu64 " handed out twice", f);
    s->allocated[f] = 1;
  }
  s->blocks[s->nr_blocks++] = (struct block){pfn, order};
}

static void shadow_free(struct shadow *s, size_t i) {
  struct block b = s->blocks[i];
  assert_ok(vmsim_free_pages(s->sim, b.pfn, b.order));
  memset(&s->allocated[b.pfn], 0, (size_t)1 << b.order);
  s->blocks[i] = s->blocks[--s->nr_blocks];
}


/* ---- the brute-force checker ------------------------------------------- */

/*
 * Walk every zone's free lists and account for every frame:
 *  - each listed block head has PG_buddy and private == order, is aligned
 *    to its order and lies wholly inside the zone whose list holds it;
 *  - list links are consistent both ways, nr and tail agree;
 *  - every frame is covered exactly once, by a free block or by a block
 *    the test holds (so nothing is lost or handed out twice);
 *  - PG_buddy marks free-block heads and nothing else;
 *  - zone nr_free is the sum of its free blocks, vmstat nr_free_pages the
 *    sum over all zones, zone_info agrees with the lists;
 *  - no two free buddies of the same order in the same zone (they merge);
 *  - each block the test holds has refcount 1 and its order in private.
 * head_order[pfn] receives order + 1 for each free block head, else 0.
 */
static void check_buddy(const struct shadow *s, uint8_t *head_order) {
  vmsim_sim *sim = s->sim;
  struct vmsim_page *map = vmsim_mem_map(sim);
  uint8_t *covered = malloc(s->nr_pages);
  uint64_t total_free = 0;

  assert_non_null(covered);
  memcpy(covered, s->allocated, s->nr_pages);
  memset(head_order, 0, s->nr_pages);
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    for (int zt = 0; zt < VMSIM_NR_ZONES; zt++) {
      const struct vmsim_zone *zone = &sim->nodes[nid].zones[zt];
      uint64_t start = zone->start_pfn, end = start + zone->spanned_pages, zone_free = 0;
      vmsim_zone_info zi;
      assert_ok(vmsim_zone_get_info(sim, nid, (enum vmsim_zone_type)zt, &zi));
      for (unsigned o = 0; o < VMSIM_MAX_ORDER; o++) {
        const vmsim_list *l = &zone->free_area[o].free_list;
        vmsim_pfn_t pfn = l->head, prev = VMSIM_PFN_NONE;
        uint64_t n = 0;
        while (pfn != VMSIM_PFN_NONE) {
          assert_true(++n <= l->nr); /* also stops a cycle */
          assert_true(pfn < s->nr_pages);
          const struct vmsim_page *p = &map[pfn];
          assert_int_equal(p->lru_prev, prev);
          assert_true(vmsim_page_test(p, VMSIM_PG_buddy));
          assert_int_equal(p->private, o);
          assert_int_equal(pfn & ((UINT32_C(1) << o) - 1), 0);
          assert_true(pfn >= start && pfn + (UINT64_C(1) << o) <= end);
          for (uint64_t f = pfn; f < pfn + (UINT64_C(1) << o); f++) {
            if (covered[f])
              fail_msg("frame %" PRIu64 " covered twice (free block %u order %u)", f, pfn, o);
            covered[f] = 1;
          }
          head_order[pfn] = (uint8_t)(o + 1);
          prev = pfn;
          pfn = p->lru_next;
        }
        assert_int_equal(n, l->nr);
        assert_int_equal(l->tail, prev);
        assert_int_equal(zi.nr_free_area[o], n);
        zone_free += n << o;
      }
      assert_int_equal(zone->nr_free, zone_free);
      assert_int_equal(zi.nr_free, zone_free);
      total_free += zone_free;
    }
  }
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), total_free);

  for (uint64_t f = 0; f < s->nr_pages; f++) {
    if (!covered[f])
      fail_msg("frame %" PRIu64 " is neither free nor allocated", f);
    assert_int_equal(vmsim_page_test(&map[f], VMSIM_PG_buddy), head_order[f] != 0);
    if (!head_order[f])
      continue;
    /* A free block whose same-order buddy is also a free block of this
     * zone should have merged. */
    unsigned o = head_order[f] - 1u;
    uint64_t b = f ^ (UINT64_C(1) << o);
    if (o + 1 < VMSIM_MAX_ORDER && b < s->nr_pages && head_order[b] == head_order[f] &&
        vmsim__page_zone(sim, &map[b]) == vmsim__page_zone(sim, &map[f]))
      fail_msg("free buddies %" PRIu64 " and %" PRIu64 " of order %u did not merge", f, b, o);
  }
  for (size_t i = 0; i < s->nr_blocks; i++) {
    const struct vmsim_page *p = &map[s->blocks[i].pfn];
    assert_int_equal(p->refcount, 1);
    assert_int_equal(p->private, s->blocks[i].order);
    assert_false(vmsim_page_test(p, VMSIM_PG_buddy));
  }
  free(covered);
}

/*
 * The free blocks an all-free machine must have: each zone cut greedily
 * into the largest naturally aligned blocks that fit (the only layout in
 * which no two free buddies remain unmerged). Also checks that every
 * frame's zone id (page flags) names the zone whose span holds it.
 */
static void canonical_free_blocks(const vmsim_sim *sim, uint8_t *head_order) {
  const struct vmsim_page *map = vmsim_mem_map((vmsim_sim *)sim);
  memset(head_order, 0, vmsim_nr_pages(sim));
  for (uint32_t nid = 0; nid < vmsim_nr_nodes(sim); nid++)
    for (int zt = 0; zt < VMSIM_NR_ZONES; zt++) {
      vmsim_zone_info zi;
      assert_ok(vmsim_zone_get_info(sim, nid, (enum vmsim_zone_type)zt, &zi));
      uint64_t pfn = zi.start_pfn, end = zi.start_pfn + zi.spanned_pages;
      for (uint64_t f = pfn; f < end; f++) {
        assert_int_equal(vmsim_page_nid(&map[f]), nid);
        assert_int_equal(vmsim_page_zonenum(&map[f]), zt);
      }
      while (pfn < end) {
        unsigned o = VMSIM_MAX_ORDER - 1;
        while (pfn % (UINT64_C(1) << o) || pfn + (UINT64_C(1) << o) > end)
          o--;
        head_order[pfn] = (uint8_t)(o + 1);
        pfn += UINT64_C(1) << o;
      }
    }
}

static void check(struct shadow *s) { check_buddy(s, s->now); }

/* Create the machine; its free lists must pass the checker and be the
 * canonical layout. */
static void shadow_open(struct shadow *s, const vmsim_config *cfg) {
  s->sim = create(cfg);
  s->nr_pages = vmsim_nr_pages(s->sim);
  s->allocated = calloc(s->nr_pages, 1);
  s->blocks = calloc(s->nr_pages, sizeof(*s->blocks)); /* at most one per frame */
  s->nr_blocks = 0;
  s->initial = malloc(s->nr_pages);
  s->now = malloc(s->nr_pages);
  assert_true(s->allocated && s->blocks && s->initial && s->now);
  check_buddy(s, s->initial);
  canonical_free_blocks(s->sim, s->now);
  assert_memory_equal(s->initial, s->now, s->nr_pages);
}

/* Free every block the test holds: the free lists must come back to those
 * of the new machine, as sets of blocks (list order may differ). Then
 * destroy the machine. */
static void shadow_close(struct shadow *s) {
  while (s->nr_blocks)
    shadow_free(s, s->nr_blocks - 1);
  check(s);
  assert_memory_equal(s->now, s->initial, s->nr_pages);
  assert_int_equal(vmsim_vmstat(s->sim, VMSIM_VM_nr_free_pages), s->nr_pages);
  free(s->allocated);
  free(s->blocks);
  free(s->initial);
  free(s->now);
  vmsim_sim_destroy(s->sim);
}

/* ---- the random test ---------------------------------------------------- */

/* Would some zone the request may use pass the MIN test (the most lenient
 * the allocator tries) and hold a block big enough? Rule 17, modern. */
static bool some_zone_could_serve(vmsim_sim *sim, int nid, uint32_t gfp,
                                  enum vmsim_zone_type hz, unsigned order) {
  for (uint32_t n = 0; n < sim->nr_nodes; n++) {
    if ((gfp & VMSIM_GFP_THISNODE) && n != (uint32_t)(nid < 0 ? 0 : nid))
      continue;
    for (int zt = 0; zt <= (int)hz; zt++) {
      const struct vmsim_zone *z = &sim->nodes[n].zones[zt];
      int64_t min = (int64_t)z->watermark[VMSIM_WMARK_MIN];
      if (gfp & VMSIM_GFP_HIGH)
        min -= min / 2;
      bool block = false;
      for (unsigned o = order; o < VMSIM_MAX_ORDER; o++)
        block |= z->free_area[o].free_list.nr != 0;
      int64_t usable = (int64_t)z->nr_free - ((INT64_C(1) << order) - 1);
      if (block && usable > min + (int64_t)z->lowmem_reserve[hz])
        return true;
    }
  }
  return false;
}

/* The requests of the random test, each with the highest zone its zone
 * modifier allows (gfp_zone, from the flag descriptions in sim.h). */
static const struct {
  uint32_t gfp;
  enum vmsim_zone_type highest;
} random_gfps[] = {
  {0, VMSIM_ZONE_NORMAL},
  {VMSIM_GFP_DMA, VMSIM_ZONE_DMA},
  {VMSIM_GFP_DMA32, VMSIM_ZONE_DMA32},
  {VMSIM_GFP_MOVABLE, VMSIM_ZONE_MOVABLE},
  {VMSIM_GFP_ATOMIC, VMSIM_ZONE_NORMAL},
  {VMSIM_GFP_HIGHUSER_MOVABLE, VMSIM_ZONE_MOVABLE},
  {VMSIM_GFP_THISNODE, VMSIM_ZONE_NORMAL},
  {VMSIM_GFP_DMA32 | VMSIM_GFP_THISNODE, VMSIM_ZONE_DMA32},
  {VMSIM_GFP_MOVABLE | VMSIM_GFP_THISNODE, VMSIM_ZONE_MOVABLE},
};

/*
 * Seeded random allocate/free of orders 0..10 on two nodes and four zone
 * types, checking the buddy invariants after every step and each
 * allocation's placement (aligned, within gfp_zone, on the node if
 * THISNODE). A VMSIM_EOOM must be justified: no eligible zone passes MIN
 * with a big enough block. At the end everything is freed and the free
 * lists must be exactly those of the new machine (compared as sets of
 * blocks: list order may differ), which are the canonical layout.
 */
static void random_run(uint64_t seed, int steps) {
  vmsim_config cfg;
  struct shadow s;
  config_two_nodes(&cfg);
  shadow_open(&s, &cfg);
  vmsim_sim *sim = s.sim;

  unsigned nr_ok = 0, nr_oom = 0;
  for (int step = 0; step < steps; step++) {
    uint64_t r = test_rand(&seed);
    if (s.nr_blocks && r % 100 >= 55) {
      shadow_free(&s, (size_t)(test_rand(&seed) % s.nr_blocks));
    } else {
      unsigned order = (unsigned)(r % 10 < 3 ? test_rand(&seed) % VMSIM_MAX_ORDER
                                             : test_rand(&seed) % 4);
      size_t g = (size_t)(test_rand(&seed) % ARRAY_SIZE(random_gfps));
      uint32_t gfp = random_gfps[g].gfp;
      enum vmsim_zone_type hz = random_gfps[g].highest;
      int nid = (int)(test_rand(&seed) % 3) - 1; /* -1, 0, 1 */
      vmsim_pfn_t pfn = VMSIM_PFN_NONE;
      int rc = vmsim_alloc_pages(sim, nid, gfp, order, &pfn);
      if (rc == VMSIM_EOOM) {
        nr_oom++;
        if (some_zone_could_serve(sim, nid, gfp, hz, order))
          fail_msg("step %d: EOOM for order %u gfp %#x although a zone could serve it", step,
                   order, gfp);
      } else {
        assert_ok(rc);
        nr_ok++;
        struct zone_at at = zone_of_pfn(sim, pfn);
        assert_true(at.zt <= hz);
        assert_true(zone_of_pfn(sim, pfn + (1u << order) - 1).zt == at.zt);
        if (gfp & VMSIM_GFP_THISNODE)
          assert_int_equal(at.nid, nid < 0 ? 0 : nid);
        shadow_add(&s, pfn, order);
      }
    }
    check(&s);
  }
  /* The run must have exercised both outcomes. */
  assert_true(nr_ok > (unsigned)steps / 4);
  assert_true(nr_oom > 0);
  shadow_close(&s);
}

static void test_random_alloc_free(void **state) {
  (void)state;
  const uint64_t seeds[] = {1, 0xdeadbeef, 20240601};
  for (unsigned i = 0; i < ARRAY_SIZE(seeds); i++)
    random_run(seeds[i], 4000);
}

/* ---- placement ---------------------------------------------------------- */

/*
 * Allocate order-0 frames from `nid` with `gfp` until VMSIM_EOOM and check
 * the nodes they came from, as runs: {node, count} in order.
 */
struct run {
  uint32_t nid;
  uint64_t count;
};

static void expect_runs(vmsim_sim *sim, int nid, uint32_t gfp, const struct run *expect,
                        size_t nr_expect) {
  struct run got[16];
  size_t nr_got = 0;
  vmsim_pfn_t pfn;
  int rc;
  while ((rc = vmsim_alloc_pages(sim, nid, gfp, 0, &pfn)) == 0) {
    uint32_t n = zone_of_pfn(sim, pfn).nid;
    if (nr_got && got[nr_got - 1].nid == n) {
      got[nr_got - 1].count++;
    } else {
      assert_true(nr_got < ARRAY_SIZE(got));
      got[nr_got++] = (struct run){n, 1};
    }
  }
  assert_int_equal(rc, VMSIM_EOOM);
  for (size_t i = 0; i < nr_got && i < nr_expect; i++)
    if (got[i].nid != expect[i].nid || got[i].count != expect[i].count)
      fail_msg("run %zu: %" PRIu64 " frames from node %u, expected %" PRIu64 " from node %u", i,
               got[i].count, got[i].nid, expect[i].count, expect[i].nid);
  assert_int_equal(nr_got, nr_expect);
}

/*
 * Zonelist order (build_zonelists, rule 18's fast path at LOW then MIN):
 * three nodes of 4096 Normal frames; node 0 is nearer node 2 (20) than
 * node 1 (40). min_free_kbytes 1200 gives pages_min = 1200 / 4 = 300,
 * each zone's share 300 * 4096 / 12288 = 100 = MIN, tmp = max(100 >> 2,
 * 4096 * 10 / 10000 = 4) = 25, LOW = 125. The fast path takes each node
 * down to LOW in zonelist order (4096 - 125 = 3971 frames each), then the
 * slow path takes each down to MIN (25 frames each), again in order.
 * Node 2 is at 20 from both others: ties go by node id (0, then 1).
 */
static void test_zonelist_distance_order(void **state) {
  (void)state;
  static const uint8_t dist[3][3] = {{10, 40, 20}, {40, 10, 20}, {20, 20, 10}};
  static const uint32_t expect_order[3][3] = {{0, 2, 1}, {1, 2, 0}, {2, 0, 1}};
  for (int from = 0; from < 3; from++) {
    vmsim_config cfg;
    config_normal_nodes(&cfg, 3, 4096);
    cfg.min_free_kbytes = 1200;
    memcpy(cfg.node_distance[0], dist[0], 3);
    memcpy(cfg.node_distance[1], dist[1], 3);
    memcpy(cfg.node_distance[2], dist[2], 3);
    vmsim_sim *sim = create(&cfg);
    for (uint32_t n = 0; n < 3; n++) {
      vmsim_zone_info zi;
      assert_ok(vmsim_zone_get_info(sim, n, VMSIM_ZONE_NORMAL, &zi));
      assert_int_equal(zi.watermark[VMSIM_WMARK_MIN], 100);
      assert_int_equal(zi.watermark[VMSIM_WMARK_LOW], 125);
    }
    const uint32_t *o = expect_order[from];
    const struct run expect[] = {{o[0], 3971}, {o[1], 3971}, {o[2], 3971},
                                 {o[0], 25},   {o[1], 25},   {o[2], 25}};
    expect_runs(sim, from, 0, expect, ARRAY_SIZE(expect));
    vmsim_sim_destroy(sim);
  }
}

/*
 * __GFP_THISNODE: no fallback. Two nodes of 4096 Normal frames at distance
 * 21; min_free_kbytes 800: pages_min 200, share 200 * 4096 / 8192 = 100 =
 * MIN, tmp = max(25, 4) = 25, LOW = 125. With THISNODE node 0 gives
 * 3971 + 25 = 3996 frames and then fails although node 1 is untouched;
 * without it the allocation falls back to node 1.
 */
static void test_thisnode(void **state) {
  (void)state;
  vmsim_config cfg;
  config_normal_nodes(&cfg, 2, 4096);
  cfg.min_free_kbytes = 800;
  cfg.node_distance[0][0] = cfg.node_distance[1][1] = 10;
  cfg.node_distance[0][1] = cfg.node_distance[1][0] = 21;

  vmsim_sim *sim = create(&cfg);
  const struct run only0[] = {{0, 3996}};
  expect_runs(sim, 0, VMSIM_GFP_THISNODE, only0, ARRAY_SIZE(only0));
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, 1, VMSIM_ZONE_NORMAL, &zi));
  assert_int_equal(zi.nr_free, 4096);
  /* Node 0 is at MIN now: without THISNODE the fast path uses node 1. */
  vmsim_pfn_t pfn;
  assert_ok(vmsim_alloc_pages(sim, 0, 0, 0, &pfn));
  assert_int_equal(zone_of_pfn(sim, pfn).nid, 1);
  vmsim_sim_destroy(sim);

  sim = create(&cfg);
  const struct run fallback[] = {{0, 3971}, {1, 3971}, {0, 25}, {1, 25}};
  expect_runs(sim, 0, 0, fallback, ARRAY_SIZE(fallback));
  vmsim_sim_destroy(sim);
}

/*
 * gfp_zone: the zone modifier caps the zone type. One node with all four
 * zones (DMA 1000, DMA32 3000, Normal 3000, Movable 1000), min_free_kbytes
 * 0 and no lowmem_reserve so that a zone can be drained to its last frame:
 * MIN = 0 for the lowmem zones (rule 16: the share of 0), so GFP_DMA gets
 * exactly the 1000 DMA frames, GFP_DMA32 then exactly the 3000 DMA32
 * frames, no modifier exactly the 3000 Normal frames (never Movable), and
 * GFP_MOVABLE the Movable ones down to its MIN, which 6.x sets apart from
 * min_free_kbytes: clamp(1000 / 1024 = 0, 32, 128) = 32, so 968 frames.
 * Each then fails with VMSIM_EOOM.
 */
static void test_gfp_zone_limits(void **state) {
  (void)state;
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0] = (vmsim_node_config){
    .pages = 8000, .zone_pages = {1000, 3000, 3000, VMSIM_ZONE_REST}, .nr_cpus = 1};
  cfg.min_free_kbytes = 0;
  memset(cfg.lowmem_reserve_ratio, 0, sizeof(cfg.lowmem_reserve_ratio));
  struct shadow s;
  shadow_open(&s, &cfg);
  vmsim_sim *sim = s.sim;

  static const struct {
    uint32_t gfp;
    enum vmsim_zone_type zt;
    uint64_t count;
  } steps[] = {
    {VMSIM_GFP_DMA, VMSIM_ZONE_DMA, 1000},
    {VMSIM_GFP_DMA32, VMSIM_ZONE_DMA32, 3000},
    {0, VMSIM_ZONE_NORMAL, 3000},
    {VMSIM_GFP_MOVABLE, VMSIM_ZONE_MOVABLE, 968},
  };
  for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
    vmsim_pfn_t pfn;
    uint64_t n = 0;
    int rc;
    while ((rc = vmsim_alloc_pages(sim, 0, steps[i].gfp, 0, &pfn)) == 0) {
      assert_int_equal(zone_of_pfn(sim, pfn).zt, steps[i].zt);
      shadow_add(&s, pfn, 0);
      n++;
    }
    assert_int_equal(rc, VMSIM_EOOM);
    assert_int_equal(n, steps[i].count);
  }
  check(&s);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), 32);
  shadow_close(&s);
}

/*
 * Exhaustion ends in VMSIM_EOOM, also with DIRECT_RECLAIM and no reclaim
 * engine (the slow path must give up, not loop), and fragmentation is
 * respected: a single Normal zone of 2048 frames, min_free_kbytes 0 (MIN 0,
 * LOW = 2048 * 10 / 10000 = 2): exactly two order-10 blocks, then exactly
 * 2048 order-0 frames. After freeing every other frame, 1024 frames are free
 * but no two are buddies, so order 1 fails while order 0 still succeeds.
 */
static void test_exhaustion(void **state) {
  (void)state;
  vmsim_config cfg;
  config_normal_nodes(&cfg, 1, 2048);
  cfg.min_free_kbytes = 0;
  struct shadow s;
  shadow_open(&s, &cfg);
  vmsim_sim *sim = s.sim;
  vmsim_pfn_t pfn;

  for (int i = 0; i < 2; i++) {
    assert_ok(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL, 10, &pfn));
    shadow_add(&s, pfn, 10);
  }
  assert_int_equal(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL, 10, &pfn), VMSIM_EOOM);
  assert_int_equal(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL, 0, &pfn), VMSIM_EOOM);
  check(&s);
  while (s.nr_blocks)
    shadow_free(&s, 0);

  for (int i = 0; i < 2048; i++) {
    assert_ok(vmsim_alloc_pages(sim, -1, VMSIM_GFP_KERNEL, 0, &pfn));
    shadow_add(&s, pfn, 0);
  }
  assert_int_equal(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL | VMSIM_GFP_HIGH, 0, &pfn),
                   VMSIM_EOOM);
  check(&s);

  /* Free the even frames: 1024 isolated order-0 blocks. */
  for (size_t i = s.nr_blocks; i-- > 0;)
    if (s.blocks[i].pfn % 2 == 0)
      shadow_free(&s, i);
  check(&s);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), 1024);
  assert_int_equal(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL, 1, &pfn), VMSIM_EOOM);
  assert_ok(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KERNEL, 0, &pfn));
  shadow_add(&s, pfn, 0);
  check(&s);
  shadow_close(&s);
}

/* ---- argument checks ---------------------------------------------------- */

/*
 * vmsim_free_pages refuses, with VMSIM_EINVAL and no change to the free
 * lists, a double free, a wrong order (smaller or larger), a frame inside a
 * block, a free frame, a pfn beyond the machine, and order >= MAX_ORDER.
 */
static void test_bad_free_refused(void **state) {
  (void)state;
  vmsim_config cfg;
  config_two_nodes(&cfg);
  struct shadow s;
  shadow_open(&s, &cfg);
  vmsim_sim *sim = s.sim;
  uint8_t *before = malloc(s.nr_pages);
  assert_non_null(before);
  vmsim_pfn_t pfn, single;

  assert_ok(vmsim_alloc_pages(sim, 0, 0, 3, &pfn));
  shadow_add(&s, pfn, 3);
  assert_ok(vmsim_alloc_pages(sim, 0, 0, 0, &single));
  shadow_add(&s, single, 0);
  check(&s);
  memcpy(before, s.now, s.nr_pages);

  assert_int_equal(vmsim_free_pages(sim, pfn, 2), VMSIM_EINVAL);     /* order too small */
  assert_int_equal(vmsim_free_pages(sim, pfn, 4), VMSIM_EINVAL);     /* order too large */
  assert_int_equal(vmsim_free_pages(sim, pfn + 1, 0), VMSIM_EINVAL); /* inside the block */
  assert_int_equal(vmsim_free_pages(sim, pfn + 4, 2), VMSIM_EINVAL); /* inside the block */
  assert_int_equal(vmsim_free_pages(sim, pfn, VMSIM_MAX_ORDER), VMSIM_EINVAL);
  assert_int_equal(vmsim_free_pages(sim, (vmsim_pfn_t)s.nr_pages, 0), VMSIM_EINVAL);
  assert_int_equal(vmsim_free_pages(sim, VMSIM_PFN_NONE, 0), VMSIM_EINVAL);
  assert_int_equal(vmsim_free_pages(NULL, pfn, 3), VMSIM_EINVAL);
  check(&s);
  assert_memory_equal(before, s.now, s.nr_pages);

  /* Double free: the second one is refused and changes nothing. */
  shadow_free(&s, 1); /* `single` */
  check(&s);
  memcpy(before, s.now, s.nr_pages);
  assert_int_equal(vmsim_free_pages(sim, single, 0), VMSIM_EINVAL);
  check(&s);
  assert_memory_equal(before, s.now, s.nr_pages);

  /* A frame that was never allocated (a free block head or inside one). */
  vmsim_pfn_t free_head = VMSIM_PFN_NONE;
  for (uint64_t f = 0; f < s.nr_pages && free_head == VMSIM_PFN_NONE; f++)
    if (before[f] > 1)
      free_head = (vmsim_pfn_t)f;
  assert_true(free_head != VMSIM_PFN_NONE);
  unsigned fo = before[free_head] - 1u;
  assert_int_equal(vmsim_free_pages(sim, free_head, fo), VMSIM_EINVAL);
  assert_int_equal(vmsim_free_pages(sim, free_head + 1, 0), VMSIM_EINVAL);
  check(&s);
  assert_memory_equal(before, s.now, s.nr_pages);

  free(before);
  shadow_close(&s);
}

/* vmsim_alloc_pages: order >= MAX_ORDER (11), a node out of range, or a
 * NULL argument is VMSIM_EINVAL, and nothing is allocated. */
static void test_bad_alloc_args(void **state) {
  (void)state;
  vmsim_config cfg;
  config_two_nodes(&cfg);
  vmsim_sim *sim = create(&cfg);
  vmsim_pfn_t pfn = 12345;
  uint64_t free0 = vmsim_vmstat(sim, VMSIM_VM_nr_free_pages);

  assert_int_equal(vmsim_alloc_pages(sim, 0, 0, VMSIM_MAX_ORDER, &pfn), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(sim, 0, 0, 64, &pfn), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(sim, 2, 0, 0, &pfn), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(sim, -2, 0, 0, &pfn), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(sim, 0, 0, 0, NULL), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(NULL, 0, 0, 0, &pfn), VMSIM_EINVAL);
  assert_int_equal(pfn, 12345);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), free0);
  /* The largest legal order works. */
  assert_ok(vmsim_alloc_pages(sim, 1, VMSIM_GFP_MOVABLE, VMSIM_MAX_ORDER - 1, &pfn));
  assert_ok(vmsim_free_pages(sim, pfn, VMSIM_MAX_ORDER - 1));
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_random_alloc_free),
    cmocka_unit_test(test_zonelist_distance_order),
    cmocka_unit_test(test_thisnode),
    cmocka_unit_test(test_gfp_zone_limits),
    cmocka_unit_test(test_exhaustion),
    cmocka_unit_test(test_bad_free_refused),
    cmocka_unit_test(test_bad_alloc_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
