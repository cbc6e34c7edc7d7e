/* SPDX-License-Identifier: MIT */
/*
 * The policy conformance suite (<vmsim/conformance.h>): fixed scenarios
 * replayed with one policy, and the properties every policy must keep.
 *
 * Each scenario builds a small machine, drives it through phases with the
 * public API, and calls conf_check() after each phase; on-demand phases
 * also call conf_demand_check() after every access. The first failure
 * stops the suite and is reported as "policy, scenario: property: detail".
 */
#include "lru.h"

#include <vmsim/conformance.h>

#include <stdio.h>

#define PAGE VMSIM_PAGE_SIZE
#define REGION(i) ((uint64_t)(i) << 30) /* 1 GiB apart */
#define MAX_LOCKED 4
#define DEMAND_FRAMES 16
#define DEMAND_REFS 400

/* An mlocked region of a process. */
struct conf_region {
  uint32_t pid;
  uint64_t start, pages;
};

struct conf {
  const char *policy;
  const char *scenario;
  char *msg;
  size_t len;
  vmsim_sim *sim;
  uint64_t rng;
  struct conf_region locked[MAX_LOCKED]; /* must stay resident */
  uint32_t nr_locked;
};

/* ---- reporting ---------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
conf_fail(struct conf *c, const char *property, const char *fmt, ...) {
  if (c->msg && c->len) {
    int n = snprintf(c->msg, c->len, "policy '%s', scenario '%s': %s: ", c->policy, c->scenario,
                     property);
    if (n >= 0 && (size_t)n < c->len) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(c->msg + n, c->len - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return VMSIM_ECORRUPT;
}

#define CONF_TRY(expr)                                                          \
  do {                                                                          \
    int conf_err_ = (expr);                                                     \
    if (conf_err_)                                                              \
      return conf_err_;                                                         \
  } while (0)

/* splitmix64: the scenarios' own random numbers, fixed by their seeds. */
static uint64_t conf_rand(struct conf *c) {
  uint64_t z = (c->rng += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* ---- building the machine ------------------------------------------------ */

/* `nr_nodes` nodes of `pages` frames each, ZONE_NORMAL only, one CPU per
 * node, the default swap device. */
static int conf_create(struct conf *c, uint32_t nr_nodes, uint64_t pages, bool on_demand) {
  vmsim_config cfg;
  char why[256];
  vmsim_config_default(&cfg);
  cfg.nr_nodes = nr_nodes;
  for (uint32_t nid = 0; nid < nr_nodes; nid++) {
    cfg.nodes[nid].pages = pages;
    memset(cfg.nodes[nid].zone_pages, 0, sizeof(cfg.nodes[nid].zone_pages));
    cfg.nodes[nid].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
    cfg.nodes[nid].nr_cpus = 1;
  }
  cfg.reclaim_mode = on_demand ? VMSIM_RECLAIM_ON_DEMAND : VMSIM_RECLAIM_KSWAPD;
  snprintf(cfg.policy, sizeof(cfg.policy), "%s", c->policy);
  int err = vmsim_sim_create(&c->sim, &cfg);
  if (err == VMSIM_ENOMEM)
    return err;
  if (err) {
    if (vmsim_config_validate(&cfg, why, sizeof(why)) == 0)
      snprintf(why, sizeof(why), "the policy's init or configure failed");
    conf_fail(c, "the machine can be created", "%s: %s", vmsim_err_name(err), why);
    return VMSIM_ECONFIG;
  }
  return 0;
}

static int conf_process(struct conf *c, uint32_t *pid) {
  int err = vmsim_process_create(c->sim, pid);
  return err ? conf_fail(c, "setup", "vmsim_process_create: %s", vmsim_err_name(err)) : 0;
}

static int conf_mmap(struct conf *c, uint32_t pid, uint64_t addr, uint64_t pages, unsigned flags,
                     uint32_t file) {
  int err = vmsim_mmap(c->sim, pid, addr, pages * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE, flags,
                       file, 0);
  if (err)
    return conf_fail(c, "setup", "vmsim_mmap: %s", vmsim_err_name(err));
  if ((flags & VMSIM_MAP_LOCKED) && c->nr_locked < MAX_LOCKED)
    c->locked[c->nr_locked++] = (struct conf_region){pid, addr, pages};
  return 0;
}

static int conf_file(struct conf *c, uint64_t pages, uint32_t *file) {
  int err = vmsim_file_create(c->sim, pages, file);
  return err ? conf_fail(c, "setup", "vmsim_file_create: %s", vmsim_err_name(err)) : 0;
}

/* A machine, and a process with `anon_pages` of anon memory at REGION(1). */
static int conf_start(struct conf *c, uint32_t nr_nodes, uint64_t frames, bool on_demand,
                      uint32_t *pid, uint64_t anon_pages) {
  CONF_TRY(conf_create(c, nr_nodes, frames, on_demand));
  CONF_TRY(conf_process(c, pid));
  return conf_mmap(c, *pid, REGION(1), anon_pages, VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0);
}

/* ---- driving it ---------------------------------------------------------- */

static int conf_access(struct conf *c, uint32_t cpu, uint32_t pid, uint64_t vaddr, bool write,
                       uint64_t next_use) {
  int err = vmsim_access_future(c->sim, cpu, pid, vaddr, write, next_use);
  if (err)
    return conf_fail(c, "every access succeeds", "pid %u %s %#" PRIx64 ": %s", pid,
                     write ? "writing" : "reading", vaddr, vmsim_err_name(err));
  return 0;
}

/* Pages [0, n) of the region at `base`, in order. */
static int conf_sweep(struct conf *c, uint32_t cpu, uint32_t pid, uint64_t base, uint64_t n,
                      bool write) {
  for (uint64_t i = 0; i < n; i++)
    CONF_TRY(conf_access(c, cpu, pid, base + i * PAGE, write, UINT64_MAX));
  return 0;
}

/* `n` accesses to pages of [0, pages) at `base`: 3 in 4 to the first
 * quarter, 1 in `write_every` a write (0: none). */
static int conf_random(struct conf *c, uint32_t cpu, uint32_t pid, uint64_t base, uint64_t pages,
                       uint64_t n, unsigned write_every) {
  for (uint64_t i = 0; i < n; i++) {
    uint64_t r = conf_rand(c);
    uint64_t pg = (r & 3) ? (r >> 8) % (pages / 4 + 1) : (r >> 8) % pages;
    bool write = write_every && (r >> 40) % write_every == 0;
    CONF_TRY(conf_access(c, cpu, pid, base + MIN(pg, pages - 1) * PAGE, write, UINT64_MAX));
  }
  return 0;
}

static int conf_read_file(struct conf *c, uint32_t pid, uint32_t file, uint64_t pages) {
  for (uint64_t i = 0; i < pages; i++) {
    int err = vmsim_file_read(c->sim, 0, pid, file, i);
    if (err)
      return conf_fail(c, "every access succeeds", "pid %u read() of file %u page %" PRIu64 ": %s",
                       pid, file, i, vmsim_err_name(err));
  }
  return 0;
}

/* ---- the properties ------------------------------------------------------ */

static bool has_unevictable_list(const vmsim_policy_ops *ops) {
  for (uint32_t l = 0; l < ops->nr_lists; l++)
    if (ops->list_kinds[l] == VMSIM_LRU_KIND_UNEVICTABLE)
      return true;
  return false;
}

/* Mlocked pages on unevictable lists, and only they; the lists and the
 * free pages account for every frame. */
static int conf_check_lists(struct conf *c) {
  vmsim_sim *sim = c->sim;
  const uint64_t *v = sim->vmstat;
  uint64_t listed = 0, managed = 0;
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    vmsim_lruvec *lv = sim->nodes[nid].lruvec;
    bool strict = has_unevictable_list(lv->ops);
    for (uint32_t l = 0; l < lv->ops->nr_lists; l++) {
      const vmsim_list *list = vmsim_lruvec_list(lv, l);
      bool unevictable = lv->ops->list_kinds[l] == VMSIM_LRU_KIND_UNEVICTABLE;
      listed += list->nr;
      for (vmsim_pfn_t pfn = list->head; strict && pfn != VMSIM_PFN_NONE;
           pfn = sim->mem_map[pfn].lru_next) {
        bool mlocked = vmsim_page_test(&sim->mem_map[pfn], VMSIM_PG_mlocked);
        if (mlocked && !unevictable)
          return conf_fail(c, "mlocked pages are on an unevictable list",
                           "node %u: mlocked pfn %u is on list '%s'", nid, pfn,
                           lv->ops->list_names[l]);
        if (!mlocked && unevictable)
          return conf_fail(c, "only mlocked pages are on an unevictable list",
                           "node %u: evictable pfn %u is on list '%s'", nid, pfn,
                           lv->ops->list_names[l]);
      }
    }
    for (int z = 0; z < VMSIM_NR_ZONES; z++)
      managed += sim->nodes[nid].zones[z].managed_pages;
  }
  uint64_t counted = v[VMSIM_VM_nr_inactive_anon] + v[VMSIM_VM_nr_active_anon] +
                     v[VMSIM_VM_nr_inactive_file] + v[VMSIM_VM_nr_active_file] +
                     v[VMSIM_VM_nr_unevictable];
  if (listed != counted)
    return conf_fail(c, "counters are consistent",
                     "the lists hold %" PRIu64 " pages, nr_{in,}active_* + nr_unevictable say %" PRIu64,
                     listed, counted);
  if (listed + v[VMSIM_VM_nr_free_pages] != managed)
    return conf_fail(c, "counters are consistent",
                     "%" PRIu64 " listed + %" PRIu64 " free pages, but the machine has %" PRIu64,
                     listed, v[VMSIM_VM_nr_free_pages], managed);
  return 0;
}

static int conf_check_counters(struct conf *c) {
  const uint64_t *v = c->sim->vmstat;
  if (v[VMSIM_VM_pgsteal_kswapd] > v[VMSIM_VM_pgscan_kswapd] ||
      v[VMSIM_VM_pgsteal_direct] > v[VMSIM_VM_pgscan_direct])
    return conf_fail(c, "counters are consistent",
                     "pgsteal_kswapd %" PRIu64 " / pgscan_kswapd %" PRIu64 ", pgsteal_direct %" PRIu64
                     " / pgscan_direct %" PRIu64 ": more stolen than scanned",
                     v[VMSIM_VM_pgsteal_kswapd], v[VMSIM_VM_pgscan_kswapd],
                     v[VMSIM_VM_pgsteal_direct], v[VMSIM_VM_pgscan_direct]);
  if (v[VMSIM_VM_pgsteal_anon] + v[VMSIM_VM_pgsteal_file] !=
          v[VMSIM_VM_pgsteal_kswapd] + v[VMSIM_VM_pgsteal_direct] ||
      v[VMSIM_VM_pgscan_anon] + v[VMSIM_VM_pgscan_file] !=
          v[VMSIM_VM_pgscan_kswapd] + v[VMSIM_VM_pgscan_direct])
    return conf_fail(c, "counters are consistent",
                     "the anon/file split of pgscan or pgsteal does not add up");
  if (v[VMSIM_VM_nr_isolated_anon] || v[VMSIM_VM_nr_isolated_file])
    return conf_fail(c, "no page is left isolated",
                     "nr_isolated_anon %" PRIu64 ", nr_isolated_file %" PRIu64,
                     v[VMSIM_VM_nr_isolated_anon], v[VMSIM_VM_nr_isolated_file]);
  return 0;
}

/* Touch every page of the mlocked regions: none may fault. */
static int conf_check_locked_resident(struct conf *c) {
  for (uint32_t i = 0; i < c->nr_locked; i++) {
    uint64_t before = vmsim_vmstat(c->sim, VMSIM_VM_pgfault);
    CONF_TRY(conf_sweep(c, 0, c->locked[i].pid, c->locked[i].start, c->locked[i].pages, false));
    uint64_t faults = vmsim_vmstat(c->sim, VMSIM_VM_pgfault) - before;
    if (faults)
      return conf_fail(c, "mlocked pages are never evicted",
                       "%" PRIu64 " of %" PRIu64 " mlocked pages of pid %u at %#" PRIx64
                       " were not resident",
                       faults, c->locked[i].pages, c->locked[i].pid, c->locked[i].start);
  }
  return 0;
}

/* After a phase (`final`: at the end of the scenario, with the residency
 * test of the mlocked regions, which adds accesses). */
static int conf_check(struct conf *c, const char *phase, bool final) {
  char why[512];
  if (vmsim_integrity_errors(c->sim))
    return conf_fail(c, "no integrity error", "after %s: %" PRIu64 " integrity errors (pages left "
                     "isolated or unlisted by the policy, or contents lost)",
                     phase, vmsim_integrity_errors(c->sim));
  if (vmsim_check(c->sim, why, sizeof(why)))
    return conf_fail(c, "vmsim_check() passes", "after %s: %s", phase, why);
  CONF_TRY(conf_check_counters(c));
  CONF_TRY(conf_check_lists(c));
  if (final) {
    CONF_TRY(conf_check_locked_resident(c));
    if (vmsim_check(c->sim, why, sizeof(why)) || vmsim_integrity_errors(c->sim))
      return conf_fail(c, "vmsim_check() passes", "after re-reading the mlocked pages: %s", why);
  }
  return 0;
}

/*
 * Demand paging with `frames` frames: evictions == max(0, count - frames)
 * where `count` is the frames ever allocated (pgalloc, or pgfault while
 * every fault allocates), and once memory is full no frame is ever free.
 */
static int conf_demand_check(struct conf *c, uint64_t frames, enum vmsim_vmstat_item count) {
  const uint64_t *v = c->sim->vmstat;
  uint64_t n = v[count];
  uint64_t steal = v[VMSIM_VM_pgsteal_direct] + v[VMSIM_VM_pgsteal_kswapd];
  uint64_t want = n > frames ? n - frames : 0;
  const char *what = vmsim_vmstat_name((int)count);
  if (vmsim_integrity_errors(c->sim))
    return conf_fail(c, "no integrity error", "after %s %" PRIu64 ": %" PRIu64 " integrity errors "
                     "(pages left isolated or unlisted by the policy, or contents lost)",
                     what, n, vmsim_integrity_errors(c->sim));
  if (steal > want)
    return conf_fail(c, "on demand, no eviction while a frame is free",
                     "%" PRIu64 " evictions after %s %" PRIu64 " with %" PRIu64 " frames (expected %" PRIu64
                     ")",
                     steal, what, n, frames, want);
  if (steal < want)
    return conf_fail(c, "on demand, each fault beyond the frames evicts exactly one page",
                     "%" PRIu64 " evictions after %s %" PRIu64 " with %" PRIu64 " frames (expected %" PRIu64
                     ")",
                     steal, what, n, frames, want);
  if (n >= frames && v[VMSIM_VM_nr_free_pages])
    return conf_fail(c, "on demand, no eviction while a frame is free",
                     "%" PRIu64 " frames free after %s %" PRIu64 " with %" PRIu64 " frames",
                     v[VMSIM_VM_nr_free_pages], what, n, frames);
  return 0;
}

/* ---- the scenarios -------------------------------------------------------- */

/*
 * Demand paging, 16 frames: 3 mlocked pages, then a read-only reference
 * string with locality over 40 anon pages with each reference's next use
 * (so that a policy like OPT sees its future), then reads and writes.
 */
static int scn_on_demand(struct conf *c) {
  const uint64_t pages = 40, locked = 3;
  uint32_t refs[DEMAND_REFS];
  uint64_t next[DEMAND_REFS], last[40];
  uint32_t pid;

  CONF_TRY(conf_start(c, 1, DEMAND_FRAMES, true, &pid, pages));
  CONF_TRY(conf_mmap(c, pid, REGION(2), locked,
                     VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_LOCKED, 0));
  for (uint64_t i = 0; i < locked; i++) {
    CONF_TRY(conf_access(c, 0, pid, REGION(2) + i * PAGE, false, UINT64_MAX));
    CONF_TRY(conf_demand_check(c, DEMAND_FRAMES, VMSIM_VM_pgfault));
  }

  uint32_t window = 0;
  for (size_t i = 0; i < DEMAND_REFS; i++) {
    uint64_t r = conf_rand(c);
    if (r % 16 == 0)
      window = (uint32_t)((r >> 8) % pages);
    refs[i] = (uint32_t)(((r >> 4) & 3) ? (window + (r >> 16) % 10) % pages : (r >> 16) % pages);
  }
  for (size_t p = 0; p < pages; p++)
    last[p] = UINT64_MAX;
  for (size_t i = DEMAND_REFS; i-- > 0;) {
    next[i] = last[refs[i]];
    last[refs[i]] = locked + i; /* sequence numbers count from the first access */
  }
  for (size_t i = 0; i < DEMAND_REFS; i++) {
    CONF_TRY(conf_access(c, 0, pid, REGION(1) + refs[i] * PAGE, false, next[i]));
    CONF_TRY(conf_demand_check(c, DEMAND_FRAMES, VMSIM_VM_pgfault));
  }
  CONF_TRY(conf_check(c, "the read-only reference string", false));

  for (size_t i = 0; i < 300; i++) {
    CONF_TRY(conf_random(c, 0, pid, REGION(1), pages, 1, 3));
    CONF_TRY(conf_demand_check(c, DEMAND_FRAMES, VMSIM_VM_pgalloc));
  }
  return conf_check(c, "reads and writes", true);
}

/* kswapd and direct reclaim of an anon working set 1.5 times memory. */
static int scn_kswapd_anon(struct conf *c) {
  const uint64_t pages = 1536;
  uint32_t pid;
  CONF_TRY(conf_start(c, 1, 1024, false, &pid, pages));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(1), pages, true));
  CONF_TRY(conf_check(c, "writing every page", false));
  CONF_TRY(conf_random(c, 0, pid, REGION(1), pages, 4000, 4));
  CONF_TRY(conf_check(c, "random reads and writes", false));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(1), pages, false)); /* contents come back intact */
  if (vmsim_vmstat(c->sim, VMSIM_VM_pswpout) == 0)
    return conf_fail(c, "anon pages are swapped out under pressure", "pswpout is 0");
  return conf_check(c, "reading every page back", true);
}

