/* SPDX-License-Identifier: MIT */
/*
 * Configuration defaults and validation (src/core/config.c): every bad
 * configuration is refused with VMSIM_ECONFIG by vmsim_config_validate,
 * with a message naming the field, and by vmsim_sim_create, which must not
 * crash, leak or hand out a machine.
 */
#include "vmsim_test.h"

/* The documented defaults (config.h, sim.h): one node, 2 CPUs, 16 MiB DMA
 * + 496 MiB DMA32, modern watermarks; and they validate and create. */
static void test_defaults(void **state) {
  (void)state;
  vmsim_config cfg;
  char msg[256] = "";
  vmsim_config_default(&cfg);
  assert_int_equal(cfg.nr_nodes, 1);
  assert_int_equal(cfg.nodes[0].pages, 131072);
  assert_int_equal(cfg.nodes[0].zone_pages[VMSIM_ZONE_DMA], 4096);
  assert_int_equal(cfg.nodes[0].zone_pages[VMSIM_ZONE_DMA32], VMSIM_ZONE_REST);
  assert_int_equal(cfg.watermark_style, VMSIM_WMARK_MODERN);
  assert_int_equal(cfg.min_free_kbytes, -1);
  assert_int_equal(cfg.watermark_scale_factor, 10);
  assert_int_equal(cfg.swappiness, 60);
  /* mm/page_alloc.c sysctl_lowmem_reserve_ratio (rule 17) */
  assert_int_equal(cfg.lowmem_reserve_ratio[VMSIM_ZONE_DMA], 256);
  assert_int_equal(cfg.lowmem_reserve_ratio[VMSIM_ZONE_DMA32], 256);
  assert_int_equal(cfg.lowmem_reserve_ratio[VMSIM_ZONE_NORMAL], 32);
  assert_int_equal(cfg.lowmem_reserve_ratio[VMSIM_ZONE_MOVABLE], 0);
  /* 2.4.0 zone_balance_ratio (rule 7): DMA 32, the others 128 */
  assert_int_equal(cfg.zone_balance_ratio[VMSIM_ZONE_DMA], 32);
  assert_int_equal(cfg.zone_balance_ratio[VMSIM_ZONE_NORMAL], 128);
  assert_ok(vmsim_config_validate(&cfg, msg, sizeof(msg)));
  assert_ok(vmsim_config_validate(&cfg, NULL, 0));

  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, NULL)); /* NULL: the default machine */
  assert_int_equal(vmsim_nr_nodes(sim), 1);
  assert_int_equal(vmsim_nr_cpus(sim), 2);
  assert_int_equal(vmsim_nr_pages(sim), 131072);
  assert_int_equal(vmsim_cpu_to_node(sim, 1), 0);
  assert_int_equal(vmsim_cpu_to_node(sim, 2), VMSIM_EINVAL);
  vmsim_zone_info zi;
  assert_ok(vmsim_zone_get_info(sim, 0, VMSIM_ZONE_DMA32, &zi));
  assert_int_equal(zi.start_pfn, 4096);
  assert_int_equal(zi.managed_pages, 126976); /* the REST: 131072 - 4096 */
  assert_int_equal(vmsim_zone_get_info(sim, 1, VMSIM_ZONE_DMA, &zi), VMSIM_EINVAL);
  assert_int_equal(vmsim_zone_get_info(sim, 0, VMSIM_NR_ZONES, &zi), VMSIM_EINVAL);
  assert_int_equal(vmsim_sim_create(NULL, NULL), VMSIM_EINVAL);
  assert_int_equal(vmsim_config_validate(NULL, msg, sizeof(msg)), VMSIM_EINVAL);
  vmsim_sim_destroy(sim);
  vmsim_sim_destroy(NULL);
}

/* ---- bad configurations --------------------------------------------------- */

