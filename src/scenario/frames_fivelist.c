/* SPDX-License-Identifier: MIT */
/*
 * The FRAMES engine's fivelist model: what src/policies/fivelist.c does on
 * the machine that `vmsim replay --frames N` builds, with the machine taken
 * away. Its misses, major faults and evictions equal the MACHINE engine's
 * with the same trace and frames (tests/test_replay_fivelist.c and the
 * replay fuzzer compare the two), at several times the speed.
 *
 * Why an exact model can be this small: a replay's machine is fixed. One
 * node with one zone and N frames; every page private anonymous memory of
 * a process that maps its whole address space read-write; reclaim on
 * demand (one page, when no frame is free, so the free count and the
 * watermarks are 0 whenever reclaim runs); swap for every distinct page
 * of the trace (the replay's swap is the default device or distinct + 1
 * slots, whichever is larger), so a slot is always there; one CPU, whose
 * TLB is flushed whenever reclaim clears an accessed bit, so a page's
 * accessed bit means "used since reclaim last looked". The file lists stay
 * empty and every file term of the rules is 0; what is left is:
 *
 * Algorithm: fivelist's on-demand reclaim on two lists, inactive and
 *   active anon. A fault with every frame in use runs the priority loop
 *   (DEF_PRIORITY down to 0, then FIVELIST_ON_DEMAND_FORCE_PASSES passes at
 *   0 forcing deactivation) until one page is freed, then snapshots the
 *   refault activations. A pass (prepare_scan_count, get_scan_count,
 *   shrink_lruvec) deactivates anon if forced, if refaults activated since
 *   the snapshot, or if inactive_is_low(); scans (size >> priority) of each
 *   list, all of it at priority 0 (SCAN_EQUAL), all of it while "file is
 *   tiny" (always, as file + free = 0 <= HIGH = 0, unless deactivating),
 *   else the anon share of the recorded costs (SCAN_FRACT); in rounds of
 *   up to 32: the inactive tail's page is kept (young, first time: it gets
 *   PG_referenced), activated (young and PG_referenced), or evicted:
 *   given a slot if it has none (add_to_swap, which makes it dirty),
 *   written if dirty, a shadow left with the nonresident age. The active
 *   tail's pages move to the inactive head with PG_workingset, their
 *   accessed bits cleared. A swap-in whose refault distance fits within
 *   the active list comes back active (and, if its shadow says it was
 *   active before, as workingset, at the cost of one IO); it keeps its
 *   swap slot unless written or the swap is more than half full.
 * Era: Linux 6.6 (see fivelist.c).
 * State: per distinct page (numbered by pass 1's page set, chunk by chunk:
 *   a chunk's first page number in chunk_base[], the rest by popcount of
 *   its bitmap) a 64-bit word: its flags (resident, PG_active,
 *   PG_referenced, PG_workingset, PG_swapcache, the PTE's accessed and
 *   dirty bits, written since brought in, evicted) and, while evicted, its
 *   shadow's age. Globally: the two lists (rings of page numbers), the
 *   frames and swap slots in use, and struct fivelist_node's nonresident
 *   age, costs and refault counts.
 * Invariants (fl_check(), every --check N accesses and at the end): the
 *   lists hold exactly the resident pages, each on the list its PG_active
 *   names (every listed page is, and as many are listed as are resident);
 *   resident pages fit in the frames; an evicted page has no flag but its
 *   shadow's PG_workingset, a resident one no age; the slots in use are
 *   the evicted pages plus the resident pages in the swap cache, and fit
 *   in the swap.
 * Cost: O(1) per hit: the page's number and its word, both prefetched
 *   ahead (the chunk's slot two blocks of FL_BLOCK records ahead, the word
 *   one). A miss costs a reclaim: O(pages scanned), a few on average.
 *   Host memory: 8 bytes per distinct page, 4 per slot of pass 1's set,
 *   and two rings of 4 bytes per frame (or page, if fewer), rounded up to
 *   a power of two.
 * Source: Linux 6.6 as in src/policies/fivelist.c; the machine's
 *   src/core/vmscan.c (reclaim_on_demand, vmsim_reclaim_page) and
 *   src/core/swap.c (swap-in, try_to_free_swap), whose order of events
 *   this follows.
 */
