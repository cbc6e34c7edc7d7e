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
#define PID_SLOT_BITS 11 /* 2^11 = 2 * MAX_TRACE_PIDS slots */
_Static_assert((1u << PID_SLOT_BITS) >= 2 * MAX_TRACE_PIDS, "pid slots at most half full");

/*
 * Pass 2 reads this many records ahead of the access it replays and hints
 * each coming access to the simulator twice (vmsim__access_prefetch): when
 * it is read, for its leaf PTE, and half the window later, for the frame or
 * swap slot that PTE names. A replay of a large trace is bound by host
 * cache misses, one or two per access; the hints let the misses of the
 * next accesses overlap the work of this one. They change no result.
 */
#define REPLAY_AHEAD 16

/*
 * Pass 1's set of the trace's pages: an open-addressing hash table (linear
 * probing, a power-of-two size at most half full, Fibonacci hashing: the
 * key times 2^64 / phi, top bits kept) of 16-byte entries. A page's key is
 * its process's index in trace_pids[] and its vpn, page_key(); what an
 * entry covers depends on the policy:
 *
 *  - Without VMSIM_POLICY_F_FUTURE, pass 1 only counts the distinct pages
 *    (to size swap), so an entry is a chunk of 64 pages, keyed by
 *    page_key() >> 6, and its value the bitmap of the pages seen; a new bit
 *    is a new page. A dense trace needs 1/64 of the entries a table of
 *    pages would: the 1 M pages of the replay benchmark take 512 KiB, which
 *    stays in the host's cache, where a table of pages took 48 MiB and a
 *    host cache miss per record. A sparse trace, a chunk per page, costs 32
 *    to 64 bytes a page (the table is a quarter to half full), where the
 *    table of pages took 48 to 96.
 *  - With it (Belady's OPT), each access must learn its next use, so an
 *    entry is one page, and its value 1 + the number of its latest access:
 *    the next access to the page becomes that one's next use. Chunks of
 *    64 such values would pack a dense trace tighter (17 MB rather than
 *    32 MiB for the benchmark's pages), but cost a sparse one over 1 KiB a
 *    page; OPT is the reference to check against, not the fast path.
 *
 * Either way a used entry's value is never 0, so 0 marks an empty slot and
 * a zeroed table is empty. A one-entry cache in front of the table catches
 * the runs of records on one chunk or page that traces are full of (a loop
 * over an array, code running on in one page).
 */
#define PAGE_SET_MIN_SLOTS 1024
#define CHUNK_SHIFT 6 /* 64 pages, the bits of a value */

/* A process index above the vpn: vpns of the 47-bit space have 35 bits. */
#define PAGE_KEY_VPN_BITS 35
_Static_assert(VMSIM_TASK_SIZE >> VMSIM_PAGE_SHIFT == UINT64_C(1) << PAGE_KEY_VPN_BITS,
               "page_key() puts the process index above the vpn");

struct page_entry {
  uint64_t key;
  uint64_t val; /* the bitmap of a chunk, or 1 + the latest access to a page; 0: empty */
};

struct page_set {
  struct page_entry *slots;
  uint64_t mask, used;      /* used: slots taken */
  unsigned shift;           /* 64 - log2(slots): the hash keeps the top bits */
  unsigned chunk_shift;     /* CHUNK_SHIFT, or 0 for one page per entry */
  uint64_t pages;           /* distinct pages seen */
  uint64_t pages_bound;     /* the distinct pages check_fits() last allowed for */
  uint64_t last_key;        /* the one-entry cache: the last key looked up */
  struct page_entry *last;  /* and its entry; none while last_key is NO_KEY */
};

#define NO_KEY UINT64_MAX /* keys have 45 bits */

static uint64_t page_key(uint32_t pid_index, uint64_t vpn) {
  return (uint64_t)pid_index << PAGE_KEY_VPN_BITS | vpn;
}

