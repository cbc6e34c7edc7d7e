/* SPDX-License-Identifier: MIT */
/* The default configuration, and the checks every configuration passes. */
#include "internal.h"

#include <stdio.h>
#include <unistd.h>
#include <vmsim/policy.h>

#include "swap.h"
#include "tlb.h"

static const char *const zone_names[VMSIM_NR_ZONES] = {"DMA", "DMA32", "Normal", "Movable"};

const char *vmsim__zone_name(enum vmsim_zone_type zt) {
  return (unsigned)zt < VMSIM_NR_ZONES ? zone_names[zt] : "?";
}

void vmsim_config_default(vmsim_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->nr_nodes = 1;
  cfg->nodes[0].pages = 131072;                         /* 512 MiB */
  cfg->nodes[0].zone_pages[VMSIM_ZONE_DMA] = 4096;      /* 16 MiB */
  cfg->nodes[0].zone_pages[VMSIM_ZONE_DMA32] = VMSIM_ZONE_REST;
  cfg->nodes[0].nr_cpus = 2;

  cfg->watermark_style = VMSIM_WMARK_MODERN;
  cfg->min_free_kbytes = -1;
  cfg->watermark_scale_factor = 10;
  /* mm/page_alloc.c sysctl_lowmem_reserve_ratio */
  cfg->lowmem_reserve_ratio[VMSIM_ZONE_DMA] = 256;
  cfg->lowmem_reserve_ratio[VMSIM_ZONE_DMA32] = 256;
  cfg->lowmem_reserve_ratio[VMSIM_ZONE_NORMAL] = 32;
  cfg->lowmem_reserve_ratio[VMSIM_ZONE_MOVABLE] = 0;
  /* 2.4.0 mm/page_alloc.c zone_balance_ratio (DMA32 did not exist: as Normal) */
  cfg->zone_balance_ratio[VMSIM_ZONE_DMA] = 32;
  cfg->zone_balance_ratio[VMSIM_ZONE_DMA32] = 128;
  cfg->zone_balance_ratio[VMSIM_ZONE_NORMAL] = 128;
  cfg->zone_balance_ratio[VMSIM_ZONE_MOVABLE] = 128;

  cfg->tlb.l1_entries = 64;
  cfg->tlb.l1_ways = 4;
  cfg->tlb.l2_entries = 1536;
  cfg->tlb.l2_ways = 12;

  cfg->cost.l1_tlb_hit = 1;
  cfg->cost.l2_tlb_hit = 7;
  cfg->cost.walk_level = 25;
  cfg->cost.minor_fault = 500;
  cfg->cost.major_fault = 2000;
  cfg->cost.file_read = 100000;   /* 100 us: an SSD read */
  cfg->cost.file_write = 200000;
  cfg->cost.reclaim_scan = 50;

  cfg->nr_swap = 1;
  (void)vmsim_swap_preset("ssd", 65536, &cfg->swap[0]); /* 256 MiB */

  strcpy(cfg->policy, VMSIM_DEFAULT_POLICY);
  cfg->reclaim_mode = VMSIM_RECLAIM_KSWAPD;
  cfg->swappiness = 60;
  cfg->seed = 1;
}

int vmsim_swap_preset(const char *name, uint64_t pages, vmsim_swap_config *out) {
  static const struct {
    const char *name;
    vmsim_time_t read, write;
  } presets[] = {
    /* A fault waits for one read (queue depth 1); reclaim writes in the
     * background at depth, so a write costs the device time per page. */
    {"ssd", 100000, 20000},
    {"nvme", 20000, 5000},
    {"zram", 2000, 4000},
    {"hdd", 8000000, 2000000},
  };
  if (!name || !out)
    return VMSIM_EINVAL;
  for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
    if (strcmp(presets[i].name, name) == 0) {
      memset(out, 0, sizeof(*out));
      out->pages = pages;
      out->read_latency = presets[i].read;
      out->write_latency = presets[i].write;
      snprintf(out->name, sizeof(out->name), "%s", name);
      return 0;
    }
  }
  return VMSIM_ENOENT;
}

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