#include <inttypes.h>

#include "fivelist.h"
#include "pace.h"
#include "replay.h"

/* A page's flags. */
#define FL_RESIDENT (1u << 0)
#define FL_ACTIVE (1u << 1)     /* PG_active: on the active list */
#define FL_REFERENCED (1u << 2) /* PG_referenced */
#define FL_WORKINGSET (1u << 3) /* PG_workingset; while evicted, the shadow's bit */
#define FL_YOUNG (1u << 4)      /* the PTE's accessed bit */
#define FL_DIRTY (1u << 5)      /* the PTE's dirty bit or PG_dirty: differs from its slot */
#define FL_SWAPCACHE (1u << 6)  /* resident, and holding a swap slot */
#define FL_WRITTEN (1u << 7)    /* written since it was brought in */
#define FL_EVICTED (1u << 8)    /* not resident, in its slot, with a shadow */

#define FL_FLAGS ((1u << 9) - 1)
/* A page's word: its flags, and above them, while it is evicted, the
 * nonresident age it left at (its shadow's age, all the bits of it). */
#define FL_AGE_SHIFT (64 - FIVELIST_SHADOW_AGE_BITS)
_Static_assert(FL_FLAGS < (1u << FL_AGE_SHIFT), "flags below the age");

#define FL_BLOCK 16
#define FL_POP_AHEAD 8 /* isolating a page prefetches the one this many on */

/*
 * A list. Pages only join at the head (a new page, a putback, an
 * activation, a deactivation) and only leave from the tail (isolation):
 * nothing unmaps a replay's page, and an anon page is never marked
 * accessed by read(). So each list is a queue, here a ring of page
 * numbers, whose coming tails are known in advance and prefetched, where
 * a linked list would chase a pointer per page into host memory.
 */
struct fl_list {
  uint32_t *ring;
  uint64_t tail, head, mask; /* entries [tail, head), oldest first */
};

struct fl_model {
  struct replay *rp;
  vmsim_replay_result *res;
  uint64_t *pages; /* per distinct page */
  void *pages_base;
  struct page_set set; /* pass 1's, read only */
  uint32_t *chunk_base; /* per slot of the set: the number of its chunk's first page */
  struct fl_list inactive, active;
  uint64_t frames, resident;
  uint64_t swap_total, swap_inuse, swapcached;
  uint64_t swappiness;
  bool swap_configured; /* the machine has a swap device */
  bool may_swap; /* the reclaim's sc->may_swap */
  uint64_t reclaimed; /* by the reclaim under way */
  /* struct fivelist_node: anon only */
  uint64_t nonresident_age, anon_cost, file_cost, activations, refaults;
};

/* ---- the lists ----------------------------------------------------------- */

static ALWAYS_INLINE uint64_t list_nr(const struct fl_list *l) { return l->head - l->tail; }

/* An empty list whose ring holds at least `cap` pages (a power of two). */
static int list_init(struct fl_model *m, struct fl_list *l, uint64_t cap) {
  uint64_t size = 1024;
  while (size < cap)
    size *= 2;
  uint32_t *ring = vmsim__calloc(size, sizeof(*ring));
  if (!ring)
    return vmsim__replay_nomem(m->rp);
  *l = (struct fl_list){ring, 0, 0, size - 1};
  return 0;
}

/* Every resident page fits on either list: the rings hold the frames. */
static ALWAYS_INLINE void list_add(struct fl_list *l, uint32_t i) {
  l->ring[l->head++ & l->mask] = i;
}

/* Take the tail (oldest) page off the list, prefetching one to come. */
static ALWAYS_INLINE uint32_t list_pop_tail(struct fl_model *m, struct fl_list *l) {
  if (list_nr(l) > FL_POP_AHEAD)
    __builtin_prefetch(&m->pages[l->ring[(l->tail + FL_POP_AHEAD) & l->mask]]);
  return l->ring[l->tail++ & l->mask];
}

