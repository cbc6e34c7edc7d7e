/* SPDX-License-Identifier: MIT */
/*
 * Loading a scenario from YAML: the machine (vmsim_config), the simulated
 * files and the processes with their VMAs and access streams. docs/
 * scenarios.md is the reference of the format; this file implements it.
 *
 * Everything is checked here, at the node it concerns, so that a user gets
 * "FILE:LINE:COLUMN: error: WHAT (expected: ...)" rather than a failure
 * half-way through a run: unknown and duplicate keys, types, ranges, sizes
 * that do not fit, names that refer to nothing. vmsim_config_validate() has
 * the last word on the machine; its message is placed at the node of the
 * field it names.
 *
 * A scenario's arrays (files, processes, VMAs, generator phases) live in
 * blocks chained from scn->storage, freed together by vmsim_scenario_free().
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "yamlutil.h"

/* ---- storage ------------------------------------------------------------ */

struct scn_block {
  struct scn_block *next;
  max_align_t data[];
};

/* nmemb zeroed objects owned by `scn`; NULL if out of memory (or nmemb 0). */
static void *scn_alloc(vmsim_scenario *scn, size_t nmemb, size_t size) {
  if (nmemb == 0)
    return NULL;
  if (size > (SIZE_MAX - sizeof(struct scn_block)) / nmemb)
    return NULL;
  struct scn_block *b = vmsim__calloc(1, sizeof(*b) + nmemb * size);
  if (!b)
    return NULL;
  b->next = scn->storage;
  scn->storage = b;
  return b->data;
}

void vmsim_scenario_free(vmsim_scenario *scn) {
  if (!scn)
    return;
  for (struct scn_block *b = scn->storage, *next; b; b = next) {
    next = b->next;
    vmsim__free(b);
  }
  vmsim__free(scn);
}

/* ---- the loader --------------------------------------------------------- */

struct loader {
  struct vmsim__yaml y;
  vmsim_scenario *scn;
  const char *dir; /* relative trace paths start here (dirlen bytes), or NULL */
  size_t dirlen;
  /* Where vmsim_config_validate()'s findings are placed (NULL: absent). */
  yaml_node_t *root, *machine, *vm; /* the key nodes of the sections */
  yaml_node_t *nodes, *node[VMSIM_MAX_NODES], *zones[VMSIM_MAX_NODES];
  yaml_node_t *distance, *tlb, *swap, *swapdev[VMSIM_MAX_SWAP_DEVICES];
  yaml_node_t *policy, *min_free, *param[VMSIM_MAX_POLICY_PARAMS];
};

static int nomem(struct loader *l) {
  return vmsim__errf(l->y.err, l->y.errlen, VMSIM_ENOMEM, "%s: error: out of host memory",
                     l->y.source);
}

#define ERRF(l, at, ...) vmsim__yaml_errf(&(l)->y, (at), VMSIM_ECONFIG, __VA_ARGS__)

static yaml_node_t *get(struct loader *l, const yaml_node_t *map, const char *key) {
  return vmsim__yaml_get(&l->y, map, key, NULL);
}

/* A bytes value in pages. */
static int pages_of(struct loader *l, yaml_node_t *v, const char *field, uint64_t *pages) {
  uint64_t bytes;
  int err = vmsim__yaml_bytes(&l->y, v, field, VMSIM_PAGE_SIZE, &bytes);
  if (!err)
    *pages = bytes >> VMSIM_PAGE_SHIFT;
  return err;
}

/* The keys of a mapping of optional fields of one kind, stored in order. */
static int parse_u32_fields(struct loader *l, yaml_node_t *map, const char *what,
                            const char *const *keys, uint32_t *const *out) {
  int err = vmsim__yaml_map(&l->y, map, what, keys);
  for (size_t k = 0; !err && keys[k]; k++) {
    yaml_node_t *v = get(l, map, keys[k]);
    uint64_t u;
    if (v && !(err = vmsim__yaml_uint(&l->y, v, keys[k], 0, UINT32_MAX, &u)))
      *out[k] = (uint32_t)u;
  }
  return err;
}

static int parse_duration_fields(struct loader *l, yaml_node_t *map, const char *what,
                                 const char *const *keys, vmsim_time_t *const *out) {
  int err = vmsim__yaml_map(&l->y, map, what, keys);
  for (size_t k = 0; !err && keys[k]; k++) {
    yaml_node_t *v = get(l, map, keys[k]);
    if (v)
      err = vmsim__yaml_duration(&l->y, v, keys[k], out[k]);
  }
  return err;
}

/* ---- machine ------------------------------------------------------------ */

static const char *const machine_keys[] = {"nodes", "distance", "tlb", "swap", "costs", NULL};
static const char *const node_keys[] = {"memory", "cpus", "zones", NULL};
static const char *const tlb_keys[] = {"l1_entries", "l1_ways", "l2_entries", "l2_ways", NULL};
static const char *const cost_keys[] = {"l1_tlb_hit",  "l2_tlb_hit",  "walk_level",
                                        "minor_fault", "major_fault", "file_read",
                                        "file_write",  "reclaim_scan", NULL};
static const char *const swap_keys[] = {"size",          "type", "priority", "read_latency",
                                        "write_latency", "name", NULL};
static const char *const swap_types[] = {"ssd", "nvme", "zram", "hdd", NULL};