static int check_tlb_level(const char *name, uint32_t entries, uint32_t ways, bool optional,
                           char *msg, size_t len) {
  if (entries == 0 && optional)
    return 0;
  if (entries == 0 || ways == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "tlb.%s: entries and ways must be positive", name);
  if (entries % ways)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "tlb.%s: %u entries is not a multiple of %u ways", name, entries, ways);
  if (!is_pow2(entries / ways))
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "tlb.%s: %u sets (entries / ways) is not a power of two", name,
                       entries / ways);
  return 0;
}

/* Resolve a node's zone sizes (VMSIM_ZONE_REST) into out[]; checks sums. */
int vmsim__node_zone_pages(const vmsim_config *cfg, uint32_t nid, uint64_t out[VMSIM_NR_ZONES],
                           char *msg, size_t len) {
  const vmsim_node_config *n = &cfg->nodes[nid];
  uint64_t sum = 0;
  int rest = -1;

  if (n->pages == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "nodes[%u].pages: size is zero", nid);
  for (int z = 0; z < VMSIM_NR_ZONES; z++) {
    uint64_t sz = n->zone_pages[z];
    if (sz == VMSIM_ZONE_REST) {
      if (rest >= 0)
        return vmsim__errf(msg, len, VMSIM_ECONFIG,
                           "nodes[%u].zone_pages: zones %s and %s both take the rest",
                           nid,
                           vmsim__zone_name(rest), vmsim__zone_name(z));
      rest = z;
      out[z] = 0;
      continue;
    }
    if (sz > n->pages)
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "nodes[%u].zone_pages[%s]: %" PRIu64
                         " pages is bigger than the node (%" PRIu64 " pages)",
                         nid, vmsim__zone_name(z), sz, n->pages);
    out[z] = sz;
    sum += sz;
  }
  if (sum > n->pages)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "nodes[%u].zone_pages: zones add up to %" PRIu64
                       " pages, more than the node's %" PRIu64,
                       nid, sum, n->pages);
  if (rest >= 0) {
    out[rest] = n->pages - sum;
  } else if (sum != n->pages) {
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "nodes[%u].zone_pages: zones add up to %" PRIu64
                       " pages, less than the node's %" PRIu64
                       " (give one zone the rest)",
                       nid, sum, n->pages);
  }
  return 0;
}

/* Each tunable must be one the policy knows, with a value it accepts. */
static int check_policy_params(const vmsim_config *cfg, char *msg, size_t len) {
  const vmsim_policy_ops *ops = vmsim_policy_find(cfg->policy);
  if (cfg->nr_policy_params > VMSIM_MAX_POLICY_PARAMS)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "policy_params: %u is more than %d",
                       cfg->nr_policy_params, VMSIM_MAX_POLICY_PARAMS);
  if (cfg->nr_policy_params == 0)
    return 0;
  bool can = vmsim__ops_has(ops, configure);
  void *state = vmsim__calloc(1, ops->node_state_size ? ops->node_state_size : 1);
  if (!state)
    return VMSIM_ENOMEM;
  int err = 0;
  for (uint32_t i = 0; i < cfg->nr_policy_params && !err; i++) {
    const char *key = cfg->policy_params[i].key, *value = cfg->policy_params[i].value;
    if (!memchr(key, 0, sizeof(cfg->policy_params[i].key)) ||
        !memchr(value, 0, sizeof(cfg->policy_params[i].value))) {
      err = vmsim__errf(msg, len, VMSIM_ECONFIG, "policy_params[%u]: not terminated", i);
      break;
    }
    err = can ? ops->configure(NULL, state, key, value, msg, len) : VMSIM_ENOENT;
    if (err == VMSIM_ENOENT)
      err = vmsim__errf(msg, len, VMSIM_ECONFIG, "policy '%s' has no tunable '%s'", ops->name,
                        key);
    else if (err)
      err = VMSIM_ECONFIG;
  }
  vmsim__free(state);
  return err;
}

/* ---- does the machine fit in the host? ------------------------------------ */

static uint64_t host_memory_override; /* 0: ask the host */