/* putback_active(): PG_active, the active head, pgactivate, and the
 * activation ages the nonresident pages. */
static void putback_active(struct fl_model *m, uint32_t i) {
  m->pages[i] |= FL_ACTIVE;
  list_add(&m->active, i);
  m->nonresident_age++;
}

static void putback_inactive(struct fl_model *m, uint32_t i) {
  m->pages[i] &= ~(uint64_t)FL_ACTIVE;
  list_add(&m->inactive, i);
}

/* ---- reclaim ----------------------------------------------------------- */

static uint64_t swap_free(const struct fl_model *m) { return m->swap_total - m->swap_inuse; }

static uint64_t lru_pages(const struct fl_model *m) {
  return list_nr(&m->inactive) + list_nr(&m->active);
}

/* Evict page i (isolated, not young): shrink_folio_list()'s way out. A
 * page in the swap cache leaves it (its slot stays, held by the swap PTE);
 * one without a slot gets one (add_to_swap(), which dirties it: the slot
 * holds nothing yet). A dirty page is written (pageout()). The slot keeps
 * the shadow: the nonresident age at eviction (workingset_eviction()). */
static void evict(struct fl_model *m, uint32_t i) {
  uint64_t p = m->pages[i];
  if (p & FL_SWAPCACHE) {
    m->swapcached--;
  } else {
    m->swap_inuse++;
    p |= FL_DIRTY;
  }
  m->res->swap_writes += !!(p & FL_DIRTY);
  m->res->evictions++;
  m->res->dirty_evictions += !!(p & FL_WRITTEN);
  m->pages[i] = (m->nonresident_age & FIVELIST_SHADOW_AGE_MASK) << FL_AGE_SHIFT | FL_EVICTED |
                (p & FL_WORKINGSET);
  m->nonresident_age++;
  m->resident--;
  m->reclaimed++;
}

/* shrink_inactive_list() with folio_check_references(); the pass's cost
 * is its writes and the pages it put back (rotations). */
static void shrink_inactive(struct fl_model *m, uint64_t nr_to_scan) {
  uint64_t scanned = 0, freed = 0, writes = m->res->swap_writes;
  uint64_t visits = list_nr(&m->inactive);
  while (scanned < nr_to_scan && visits-- && list_nr(&m->inactive) && !m->reclaimed) {
    uint32_t i = list_pop_tail(m, &m->inactive);
    uint64_t p = m->pages[i];
    scanned++;
    m->pages[i] = p & ~(uint64_t)(FL_YOUNG | FL_REFERENCED);
    if (p & FL_YOUNG) {
      m->pages[i] |= FL_REFERENCED;
      if (p & FL_REFERENCED)
        putback_active(m, i); /* PAGEREF_ACTIVATE */
      else
        putback_inactive(m, i); /* PAGEREF_KEEP */
      continue;
    }
    if (!(p & FL_SWAPCACHE) && (!m->may_swap || !swap_free(m))) {
      putback_active(m, i); /* add_to_swap() failed: activate_locked_split */
      continue;
    }
    evict(m, i);
    freed++;
  }
  fivelist_note_cost(&m->anon_cost, &m->file_cost, false, m->res->swap_writes - writes,
                     scanned - freed, lru_pages(m));
}

/* shrink_active_list(): the tail's pages, looked at (their accessed bits
 * cleared: anon is never executable file memory, so none stays active),
 * go to the inactive head as workingset. */
static void shrink_active(struct fl_model *m, uint64_t nr_to_scan) {
  uint64_t scanned = 0, visits = list_nr(&m->active);
  while (scanned < nr_to_scan && visits-- && list_nr(&m->active)) {
    uint32_t i = list_pop_tail(m, &m->active);
    scanned++;
    m->pages[i] = (m->pages[i] & ~(uint64_t)FL_YOUNG) | FL_WORKINGSET;
    putback_inactive(m, i);
  }
}