/* Zones in address order, each a size or `rest`; they must fill the node. */
static int parse_zones(struct loader *l, uint32_t nid, yaml_node_t *zones) {
  vmsim_node_config *nc = &l->scn->cfg.nodes[nid];
  const char *zone_keys[VMSIM_NR_ZONES + 1] = {NULL}; /* DMA, DMA32, Normal, Movable */
  const char *rest = NULL;
  uint64_t sum = 0;
  char a[32], b[32];
  int err;

  for (int zt = 0; zt < VMSIM_NR_ZONES; zt++)
    zone_keys[zt] = vmsim__zone_name((enum vmsim_zone_type)zt);
  if (!zones) {
    nc->zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
    return 0;
  }
  l->zones[nid] = zones;
  if ((err = vmsim__yaml_map(&l->y, zones, "zones", zone_keys)))
    return err;
  for (size_t i = 0; i < vmsim__yaml_map_len(zones); i++) {
    yaml_node_t *v, *k = vmsim__yaml_pair(&l->y, zones, i, &v);
    const char *name = vmsim__yaml_text(k);
    unsigned zt = 0;
    while (strcmp(zone_keys[zt], name) != 0)
      zt++;
    if (vmsim__yaml_is(v, "rest")) {
      if (rest)
        return ERRF(l, v, "%s: zone %s already takes the rest (expected: a size)", name, rest);
      rest = name;
      nc->zone_pages[zt] = VMSIM_ZONE_REST;
      continue;
    }
    uint64_t bytes;
    if ((err = vmsim__yaml_bytes(&l->y, v, name, 0, &bytes)))
      return err;
    nc->zone_pages[zt] = bytes >> VMSIM_PAGE_SHIFT;
    sum += nc->zone_pages[zt];
    if (sum > nc->pages) {
      vmsim__yaml_fmt_bytes(a, sizeof(a), sum << VMSIM_PAGE_SHIFT);
      vmsim__yaml_fmt_bytes(b, sizeof(b), nc->pages << VMSIM_PAGE_SHIFT);
      return ERRF(l, v, "%s: the zones add up to %s, more than the node's memory of %s "
                  "(expected: zones that fit in the node)", name, a, b);
    }
  }
  if (!rest && sum != nc->pages) {
    vmsim__yaml_fmt_bytes(a, sizeof(a), sum << VMSIM_PAGE_SHIFT);
    vmsim__yaml_fmt_bytes(b, sizeof(b), nc->pages << VMSIM_PAGE_SHIFT);
    return ERRF(l, zones, "zones: the zones add up to %s, less than the node's memory of %s "
                "(expected: zones that add up to the node, or one zone `rest`)", a, b);
  }
  return 0;
}

static int parse_nodes(struct loader *l, yaml_node_t *seq) {
  vmsim_config *cfg = &l->scn->cfg;
  yaml_node_t *first_cpus = NULL;
  uint64_t cpus = 0;
  size_t n;
  int err;

  if ((err = vmsim__yaml_seq(&l->y, seq, "nodes", 1, VMSIM_MAX_NODES, &n)))
    return err;
  l->nodes = seq;
  memset(cfg->nodes, 0, sizeof(cfg->nodes));
  cfg->nr_nodes = (uint32_t)n;
  for (uint32_t i = 0; i < n; i++) {
    yaml_node_t *node = vmsim__yaml_item(&l->y, seq, i), *v;
    vmsim_node_config *nc = &cfg->nodes[i];
    l->node[i] = node;
    if ((err = vmsim__yaml_map(&l->y, node, "node", node_keys)) ||
        (err = vmsim__yaml_need(&l->y, node, "memory", "node", &v)) ||
        (err = pages_of(l, v, "memory", &nc->pages)))
      return err;
    nc->nr_cpus = 1;
    yaml_node_t *vcpus = get(l, node, "cpus");
    if (vcpus) {
      uint64_t u;
      if ((err = vmsim__yaml_uint(&l->y, vcpus, "cpus", 0, VMSIM_MAX_CPUS, &u)))
        return err;
      nc->nr_cpus = (uint32_t)u;
      first_cpus = first_cpus ? first_cpus : vcpus;
    }
    cpus += nc->nr_cpus;
    if (cpus > VMSIM_MAX_CPUS)
      return ERRF(l, vcpus ? vcpus : node,
                  "cpus: the machine has %" PRIu64 " CPUs in all (expected: at most %d)", cpus,
                  VMSIM_MAX_CPUS);
    if ((err = parse_zones(l, i, get(l, node, "zones"))))
      return err;
  }
  if (cpus == 0)
    return ERRF(l, first_cpus, "cpus: the machine has no CPUs (expected: at least 1 on some "
                "node)");
  return 0;
}

/* The ACPI SLIT: nr_nodes rows of nr_nodes, 10 on the diagonal, > 10 off it. */
static int parse_distance(struct loader *l, yaml_node_t *seq) {
  vmsim_config *cfg = &l->scn->cfg;
  uint32_t nn = cfg->nr_nodes;
  size_t rows, cols;
  int err;

  l->distance = seq;
  if ((err = vmsim__yaml_seq(&l->y, seq, "distance", 0, SIZE_MAX, &rows)))
    return err;
  if (rows != nn)
    return ERRF(l, seq, "distance: %zu rows for %u nodes (expected: a %ux%u matrix)", rows, nn,
                nn, nn);
  for (uint32_t i = 0; i < nn; i++) {
    yaml_node_t *row = vmsim__yaml_item(&l->y, seq, i);
    char field[48];
    snprintf(field, sizeof(field), "distance[%u]", i);
    if ((err = vmsim__yaml_seq(&l->y, row, field, 0, SIZE_MAX, &cols)))
      return err;
    if (cols != nn)
      return ERRF(l, row, "%s: %zu entries for %u nodes (expected: a %ux%u matrix)", field, cols,
                  nn, nn, nn);
    for (uint32_t j = 0; j < nn; j++) {
      yaml_node_t *v = vmsim__yaml_item(&l->y, row, j);
      uint64_t d;
      snprintf(field, sizeof(field), "distance[%u][%u]", i, j);
      if ((err = vmsim__yaml_uint(&l->y, v, field, 1, 255, &d)))
        return err;
      if (i == j && d != 10)
        return ERRF(l, v, "%s: %" PRIu64 " (expected: 10, the local distance)", field, d);
      if (i != j && d <= 10)
        return ERRF(l, v, "%s: %" PRIu64 " (expected: a remote distance above 10)", field, d);
      cfg->node_distance[i][j] = (uint8_t)d;
    }
  }
  return 0;
}

static int parse_swap_device(struct loader *l, uint32_t i, yaml_node_t *dev) {
  vmsim_swap_config *sw = &l->scn->cfg.swap[i];
  yaml_node_t *v;
  uint64_t pages;
  int err;

  l->swapdev[i] = dev;
  if ((err = vmsim__yaml_map(&l->y, dev, "swap device", swap_keys)) ||
      (err = vmsim__yaml_need(&l->y, dev, "size", "swap device", &v)) ||
      (err = pages_of(l, v, "size", &pages)))
    return err;
  if (pages >= UINT64_C(1) << 32)
    return ERRF(l, v, "size: %s is too large (expected: less than 16 TiB, 2^32 pages)",
                vmsim__yaml_text(v));
  if ((v = get(l, dev, "type"))) {
    unsigned t;
    if ((err = vmsim__yaml_choice(&l->y, v, "type", "swap type", swap_types, &t)))
      return err;
    (void)vmsim_swap_preset(swap_types[t], pages, sw);
  } else {
    static const char *const latencies[] = {"read_latency", "write_latency"};
    for (unsigned k = 0; k < ARRAY_SIZE(latencies); k++)
      if (!get(l, dev, latencies[k]))
        return ERRF(l, dev, "missing key '%s' in swap device (expected: a type, or both "
                    "read_latency and write_latency)", latencies[k]);
    sw->pages = pages;
    snprintf(sw->name, sizeof(sw->name), "swap%u", i);
  }
  if ((v = get(l, dev, "read_latency")) &&
      (err = vmsim__yaml_duration(&l->y, v, "read_latency", &sw->read_latency)))
    return err;
  if ((v = get(l, dev, "write_latency")) &&
      (err = vmsim__yaml_duration(&l->y, v, "write_latency", &sw->write_latency)))
    return err;
  /* As swapon(8) without -p: -1, -2, ..., so devices fill in order. */
  sw->priority = -(int)(i + 1);
  if ((v = get(l, dev, "priority"))) {
    int64_t prio;
    if ((err = vmsim__yaml_int(&l->y, v, "priority", -32768, 32767, &prio)))
      return err;
    sw->priority = (int)prio;
  }
  if ((v = get(l, dev, "name")))
    return vmsim__yaml_string(&l->y, v, "name", sw->name, sizeof(sw->name));
  return 0;
}