void vmsim__set_host_memory(uint64_t bytes) { host_memory_override = bytes; }

uint64_t vmsim__host_memory(void) {
  if (host_memory_override)
    return host_memory_override;
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0)
    return UINT64_MAX; /* unknown: no limit */
  return (uint64_t)pages * (uint64_t)size;
}

const char *vmsim__format_bytes(char *buf, size_t len, uint64_t bytes) {
  static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  unsigned u = 0;
  while (u + 1 < ARRAY_SIZE(units) && bytes >> (10 * (u + 1)))
    u++;
  uint64_t unit = UINT64_C(1) << (10 * u);
  if (bytes % unit == 0)
    snprintf(buf, len, "%" PRIu64 " %s", bytes / unit, units[u]);
  else
    snprintf(buf, len, "%.1f %s", (double)bytes / (double)unit, units[u]);
  return buf;
}

/*
 * Refuse up front a machine whose simulator state cannot fit in the host,
 * rather than let it thrash the host or die in calloc halfway through
 * creation. Counted: what vmsim_sim_create() allocates in proportion to
 * the configuration -- a frame descriptor per page (mem_map), per swap slot
 * its record of count, content token and swap-cache entry (swap.c), and
 * every CPU's TLB entries with their tags (tlb.c). Page tables, the reverse
 * map and a policy's own state grow with the workload and are not known
 * here; so this is a lower bound, and a machine that passes may still be
 * too big in practice, but one that fails certainly is.
 */
static int check_host_memory(const vmsim_config *cfg, uint64_t pages, uint64_t cpus, char *msg,
                             size_t len) {
  const uint64_t slot_bytes = sizeof(struct vmsim_swap_slot);
  /* A way: its tag, its LRU stamp and the entry; an STLB way also up to
   * twice VMSIM_TLB_PRESENT_PER_WAY bytes of the presence filter. */
  const uint64_t tlb_entry_bytes = 2 * sizeof(uint64_t) + sizeof(struct vmsim_tlb_entry);
  uint64_t slots = 0;
  for (uint32_t i = 0; i < cfg->nr_swap; i++)
    slots += cfg->swap[i].pages;
  /* No overflow: pages < 2^32, slots < 2^37, entries < 2^33 per CPU. */
  uint64_t need = pages * sizeof(struct vmsim_page) + slots * slot_bytes +
                  cpus * ((uint64_t)cfg->tlb.l1_entries * tlb_entry_bytes +
                          (uint64_t)cfg->tlb.l2_entries *
                              (tlb_entry_bytes + 2 * VMSIM_TLB_PRESENT_PER_WAY));
  uint64_t host = vmsim__host_memory();
  if (need <= host)
    return 0;
  char need_s[32], host_s[32];
  return vmsim__errf(msg, len, VMSIM_ECONFIG,
                     "machine: needs %s of host memory for its page frames, swap and TLBs, "
                     "the host has %s",
                     vmsim__format_bytes(need_s, sizeof(need_s), need),
                     vmsim__format_bytes(host_s, sizeof(host_s), host));
}