/* read() scans of a file 3 times memory; writes through a shared mapping
 * of another file 1.5 times memory, so that dirty pages are written back. */
static int scn_file(struct conf *c) {
  const uint64_t big = 3072, mapped = 1536;
  uint32_t pid, f1, f2;
  CONF_TRY(conf_create(c, 1, 1024, false));
  CONF_TRY(conf_process(c, &pid));
  CONF_TRY(conf_file(c, big, &f1));
  CONF_TRY(conf_file(c, mapped, &f2));
  CONF_TRY(conf_read_file(c, pid, f1, big));
  CONF_TRY(conf_read_file(c, pid, f1, big));
  CONF_TRY(conf_check(c, "read() scans", false));
  CONF_TRY(conf_mmap(c, pid, REGION(1), mapped, VMSIM_MAP_SHARED, f2));
  CONF_TRY(conf_random(c, 0, pid, REGION(1), mapped, 3000, 2));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(1), mapped, true));
  CONF_TRY(conf_check(c, "writes through a shared mapping", false));
  CONF_TRY(conf_read_file(c, pid, f2, mapped)); /* written-back contents read back */
  CONF_TRY(conf_read_file(c, pid, f1, big / 2));
  if (vmsim_vmstat(c->sim, VMSIM_VM_pgpgout) == 0)
    return conf_fail(c, "dirty file pages are written back under pressure", "pgpgout is 0");
  return conf_check(c, "reading the files back", true);
}