static int parse_machine(struct loader *l, yaml_node_t *m) {
  vmsim_config *cfg = &l->scn->cfg;
  yaml_node_t *v;
  int err;

  if ((err = vmsim__yaml_map(&l->y, m, "machine", machine_keys)))
    return err;
  if ((v = get(l, m, "nodes")) && (err = parse_nodes(l, v)))
    return err;
  if ((v = get(l, m, "distance")) && (err = parse_distance(l, v)))
    return err;
  if ((v = get(l, m, "tlb"))) {
    uint32_t *const out[] = {&cfg->tlb.l1_entries, &cfg->tlb.l1_ways, &cfg->tlb.l2_entries,
                             &cfg->tlb.l2_ways};
    l->tlb = v;
    if ((err = parse_u32_fields(l, v, "tlb", tlb_keys, out)))
      return err;
  }
  if ((v = get(l, m, "costs"))) {
    vmsim_time_t *const out[] = {&cfg->cost.l1_tlb_hit,  &cfg->cost.l2_tlb_hit,
                                 &cfg->cost.walk_level,  &cfg->cost.minor_fault,
                                 &cfg->cost.major_fault, &cfg->cost.file_read,
                                 &cfg->cost.file_write,  &cfg->cost.reclaim_scan};
    if ((err = parse_duration_fields(l, v, "costs", cost_keys, out)))
      return err;
  }
  /* A machine section describes its swap devices: none unless listed. */
  cfg->nr_swap = 0;
  memset(cfg->swap, 0, sizeof(cfg->swap));
  if ((v = get(l, m, "swap"))) {
    size_t n;
    l->swap = v;
    if ((err = vmsim__yaml_seq(&l->y, v, "swap", 0, VMSIM_MAX_SWAP_DEVICES, &n)))
      return err;
    cfg->nr_swap = (uint32_t)n;
    for (uint32_t i = 0; i < n; i++)
      if ((err = parse_swap_device(l, i, vmsim__yaml_item(&l->y, v, i))))
        return err;
  }
  return 0;
}

/* ---- vm ------------------------------------------------------------------ */

static const char *const vm_keys[] = {"policy",          "policy_params",
                                      "swappiness",      "min_free_kbytes",
                                      "watermark_scale_factor", "watermark_style",
                                      "reclaim",         NULL};
/* In enum vmsim_watermark_style and enum vmsim_reclaim_mode order. */
static const char *const watermark_styles[] = {"modern", "linux26", "linux24", NULL};
static const char *const reclaim_modes[] = {"kswapd", "on-demand", NULL};

static int parse_policy(struct loader *l, yaml_node_t *v) {
  vmsim_config *cfg = &l->scn->cfg;
  int err;
  l->policy = v;
  if ((err = vmsim__yaml_string(&l->y, v, "policy", cfg->policy, sizeof(cfg->policy))))
    return err;
  if (vmsim_policy_find(cfg->policy))
    return 0;
  char list[256] = "";
  const vmsim_policy_ops *ops;
  for (size_t i = 0; (ops = vmsim_policy_at(i)); i++)
    vmsim__yaml_join(list, sizeof(list), (const char *const[]){ops->name, NULL});
  return ERRF(l, v, "unknown policy '%s' (expected: a registered policy: %s)", cfg->policy, list);
}

/* Tunables, key: value, handed to the policy's configure() as strings. */
static int parse_policy_params(struct loader *l, yaml_node_t *map) {
  vmsim_config *cfg = &l->scn->cfg;
  size_t n;
  int err;

  if ((err = vmsim__yaml_map(&l->y, map, "policy_params", NULL)))
    return err;
  n = vmsim__yaml_map_len(map);
  if (n > VMSIM_MAX_POLICY_PARAMS)
    return ERRF(l, map, "policy_params: %zu tunables are too many (expected: at most %d)", n,
                VMSIM_MAX_POLICY_PARAMS);
  for (uint32_t i = 0; i < n; i++) {
    yaml_node_t *v, *k = vmsim__yaml_pair(&l->y, map, i, &v);
    if ((err = vmsim__yaml_string(&l->y, k, "policy_params", cfg->policy_params[i].key,
                                  sizeof(cfg->policy_params[i].key))))
      return err;
    if (v->type != YAML_SCALAR_NODE)
      return vmsim__yaml_expected(&l->y, v, cfg->policy_params[i].key, "a string or a number");
    if ((err = vmsim__yaml_string(&l->y, v, cfg->policy_params[i].key,
                                  cfg->policy_params[i].value,
                                  sizeof(cfg->policy_params[i].value))))
      return err;
    l->param[i] = v;
  }
  cfg->nr_policy_params = (uint32_t)n;
  return 0;
}