int vmsim_config_validate(const vmsim_config *cfg, char *msg, size_t len) {
  int err;
  uint64_t total = 0, cpus = 0;

  if (!cfg)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "configuration is NULL");
  if (cfg->nr_nodes == 0 || cfg->nr_nodes > VMSIM_MAX_NODES)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "nr_nodes: %u is out of range 1..%d",
                       cfg->nr_nodes, VMSIM_MAX_NODES);
  for (uint32_t nid = 0; nid < cfg->nr_nodes; nid++) {
    uint64_t zp[VMSIM_NR_ZONES];
    if ((err = vmsim__node_zone_pages(cfg, nid, zp, msg, len)))
      return err;
    total += cfg->nodes[nid].pages;
    cpus += cfg->nodes[nid].nr_cpus;
    if (total >= VMSIM_PFN_NONE)
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "nodes[].pages: the machine has more than %u pages (16 TiB)",
                         VMSIM_PFN_NONE - 1);
  }
  if (cpus == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "nodes[].nr_cpus: the machine has no CPUs");
  if (cpus > VMSIM_MAX_CPUS)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "nodes[].nr_cpus: %" PRIu64 " CPUs in all, at most %d", cpus,
                       VMSIM_MAX_CPUS);

  bool any_distance = false;
  for (uint32_t i = 0; i < cfg->nr_nodes; i++)
    for (uint32_t j = 0; j < cfg->nr_nodes; j++)
      any_distance |= cfg->node_distance[i][j] != 0;
  if (any_distance) {
    for (uint32_t i = 0; i < cfg->nr_nodes; i++)
      for (uint32_t j = 0; j < cfg->nr_nodes; j++) {
        unsigned d = cfg->node_distance[i][j];
        if (i == j && d != 10)
          return vmsim__errf(msg, len, VMSIM_ECONFIG,
                             "node_distance[%u][%u]: local distance must be 10, not %u", i, j, d);
        if (i != j && d <= 10)
          return vmsim__errf(msg, len, VMSIM_ECONFIG,
                             "node_distance[%u][%u]: remote distance %u must exceed 10", i, j, d);
      }
  }

  if ((unsigned)cfg->watermark_style > VMSIM_WMARK_LINUX24)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "watermark_style: unknown value %d",
                       (int)cfg->watermark_style);
  if (cfg->min_free_kbytes < -1)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "min_free_kbytes: %" PRId64 " (expected -1 for auto, or >= 0)",
                       cfg->min_free_kbytes);
  if (cfg->min_free_kbytes > 0 && (uint64_t)cfg->min_free_kbytes >= total * 4)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "min_free_kbytes: %" PRId64 " KiB is not below the machine's %" PRIu64
                       " KiB",
                       cfg->min_free_kbytes, total * 4);
  if (cfg->watermark_scale_factor < 1 || cfg->watermark_scale_factor > 3000)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "watermark_scale_factor: %u is out of range 1..3000",
                       cfg->watermark_scale_factor);
  if (cfg->watermark_style == VMSIM_WMARK_LINUX24)
    for (int z = 0; z < VMSIM_NR_ZONES; z++)
      if (cfg->zone_balance_ratio[z] == 0)
        return vmsim__errf(msg, len, VMSIM_ECONFIG, "zone_balance_ratio[%s]: must be positive",
                           vmsim__zone_name(z));
  if (cfg->swappiness > 200)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "swappiness: %u is out of range 0..200",
                       cfg->swappiness);
  if ((unsigned)cfg->reclaim_mode > VMSIM_RECLAIM_ON_DEMAND)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "reclaim_mode: unknown value %d",
                       (int)cfg->reclaim_mode);
  if (cfg->nr_swap > VMSIM_MAX_SWAP_DEVICES)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "nr_swap: %u is more than %d devices",
                       cfg->nr_swap, VMSIM_MAX_SWAP_DEVICES);
  for (uint32_t i = 0; i < cfg->nr_swap; i++) {
    const vmsim_swap_config *sw = &cfg->swap[i];
    if (sw->pages == 0 || sw->pages >= (UINT64_C(1) << 32))
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "swap[%u]: %" PRIu64 " pages is out of range 1..2^32-1", i, sw->pages);
    if (memchr(sw->name, 0, sizeof(sw->name)) == NULL)
      return vmsim__errf(msg, len, VMSIM_ECONFIG, "swap[%u]: name is not terminated", i);
  }
  if (memchr(cfg->policy, 0, sizeof(cfg->policy)) == NULL || !vmsim_policy_find(cfg->policy))
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "policy: '%.*s' is not a registered policy",
                       (int)sizeof(cfg->policy), cfg->policy);
  if ((err = check_policy_params(cfg, msg, len)))
    return err;
  if ((err = check_tlb_level("l1", cfg->tlb.l1_entries, cfg->tlb.l1_ways, false, msg, len)))
    return err;
  if ((err = check_tlb_level("l2", cfg->tlb.l2_entries, cfg->tlb.l2_ways, true, msg, len)))
    return err;
  return check_host_memory(cfg, total, cpus, msg, len);
}
