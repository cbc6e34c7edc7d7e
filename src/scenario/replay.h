/* SPDX-License-Identifier: MIT */
/*
 * What the two replay engines share (internal): the trace's processes,
 * pass 1 (validation, distinct pages, next uses) and its page set. The
 * MACHINE engine is replay.c, the FRAMES engine frames.c (and its
 * fivelist model, frames_fivelist.c).
 */
#ifndef VMSIM_REPLAY_H
#define VMSIM_REPLAY_H

#include <vmsim/scenario.h>

#include "mm_types.h"

#define MAX_TRACE_PIDS 1024
#define PID_SLOT_BITS 11 /* 2^11 = 2 * MAX_TRACE_PIDS slots */
_Static_assert((1u << PID_SLOT_BITS) >= 2 * MAX_TRACE_PIDS, "pid slots at most half full");


/*
 * A set of the trace's pages: an open-addressing hash table (linear
 * probing, a power-of-two size at most half full, Fibonacci hashing:
 * page_hash(), top bits kept) of 16-byte entries. A page's key is its
 * process's index in trace_pids[] and its vpn, page_key(). Pass 1 keeps
 * one, and the frames engine another, to tell a first touch from a
 * refault. What an entry covers:
 *
 *  - In pass 1 without VMSIM_POLICY_F_FUTURE, which only counts the
 *    distinct pages (to size swap; the fivelist model numbers its pages
 *    from it), and in the frames engine, an entry is a chunk of 64 pages,
 *    keyed by page_key() >> 6, and its value the bitmap of the pages
 *    seen; a new bit is a new page. A dense trace needs 1/64 of the
 *    entries a table of pages would: the 1 M pages of the replay benchmark take 512 KiB, which
 *    stays in the host's cache, where a table of pages took 48 MiB and a
 *    host cache miss per record. A sparse trace, a chunk per page, costs 32
 *    to 64 bytes a page (the table is a quarter to half full), where the
 *    table of pages took 48 to 96.
 *  - In pass 1 with it (Belady's OPT), each access must learn its next
 *    use, so an entry is one page, and its value 1 + the number of its
 *    latest access: the next access to the page becomes that one's next
 *    use. Chunks of
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

static inline uint64_t page_key(uint32_t pid_index, uint64_t vpn) {
  return (uint64_t)pid_index << PAGE_KEY_VPN_BITS | vpn;
}

/* Fibonacci hashing, for the page set and the frames engine's table: the
 * key times 2^64 / phi; a table of 2^k slots keeps the top k bits. */
static ALWAYS_INLINE uint64_t page_hash(uint64_t key) { return key * UINT64_C(0x9e3779b97f4a7c15); }

/* The slot where the search for `key` (a page_key() >> chunk_shift)
 * starts: what to prefetch before a lookup. */
static ALWAYS_INLINE struct page_entry *page_set_home(const struct page_set *s, uint64_t key) {
  return &s->slots[page_hash(key) >> s->shift];
}

/* The entry of `key`, or the empty slot where it belongs. */
static ALWAYS_INLINE struct page_entry *page_set_find(const struct page_set *s, uint64_t key) {
  uint64_t h = page_hash(key) >> s->shift;
  while (s->slots[h].val && s->slots[h].key != key)
    h = (h + 1) & s->mask;
  return &s->slots[h];
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
  uint32_t last_pid, last_index; /* the last pid looked up, valid once nr_pids > 0 */
  uint64_t page_bytes; /* host memory per distinct page, beyond pass 1's */
  struct page_set *keep_set; /* not NULL: pass 1 leaves its page set here */
  char *err;
  size_t len;
};

/* The index of `trace_pid` in trace_pids[], which numbers the pids in the
 * order they first appear; -1 for a pid past the MAX_TRACE_PIDS-th. */
static inline int pid_index(struct replay *rp, uint32_t trace_pid) {
  /* Traces run on in one process: most records repeat the last pid. */
  if (trace_pid == rp->last_pid && rp->nr_pids)
    return (int)rp->last_index;
  const uint32_t mask = ARRAY_SIZE(rp->pid_slots) - 1;
  /* The product's top bits: its low ones depend on the pid's low ones only. */
  uint32_t h = (trace_pid * UINT32_C(0x9e3779b1)) >> (32 - PID_SLOT_BITS);
  for (; rp->pid_slots[h]; h = (h + 1) & mask)
    if (rp->trace_pids[rp->pid_slots[h] - 1] == trace_pid)
      break;
  if (!rp->pid_slots[h]) {
    if (rp->nr_pids == MAX_TRACE_PIDS)
      return -1;
    rp->trace_pids[rp->nr_pids] = trace_pid;
    rp->pid_slots[h] = (uint16_t)++rp->nr_pids;
  }
  rp->last_pid = trace_pid;
  rp->last_index = rp->pid_slots[h] - 1u;
  return (int)rp->last_index;
}