static int parse_vm(struct loader *l, yaml_node_t *vm) {
  vmsim_config *cfg = &l->scn->cfg;
  yaml_node_t *v;
  uint64_t u;
  unsigned c;
  int err;

  if ((err = vmsim__yaml_map(&l->y, vm, "vm", vm_keys)))
    return err;
  if ((v = get(l, vm, "policy")) && (err = parse_policy(l, v)))
    return err;
  if ((v = get(l, vm, "policy_params")) && (err = parse_policy_params(l, v)))
    return err;
  if ((v = get(l, vm, "swappiness"))) {
    if ((err = vmsim__yaml_uint(&l->y, v, "swappiness", 0, 200, &u)))
      return err;
    cfg->swappiness = (uint32_t)u;
  }
  if ((v = (l->min_free = get(l, vm, "min_free_kbytes")))) {
    const char *text = vmsim__yaml_text(v);
    if (vmsim__yaml_is(v, "auto")) {
      cfg->min_free_kbytes = -1;
    } else if (!text || !(text[0] >= '0' && text[0] <= '9')) {
      return vmsim__yaml_expected(&l->y, v, "min_free_kbytes", "auto or an integer >= 0");
    } else {
      if ((err = vmsim__yaml_uint(&l->y, v, "min_free_kbytes", 0, INT64_MAX, &u)))
        return err;
      cfg->min_free_kbytes = (int64_t)u;
    }
  }
  if ((v = get(l, vm, "watermark_scale_factor"))) {
    if ((err = vmsim__yaml_uint(&l->y, v, "watermark_scale_factor", 1, 3000, &u)))
      return err;
    cfg->watermark_scale_factor = (uint32_t)u;
  }
  if ((v = get(l, vm, "watermark_style"))) {
    if ((err = vmsim__yaml_choice(&l->y, v, "watermark_style", "watermark style",
                                  watermark_styles, &c)))
      return err;
    cfg->watermark_style = (enum vmsim_watermark_style)c;
  }
  if ((v = get(l, vm, "reclaim"))) {
    if ((err = vmsim__yaml_choice(&l->y, v, "reclaim", "reclaim mode", reclaim_modes, &c)))
      return err;
    cfg->reclaim_mode = (enum vmsim_reclaim_mode)c;
  }
  return 0;
}

/* ---- files --------------------------------------------------------------- */

static const char *const file_keys[] = {"name", "size", NULL};

/* A name unique among the first `n` (name node at `nodes[i]`'s key). */
static int check_unique(struct loader *l, yaml_node_t *v, const char *what, const char *name,
                        yaml_node_t *seq, size_t n) {
  for (size_t j = 0; j < n; j++) {
    yaml_node_t *prev = get(l, vmsim__yaml_item(&l->y, seq, j), "name");
    if (strcmp(vmsim__yaml_text(prev), name) == 0)
      return ERRF(l, v, "duplicate %s name '%s' (expected: unique names; the first is at line "
                  "%zu, column %zu)", what, name, prev->start_mark.line + 1,
                  prev->start_mark.column + 1);
  }
  return 0;
}

static int parse_files(struct loader *l, yaml_node_t *seq) {
  vmsim_scenario *scn = l->scn;
  size_t n;
  int err;

  if ((err = vmsim__yaml_seq(&l->y, seq, "files", 0, INT32_MAX, &n)))
    return err;
  if (n && !(scn->files = scn_alloc(scn, n, sizeof(*scn->files))))
    return nomem(l);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *f = vmsim__yaml_item(&l->y, seq, i), *v;
    vmsim_scn_file *file = &scn->files[i];
    if ((err = vmsim__yaml_map(&l->y, f, "file", file_keys)) ||
        (err = vmsim__yaml_need(&l->y, f, "name", "file", &v)) ||
        (err = vmsim__yaml_string(&l->y, v, "name", file->name, sizeof(file->name))) ||
        (err = check_unique(l, v, "file", file->name, seq, i)) ||
        (err = vmsim__yaml_need(&l->y, f, "size", "file", &v)) ||
        (err = pages_of(l, v, "size", &file->pages)))
      return err;
    /* vmsim_file_create()'s limit, refused here at the file's line. */
    if (file->pages > VMSIM_MAX_FILE_PAGES)
      return ERRF(l, v, "size: %s is too large (expected: at most 256 TiB, 2^36 pages)",
                  vmsim__yaml_text(v));
  }
  scn->nr_files = (uint32_t)n;
  return 0;
}

/* The index of the file named by `v`. */
static int find_file(struct loader *l, yaml_node_t *v, const char *field, int32_t *out) {
  vmsim_scenario *scn = l->scn;
  char name[sizeof(scn->files[0].name)], list[256] = "";
  int err;

  if ((err = vmsim__yaml_string(&l->y, v, field, name, sizeof(name))))
    return err;
  for (uint32_t i = 0; i < scn->nr_files; i++) {
    if (strcmp(scn->files[i].name, name) == 0) {
      *out = (int32_t)i;
      return 0;
    }
    vmsim__yaml_join(list, sizeof(list), (const char *const[]){scn->files[i].name, NULL});
  }
  return ERRF(l, v, "unknown file '%s' (expected: %s)", name,
              scn->nr_files ? list : "the name of a file listed under files");
}

/* ---- processes ----------------------------------------------------------- */

static const char *const workload_keys[] = {"seed", "quantum", "processes", NULL};
static const char *const process_keys[] = {"name",     "start", "oom_score_adj",
                                           "accesses", "vmas",  "driver", NULL};
static const char *const vma_keys[] = {"start", "size", "type", "file", "shared",
                                       "prot",  "locked", "offset", NULL};
static const char *const vma_types[] = {"anon", "file", NULL};

/* "rw", "r", "rx", "rwx", ... or "none". */
static int parse_prot(struct loader *l, yaml_node_t *v, unsigned *out) {
  static const char expected[] = "r, w and x in any combination, such as rw, or none";
  const char *text = vmsim__yaml_text(v);
  unsigned prot = 0;
  if (vmsim__yaml_is(v, "none")) {
    *out = 0;
    return 0;
  }
  for (const char *c = text; c && *c; c++) {
    unsigned bit = *c == 'r' ? VMSIM_PROT_READ
                   : *c == 'w' ? VMSIM_PROT_WRITE
                   : *c == 'x' ? VMSIM_PROT_EXEC
                               : 0;
    if (!bit || (prot & bit))
      return vmsim__yaml_expected(&l->y, v, "prot", expected);
    prot |= bit;
  }
  if (!prot)
    return vmsim__yaml_expected(&l->y, v, "prot", expected);
  *out = prot;
  return 0;
}

