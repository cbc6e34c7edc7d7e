/* SPDX-License-Identifier: MIT */
/*
 * Replaying a trace (`vmsim replay`): pass 1 validates the trace, counts its
 * distinct pages and processes and, for a policy that needs the future,
 * records each access's next use; pass 2 replays it in trace order.
 */
#include <vmsim/scenario.h>

#include <inttypes.h>

#include "pace.h"
#include "replay.h"
#include "swap.h"

/*
 * Pass 2 reads its trace REPLAY_AHEAD records at a time (vmsim_trace_fill),
 * once no more than that many are left ahead of the access it replays, into
 * a ring of twice as many. It hints each coming access to the simulator
 * twice (vmsim__access_prefetch): when it is read, for its leaf PTE, and
 * REPLAY_AHEAD / 2 accesses before its turn, for the frame or swap slot
 * that PTE names. A replay of a large trace is bound by host cache misses,
 * one or two per access; the hints let the misses of the next accesses
 * overlap the work of this one. They change no result.
 */
#define REPLAY_AHEAD 16
#define REPLAY_RING (2 * REPLAY_AHEAD)

/* Make the table `slots` slots (a power of two), moving every entry. */
static int page_set_resize(struct page_set *s, uint64_t slots) {
  struct page_set n = *s;
  n.slots = vmsim__calloc(slots, sizeof(*n.slots));
  if (!n.slots)
    return VMSIM_ENOMEM;
  n.mask = slots - 1;
  n.shift = 64 - (unsigned)__builtin_ctzll(slots);
  n.last_key = NO_KEY;
  for (uint64_t i = 0; s->slots && i <= s->mask; i++)
    if (s->slots[i].val)
      *page_set_find(&n, s->slots[i].key) = s->slots[i];
  vmsim__free(s->slots);
  *s = n;
  return 0;
}

int vmsim__replay_open(struct replay *rp, vmsim_trace **t) {
  char msg[512];
  int err = vmsim_trace_open(t, rp->opt->path, rp->opt->format, NULL, msg, sizeof(msg));
  return err ? vmsim__errf(rp->err, rp->len, err, "%s", msg) : 0;
}

/*
 * A trace may name more distinct pages than the host can simulate (a
 * lackey trace of a large program, or one whose addresses are garbage).
 * Pass 1 refuses it before it thrashes the host: each time the page set or
 * the next-use array is about to grow, and each time the distinct pages
 * reach the count last allowed for, the host memory the replay would need
 * -- the set's slots, the next uses, and rp->page_bytes for each of up to
 * `pages` pages (the MACHINE engine's swap slot, struct vmsim_swap_slot,
 * which vmsim__replay_config() gives every distinct page) -- must fit in the
 * host's physical memory. The machine itself is checked later by
 * vmsim_config_validate(), the FRAMES engine's frames by frames.c.
 */
static int check_fits(struct replay *rp, const struct page_set *s, uint64_t slots,
                      uint64_t pages, uint64_t next_uses) {
  uint64_t need = slots * sizeof(struct page_entry) + pages * rp->page_bytes +
                  next_uses * sizeof(*rp->next_use);
  uint64_t host = vmsim__host_memory();
  if (need <= host)
    return 0;
  char need_s[32], host_s[32];
  return vmsim__errf(rp->err, rp->len, VMSIM_ERANGE,
                     "%s: %" PRIu64 " distinct pages in its first %" PRIu64
                     " accesses, and counting: replaying it needs more than %s of host "
                     "memory, the host has %s",
                     rp->opt->path, s->pages, rp->nr,
                     vmsim__format_bytes(need_s, sizeof(need_s), need),
                     vmsim__format_bytes(host_s, sizeof(host_s), host));
}

int vmsim__replay_nomem(struct replay *rp) {
  return vmsim__errf(rp->err, rp->len, VMSIM_ENOMEM, "replay: out of host memory");
}

int vmsim__replay_too_many_pids(struct replay *rp) {
  return vmsim__errf(rp->err, rp->len, VMSIM_ERANGE, "%s: more than %d processes", rp->opt->path,
                     MAX_TRACE_PIDS);
}

