/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine: lays out nodes, zones and frames by pfn, builds each
 * node's zonelist, and owns everything else the simulation creates.
 */
#include "vmscan.h"

#include "shrinker.h"
#include "swap.h"
#include "shrinker.h"

static unsigned node_distance(const vmsim_config *cfg, uint32_t a, uint32_t b) {
  if (cfg->node_distance[a][b])
    return cfg->node_distance[a][b];
  return a == b ? 10 : 20;
}

/*
 * build_zonelists(), ZONELIST_ORDER_NODE: this node first, then the others
 * by increasing distance (ties by node id); within a node, zones from the
 * highest type down, so that an allocation uses the least precious zone.
 */
static int build_zonelist(vmsim_sim *sim, struct vmsim_node *node) {
  uint32_t order[VMSIM_MAX_NODES];
  uint32_t n = sim->nr_nodes;

  for (uint32_t i = 0; i < n; i++)
    order[i] = i;
  /* Insertion sort by (distance, id): n is at most 64. */
  for (uint32_t i = 1; i < n; i++) {
    uint32_t v = order[i], j = i;
    unsigned dv = node_distance(&sim->cfg, node->id, v);
    while (j > 0) {
      uint32_t u = order[j - 1];
      unsigned du = node_distance(&sim->cfg, node->id, u);
      if (du < dv || (du == dv && u < v))
        break;
      order[j] = u;
      j--;
    }
    order[j] = v;
  }
  /* The local node has distance 10, the minimum, so it sorts first. */
  node->zonelist = vmsim__calloc((size_t)n * VMSIM_NR_ZONES, sizeof(*node->zonelist));
  if (!node->zonelist)
    return VMSIM_ENOMEM;
  node->nr_zonelist = 0;
  for (uint32_t i = 0; i < n; i++) {
    struct vmsim_node *other = &sim->nodes[order[i]];
    for (int z = VMSIM_NR_ZONES - 1; z >= 0; z--)
      if (vmsim__zone_populated(&other->zones[z]))
        node->zonelist[node->nr_zonelist++] = &other->zones[z];
  }
  return 0;
}

static void layout_nodes(vmsim_sim *sim) {
  vmsim_pfn_t pfn = 0;
  uint32_t cpu = 0;

  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    struct vmsim_node *node = &sim->nodes[nid];
    uint64_t zp[VMSIM_NR_ZONES];

    /* Validated already: cannot fail here. */
    (void)vmsim__node_zone_pages(&sim->cfg, nid, zp, NULL, 0);
    node->id = nid;
    node->start_pfn = pfn;
    node->spanned_pages = sim->cfg.nodes[nid].pages;
    node->first_cpu = cpu;
    node->nr_cpus = sim->cfg.nodes[nid].nr_cpus;
    cpu += node->nr_cpus;
    for (int z = 0; z < VMSIM_NR_ZONES; z++) {
      struct vmsim_zone *zone = &node->zones[z];
      zone->node = node;
      zone->type = (enum vmsim_zone_type)z;
      zone->start_pfn = pfn;
      zone->spanned_pages = zp[z];
      zone->managed_pages = zp[z];
      for (int o = 0; o < VMSIM_MAX_ORDER; o++)
        vmsim_list_init(&zone->free_area[o].free_list);
      for (uint64_t i = 0; i < zp[z]; i++) {
        struct vmsim_page *p = &sim->mem_map[pfn + i];
        p->flags = (uint32_t)(nid * VMSIM_NR_ZONES + z) << VMSIM_PAGE_ZONEID_SHIFT;
        p->lru_next = p->lru_prev = VMSIM_PFN_NONE;
      }
      pfn += (vmsim_pfn_t)zp[z];
    }
  }
}