/* The file part of a `type: file` VMA: which file, where, and that it fits. */
static int parse_vma_file(struct loader *l, yaml_node_t *node, vmsim_scn_vma *vma,
                          yaml_node_t *vsize) {
  yaml_node_t *v;
  char a[32], b[32], c[32];
  uint64_t offset = 0;
  int err;

  if (!(v = get(l, node, "file")))
    return ERRF(l, node, "missing key 'file' in vma (expected: the file a type: file vma maps)");
  if ((err = find_file(l, v, "file", &vma->file)))
    return err;
  if ((v = get(l, node, "offset")) && (err = vmsim__yaml_bytes(&l->y, v, "offset", 0, &offset)))
    return err;
  const vmsim_scn_file *f = &l->scn->files[vma->file];
  uint64_t len = vma->len >> VMSIM_PAGE_SHIFT;
  vma->pgoff = offset >> VMSIM_PAGE_SHIFT;
  if (vma->pgoff > f->pages || len > f->pages - vma->pgoff) {
    vmsim__yaml_fmt_bytes(a, sizeof(a), vma->len);
    vmsim__yaml_fmt_bytes(b, sizeof(b), offset);
    vmsim__yaml_fmt_bytes(c, sizeof(c), f->pages << VMSIM_PAGE_SHIFT);
    return ERRF(l, vsize, "size: %s at offset %s runs past the end of file '%s' of %s "
                "(expected: offset + size within the file)", a, b, f->name, c);
  }
  return 0;
}

static int parse_vma(struct loader *l, vmsim_scn_process *p, uint32_t i, yaml_node_t *node) {
  vmsim_scn_vma *vma = &p->vmas[i];
  yaml_node_t *vstart, *vsize, *v;
  char a[32];
  bool flag;
  int err;

  if ((err = vmsim__yaml_map(&l->y, node, "vma", vma_keys)) ||
      (err = vmsim__yaml_need(&l->y, node, "start", "vma", &vstart)) ||
      (err = vmsim__yaml_bytes(&l->y, vstart, "start", 0, &vma->start)) ||
      (err = vmsim__yaml_need(&l->y, node, "size", "vma", &vsize)) ||
      (err = vmsim__yaml_bytes(&l->y, vsize, "size", VMSIM_PAGE_SIZE, &vma->len)))
    return err;
  if (vma->start >= VMSIM_TASK_SIZE)
    return ERRF(l, vstart, "start: 0x%" PRIx64 " is beyond the 47-bit address space (expected: "
                "below 0x%" PRIx64 ")", vma->start, VMSIM_TASK_SIZE);
  if (vma->len > VMSIM_TASK_SIZE - vma->start) {
    vmsim__yaml_fmt_bytes(a, sizeof(a), vma->len);
    return ERRF(l, vsize, "size: %s at 0x%" PRIx64 " ends beyond the 47-bit address space "
                "(expected: start + size <= 0x%" PRIx64 ")", a, vma->start, VMSIM_TASK_SIZE);
  }

  unsigned type = get(l, node, "file") ? 1 : 0;
  if ((v = get(l, node, "type")) &&
      (err = vmsim__yaml_choice(&l->y, v, "type", "vma type", vma_types, &type)))
    return err;
  bool shared = false;
  if ((v = get(l, node, "shared")) && (err = vmsim__yaml_bool(&l->y, v, "shared", &shared)))
    return err;
  if (type == 0) {
    static const char *const file_only[] = {"file", "offset"};
    for (unsigned k = 0; k < ARRAY_SIZE(file_only); k++)
      if ((v = get(l, node, file_only[k])))
        return ERRF(l, v, "%s: an anonymous vma has no file (expected: type: file)",
                    file_only[k]);
    if (shared)
      return ERRF(l, get(l, node, "shared"), "shared: shared anonymous memory is not "
                  "supported (expected: false)");
    vma->file = -1;
    vma->flags = VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE;
  } else {
    if ((err = parse_vma_file(l, node, vma, vsize)))
      return err;
    vma->flags = shared ? VMSIM_MAP_SHARED : VMSIM_MAP_PRIVATE;
  }
  vma->prot = VMSIM_PROT_READ | VMSIM_PROT_WRITE;
  if ((v = get(l, node, "prot")) && (err = parse_prot(l, v, &vma->prot)))
    return err;
  if ((v = get(l, node, "locked"))) {
    if ((err = vmsim__yaml_bool(&l->y, v, "locked", &flag)))
      return err;
    vma->flags |= flag ? VMSIM_MAP_LOCKED : 0;
  }
  for (uint32_t j = 0; j < i; j++) {
    const vmsim_scn_vma *o = &p->vmas[j];
    if (vma->start < o->start + o->len && o->start < vma->start + vma->len)
      return ERRF(l, vstart, "start: the vma [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps vma %u "
                  "[0x%" PRIx64 ", 0x%" PRIx64 ") (expected: vmas that do not overlap)",
                  vma->start, vma->start + vma->len, j, o->start, o->start + o->len);
  }
  return 0;
}

/* ---- drivers ------------------------------------------------------------- */

static const char *const driver_keys[] = {"generator",   "trace",  "format", "read",
                                          "region",      "seed",   "theta",  "write_ratio",
                                          "working_set", "phases", NULL};
static const char *const trace_keys[] = {"trace", "format", "read", NULL};
/* The keys each kind of generator takes, at the top of a driver and in a phase. */
#define GEN_KEYS(first) "generator", first, "region", "seed", "write_ratio"
static const char *const gen_keys[VMSIM_NR_GEN_KINDS][8] = {
  [VMSIM_GEN_SEQUENTIAL] = {GEN_KEYS("read"), NULL},
  [VMSIM_GEN_UNIFORM] = {GEN_KEYS("read"), NULL},
  [VMSIM_GEN_ZIPF] = {GEN_KEYS("read"), "theta", NULL},
  [VMSIM_GEN_LOOP] = {GEN_KEYS("read"), "working_set", NULL},
  [VMSIM_GEN_PHASES] = {"generator", "read", "region", "seed", "phases", NULL},
};
static const char *const phase_keys[VMSIM_NR_GEN_KINDS][8] = {
  [VMSIM_GEN_SEQUENTIAL] = {GEN_KEYS("count"), NULL},
  [VMSIM_GEN_UNIFORM] = {GEN_KEYS("count"), NULL},
  [VMSIM_GEN_ZIPF] = {GEN_KEYS("count"), "theta", NULL},
  [VMSIM_GEN_LOOP] = {GEN_KEYS("count"), "working_set", NULL},
};
static const char *const phase_all_keys[] = {GEN_KEYS("count"), "theta", "working_set", NULL};
#undef GEN_KEYS