/* One shrink_node() pass: prepare_scan_count(), get_scan_count(),
 * shrink_lruvec(). */
static void shrink_node_pass(struct fl_model *m, int priority, bool force_deactivate) {
  uint64_t inactive = list_nr(&m->inactive), active = list_nr(&m->active);
  bool deactivate = force_deactivate || m->activations != m->refaults ||
                    fivelist_inactive_is_low(inactive, active);
  bool file_is_tiny = !deactivate && (inactive >> priority);
  uint64_t nr_inactive = inactive >> priority, nr_active = active >> priority;

  /* can_reclaim_anon() is may_swap: neither changes before a page is freed. */
  if (!m->may_swap) {
    nr_inactive = nr_active = 0; /* SCAN_FILE, and there is no file */
  } else if ((!priority && m->swappiness) || file_is_tiny) {
    /* SCAN_EQUAL, SCAN_ANON: all of (size >> priority) */
  } else { /* cache_trim_mode needs inactive file: SCAN_FRACT */
    uint64_t fraction[2], denominator;
    fivelist_scan_fractions(m->swappiness, m->anon_cost, m->file_cost, fraction, &denominator);
    nr_inactive = denominator ? nr_inactive * fraction[0] / denominator : 0;
    nr_active = denominator ? nr_active * fraction[0] / denominator : 0;
  }

  while (nr_inactive) {
    uint64_t batch = MIN(nr_inactive, (uint64_t)SWAP_CLUSTER_MAX);
    nr_inactive -= batch;
    shrink_inactive(m, batch);
    if (m->reclaimed)
      break;
    if (nr_active) {
      batch = MIN(nr_active, (uint64_t)SWAP_CLUSTER_MAX);
      nr_active -= batch;
      if (deactivate)
        shrink_active(m, batch);
    }
  }
  if (m->swap_configured && fivelist_inactive_is_low(list_nr(&m->inactive), list_nr(&m->active)))
    shrink_active(m, SWAP_CLUSTER_MAX);
}

/* reclaim_on_demand(): fivelist_shrink()'s priority loop for one page. */
static uint64_t reclaim_on_demand(struct fl_model *m) {
  m->reclaimed = 0;
  m->may_swap = swap_free(m) > 0 || m->swapcached > 0;
  for (int p = DEF_PRIORITY; p >= 0 && !m->reclaimed; p--)
    shrink_node_pass(m, p, false);
  for (int i = 0; i < FIVELIST_ON_DEMAND_FORCE_PASSES && !m->reclaimed; i++)
    shrink_node_pass(m, 0, true);
  m->refaults = m->activations; /* snapshot_refaults() */
  return m->reclaimed;
}

/* ---- faults -------------------------------------------------------------- */

/* workingset_refault() of evicted page p: PG_active (and PG_workingset)
 * if it would have stayed resident had the active list made room. */
static uint64_t refault(struct fl_model *m, uint64_t p) {
  uint64_t distance = (m->nonresident_age - (p >> FL_AGE_SHIFT)) & FIVELIST_SHADOW_AGE_MASK;
  uint64_t workingset_size = swap_free(m) ? list_nr(&m->active) : 0;
  if (distance > workingset_size)
    return 0;
  m->nonresident_age++;
  m->activations++;
  if (!(p & FL_WORKINGSET))
    return FL_ACTIVE;
  fivelist_note_cost(&m->anon_cost, &m->file_cost, false, 1, 0,
                     lru_pages(m)); /* lru_note_cost_refault() */
  return FL_ACTIVE | FL_WORKINGSET;
}

/* A page not resident: the machine's do_anonymous_page() or do_swap_page(),
 * after an allocation that reclaims when every frame is in use. */