/* Mlocked anon and file regions under anon pressure; half of the anon one
 * unmapped on the way. */
static int scn_mlock(struct conf *c) {
  const uint64_t locked = 128, locked_file = 64, pressure = 1536;
  uint32_t pid, file;
  CONF_TRY(conf_start(c, 1, 1024, false, &pid, pressure));
  CONF_TRY(conf_file(c, 256, &file));
  CONF_TRY(conf_mmap(c, pid, REGION(3), locked_file, VMSIM_MAP_SHARED | VMSIM_MAP_LOCKED, file));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(1), pressure / 2, true));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(3), locked_file, false));
  CONF_TRY(conf_mmap(c, pid, REGION(2), locked,
                     VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_LOCKED, 0));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(2), locked, true));
  CONF_TRY(conf_sweep(c, 0, pid, REGION(1), pressure, true));
  CONF_TRY(conf_check(c, "pressure on mlocked memory", false));

  int err = vmsim_munmap(c->sim, pid, REGION(2), locked / 2 * PAGE);
  if (err)
    return conf_fail(c, "setup", "vmsim_munmap: %s", vmsim_err_name(err));
  c->locked[1].start += locked / 2 * PAGE;
  c->locked[1].pages -= locked / 2;
  CONF_TRY(conf_random(c, 0, pid, REGION(1), pressure, 3000, 3));
  return conf_check(c, "munmap of half the mlocked region, more pressure", true);
}