/* `generator: NAME`; its kind, then the mapping checked against its keys. */
static int parse_gen_kind(struct loader *l, yaml_node_t *map, yaml_node_t *v, const char *where,
                          const char *const (*keys)[8], enum vmsim_gen_kind *kind) {
  const char *names[VMSIM_NR_GEN_KINDS + 1] = {NULL};
  char what[48];
  unsigned k;
  int err;

  for (unsigned i = 0; i < VMSIM_NR_GEN_KINDS; i++)
    names[i] = vmsim_gen_kind_name((enum vmsim_gen_kind)i);
  if ((err = vmsim__yaml_choice(&l->y, v, "generator", "generator", names, &k)))
    return err;
  if (!keys[k][0])
    return ERRF(l, v, "generator: phases do not nest (expected: sequential, uniform, zipf or "
                "loop)");
  *kind = (enum vmsim_gen_kind)k;
  snprintf(what, sizeof(what), "%s %s", names[k], where);
  return vmsim__yaml_map(&l->y, map, what, keys[k]);
}

/* The pages a generator covers: the read file, or VMA `region`. */
static int gen_region(struct loader *l, const vmsim_scn_process *p, yaml_node_t *map,
                      vmsim_gen_config *g, uint32_t *region) {
  const vmsim_scn_driver *d = &p->driver;
  yaml_node_t *v = get(l, map, "region");
  uint64_t u;
  int err;

  if (d->read_file >= 0) {
    if (v)
      return ERRF(l, v, "region: not used with read (expected: either region or read)");
    g->base = 0;
    g->pages = l->scn->files[d->read_file].pages;
    return 0;
  }
  if (v) {
    if ((err = vmsim__yaml_uint(&l->y, v, "region", 0, UINT32_MAX, &u)))
      return err;
    *region = (uint32_t)u;
  }
  if (p->nr_vmas == 0)
    return ERRF(l, v ? v : map, "region: process '%s' has no vmas (expected: a vma under vmas "
                "for the generator, or read: FILE)", p->name);
  if (*region >= p->nr_vmas)
    return ERRF(l, v, "region: process '%s' has no vma %u (expected: a vma index 0..%u)",
                p->name, *region, p->nr_vmas - 1);
  g->base = p->vmas[*region].start;
  g->pages = p->vmas[*region].len >> VMSIM_PAGE_SHIFT;
  return 0;
}

/* seed, write_ratio, theta, working_set: whichever the kind took. */
static int parse_gen_params(struct loader *l, yaml_node_t *map, vmsim_gen_config *g) {
  yaml_node_t *v;
  int err;
  if ((v = get(l, map, "seed")) &&
      (err = vmsim__yaml_uint(&l->y, v, "seed", 0, UINT64_MAX, &g->seed)))
    return err;
  if ((v = get(l, map, "write_ratio")) &&
      (err = vmsim__yaml_real(&l->y, v, "write_ratio", 0.0, false, 1.0, &g->write_ratio)))
    return err;
  if ((v = get(l, map, "theta")) &&
      (err = vmsim__yaml_real(&l->y, v, "theta", 0.0, true, INFINITY, &g->theta)))
    return err;
  if ((v = get(l, map, "working_set")) &&
      (err = vmsim__yaml_uint(&l->y, v, "working_set", 1, g->pages, &g->working_set)))
    return err;
  return 0;
}

static int parse_phases(struct loader *l, vmsim_scn_process *p, yaml_node_t *seq) {
  vmsim_scn_driver *d = &p->driver;
  vmsim_gen_config *phases;
  size_t n;
  int err;

  if ((err = vmsim__yaml_seq(&l->y, seq, "phases", 1, UINT32_MAX, &n)))
    return err;
  if (!(phases = scn_alloc(l->scn, n, sizeof(*phases))))
    return nomem(l);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *ph = vmsim__yaml_item(&l->y, seq, i), *v;
    vmsim_gen_config *g = &phases[i];
    uint32_t region = d->region;
    vmsim_gen_config_default(g);
    if ((err = vmsim__yaml_map(&l->y, ph, "phase", phase_all_keys)) ||
        (err = vmsim__yaml_need(&l->y, ph, "generator", "phase", &v)) ||
        (err = parse_gen_kind(l, ph, v, "phase", phase_keys, &g->kind)) ||
        (err = gen_region(l, p, ph, g, &region)) ||
        (err = vmsim__yaml_need(&l->y, ph, "count", "phase", &v)) ||
        (err = vmsim__yaml_uint(&l->y, v, "count", 1, UINT64_MAX, &g->count)) ||
        (err = parse_gen_params(l, ph, g)))
      return err;
  }
  d->gen.phases = phases;
  d->gen.nr_phases = (uint32_t)n;
  return 0;
}

static int parse_trace(struct loader *l, vmsim_scn_process *p, yaml_node_t *map,
                       yaml_node_t *vtrace) {
  vmsim_scn_driver *d = &p->driver;
  char path[sizeof(d->trace_path)];
  yaml_node_t *v;
  int err;

  d->kind = VMSIM_DRIVER_TRACE;
  if ((err = vmsim__yaml_map(&l->y, map, "trace driver", trace_keys)) ||
      (err = vmsim__yaml_string(&l->y, vtrace, "trace", path, sizeof(path))))
    return err;
  /* Relative to the directory of the scenario file. */
  int n = path[0] != '/' && l->dir
              ? snprintf(d->trace_path, sizeof(d->trace_path), "%.*s/%s", (int)l->dirlen,
                         l->dir, path)
              : snprintf(d->trace_path, sizeof(d->trace_path), "%s", path);
  if (n < 0 || (size_t)n >= sizeof(d->trace_path))
    return ERRF(l, vtrace, "trace: the path is %d bytes long (expected: at most %zu)", n,
                sizeof(d->trace_path) - 1);
  if ((err = vmsim__yaml_need(&l->y, map, "format", "trace driver", &v)))
    return err;
  const char *text = vmsim__yaml_text(v);
  if (!text || vmsim_trace_format_parse(text, &d->trace_format) != 0) {
    const char *names[VMSIM_NR_TRACE_FORMATS + 1] = {NULL};
    char list[128] = "";
    for (unsigned i = 0; i < VMSIM_NR_TRACE_FORMATS; i++)
      names[i] = vmsim_trace_format_name((enum vmsim_trace_format)i);
    vmsim__yaml_join(list, sizeof(list), names);
    if (!text)
      return vmsim__yaml_expected(&l->y, v, "format", list);
    return ERRF(l, v, "unknown trace format '%s' (expected: %s)", text, list);
  }
  return 0;
}