static NOINLINE int fl_fault(struct fl_model *m, uint32_t i, bool write) {
  m->res->misses++;
  if (m->resident == m->frames) {
    unsigned tries = 0;
    while (!reclaim_on_demand(m))
      if (++tries == MAX_RECLAIM_RETRIES)
        return vmsim__errf(m->rp->err, m->rp->len, VMSIM_ECORRUPT,
                           "replay: fivelist model: no page could be reclaimed from %" PRIu64
                           " resident pages",
                           m->resident);
  }
  m->resident++;
  uint64_t p = m->pages[i];
  uint64_t flags = FL_RESIDENT | FL_YOUNG | (write ? FL_DIRTY | FL_WRITTEN : 0);
  if (!(p & FL_EVICTED)) {
    m->pages[i] = flags;
    list_add(&m->inactive, i); /* lru_add_fn(): new anon pages start inactive */
    return 0;
  }
  m->res->major_faults++;
  m->swapcached++; /* the slot is in use already */
  flags |= FL_SWAPCACHE | refault(m, p);
  /* should_try_to_free_swap(): a write makes the slot's copy stale, and a
   * swap more than half full wants its slots back. */
  if (write || 2 * swap_free(m) < m->swap_total) {
    flags = (flags & ~(uint64_t)FL_SWAPCACHE) | FL_DIRTY;
    m->swapcached--;
    m->swap_inuse--;
  }
  m->pages[i] = flags;
  list_add(flags & FL_ACTIVE ? &m->active : &m->inactive, i);
  return 0;
}

static ALWAYS_INLINE int fl_access(struct fl_model *m, uint32_t i, bool write) {
  uint64_t *p = &m->pages[i];
  if (*p & FL_RESIDENT) {
    *p |= FL_YOUNG | (write ? FL_DIRTY | FL_WRITTEN : 0);
    return 0;
  }
  return fl_fault(m, i, write);
}

/* ---- invariants ---------------------------------------------------------- */

/* Every page on list l is resident, on the list its PG_active names, and
 * listed once (seen[], a bit per page, shared by both lists). */
static int check_list(const struct fl_model *m, const struct fl_list *l, uint64_t active,
                      const char *name, uint64_t *seen, char *msg, size_t len) {
  if (list_nr(l) > l->mask + 1)
    return vmsim__errf(msg, len, VMSIM_ECORRUPT, "fivelist model: %s list overflows", name);
  for (uint64_t r = l->tail; r != l->head; r++) {
    uint32_t i = l->ring[r & l->mask];
    uint64_t bit = UINT64_C(1) << (i & 63);
    if (i >= m->res->distinct_pages || !(m->pages[i] & FL_RESIDENT) ||
        (m->pages[i] & FL_ACTIVE) != active || (seen[i / 64] & bit))
      return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                         "fivelist model: %s list's page %" PRIu64 " (page %" PRIu32 ")", name,
                         r - l->tail, i);
    seen[i / 64] |= bit;
  }
  return 0;
}

/* The lists hold each resident page once (with the count below), in the
 * right list; the counts of pages and slots add up. */
static int fl_check(void *ctx, char *msg, size_t len) {
  const struct fl_model *m = ctx;
  uint64_t *seen = vmsim__calloc(m->res->distinct_pages / 64 + 1, sizeof(*seen));
  if (!seen)
    return vmsim__errf(msg, len, VMSIM_ENOMEM, "fivelist model: out of host memory");
  int rc = check_list(m, &m->inactive, 0, "inactive", seen, msg, len);
  if (!rc)
    rc = check_list(m, &m->active, FL_ACTIVE, "active", seen, msg, len);
  vmsim__free(seen);
  if (rc)
    return rc;
  uint64_t resident = 0, swapcached = 0, evicted = 0;
  for (uint64_t i = 0; i < m->res->distinct_pages; i++) {
    uint64_t p = m->pages[i];
    resident += !!(p & FL_RESIDENT);
    swapcached += !!(p & FL_SWAPCACHE);
    evicted += !!(p & FL_EVICTED);
    if ((p & FL_EVICTED) ? (p & FL_FLAGS & ~(uint64_t)(FL_EVICTED | FL_WORKINGSET))
                         : (p >> FL_AGE_SHIFT))
      return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                         "fivelist model: page %" PRIu64 " has flags %#" PRIx64, i, p);
  }
  if (resident != m->resident || resident != lru_pages(m) || resident > m->frames)
    return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                       "fivelist model: %" PRIu64 " resident pages, %" PRIu64 " counted, %" PRIu64
                       " listed, %" PRIu64 " frames",
                       resident, m->resident, lru_pages(m), m->frames);
  if (swapcached != m->swapcached || evicted + swapcached != m->swap_inuse ||
      m->swap_inuse > m->swap_total)
    return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                       "fivelist model: %" PRIu64 " swap slots in use of %" PRIu64 ", for %" PRIu64
                       " evicted and %" PRIu64 " swap-cached pages",
                       m->swap_inuse, m->swap_total, evicted, swapcached);
  return 0;
}