/* fork(): copy-on-write, pressure from a third process, the child exits. */
static int scn_fork_exit(struct conf *c) {
  const uint64_t pages = 700, other = 800;
  uint32_t parent, child, third;
  CONF_TRY(conf_start(c, 1, 1024, false, &parent, pages));
  CONF_TRY(conf_sweep(c, 0, parent, REGION(1), pages, true));
  int err = vmsim_process_fork(c->sim, parent, &child);
  if (err)
    return conf_fail(c, "setup", "vmsim_process_fork: %s", vmsim_err_name(err));
  for (uint64_t i = 0; i < 400; i += 2)
    CONF_TRY(conf_access(c, 0, child, REGION(1) + i * PAGE, true, UINT64_MAX));
  CONF_TRY(conf_sweep(c, 0, parent, REGION(1), pages, false));
  CONF_TRY(conf_check(c, "copy-on-write after fork", false));
  CONF_TRY(conf_process(c, &third));
  CONF_TRY(conf_mmap(c, third, REGION(1), other, VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0));
  CONF_TRY(conf_sweep(c, 0, third, REGION(1), other, true));
  CONF_TRY(conf_random(c, 0, child, REGION(1), pages, 1000, 2));
  CONF_TRY(conf_check(c, "pressure from a third process", false));
  if ((err = vmsim_process_exit(c->sim, child)))
    return conf_fail(c, "setup", "vmsim_process_exit: %s", vmsim_err_name(err));
  CONF_TRY(conf_check(c, "the child's exit", false));
  CONF_TRY(conf_random(c, 0, parent, REGION(1), pages, 1000, 2));
  CONF_TRY(conf_sweep(c, 0, parent, REGION(1), pages, false));
  return conf_check(c, "the parent going on", true);
}