int vmsim__replay_open(struct replay *rp, vmsim_trace **t);
/* The errors both engines give: VMSIM_ENOMEM, and VMSIM_ERANGE for a pid
 * past the MAX_TRACE_PIDS-th, with the message in rp->err. */
int vmsim__replay_nomem(struct replay *rp);
int vmsim__replay_too_many_pids(struct replay *rp);

#define REPLAY_READ_MAX 64 /* records replay_read_keys() reads at most */

/* Pass 1's and the frames engine's reader: up to `max` records of the
 * trace as page keys (NO_KEY for an address outside the address space, a
 * segv) and write flags. Returns how many (0 at the end), or an error with rp->err
 * set. */
static ALWAYS_INLINE long replay_read_keys(struct replay *rp, vmsim_trace *t, uint64_t *keys,
                                           bool *writes, long max) {
  vmsim_memref refs[REPLAY_READ_MAX];
  long n = vmsim_trace_fill(t, refs, (size_t)MIN(max, REPLAY_READ_MAX));
  if (n < 0)
    return vmsim__errf(rp->err, rp->len, (int)n, "%s", vmsim_trace_error(t));
  /* Records come in runs of one pid (an oracleGeneral trace has but one):
   * the pid's index is looked up where the pid changes, not per record
   * (pid_index()'s own cache is in *rp, which the stores below may alias). */
  uint32_t pid = 0, idx = 0;
  for (long i = 0; i < n; i++) {
    if (unlikely(i == 0 || refs[i].pid != pid)) {
      int found = pid_index(rp, pid = refs[i].pid);
      if (found < 0)
        return vmsim__replay_too_many_pids(rp);
      idx = (uint32_t)found;
    }
    writes[i] = refs[i].write;
    keys[i] = refs[i].vaddr < VMSIM_TASK_SIZE ? page_key(idx, refs[i].vaddr >> VMSIM_PAGE_SHIFT)
                                              : NO_KEY;
  }
  return n;
}
int vmsim__page_set_init(struct replay *rp, struct page_set *s, unsigned chunk_shift);
int vmsim__page_set_add(struct replay *rp, struct page_set *s, uint64_t key,
                        struct page_entry **e);
int vmsim__page_set_count(struct replay *rp, struct page_set *s);
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
    int rc = vmsim__page_set_add(rp, s, key, e);
    if (rc)
      return rc;
  }
  s->last_key = key;
  s->last = *e;
  return 0;
}

/* Access number rp->nr, to `page` (a page_key()): count the page if it is
 * new and, in a set of pages (chunk_shift 0), make this access its
 * previous one's next use. Returns 1 for a page not seen before, 0 for one
 * seen, or an error. */
static ALWAYS_INLINE int see_page(struct replay *rp, struct page_set *s, uint64_t page) {
  struct page_entry *e;
  bool fresh;
  int rc = page_set_get(rp, s, page >> s->chunk_shift, &e);
  if (rc)
    return rc;
  if (!s->chunk_shift) {
    fresh = !e->val;
    if (!fresh)
      rp->next_use[e->val - 1] = rp->nr;
    e->val = rp->nr + 1;
  } else {
    uint64_t bit = UINT64_C(1) << (page & 63);
    fresh = !(e->val & bit);
    e->val |= bit;
  }
  if (!fresh)
    return 0;
  return (rc = vmsim__page_set_count(rp, s)) ? rc : 1;
}

/* Pass 1. */
int vmsim__replay_scan(struct replay *rp, vmsim_replay_result *res);
/* The FRAMES engine: pass 1 first for a model that needs it (opt's next
 * uses, fivelist's page numbers), then pass 2. */
int vmsim__replay_frames(struct replay *rp, vmsim_replay_result *res);
/* The FRAMES engine's fivelist model, both passes (frames_fivelist.c). */
int vmsim__replay_fivelist(struct replay *rp, vmsim_replay_result *res);
/* The machine the MACHINE engine builds for a trace of `distinct` pages. */
void vmsim__replay_config(const vmsim_replay_options *opt, uint64_t distinct, vmsim_config *cfg);

#endif