/* ---- the replay ---------------------------------------------------------- */

/* A block of the trace: each record's page_key() (NO_KEY for an address
 * outside the space), its page's number once resolved, whether it writes. */
struct fl_block {
  uint64_t key[FL_BLOCK];
  uint32_t page[FL_BLOCK];
  bool write[FL_BLOCK];
};

/* The next block, its chunks' slots prefetched. */
static long fl_read_block(struct fl_model *m, vmsim_trace *t, struct fl_block *b) {
  long n = replay_read_keys(m->rp, t, b->key, b->write, FL_BLOCK);
  for (long i = 0; i < n; i++)
    if (b->key[i] != NO_KEY)
      __builtin_prefetch(page_set_home(&m->set, b->key[i] >> CHUNK_SHIFT));
  return n;
}

/* The bits set in x, without the library call __builtin_popcountll()
 * makes for a CPU not known to have POPCNT. */
static ALWAYS_INLINE uint32_t popcount64(uint64_t x) {
  x -= (x >> 1) & UINT64_C(0x5555555555555555);
  x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
  x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
  return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* The page numbers of a block (its chunks' slots prefetched a block
 * earlier), each page's struct fl_page prefetched in turn. */
static int fl_resolve(struct fl_model *m, struct fl_block *b, long n) {
  for (long i = 0; i < n; i++) {
    if (b->key[i] == NO_KEY)
      continue;
    const struct page_entry *e = page_set_find(&m->set, b->key[i] >> CHUNK_SHIFT);
    uint64_t bit = UINT64_C(1) << (b->key[i] & 63);
    if (!(e->val & bit)) /* pass 1 saw every page: the file changed since */
      return vmsim__errf(m->rp->err, m->rp->len, VMSIM_EIO,
                         "%s: the trace changed while it was replayed", m->rp->opt->path);
    b->page[i] = m->chunk_base[e - m->set.slots] + popcount64(e->val & (bit - 1));
    __builtin_prefetch(&m->pages[b->page[i]]);
  }
  return 0;
}

/* Three blocks in flight: one read (its chunks' slots prefetched), one
 * resolved (its pages prefetched), one replayed. */
static int fl_replay(struct fl_model *m, vmsim_trace *t) {
  struct replay *rp = m->rp;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, rp->opt->run);
  struct fl_block blk[3];
  long n[3];
  uint64_t seq = 0;
  int rc;
  if ((n[0] = fl_read_block(m, t, &blk[0])) < 0 || (rc = fl_resolve(m, &blk[0], n[0])))
    return n[0] < 0 ? (int)n[0] : rc;
  if ((n[1] = n[0] ? fl_read_block(m, t, &blk[1]) : 0) < 0)
    return (int)n[1];
  for (unsigned cur = 0; n[cur] > 0; cur = (cur + 1) % 3) {
    unsigned next = (cur + 1) % 3, later = (cur + 2) % 3;
    if ((n[later] = n[next] ? fl_read_block(m, t, &blk[later]) : 0) < 0)
      return (int)n[later];
    if ((rc = fl_resolve(m, &blk[next], n[next])))
      return rc;
    for (long i = 0; i < n[cur]; i++) {
      if (blk[cur].key[i] == NO_KEY)
        m->res->segv++;
      else if ((rc = fl_access(m, blk[cur].page[i], blk[cur].write[i])))
        return rc;
    }
    seq += (uint64_t)n[cur];
    if ((rc = vmsim__pace_check(&pace, fl_check, m, seq, rp->nr, rp->err, rp->len)))
      return rc;
  }
  m->res->accesses = seq;
  m->res->checks = pace.checks;
  return 0;
}