static int parse_driver(struct loader *l, vmsim_scn_process *p, yaml_node_t *pnode,
                        yaml_node_t *map) {
  vmsim_scn_driver *d = &p->driver;
  yaml_node_t *vgen, *vtrace, *ktrace = NULL, *v;
  int err;

  memset(d, 0, sizeof(*d));
  vmsim_gen_config_default(&d->gen);
  d->read_file = -1;
  if ((err = vmsim__yaml_map(&l->y, map, "driver", driver_keys)))
    return err;
  vgen = get(l, map, "generator");
  vtrace = vmsim__yaml_get(&l->y, map, "trace", &ktrace);
  if (vgen && vtrace)
    return ERRF(l, ktrace, "driver: both generator and trace (expected: exactly one of them)");
  if (!vgen && !vtrace)
    return ERRF(l, map, "missing key 'generator' or 'trace' in driver");
  if ((v = get(l, map, "read")) && (err = find_file(l, v, "read", &d->read_file)))
    return err;
  if (vtrace)
    return parse_trace(l, p, map, vtrace);

  d->kind = VMSIM_DRIVER_GENERATOR;
  if ((err = parse_gen_kind(l, map, vgen, "generator", gen_keys, &d->gen.kind)) ||
      (err = gen_region(l, p, map, &d->gen, &d->region)) ||
      (err = parse_gen_params(l, map, &d->gen)))
    return err;
  if (p->accesses == UINT64_MAX)
    return ERRF(l, pnode, "missing key 'accesses' in process '%s' (expected: a limit, since a "
                "generator never ends)", p->name);
  d->gen.count = p->accesses;
  if (d->gen.kind == VMSIM_GEN_PHASES) {
    if ((err = vmsim__yaml_need(&l->y, map, "phases", "phases generator", &v)))
      return err;
    return parse_phases(l, p, v);
  }
  return 0;
}

static int parse_process(struct loader *l, yaml_node_t *seq, uint32_t i) {
  vmsim_scn_process *p = &l->scn->procs[i];
  yaml_node_t *node = vmsim__yaml_item(&l->y, seq, i), *v;
  int64_t adj;
  size_t n;
  int err;

  if ((err = vmsim__yaml_map(&l->y, node, "process", process_keys)) ||
      (err = vmsim__yaml_need(&l->y, node, "name", "process", &v)) ||
      (err = vmsim__yaml_string(&l->y, v, "name", p->name, sizeof(p->name))) ||
      (err = check_unique(l, v, "process", p->name, seq, i)))
    return err;
  if ((v = get(l, node, "start")) &&
      (err = vmsim__yaml_duration(&l->y, v, "start", &p->start_ns)))
    return err;
  if ((v = get(l, node, "oom_score_adj"))) {
    if ((err = vmsim__yaml_int(&l->y, v, "oom_score_adj", -1000, 1000, &adj)))
      return err;
    p->oom_score_adj = (int)adj;
  }
  p->accesses = UINT64_MAX;
  if ((v = get(l, node, "accesses")) &&
      (err = vmsim__yaml_uint(&l->y, v, "accesses", 1, UINT64_MAX - 1, &p->accesses)))
    return err;
  if ((v = get(l, node, "vmas"))) {
    if ((err = vmsim__yaml_seq(&l->y, v, "vmas", 0, UINT32_MAX, &n)))
      return err;
    if (n && !(p->vmas = scn_alloc(l->scn, n, sizeof(*p->vmas))))
      return nomem(l);
    p->nr_vmas = (uint32_t)n;
    for (uint32_t j = 0; j < n; j++)
      if ((err = parse_vma(l, p, j, vmsim__yaml_item(&l->y, v, j))))
        return err;
  }
  if ((err = vmsim__yaml_need(&l->y, node, "driver", "process", &v)))
    return err;
  return parse_driver(l, p, node, v);
}

static int parse_workload(struct loader *l, yaml_node_t *w) {
  vmsim_scenario *scn = l->scn;
  yaml_node_t *v;
  size_t n;
  int err;

  if ((err = vmsim__yaml_map(&l->y, w, "workload", workload_keys)))
    return err;
  if ((v = get(l, w, "seed")) &&
      (err = vmsim__yaml_uint(&l->y, v, "seed", 0, UINT64_MAX, &scn->cfg.seed)))
    return err;
  scn->seed = scn->cfg.seed;
  scn->quantum = 1000;
  if ((v = get(l, w, "quantum")) &&
      (err = vmsim__yaml_uint(&l->y, v, "quantum", 1, UINT64_MAX, &scn->quantum)))
    return err;
  if ((err = vmsim__yaml_need(&l->y, w, "processes", "workload", &v)) ||
      (err = vmsim__yaml_seq(&l->y, v, "processes", 1, UINT32_MAX, &n)))
    return err;
  if (!(scn->procs = scn_alloc(scn, n, sizeof(*scn->procs))))
    return nomem(l);
  scn->nr_procs = (uint32_t)n;
  for (uint32_t i = 0; i < n; i++)
    if ((err = parse_process(l, v, i)))
      return err;
  return 0;
}

/* ---- the machine as a whole ---------------------------------------------- */

/* The node that the field a vmsim_config_validate() message names stands at. */
static yaml_node_t *config_node(struct loader *l, const char *msg) {
  unsigned i;
  yaml_node_t *machine = l->machine ? l->machine : l->root;
  yaml_node_t *vm = l->vm ? l->vm : l->root;
  if (sscanf(msg, "nodes[%u]", &i) == 1 && i < VMSIM_MAX_NODES && l->node[i])
    return strstr(msg, "zone") && l->zones[i] ? l->zones[i] : l->node[i];
  if (sscanf(msg, "swap[%u]", &i) == 1 && i < VMSIM_MAX_SWAP_DEVICES && l->swapdev[i])
    return l->swapdev[i];
  const struct {
    const char *prefix;
    yaml_node_t *node, *fallback;
  } fields[] = {
    {"machine", l->machine, l->root},  {"nodes", l->nodes, machine},
    {"nr_nodes", l->nodes, machine},
    {"node_distance", l->distance, machine}, {"tlb", l->tlb, machine},
    {"nr_swap", l->swap, machine},
    {"policy", l->policy, vm},         {"min_free_kbytes", l->min_free, vm},
  };
  for (i = 0; i < ARRAY_SIZE(fields); i++)
    if (strncmp(msg, fields[i].prefix, strlen(fields[i].prefix)) == 0)
      return fields[i].node ? fields[i].node : fields[i].fallback;
  return vm;
}

/*
 * vmsim_config_validate() on the configuration without its tunables, then
 * with the first 1, 2, ... of them (the policy applies them in order, and a
 * tunable's range may depend on those before it), so that the tunable the
 * policy refuses is reported at its own line.
 */