int vmsim_sim_create(vmsim_sim **out, const vmsim_config *cfg) {
  vmsim_config defcfg;
  vmsim_sim *sim;
  int err;

  if (!out)
    return VMSIM_EINVAL;
  *out = NULL;
  if (!cfg) {
    vmsim_config_default(&defcfg);
    cfg = &defcfg;
  }
  if ((err = vmsim_config_validate(cfg, NULL, 0)))
    return err;

  sim = vmsim__calloc(1, sizeof(*sim));
  if (!sim)
    return VMSIM_ENOMEM;
  sim->cfg = *cfg;
  sim->nr_nodes = cfg->nr_nodes;
  for (uint32_t nid = 0; nid < cfg->nr_nodes; nid++) {
    sim->nr_pages += cfg->nodes[nid].pages;
    sim->nr_cpus += cfg->nodes[nid].nr_cpus;
  }

  err = VMSIM_ENOMEM;
  sim->nodes = vmsim__calloc(sim->nr_nodes, sizeof(*sim->nodes));
  /* Read at random by the buddy allocator and reclaim: all of it on host
   * huge pages, not just the whole ones that happen to fall inside. */
  sim->mem_map = vmsim__calloc_huge(sim->nr_pages * sizeof(*sim->mem_map), &sim->mem_map_base);
  if (!sim->nodes || !sim->mem_map)
    goto fail;
  layout_nodes(sim);
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++)
    if ((err = build_zonelist(sim, &sim->nodes[nid])))
      goto fail;
  if ((err = vmsim__zones_init(sim)))
    goto fail;
  vmsim__setup_watermarks(sim);
  if ((err = vmsim__mm_init(sim)) || (err = vmsim__swap_init(sim)) ||
      (err = vmsim__lruvecs_init(sim, vmsim_policy_find(cfg->policy))))
    goto fail;
  vmsim__vmscan_init(sim);
  vmsim__oom_init(sim);
  if ((err = vmsim__kswapd_init(sim)))
    goto fail;
  sim->current_cpu = UINT32_MAX;
  *out = sim;
  return 0;

fail:
  vmsim_sim_destroy(sim);
  return err;
}

void vmsim_sim_destroy(vmsim_sim *sim) {
  if (!sim)
    return;
  vmsim__kswapd_fini(sim);
  vmsim__mms_destroy(sim);
  vmsim__files_destroy(sim);
  if (sim->nodes) /* NULL when create failed to allocate them */
    vmsim__lruvecs_fini(sim);
  vmsim__swap_fini(sim);
  vmsim__shrinkers_fini(sim);
  vmsim__rmap_destroy(sim);
  if (sim->cpus)
    for (uint32_t c = 0; c < sim->nr_cpus; c++)
      vmsim__tlb_destroy(&sim->cpus[c].tlb);
  vmsim__free(sim->cpus);
  vmsim__free(sim->cpu_clock);
  if (sim->nodes) {
    vmsim__zones_fini(sim);
    for (uint32_t nid = 0; nid < sim->nr_nodes; nid++)
      vmsim__free(sim->nodes[nid].zonelist);
  }
  vmsim__free(sim->nodes);
  vmsim__free(sim->mem_map_base);
  vmsim__free(sim);
}

const vmsim_config *vmsim_sim_config(const vmsim_sim *sim) { return &sim->cfg; }
uint32_t vmsim_nr_nodes(const vmsim_sim *sim) { return sim->nr_nodes; }
uint32_t vmsim_nr_cpus(const vmsim_sim *sim) { return sim->nr_cpus; }
uint64_t vmsim_nr_pages(const vmsim_sim *sim) { return sim->nr_pages; }
uint64_t vmsim_min_free_kbytes(const vmsim_sim *sim) { return sim->min_free_kbytes; }
struct vmsim_page *vmsim_mem_map(vmsim_sim *sim) { return sim->mem_map; }

int vmsim_cpu_to_node(const vmsim_sim *sim, uint32_t cpu) {
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    const struct vmsim_node *n = &sim->nodes[nid];
    if (cpu >= n->first_cpu && cpu < n->first_cpu + n->nr_cpus)
      return (int)nid;
  }
  return VMSIM_EINVAL;
}

int vmsim_zone_get_info(const vmsim_sim *sim, uint32_t nid, enum vmsim_zone_type zt,
                        vmsim_zone_info *out) {
  if (nid >= sim->nr_nodes || (unsigned)zt >= VMSIM_NR_ZONES || !out)
    return VMSIM_EINVAL;
  const struct vmsim_zone *z = &sim->nodes[nid].zones[zt];
  memset(out, 0, sizeof(*out));
  out->populated = vmsim__zone_populated(z);
  out->start_pfn = z->start_pfn;
  out->spanned_pages = z->spanned_pages;
  out->managed_pages = z->managed_pages;
  out->nr_free = z->nr_free;
  for (int o = 0; o < VMSIM_MAX_ORDER; o++)
    out->nr_free_area[o] = z->free_area[o].free_list.nr;
  memcpy(out->watermark, z->watermark, sizeof(out->watermark));
  memcpy(out->lowmem_reserve, z->lowmem_reserve, sizeof(out->lowmem_reserve));
  return 0;
}