/* Number the pages of pass 1's set: each chunk's from its first. */
static int fl_number_pages(struct fl_model *m) {
  uint64_t slots = m->set.mask + 1, total = 0;
  m->chunk_base = vmsim__calloc(slots, sizeof(*m->chunk_base));
  if (!m->chunk_base)
    return vmsim__replay_nomem(m->rp);
  for (uint64_t s = 0; s < slots; s++) {
    m->chunk_base[s] = (uint32_t)total;
    total += popcount64(m->set.slots[s].val);
  }
  return 0;
}

int vmsim__replay_fivelist(struct replay *rp, vmsim_replay_result *res) {
  struct fl_model m = {.rp = rp, .res = res, .frames = rp->opt->frames};
  vmsim_trace *t = NULL;
  int rc;
  rp->keep_set = &m.set;
  /* Host memory per page, for pass 1's checks: its word; its share of
   * chunk_base[] (a slot for a chunk of one page, at worst, in a table at
   * least a quarter full); and of the two rings (rounded up to a power of
   * two, with at most as many frames as pages). */
  rp->page_bytes = sizeof(*m.pages) + 4 * sizeof(*m.chunk_base) + 4 * sizeof(uint32_t);
  rc = vmsim__replay_scan(rp, res);
  rp->keep_set = NULL;
  if (rc)
    goto out;
  if (res->distinct_pages >= UINT32_MAX) {
    rc = vmsim__errf(rp->err, rp->len, VMSIM_ERANGE,
                     "%s: %" PRIu64 " distinct pages; the fivelist model takes fewer than 2^32",
                     rp->opt->path, res->distinct_pages);
    goto out;
  }
  /* The machine the MACHINE engine would build: its swap and swappiness. */
  vmsim_config cfg;
  vmsim__replay_config(rp->opt, res->distinct_pages, &cfg);
  for (uint32_t i = 0; i < cfg.nr_swap; i++)
    m.swap_total += cfg.swap[i].pages;
  m.swappiness = cfg.swappiness;
  m.swap_configured = cfg.nr_swap > 0;

  m.pages = vmsim__calloc_huge(MAX(res->distinct_pages, 1) * sizeof(*m.pages), &m.pages_base);
  if (!m.pages) {
    rc = vmsim__replay_nomem(rp);
    goto out;
  }
  /* Each list's ring holds every frame (or every page, if fewer). */
  uint64_t ring = MIN(m.frames, res->distinct_pages);
  if ((rc = fl_number_pages(&m)) || (rc = list_init(&m, &m.inactive, ring)) ||
      (rc = list_init(&m, &m.active, ring)) || (rc = vmsim__replay_open(rp, &t)))
    goto out;
  uint64_t distinct = res->distinct_pages;
  uint32_t nr_procs = res->nr_procs;
  memset(res, 0, sizeof(*res));
  res->engine = VMSIM_REPLAY_FRAMES;
  res->distinct_pages = distinct;
  res->nr_procs = nr_procs;
  if ((rc = fl_replay(&m, t)) || (rc = fl_check(&m, rp->err, rp->len)))
    goto out;
out:
  vmsim_trace_close(t);
  vmsim__free(m.set.slots);
  vmsim__free(m.chunk_base);
  vmsim__free(m.pages_base);
  vmsim__free(m.inactive.ring);
  vmsim__free(m.active.ring);
  if (rc)
    memset(res, 0, sizeof(*res));
  return rc;
}