/* A second node of 1024 Normal pages, for the NUMA cases. */
static void add_node1(vmsim_config *c) {
  c->nr_nodes = 2;
  c->nodes[1] = (vmsim_node_config){
    .pages = 1024, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
}

/* Each case breaks one thing in the default configuration. */
#define BAD(name, body) \
  static void bad_##name(vmsim_config *c) { body; }

BAD(zero_machine, c->nodes[0].pages = 0)
BAD(zero_node, add_node1(c); c->nodes[1].pages = 0)
BAD(zone_bigger_than_node, c->nodes[0].zone_pages[VMSIM_ZONE_DMA] = 131073)
BAD(zones_short, c->nodes[0].zone_pages[VMSIM_ZONE_DMA32] = 1000)
BAD(zones_over, c->nodes[0].zone_pages[VMSIM_ZONE_DMA32] = 127000)
BAD(zones_over_with_rest, c->nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = 130000)
BAD(two_rest, c->nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST)
BAD(nr_nodes_zero, c->nr_nodes = 0)
BAD(nr_nodes_65, c->nr_nodes = VMSIM_MAX_NODES + 1)
BAD(no_cpus, c->nodes[0].nr_cpus = 0)
BAD(no_cpus_two_nodes, add_node1(c); c->nodes[0].nr_cpus = 0; c->nodes[1].nr_cpus = 0)
BAD(too_many_cpus, add_node1(c); c->nodes[0].nr_cpus = 200; c->nodes[1].nr_cpus = 57)
BAD(too_many_pages, add_node1(c); c->nodes[1].pages = UINT32_MAX;
    c->nodes[1].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST)
BAD(local_distance, add_node1(c); c->node_distance[0][0] = 20; c->node_distance[0][1] = 20;
    c->node_distance[1][0] = 20; c->node_distance[1][1] = 10)
BAD(remote_distance_10, add_node1(c); c->node_distance[0][0] = c->node_distance[1][1] = 10;
    c->node_distance[0][1] = 10; c->node_distance[1][0] = 20)
BAD(distance_partly_set, add_node1(c); c->node_distance[0][0] = c->node_distance[1][1] = 10;
    c->node_distance[0][1] = 20)
BAD(wsf_0, c->watermark_scale_factor = 0)
BAD(wsf_3001, c->watermark_scale_factor = 3001)
BAD(swappiness_201, c->swappiness = 201)
BAD(tlb_l1_no_entries, c->tlb.l1_entries = 0)
BAD(tlb_l1_no_ways, c->tlb.l1_ways = 0)
BAD(tlb_l1_not_multiple, c->tlb.l1_ways = 5)
BAD(tlb_l1_sets_not_pow2, c->tlb.l1_entries = 48)
BAD(tlb_l2_not_multiple, c->tlb.l2_entries = 1537)
BAD(tlb_l2_sets_not_pow2, c->tlb.l2_entries = 1500)
BAD(tlb_l2_no_ways, c->tlb.l2_ways = 0)
BAD(min_free_too_large, c->min_free_kbytes = 524288) /* = the machine's 131072 * 4 KiB */
BAD(min_free_negative, c->min_free_kbytes = -2)
BAD(watermark_style, c->watermark_style = (enum vmsim_watermark_style)7)
BAD(reclaim_mode, c->reclaim_mode = (enum vmsim_reclaim_mode)9)
BAD(balance_ratio_24, c->watermark_style = VMSIM_WMARK_LINUX24;
    c->zone_balance_ratio[VMSIM_ZONE_DMA32] = 0)

static const struct bad_case {
  const char *name;
  void (*mutate)(vmsim_config *);
  const char *field; /* the message must contain this */
} bad_cases[] = {
#define CASE(name, field) {#name, bad_##name, field}
  CASE(zero_machine, "nodes[0].pages"),
  CASE(zero_node, "nodes[1].pages"),
  CASE(zone_bigger_than_node, "nodes[0].zone_pages[DMA]"),
  CASE(zones_short, "nodes[0].zone_pages"),
  CASE(zones_over, "nodes[0].zone_pages"),
  CASE(zones_over_with_rest, "nodes[0].zone_pages"),
  CASE(two_rest, "nodes[0].zone_pages"),
  CASE(nr_nodes_zero, "nr_nodes"),
  CASE(nr_nodes_65, "nr_nodes"),
  CASE(no_cpus, "nr_cpus"),
  CASE(no_cpus_two_nodes, "nr_cpus"),
  CASE(too_many_cpus, "nr_cpus"),
  CASE(too_many_pages, "pages"),
  CASE(local_distance, "node_distance[0][0]"),
  CASE(remote_distance_10, "node_distance[0][1]"),
  CASE(distance_partly_set, "node_distance[1][0]"),
  CASE(wsf_0, "watermark_scale_factor"),
  CASE(wsf_3001, "watermark_scale_factor"),
  CASE(swappiness_201, "swappiness"),
  CASE(tlb_l1_no_entries, "tlb.l1"),
  CASE(tlb_l1_no_ways, "tlb.l1"),
  CASE(tlb_l1_not_multiple, "tlb.l1"),
  CASE(tlb_l1_sets_not_pow2, "tlb.l1"),
  CASE(tlb_l2_not_multiple, "tlb.l2"),
  CASE(tlb_l2_sets_not_pow2, "tlb.l2"),
  CASE(tlb_l2_no_ways, "tlb.l2"),
  CASE(min_free_too_large, "min_free_kbytes"),
  CASE(min_free_negative, "min_free_kbytes"),
  CASE(watermark_style, "watermark_style"),
  CASE(reclaim_mode, "reclaim_mode"),
  CASE(balance_ratio_24, "zone_balance_ratio[DMA32]"),
#undef CASE
};

/*
 * Each bad case: validate gives VMSIM_ECONFIG and a message naming the
 * field (also when the buffer is tiny or NULL); create gives VMSIM_ECONFIG,
 * leaves *out NULL, and allocates nothing that it does not free.
 */
static void test_bad_configs(void **state) {
  (void)state;
  for (unsigned i = 0; i < ARRAY_SIZE(bad_cases); i++) {
    const struct bad_case *bc = &bad_cases[i];
    vmsim_config cfg;
    char msg[256] = "";
    char tiny[6];
    vmsim_config_default(&cfg);
    bc->mutate(&cfg);

    int rc = vmsim_config_validate(&cfg, msg, sizeof(msg));
    if (rc != VMSIM_ECONFIG)
      fail_msg("%s: validate returned %d (%s)", bc->name, rc, vmsim_err_name(rc));
    if (!strstr(msg, bc->field))
      fail_msg("%s: message \"%s\" does not name %s", bc->name, msg, bc->field);
    assert_int_equal(vmsim_config_validate(&cfg, NULL, 0), VMSIM_ECONFIG);
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(vmsim_config_validate(&cfg, tiny, sizeof(tiny)), VMSIM_ECONFIG);
    assert_int_equal(tiny[sizeof(tiny) - 1], '\0'); /* truncated, terminated */

    vmsim_alloc_stats before, after;
    vmsim_sim *sim = (vmsim_sim *)&cfg; /* must be overwritten with NULL */
    vmsim_alloc_get_stats(&before);
    rc = vmsim_sim_create(&sim, &cfg);
    vmsim_alloc_get_stats(&after);
    if (rc != VMSIM_ECONFIG)
      fail_msg("%s: create returned %d (%s)", bc->name, rc, vmsim_err_name(rc));
    assert_null(sim);
    assert_int_equal(after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
  }
}

/* The edges of each range are accepted: 64 nodes, 256 CPUs, factor 1 and
 * 3000, swappiness 0 and 200, min_free_kbytes just below the machine, no
 * STLB (l2_entries 0), a valid SLIT, zone_balance_ratio 0 outside 2.4. */
static void test_edges_accepted(void **state) {
  (void)state;
  vmsim_config cfg;
  char msg[256] = "";
  vmsim_sim *sim = NULL;

  vmsim_config_default(&cfg);
  cfg.nr_nodes = VMSIM_MAX_NODES;
  for (uint32_t i = 0; i < VMSIM_MAX_NODES; i++)
    cfg.nodes[i] = (vmsim_node_config){
      .pages = 1024, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 4};
  assert_ok(vmsim_config_validate(&cfg, msg, sizeof(msg)));
  assert_ok(vmsim_sim_create(&sim, &cfg));
  assert_int_equal(vmsim_nr_cpus(sim), VMSIM_MAX_CPUS);
  assert_int_equal(vmsim_cpu_to_node(sim, 255), 63); /* CPUs numbered node by node */
  vmsim_sim_destroy(sim);

  const struct {
    uint32_t wsf, swappiness;
    int64_t min_free_kbytes;
  } edges[] = {{1, 0, 0}, {3000, 200, 524287}};
  for (unsigned i = 0; i < ARRAY_SIZE(edges); i++) {
    vmsim_config_default(&cfg);
    cfg.watermark_scale_factor = edges[i].wsf;
    cfg.swappiness = edges[i].swappiness;
    cfg.min_free_kbytes = edges[i].min_free_kbytes;
    cfg.tlb.l2_entries = 0;
    cfg.zone_balance_ratio[VMSIM_ZONE_DMA] = 0;
    assert_ok(vmsim_config_validate(&cfg, msg, sizeof(msg)));
  }

  vmsim_config_default(&cfg);
  add_node1(&cfg);
  cfg.node_distance[0][0] = cfg.node_distance[1][1] = 10;
  cfg.node_distance[0][1] = 11;
  cfg.node_distance[1][0] = 30; /* SLITs may be asymmetric */
  assert_ok(vmsim_config_validate(&cfg, msg, sizeof(msg)));
}

/* vmsim_alloc_pages rejects an order out of range (>= VMSIM_MAX_ORDER = 11)
 * with VMSIM_EINVAL; order 10 is the largest block. */
static void test_alloc_order_range(void **state) {
  (void)state;
  vmsim_sim *sim = NULL;
  vmsim_pfn_t pfn;
  assert_ok(vmsim_sim_create(&sim, NULL));
  assert_int_equal(vmsim_alloc_pages(sim, 0, 0, VMSIM_MAX_ORDER, &pfn), VMSIM_EINVAL);
  assert_int_equal(vmsim_alloc_pages(sim, 0, 0, UINT32_MAX, &pfn), VMSIM_EINVAL);
  assert_ok(vmsim_alloc_pages(sim, 0, 0, VMSIM_MAX_ORDER - 1, &pfn));
  assert_ok(vmsim_free_pages(sim, pfn, VMSIM_MAX_ORDER - 1));
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_bad_configs),
    cmocka_unit_test(test_edges_accepted),
    cmocka_unit_test(test_alloc_order_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