/* Two nodes of 768 frames, a process on each node's CPU. */
static int scn_two_nodes(struct conf *c) {
  const uint64_t pages = 1000;
  uint32_t pid[2];
  CONF_TRY(conf_start(c, 2, 768, false, &pid[0], pages));
  CONF_TRY(conf_process(c, &pid[1]));
  CONF_TRY(conf_mmap(c, pid[1], REGION(1), pages, VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0));
  for (uint64_t i = 0; i < pages; i++)
    for (uint32_t n = 0; n < 2; n++)
      CONF_TRY(conf_access(c, n, pid[n], REGION(1) + i * PAGE, true, UINT64_MAX));
  CONF_TRY(conf_check(c, "filling both nodes", false));
  for (uint64_t i = 0; i < 2000; i++)
    CONF_TRY(conf_random(c, (uint32_t)(i & 1), pid[i & 1], REGION(1), pages, 1, 3));
  for (uint32_t n = 0; n < 2; n++)
    CONF_TRY(conf_sweep(c, n, pid[n], REGION(1), pages, false));
  return conf_check(c, "random accesses on both nodes", true);
}

static const struct {
  const char *name;
  int (*run)(struct conf *c);
} scenarios[] = {
  {"on-demand", scn_on_demand},     {"kswapd-anon", scn_kswapd_anon},
  {"file", scn_file},               {"mlock", scn_mlock},
  {"fork-exit", scn_fork_exit},     {"two-nodes", scn_two_nodes},
};

