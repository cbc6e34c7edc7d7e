/* SPDX-License-Identifier: MIT */
/*
 * Replaying a trace (`vmsim replay`): pass 1 validates the trace, counts its
 * distinct pages and processes and, for a policy that needs the future,
 * records each access's next use; pass 2 replays it in trace order.
 */
#include <vmsim/scenario.h>

#include <inttypes.h>

#include "mm_types.h"
#include "pace.h"
#include "swap.h"

#define MAX_TRACE_PIDS 1024

/*
 * Pass 2 reads this many records ahead of the access it replays and hints
 * each coming access to the simulator twice (vmsim__access_prefetch): when
 * it is read, for its leaf PTE, and half the window later, for the frame or
 * swap slot that PTE names. A replay of a large trace is bound by host
 * cache misses, one or two per access; the hints let the misses of the
 * next accesses overlap the work of this one. They change no result.
 */
#define REPLAY_AHEAD 16

/* An open-addressing table of (pid, vpn) -> the last access seen. */
struct page_slot {
  uint64_t vpn;
  uint64_t last; /* seq of the latest access, UINT64_MAX: empty */
  uint32_t pid;
};

struct page_table {
  struct page_slot *slots;
  uint64_t mask, used;
};

static uint64_t hash_page(uint32_t pid, uint64_t vpn) {
  uint64_t z = vpn * UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)pid << 32 | pid);
  z = (z ^ (z >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
  return z ^ (z >> 29);
}

/* A new page would not fit: the table grows first (to table_next_cap()). */
static bool table_full(const struct page_table *t) {
  return !t->slots || 2 * (t->used + 1) > t->mask + 1;
}

static uint64_t table_next_cap(const struct page_table *t) {
  return t->slots ? (t->mask + 1) * 2 : 1024;
}

static int table_grow(struct page_table *t) {
  uint64_t cap = table_next_cap(t);
  struct page_slot *s = vmsim__malloc(cap * sizeof(*s));
  if (!s)
    return VMSIM_ENOMEM;
  for (uint64_t i = 0; i < cap; i++)
    s[i].last = UINT64_MAX;
  for (uint64_t i = 0; t->slots && i <= t->mask; i++) {
    if (t->slots[i].last == UINT64_MAX)
      continue;
    uint64_t h = hash_page(t->slots[i].pid, t->slots[i].vpn) & (cap - 1);
    while (s[h].last != UINT64_MAX)
      h = (h + 1) & (cap - 1);
    s[h] = t->slots[i];
  }
  vmsim__free(t->slots);
  t->slots = s;
  t->mask = cap - 1;
  return 0;
}

/* The slot of (pid, vpn), created if new (*fresh says so). */
static struct page_slot *table_get(struct page_table *t, uint32_t pid, uint64_t vpn, bool *fresh) {
  if (table_full(t) && table_grow(t))
    return NULL;
  uint64_t h = hash_page(pid, vpn) & t->mask;
  while (t->slots[h].last != UINT64_MAX) {
    if (t->slots[h].vpn == vpn && t->slots[h].pid == pid) {
      *fresh = false;
      return &t->slots[h];
    }
    h = (h + 1) & t->mask;
  }
  t->used++;
  t->slots[h].vpn = vpn;
  t->slots[h].pid = pid;
  *fresh = true;
  return &t->slots[h];
}

struct replay {
  const vmsim_replay_options *opt;
  bool future;
  uint64_t *next_use; /* per access, when the policy needs the future */
  uint64_t nr, cap;
  uint32_t trace_pids[MAX_TRACE_PIDS], sim_pids[MAX_TRACE_PIDS];
  uint32_t nr_pids;
  char *err;
  size_t len;
};

static int pid_index(struct replay *rp, uint32_t trace_pid) {
  for (uint32_t i = 0; i < rp->nr_pids; i++)
    if (rp->trace_pids[i] == trace_pid)
      return (int)i;
  if (rp->nr_pids == MAX_TRACE_PIDS)
    return -1;
  rp->trace_pids[rp->nr_pids] = trace_pid;
  return (int)rp->nr_pids++;
}

static int open_trace(struct replay *rp, vmsim_trace **t) {
  char msg[512];
  int err = vmsim_trace_open(t, rp->opt->path, rp->opt->format, NULL, msg, sizeof(msg));
  return err ? vmsim__errf(rp->err, rp->len, err, "%s", msg) : 0;
}

/*
 * A trace may name more distinct pages than the host can simulate (a
 * lackey trace of a large program, or one whose addresses are garbage).
 * Pass 1 refuses it before it thrashes the host: each time its table or
 * next-use array is about to grow, the host memory the replay would need
 * with the table full -- the table itself, the next uses, and the swap slot
 * replay_config() gives every distinct page (struct vmsim_swap_slot) --
 * must fit in the host's physical memory. The machine itself is checked
 * later by vmsim_config_validate().
 */
static int check_fits(struct replay *rp, const struct page_table *t, uint64_t slots,
                      uint64_t next_uses) {
  const uint64_t slot_bytes = sizeof(struct vmsim_swap_slot);
  uint64_t need = slots * sizeof(struct page_slot) + slots / 2 * slot_bytes +
                  next_uses * sizeof(*rp->next_use);
  uint64_t host = vmsim__host_memory();
  if (need <= host)
    return 0;
  char need_s[32], host_s[32];
  return vmsim__errf(rp->err, rp->len, VMSIM_ERANGE,
                     "%s: %" PRIu64 " distinct pages in its first %" PRIu64
                     " accesses, and counting: replaying it needs more than %s of host "
                     "memory, the host has %s",
                     rp->opt->path, t->used, rp->nr,
                     vmsim__format_bytes(need_s, sizeof(need_s), need),
                     vmsim__format_bytes(host_s, sizeof(host_s), host));
}

/* Pass 1: validate, count pages and pids, record next uses. */
static int scan_trace(struct replay *rp, vmsim_replay_result *res) {
  struct page_table table = {0};
  vmsim_trace *t;
  vmsim_memref ref;
  int rc = open_trace(rp, &t);
  if (rc)
    return rc;
  while ((rc = vmsim_trace_next(t, &ref)) == 1) {
    bool fresh = true;
    struct page_slot *s = NULL;
    if (pid_index(rp, ref.pid) < 0) {
      rc = vmsim__errf(rp->err, rp->len, VMSIM_ERANGE, "%s: more than %d processes",
                       rp->opt->path, MAX_TRACE_PIDS);
      break;
    }
    /* An address outside the address space is a segv in pass 2: no page
     * to count, nothing to remember about it. */
    if (ref.vaddr < VMSIM_TASK_SIZE) {
      if (table_full(&table) &&
          (rc = check_fits(rp, &table, table_next_cap(&table), rp->cap)))
        break;
      if (!(s = table_get(&table, ref.pid, ref.vaddr >> VMSIM_PAGE_SHIFT, &fresh))) {
        rc = vmsim__errf(rp->err, rp->len, VMSIM_ENOMEM, "replay: out of host memory");
        break;
      }
    }
    if (rp->future) {
      if (rp->nr == rp->cap) {
        uint64_t cap = rp->cap ? rp->cap * 2 : 4096;
        if ((rc = check_fits(rp, &table, table.mask + 1, cap)))
          break;
        uint64_t *nu = vmsim__realloc(rp->next_use, cap * sizeof(*nu));
        if (!nu) {
          rc = vmsim__errf(rp->err, rp->len, VMSIM_ENOMEM, "replay: out of host memory");
          break;
        }
        rp->next_use = nu;
        rp->cap = cap;
      }
      rp->next_use[rp->nr] = UINT64_MAX;
      if (!fresh)
        rp->next_use[s->last] = rp->nr;
    }
    if (s)
      s->last = rp->nr;
    rp->nr++;
  }
  if (rc < 0 && rc != VMSIM_ENOMEM && rc != VMSIM_ERANGE)
    rc = vmsim__errf(rp->err, rp->len, rc, "%s", vmsim_trace_error(t));
  res->distinct_pages = table.used;
  res->nr_procs = rp->nr_pids;
  vmsim__free(table.slots);
  vmsim_trace_close(t);
  return rc < 0 ? rc : 0;
}

static void replay_config(const vmsim_replay_options *opt, uint64_t distinct, vmsim_config *cfg) {
  vmsim_config_default(cfg);
  if (opt->frames) {
    memset(cfg->nodes, 0, sizeof(cfg->nodes));
    cfg->nr_nodes = 1;
    cfg->nodes[0].pages = opt->frames;
    cfg->nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
    cfg->nodes[0].nr_cpus = 1;
    cfg->reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  }
  /* Swap to hold every page of the trace, so only the policy decides. */
  cfg->swap[0].pages = MAX(cfg->swap[0].pages, distinct + 1);
  if (opt->policy)
    snprintf(cfg->policy, sizeof(cfg->policy), "%s", opt->policy);
}

int vmsim_replay(const vmsim_replay_options *opt, vmsim_sim **out_sim, vmsim_replay_result *res,
                 char *err, size_t len) {
  if (!opt || !opt->path || !out_sim || !res)
    return vmsim__errf(err, len, VMSIM_EINVAL, "replay: missing argument");
  *out_sim = NULL;
  memset(res, 0, sizeof(*res));
  struct replay *rp = vmsim__calloc(1, sizeof(*rp));
  if (!rp)
    return vmsim__errf(err, len, VMSIM_ENOMEM, "replay: out of host memory");
  rp->opt = opt;
  rp->err = err;
  rp->len = len;
  const vmsim_policy_ops *ops = vmsim_policy_find(opt->policy ? opt->policy : "clock");
  if (opt->policy && !ops) {
    vmsim__free(rp);
    return vmsim__errf(err, len, VMSIM_ECONFIG, "policy: '%s' is not a registered policy",
                       opt->policy);
  }
  rp->future = ops && vmsim__ops_covers(ops, flags) && (ops->flags & VMSIM_POLICY_F_FUTURE);

  vmsim_sim *sim = NULL;
  vmsim_trace *t = NULL;
  vmsim_config cfg;
  char msg[512];
  int rc = scan_trace(rp, res);
  if (rc)
    goto out;
  replay_config(opt, res->distinct_pages, &cfg);
  if ((rc = vmsim_config_validate(&cfg, msg, sizeof(msg)))) {
    vmsim__errf(err, len, rc, "%s", msg);
    goto out;
  }
  if ((rc = vmsim_sim_create(&sim, &cfg))) {
    vmsim__errf(err, len, rc, "creating the machine: %s", vmsim_strerror(rc));
    goto out;
  }
  for (uint32_t i = 0; i < rp->nr_pids; i++) {
    if ((rc = vmsim_process_create(sim, &rp->sim_pids[i])) ||
        (rc = vmsim_mmap(sim, rp->sim_pids[i], 0, VMSIM_TASK_SIZE,
                         VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                         VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0))) {
      vmsim__errf(err, len, rc, "replay: setting up process %u: %s", rp->trace_pids[i],
                  vmsim_strerror(rc));
      goto out;
    }
  }

  /* Pass 2. */
  if ((rc = open_trace(rp, &t)))
    goto out;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, opt->run);
  /* The trace is read REPLAY_AHEAD records ahead of the access being
   * replayed, each record's pid already the simulated one. */
  vmsim_memref ring[REPLAY_AHEAD];
  uint64_t seq = 0, nread = 0;
  int more = 1;
  const bool lru_hints = sim->access_notify;
  for (;;) {
    while (more == 1 && nread - seq < REPLAY_AHEAD) {
      vmsim_memref *r = &ring[nread % REPLAY_AHEAD];
      if ((more = vmsim_trace_next(t, r)) != 1)
        break;
      r->pid = rp->sim_pids[pid_index(rp, r->pid)];
      vmsim__access_prefetch(sim, r->pid, r->vaddr, VMSIM_PREFETCH_PTE);
      nread++;
    }
    if (seq == nread)
      break;
    if (nread - seq > REPLAY_AHEAD / 2) {
      const vmsim_memref *r = &ring[(seq + REPLAY_AHEAD / 2) % REPLAY_AHEAD];
      vmsim__access_prefetch(sim, r->pid, r->vaddr, VMSIM_PREFETCH_TARGET);
    }
    if (lru_hints && nread - seq > REPLAY_AHEAD / 4) {
      const vmsim_memref *r = &ring[(seq + REPLAY_AHEAD / 4) % REPLAY_AHEAD];
      vmsim__access_prefetch(sim, r->pid, r->vaddr, VMSIM_PREFETCH_LRU);
    }
    const vmsim_memref *ref = &ring[seq % REPLAY_AHEAD];
    uint64_t next = rp->future ? rp->next_use[seq] : UINT64_MAX;
    int a = vmsim_access_future(sim, 0, ref->pid, ref->vaddr, ref->write, next);
    seq++;
    if (a == VMSIM_EFAULT || a == VMSIM_EACCES) {
      res->segv++;
    } else if (a == VMSIM_EKILLED) {
      continue; /* the OOM killer took this process; the others go on */
    } else if (a) {
      rc = vmsim__errf(err, len, a, "%s: access %" PRIu64 ": %s", opt->path, seq,
                       vmsim_strerror(a));
      goto out;
    }
    if ((rc = vmsim__pace(&pace, sim, seq, rp->nr ? rp->nr : UINT64_MAX, err, len)))
      goto out;
  }
  if ((rc = more) < 0) {
    vmsim__errf(err, len, rc, "%s", vmsim_trace_error(t));
    goto out;
  }
  rc = 0;
  res->accesses = seq;
  for (uint32_t i = 0; i < rp->nr_pids; i++) {
    vmsim_process_info pi;
    if (vmsim_process_get_info(sim, rp->sim_pids[i], &pi) == 0)
      res->misses += pi.misses;
  }
out:
  vmsim_trace_close(t);
  vmsim__free(rp->next_use);
  vmsim__free(rp);
  if (rc) {
    vmsim_sim_destroy(sim);
    return rc;
  }
  *out_sim = sim;
  return 0;
}