/* The entry of `key`, or the empty slot where it belongs. */
static ALWAYS_INLINE struct page_entry *page_set_find(const struct page_set *s, uint64_t key) {
  uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15) >> s->shift;
  while (s->slots[h].val && s->slots[h].key != key)
    h = (h + 1) & s->mask;
  return &s->slots[h];
}

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

struct replay {
  const vmsim_replay_options *opt;
  bool future;
  uint64_t *next_use; /* per access, when the policy needs the future */
  uint64_t nr, cap;
  uint32_t trace_pids[MAX_TRACE_PIDS], sim_pids[MAX_TRACE_PIDS];
  uint32_t nr_pids;
  /* trace pid -> 1 + its index, by open addressing; 0 is an empty slot.
   * Twice MAX_TRACE_PIDS slots keep a probe short with every pid in. */
  uint16_t pid_slots[1u << PID_SLOT_BITS];
  char *err;
  size_t len;
};

/* The index of `trace_pid` in trace_pids[], which numbers the pids in the
 * order they first appear; -1 for a pid past the MAX_TRACE_PIDS-th. */
static int pid_index(struct replay *rp, uint32_t trace_pid) {
  const uint32_t mask = ARRAY_SIZE(rp->pid_slots) - 1;
  /* The product's top bits: its low ones depend on the pid's low ones only. */
  uint32_t h = (trace_pid * UINT32_C(0x9e3779b1)) >> (32 - PID_SLOT_BITS);
  for (; rp->pid_slots[h]; h = (h + 1) & mask)
    if (rp->trace_pids[rp->pid_slots[h] - 1] == trace_pid)
      return rp->pid_slots[h] - 1;
  if (rp->nr_pids == MAX_TRACE_PIDS)
    return -1;
  rp->trace_pids[rp->nr_pids] = trace_pid;
  rp->pid_slots[h] = (uint16_t)(rp->nr_pids + 1);
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
 * Pass 1 refuses it before it thrashes the host: each time the page set or
 * the next-use array is about to grow, and each time the distinct pages
 * reach the count last allowed for, the host memory the replay would need
 * -- the set's slots, the next uses, and the swap slot replay_config()
 * gives every distinct page (struct vmsim_swap_slot), for up to `pages`
 * pages -- must fit in the host's physical memory. The machine itself is
 * checked later by vmsim_config_validate().
 */
static int check_fits(struct replay *rp, const struct page_set *s, uint64_t slots,
                      uint64_t pages, uint64_t next_uses) {
  uint64_t need = slots * sizeof(struct page_entry) + pages * sizeof(struct vmsim_swap_slot) +
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

static int out_of_memory(struct replay *rp) {
  return vmsim__errf(rp->err, rp->len, VMSIM_ENOMEM, "replay: out of host memory");
}

static int page_set_init(struct replay *rp, struct page_set *s) {
  memset(s, 0, sizeof(*s));
  s->chunk_shift = rp->future ? 0 : CHUNK_SHIFT;
  s->pages_bound = PAGE_SET_MIN_SLOTS; /* a first check, for as many pages as slots */
  int rc = check_fits(rp, s, PAGE_SET_MIN_SLOTS, s->pages_bound, 0);
  if (!rc && page_set_resize(s, PAGE_SET_MIN_SLOTS))
    rc = out_of_memory(rp);
  return rc;
}

/* The slow stage of page_set_get(): a new key goes in the empty slot *e,
 * in a table grown first if it would be more than half full. */
static NOINLINE int page_set_add(struct replay *rp, struct page_set *s, uint64_t key,
                                 struct page_entry **e) {
  if (2 * (s->used + 1) > s->mask + 1) {
    int rc = check_fits(rp, s, 2 * (s->mask + 1), s->pages_bound, rp->cap);
    if (rc)
      return rc;
    if (page_set_resize(s, 2 * (s->mask + 1)))
      return out_of_memory(rp);
    *e = page_set_find(s, key);
  }
  (*e)->key = key;
  s->used++;
  return 0;
}

/* The entry of `key` in *e, added with value 0 if new: the caller sets its
 * value before the next lookup. */
static ALWAYS_INLINE int page_set_get(struct replay *rp, struct page_set *s, uint64_t key,
                                      struct page_entry **e) {
  if (s->last_key == key) {
    *e = s->last;
    return 0;
  }
  *e = page_set_find(s, key);
  if (!(*e)->val) {
    int rc = page_set_add(rp, s, key, e);
    if (rc)
      return rc;
  }
  s->last_key = key;
  s->last = *e;
  return 0;
}

/* Count a page not seen before: past the count the host was checked for,
 * check it again for twice as many. */
static int page_set_count(struct replay *rp, struct page_set *s) {
  if (s->pages == s->pages_bound) {
    int rc = check_fits(rp, s, s->mask + 1, 2 * s->pages_bound, rp->cap);
    if (rc)
      return rc;
    s->pages_bound *= 2;
  }
  s->pages++;
  return 0;
}

/* Access number rp->nr, to `page` (a page_key()): count the page if it is
 * new and, for the future, make this access its previous one's next use. */
static ALWAYS_INLINE int see_page(struct replay *rp, struct page_set *s, uint64_t page) {
  struct page_entry *e;
  bool fresh;
  int rc = page_set_get(rp, s, page >> s->chunk_shift, &e);
  if (rc)
    return rc;
  if (rp->future) {
    fresh = !e->val;
    if (!fresh)
      rp->next_use[e->val - 1] = rp->nr;
    e->val = rp->nr + 1;
  } else {
    uint64_t bit = UINT64_C(1) << (page & 63);
    fresh = !(e->val & bit);
    e->val |= bit;
  }
  return fresh ? page_set_count(rp, s) : 0;
}

/* Make room for twice as many next uses. */
static int grow_next_use(struct replay *rp, const struct page_set *s) {
  uint64_t cap = rp->cap ? rp->cap * 2 : 4096;
  int rc = check_fits(rp, s, s->mask + 1, s->pages_bound, cap);
  if (rc)
    return rc;
  uint64_t *nu = vmsim__realloc(rp->next_use, cap * sizeof(*nu));
  if (!nu)
    return out_of_memory(rp);
  rp->next_use = nu;
  rp->cap = cap;
  return 0;
}

/* Pass 1: validate, count pages and pids, record next uses. */
static int scan_trace(struct replay *rp, vmsim_replay_result *res) {
  struct page_set set;
  vmsim_trace *t;
  vmsim_memref ref;
  int rc = open_trace(rp, &t);
  if (rc)
    return rc;
  if ((rc = page_set_init(rp, &set))) {
    vmsim_trace_close(t);
    return rc;
  }
  while ((rc = vmsim_trace_next(t, &ref)) == 1) {
    int idx = pid_index(rp, ref.pid);
    if (idx < 0) {
      rc = vmsim__errf(rp->err, rp->len, VMSIM_ERANGE, "%s: more than %d processes",
                       rp->opt->path, MAX_TRACE_PIDS);
      break;
    }
    if (rp->future) {
      if (rp->nr == rp->cap && (rc = grow_next_use(rp, &set)))
        break;
      rp->next_use[rp->nr] = UINT64_MAX;
    }
    /* An address outside the address space is a segv in pass 2: no page
     * to count, nothing to remember about it. */
    if (ref.vaddr < VMSIM_TASK_SIZE &&
        (rc = see_page(rp, &set, page_key((uint32_t)idx, ref.vaddr >> VMSIM_PAGE_SHIFT))))
      break;
    rp->nr++;
  }
  if (rc < 0 && rc != VMSIM_ENOMEM && rc != VMSIM_ERANGE)
    rc = vmsim__errf(rp->err, rp->len, rc, "%s", vmsim_trace_error(t));
  res->distinct_pages = set.pages;
  res->nr_procs = rp->nr_pids;
  vmsim__free(set.slots);
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