int vmsim__page_set_init(struct replay *rp, struct page_set *s, unsigned chunk_shift) {
  memset(s, 0, sizeof(*s));
  s->chunk_shift = chunk_shift;
  s->pages_bound = PAGE_SET_MIN_SLOTS; /* a first check, for as many pages as slots */
  int rc = check_fits(rp, s, PAGE_SET_MIN_SLOTS, s->pages_bound, 0);
  if (!rc && page_set_resize(s, PAGE_SET_MIN_SLOTS))
    rc = vmsim__replay_nomem(rp);
  return rc;
}

/* The slow stage of page_set_get(): a new key goes in the empty slot *e,
 * in a table grown first if it would be more than half full. */
NOINLINE int vmsim__page_set_add(struct replay *rp, struct page_set *s, uint64_t key,
                                 struct page_entry **e) {
  if (2 * (s->used + 1) > s->mask + 1) {
    int rc = check_fits(rp, s, 2 * (s->mask + 1), s->pages_bound, rp->cap);
    if (rc)
      return rc;
    if (page_set_resize(s, 2 * (s->mask + 1)))
      return vmsim__replay_nomem(rp);
    *e = page_set_find(s, key);
  }
  (*e)->key = key;
  s->used++;
  return 0;
}

/* Count a page not seen before: past the count the host was checked for,
 * check it again for twice as many. */
int vmsim__page_set_count(struct replay *rp, struct page_set *s) {
  if (s->pages == s->pages_bound) {
    int rc = check_fits(rp, s, s->mask + 1, 2 * s->pages_bound, rp->cap);
    if (rc)
      return rc;
    s->pages_bound *= 2;
  }
  s->pages++;
  return 0;
}

/* Make room for twice as many next uses. */
static int grow_next_use(struct replay *rp, const struct page_set *s) {
  uint64_t cap = rp->cap ? rp->cap * 2 : 4096;
  int rc = check_fits(rp, s, s->mask + 1, s->pages_bound, cap);
  if (rc)
    return rc;
  uint64_t *nu = vmsim__realloc(rp->next_use, cap * sizeof(*nu));
  if (!nu)
    return vmsim__replay_nomem(rp);
  rp->next_use = nu;
  rp->cap = cap;
  return 0;
}

/* Pass 1: validate, count pages and pids, record next uses. */
int vmsim__replay_scan(struct replay *rp, vmsim_replay_result *res) {
  struct page_set set;
  vmsim_trace *t;
  uint64_t keys[REPLAY_READ_MAX];
  bool writes[REPLAY_READ_MAX];
  long n;
  int rc = vmsim__replay_open(rp, &t);
  if (rc)
    return rc;
  if ((rc = vmsim__page_set_init(rp, &set, rp->future ? 0 : CHUNK_SHIFT))) {
    vmsim_trace_close(t);
    return rc;
  }
  while (!rc && (n = replay_read_keys(rp, t, keys, writes, REPLAY_READ_MAX)) > 0) {
    for (long i = 0; i < n; i++) {
      if (rp->future) {
        if (rp->nr == rp->cap && (rc = grow_next_use(rp, &set)))
          break;
        rp->next_use[rp->nr] = UINT64_MAX;
      }
      /* An address outside the address space is a segv in pass 2: no page
       * to count, nothing to remember about it. */
      if (keys[i] != NO_KEY && (rc = see_page(rp, &set, keys[i])) < 0)
        break;
      rc = 0;
      rp->nr++;
    }
  }
  if (!rc && n < 0)
    rc = (int)n; /* rp->err says what */
  res->distinct_pages = set.pages;
  res->nr_procs = rp->nr_pids;
  if (!rc && rp->keep_set)
    *rp->keep_set = set;
  else
    vmsim__free(set.slots);
  vmsim_trace_close(t);
  return rc;
}