static int check_config(struct loader *l) {
  vmsim_config *cfg = &l->scn->cfg;
  uint32_t nr_params = cfg->nr_policy_params, i;
  char msg[256];
  int err = 0;

  for (i = 0; i <= nr_params && !err; i++) {
    cfg->nr_policy_params = i;
    err = vmsim_config_validate(cfg, msg, sizeof(msg));
  }
  cfg->nr_policy_params = nr_params;
  if (err == VMSIM_ENOMEM)
    return nomem(l);
  if (err) /* i is one past the count that failed */
    return ERRF(l, i > 1 ? l->param[i - 2] : config_node(l, msg), "%s", msg);
  return 0;
}

static const char *const top_keys[] = {"machine", "vm", "files", "workload", NULL};

static int parse_scenario(struct loader *l) {
  yaml_node_t *root = vmsim__yaml_root(&l->y), *v;
  int err;

  vmsim_config_default(&l->scn->cfg);
  l->root = root;
  if (!root || vmsim__yaml_is(root, ""))
    return ERRF(l, root, "the scenario is empty (expected: a mapping with machine, vm, files, "
                "workload)");
  if ((err = vmsim__yaml_map(&l->y, root, "the scenario", top_keys)))
    return err;
  if ((v = vmsim__yaml_get(&l->y, root, "machine", &l->machine)) && (err = parse_machine(l, v)))
    return err;
  if ((v = vmsim__yaml_get(&l->y, root, "vm", &l->vm)) && (err = parse_vm(l, v)))
    return err;
  if ((v = get(l, root, "files")) && (err = parse_files(l, v)))
    return err;
  if ((err = vmsim__yaml_need(&l->y, root, "workload", "the scenario", &v)) ||
      (err = parse_workload(l, v)))
    return err;
  return check_config(l);
}

/* ---- entry points -------------------------------------------------------- */

int vmsim_scenario_parse(vmsim_scenario **out, const char *text, size_t n, const char *name,
                         char *err, size_t len) {
  if (!out || (!text && n))
    return vmsim__errf(err, len, VMSIM_EINVAL, "scenario: no output or no text given");
  *out = NULL;
  name = name ? name : "<string>";
  vmsim_scenario *scn = vmsim__calloc(1, sizeof(*scn));
  if (!scn)
    return vmsim__errf(err, len, VMSIM_ENOMEM, "%s: error: out of host memory", name);
  snprintf(scn->source, sizeof(scn->source), "%s", name);

  struct loader l = {.scn = scn};
  const char *slash = strrchr(name, '/');
  if (slash) {
    l.dir = name;
    l.dirlen = (size_t)(slash - name);
  }
  int rc = vmsim__yaml_load(&l.y, text ? text : "", n, name, err, len);
  if (!rc)
    rc = parse_scenario(&l);
  vmsim__yaml_fini(&l.y);
  if (rc) {
    vmsim_scenario_free(scn);
    return rc;
  }
  *out = scn;
  return 0;
}

int vmsim_scenario_load(vmsim_scenario **out, const char *path, char *err, size_t len) {
  if (!out || !path)
    return vmsim__errf(err, len, VMSIM_EINVAL, "scenario: no output or no path given");
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return vmsim__errf(err, len, VMSIM_EIO, "%s: error: cannot open: %s", path, strerror(errno));
  char *buf = NULL;
  size_t used = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (used == cap) {
      char *bigger = cap < SIZE_MAX / 2 ? vmsim__realloc(buf, cap ? cap * 2 : 16384) : NULL;
      if (!bigger) {
        rc = vmsim__errf(err, len, VMSIM_ENOMEM, "%s: error: out of host memory", path);
        break;
      }
      buf = bigger;
      cap = cap ? cap * 2 : 16384;
    }
    size_t got = fread(buf + used, 1, cap - used, f);
    used += got;
    if (got == 0) {
      if (ferror(f))
        rc = vmsim__errf(err, len, VMSIM_EIO, "%s: error: cannot read: %s", path,
                         strerror(errno));
      break;
    }
  }
  fclose(f);
  if (!rc)
    rc = vmsim_scenario_parse(out, buf, used, path, err, len);
  vmsim__free(buf);
  return rc;
}

/* The built-in scenario; examples/scenarios/default.yaml is the same text. */
static const char default_text[] =
    "# The built-in default scenario: what `vmsim run` does without a file, and\n"
    "# vmsim_scenario_default(). A small machine under memory pressure, so that\n"
    "# kswapd, the page cache and swap are all visibly at work.\n"
    "#\n"
    "# 64 MiB of RAM and 64 MiB of SSD swap; three processes that together want\n"
    "# more than fits:\n"
    "#   db      a 48 MiB anonymous heap, accessed with a Zipf skew (a hot head,\n"
    "#           a long cold tail), 30% writes: its cold pages go to swap\n"
    "#   backup  read()s a 256 MiB file from start to end, twice: page cache that\n"
    "#           is used once and must be reclaimed behind it\n"
    "#   batch   starts 10 ms later and loops over 12 MiB of a 16 MiB heap, half\n"
    "#           writes: a working set that either fits or thrashes\n"
    "# About 3.1 million accesses in all.\n"
    "machine:\n"
    "  nodes:\n"
    "    - memory: 64MiB\n"
    "      cpus: 2\n"
    "      zones: {DMA: 16MiB, DMA32: rest}\n"
    "  swap:\n"
    "    - {size: 64MiB, type: ssd}\n"
    "vm:\n"
    "  policy: clock\n"
    "  swappiness: 60\n"
    "  watermark_style: modern\n"
    "  reclaim: kswapd\n"
    "files:\n"
    "  - {name: archive, size: 256MiB}\n"
    "workload:\n"
    "  seed: 1\n"
    "  quantum: 1000\n"
    "  processes:\n"
    "    - name: db\n"
    "      accesses: 2000000\n"
    "      vmas:\n"
    "        - {start: 0x10000000, size: 48MiB, type: anon, prot: rw}\n"
    "      driver: {generator: zipf, theta: 0.9, write_ratio: 0.3}\n"
    "    - name: backup\n"
    "      accesses: 131072\n"
    "      driver: {generator: sequential, read: archive}\n"
    "    - name: batch\n"
    "      start: 10ms\n"
    "      accesses: 1000000\n"
    "      vmas:\n"
    "        - {start: 0x20000000, size: 16MiB, type: anon, prot: rw}\n"
    "      driver: {generator: loop, working_set: 3072, write_ratio: 0.5}\n";

const char *vmsim_scenario_default_text(void) { return default_text; }

int vmsim_scenario_default(vmsim_scenario **out, char *err, size_t len) {
  return vmsim_scenario_parse(out, default_text, sizeof(default_text) - 1, "<default>", err, len);
}