/* ---- the suite ------------------------------------------------------------ */

/* Run a scenario once; its final counters and time go to v and *now. */
static int run_once(struct conf *c, size_t s, uint64_t v[VMSIM_NR_VMSTAT], vmsim_time_t *now) {
  c->sim = NULL;
  c->nr_locked = 0;
  c->rng = 0x5eed0000 + s;
  c->scenario = scenarios[s].name;
  int err = scenarios[s].run(c);
  if (!err) {
    vmsim_vmstat_snapshot(c->sim, v);
    *now = vmsim_time_now(c->sim);
  }
  vmsim_sim_destroy(c->sim);
  c->sim = NULL;
  return err;
}

int vmsim_policy_conformance(const char *policy_name, char *msg, size_t len) {
  if (msg && len)
    msg[0] = '\0';
  if (!policy_name || !vmsim_policy_find(policy_name))
    return vmsim__errf(msg, len, VMSIM_ENOENT, "policy '%s' is not registered",
                       policy_name ? policy_name : "(null)");
  struct conf c = {.policy = policy_name, .msg = msg, .len = len};
  for (size_t s = 0; s < ARRAY_SIZE(scenarios); s++) {
    uint64_t v[2][VMSIM_NR_VMSTAT];
    vmsim_time_t now[2];
    for (int run = 0; run < 2; run++)
      CONF_TRY(run_once(&c, s, v[run], &now[run]));
    for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
      if (v[0][i] != v[1][i])
        return conf_fail(&c, "determinism", "%s is %" PRIu64 " on the first run, %" PRIu64
                         " on the second", vmsim_vmstat_name(i), v[0][i], v[1][i]);
    if (now[0] != now[1])
      return conf_fail(&c, "determinism",
                       "simulated time is %" PRIu64 " ns on the first run, %" PRIu64 " on the second",
                       now[0], now[1]);
  }
  return 0;
}