void vmsim__replay_config(const vmsim_replay_options *opt, uint64_t distinct, vmsim_config *cfg) {
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
  const vmsim_policy_ops *ops =
      vmsim_policy_find(opt->policy ? opt->policy : VMSIM_DEFAULT_POLICY);
  if (opt->policy && !ops) {
    vmsim__free(rp);
    return vmsim__errf(err, len, VMSIM_ECONFIG, "policy: '%s' is not a registered policy",
                       opt->policy);
  }
  rp->future = ops && vmsim__ops_covers(ops, flags) && (ops->flags & VMSIM_POLICY_F_FUTURE);

  enum vmsim_replay_engine engine = opt->engine;
  bool model = vmsim_replay_frames_model(opt->policy);
  if (engine == VMSIM_REPLAY_AUTO)
    engine = opt->frames && model ? VMSIM_REPLAY_FRAMES : VMSIM_REPLAY_MACHINE;
  res->engine = engine;
  if (engine == VMSIM_REPLAY_FRAMES) {
    int rc = 0;
    if (!opt->frames)
      rc = vmsim__errf(err, len, VMSIM_ECONFIG,
                       "replay: the frames engine needs a number of frames (--frames N)");
    else if (!model)
      rc = vmsim__errf(err, len, VMSIM_ECONFIG,
                       "replay: policy '%s' has no model in the frames engine (fifo, clock, "
                       "lru, opt and fivelist have one); replay it on the machine engine",
                       opt->policy);
    if (!rc)
      rc = vmsim__replay_frames(rp, res);
    vmsim__free(rp->next_use);
    vmsim__free(rp);
    return rc;
  }
  if (engine != VMSIM_REPLAY_MACHINE) {
    vmsim__free(rp);
    return vmsim__errf(err, len, VMSIM_EINVAL, "replay: no engine %d", (int)engine);
  }
  rp->page_bytes = sizeof(struct vmsim_swap_slot);

  vmsim_sim *sim = NULL;
  vmsim_trace *t = NULL;
  vmsim_config cfg;
  char msg[512];
  int rc = vmsim__replay_scan(rp, res);
  if (rc)
    goto out;
  vmsim__replay_config(opt, res->distinct_pages, &cfg);
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
  if ((rc = vmsim__replay_open(rp, &t)))
    goto out;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, opt->run);
  /* Records [seq, nread) are read and not yet replayed, each pid already
   * the simulated one. A block goes to ring[nread % REPLAY_RING] onwards, up
   * to REPLAY_AHEAD records and never past the ring's end; with at most
   * REPLAY_AHEAD unreplayed, it overwrites only replayed ones. A short
   * block means the end or an error, which the next read returns. */
  vmsim_memref ring[REPLAY_RING];
  uint64_t seq = 0, nread = 0;
  long more = 1;
  const bool lru_hints = sim->access_notify;
  for (;;) {
    while (more > 0 && nread - seq <= REPLAY_AHEAD) {
      size_t at = nread % REPLAY_RING;
      vmsim_memref *block = &ring[at];
      if ((more = vmsim_trace_fill(t, block, MIN(REPLAY_AHEAD, REPLAY_RING - at))) <= 0)
        break;
      for (long i = 0; i < more; i++) {
        block[i].pid = rp->sim_pids[pid_index(rp, block[i].pid)];
        vmsim__access_prefetch(sim, block[i].pid, block[i].vaddr, VMSIM_PREFETCH_PTE);
      }
      nread += (uint64_t)more;
    }
    if (seq == nread)
      break;
    if (nread - seq > REPLAY_AHEAD / 2) {
      const vmsim_memref *r = &ring[(seq + REPLAY_AHEAD / 2) % REPLAY_RING];
      vmsim__access_prefetch(sim, r->pid, r->vaddr, VMSIM_PREFETCH_TARGET);
    }
    if (lru_hints && nread - seq > REPLAY_AHEAD / 4) {
      const vmsim_memref *r = &ring[(seq + REPLAY_AHEAD / 4) % REPLAY_RING];
      vmsim__access_prefetch(sim, r->pid, r->vaddr, VMSIM_PREFETCH_LRU);
    }
    const vmsim_memref *ref = &ring[seq % REPLAY_RING];
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
  if ((rc = (int)more) < 0) {
    vmsim__errf(err, len, rc, "%s", vmsim_trace_error(t));
    goto out;
  }
  rc = 0;
  res->accesses = seq;
  res->checks = pace.checks;
  for (uint32_t i = 0; i < rp->nr_pids; i++) {
    vmsim_process_info pi;
    if (vmsim_process_get_info(sim, rp->sim_pids[i], &pi) == 0) {
      res->misses += pi.misses;
      res->major_faults += pi.pgmajfault;
    }
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
