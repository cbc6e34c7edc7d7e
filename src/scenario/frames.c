/* SPDX-License-Identifier: MIT */
/*
 * The FRAMES replay engine: N page frames and a replacement policy, and
 * nothing else -- the demand-paging model of the textbooks and of cache
 * simulators, for sweeping frame counts and policies over long traces.
 *
 * An access hits if its page (its process and vpn, page_key()) is in a
 * frame; otherwise it misses, and with every frame in use the policy's
 * victim leaves and the page takes its frame. No MMU, no page tables, no
 * allocator, no swap: the miss count is the policy's alone, and it equals
 * the MACHINE engine's for the same frames and policy (the machine's
 * page tables live outside its frames, its reclaim is on demand and frees
 * one page, and its MMU sets the accessed bit a policy clears; see
 * tests/test_replay_frames.c, which checks both against brute force).
 * What the machine adds -- TLBs, vmstat, swap-cache reuse -- is not here.
 *
 * The models, each the textbook algorithm the built-in policy of the same
 * name implements on the machine (src/policies/):
 *
 *  fifo   Algorithm: evict the page brought in longest ago. The frames are
 *         a circle filled in order, so arrival order is frame order from
 *         the hand: the victim is the frame under the hand, and the hand
 *         moves on. State: the hand. Cost: O(1) per access.
 *  clock  Algorithm: CLOCK / second chance. Each frame has a referenced
 *         bit, set by a page's arrival and by every hit (the accessed bit
 *         the MMU sets, cleared only by the policy, with a TLB flush); the
 *         hand clears set bits until it finds a clear one, the victim.
 *         Passing a page over is clock.c's move to the list head.
 *         State: the hand, a byte per frame (referenced[], which the
 *         hand sweeps in order). Cost: O(1) per
 *         hit, amortised O(1) per miss (a sweep clears what it passes),
 *         N + 1 steps at worst.
 *  lru    Algorithm: exact LRU, as a queue of stamped uses (struct
 *         lru_use): a hit stamps its page and queues the use, the victim
 *         is the frame of the oldest use still its frame's latest.
 *         State: a stamp per page (in its slot), a ring of uses of 2 to 4
 *         times the frames. Cost: O(1) amortised per access.
 *  opt    Algorithm: Belady's MIN. A max-heap of frames keyed by their
 *         page's next use (pass 1 computes every access's); the victim is
 *         the root, the page used again farthest ahead (or never). Ties,
 *         only among pages never used again, go to the lowest frame, which
 *         leaves the miss count unchanged. State: the next use and heap
 *         position of each frame. Cost: O(log N) per access.
 *
 * and fivelist, which is not a textbook algorithm but Linux's: its model,
 * numbering the pages its own way, is frames_fivelist.c.
 *
 * Era: the models of Belady (1966), Mattson et al. (1970) and Corbató
 * (1968); the engine is what libCacheSim-style simulators do.
 * State: a table of the resident pages, key -> frame and the page's bits
 * (dirty; lru's stamp), by open addressing (linear
 * probing, Fibonacci hashing, at most a quarter full up to 2^23 frames
 * and half full past them, on host huge pages,
 * deletion by backward shift so that no tombstone lengthens a probe); per
 * frame the index of its page's slot (frame_slot[]); the model's state
 * above; and pass 1's page set, in 64-page chunks, to tell a first touch
 * from a refault. Arrays grow with the frames in use, so a large N costs
 * only what the trace fills.
 * Invariants (frames_check(), run every --check N accesses, between blocks
 * of FRAMES_BLOCK, and at the end of every replay): the table holds
 * exactly the frames in use, each under its page's key, and frame_slot[]
 * points at them; fifo and clock's hand stays at frame 0 until every frame
 * is in use; lru's queue holds one live use per frame in use; the opt heap
 * holds exactly the frames in use, ordered.
 * Cost: per access one probe of the table (its slot prefetched a block of
 * FRAMES_BLOCK records earlier) and the model's work; per miss a probe of
 * the page set and the deletion of the victim's slot, found through
 * frame_slot[] without a probe. About 180 (fifo) to 230 (lru) host
 * instructions per access, trace reading included. Host memory: 64 bytes
 * of table per frame (16-byte slots, at most a quarter full; 32 past 2^23
 * frames), plus 4 (fifo),
 * 5 (clock), 20 to 36 (lru) or 20 (opt) per frame.
 * Source: L. A. Belady, IBM Systems Journal 5(2), 1966; R. L. Mattson et
 * al., IBM Systems Journal 9(2), 1970; F. J. Corbató, MIT Project MAC,
 * 1968; D. E. Knuth, TAOCP vol. 3, 6.4, algorithm R (deletion with linear
 * probing).
 */
#include <inttypes.h>

#include "pace.h"
#include "replay.h"

enum frames_model { MODEL_FIFO, MODEL_CLOCK, MODEL_LRU, MODEL_OPT };

static const struct {
  const char *name;
  enum frames_model model;
} frames_models[] = {
  {"fifo", MODEL_FIFO}, {"clock", MODEL_CLOCK}, {"lru", MODEL_LRU}, {"opt", MODEL_OPT}};

static int find_model(const char *name) {
  if (!name)
    name = VMSIM_DEFAULT_POLICY;
  for (size_t i = 0; i < ARRAY_SIZE(frames_models); i++)
    if (strcmp(frames_models[i].name, name) == 0)
      return (int)frames_models[i].model;
  return -1;
}

/* fivelist's model is a file of its own, frames_fivelist.c. */
static bool is_fivelist(const char *name) { return name && strcmp(name, "fivelist") == 0; }

bool vmsim_replay_frames_model(const char *name) {
  return find_model(name) >= 0 || is_fivelist(name);
}

#define NO_FRAME UINT32_MAX
#define MAX_FRAMES (UINT64_C(1) << 27) /* 512 GiB of 4 KiB pages: see struct lru_use */

#define RESIDENT_MIN_SLOTS 1024
/* A slot holds its key with SLOT_USED set: a zeroed table (calloc, on
 * host huge pages when large) is empty. */
#define SLOT_USED (UINT64_C(1) << 63)

/* A slot's frame word: the frame in the low 32 bits, and above it what a
 * hit updates, in the slot it has just read rather than in a per-frame
 * array it would have to fetch: the dirty bit, lru's use stamp. (clock's
 * referenced bits are a per-frame array all the same: its hand sweeps
 * them in frame order, where bits in the slots cost a random slot per
 * frame passed.) */
#define PAGE_DIRTY (UINT64_C(1) << 62)      /* written since it was brought in */
#define STAMP_SHIFT 32
#define STAMP_MASK ((UINT32_C(1) << 30) - 1) /* 30 bits: see struct lru_use */

/* The trace is read in blocks of this many records, each access
 * prefetching for the one a block later. Fifo prefetches the slot of the
 * page FIFO_AHEAD frames past the hand, the victim of a miss to come;
 * clock, whose hand moves on a few frames a miss, the slot of each page
 * CLOCK_AHEAD frames before the hand reaches it. */
#define FRAMES_BLOCK 16
#define FIFO_AHEAD 4
#define CLOCK_AHEAD 16

struct resident_slot {
  uint64_t key;   /* key | SLOT_USED, or 0 if free */
  uint64_t frame; /* frame | PAGE_DIRTY | stamp << STAMP_SHIFT */
};

/*
 * lru: a queue of uses, oldest first. Each use of a frame (a hit, or a
 * page's arrival) stamps the frame's slot with the next tick of a clock
 * and appends (frame, stamp); a frame's last use is the one entry whose
 * stamp is still the slot's, the others are stale. The least recently
 * used frame is thus the frame of the first live entry: eviction pops
 * stale entries until it finds one. A hit costs a store in the slot it
 * has just read and one at the queue's tail, where a list would move two
 * neighbours. Every entry is pushed and popped once: O(1) amortised. When
 * the ring (a power of two of at least 2 * cap entries) is full, its stale
 * entries are squeezed out: at most `used` stay, so again O(1) amortised.
 *
 * Stamps are 30 bits, compared modulo 2^30. A stale entry's stamp and its
 * frame's current one are both in the queue, the stale one first, so they
 * differ by less than the ring's size, at most 4 * MAX_FRAMES = 2^29:
 * never by a multiple of 2^30.
 */
struct lru_use {
  uint32_t frame, stamp;
};

struct frames {
  struct replay *rp;
  enum frames_model model;
  uint32_t nr;          /* frames */
  uint32_t used, cap;   /* frames in use; frames the arrays hold */
  uint32_t *frame_slot; /* [cap]: the slot of the page in each frame */
  struct resident_slot *slots;
  void *slots_base;     /* what to free: slots, aligned to a host huge page */
  uint64_t mask;        /* slots - 1 */
  unsigned shift;       /* 64 - log2(slots) */
  uint32_t hand;        /* fifo, clock: the frame to look at next */
  uint8_t *referenced;  /* clock: [cap], 1 if accessed since the hand passed */
  struct lru_use *uses;   /* lru: the queue, a ring */
  uint64_t use_head, use_tail, use_mask; /* lru: entries [head, tail) of the ring */
  uint32_t clock;         /* lru: the last stamp given */
  uint64_t *next_use;     /* opt: [cap], of the page in the frame */
  uint32_t *heap, *pos;   /* opt: [cap] each, heap[] of frames, pos[] inverse */
};

/* ---- the resident pages -------------------------------------------------- */

static ALWAYS_INLINE uint64_t slot_of(const struct frames *fs, uint64_t key) {
  return page_hash(key) >> fs->shift;
}

/* The slot of `key`, from its home h, or NULL if the page is not resident. */
static ALWAYS_INLINE struct resident_slot *resident_find(const struct frames *fs, uint64_t h,
                                                         uint64_t key) {
  for (key |= SLOT_USED;; h = (h + 1) & fs->mask) {
    struct resident_slot *s = &fs->slots[h];
    if (s->key == key)
      return s;
    if (!s->key)
      return NULL;
  }
}

static ALWAYS_INLINE uint32_t slot_frame(const struct resident_slot *s) {
  return (uint32_t)s->frame;
}

/* The page `key` (not resident) is now in `frame`, with `bits`. */
static ALWAYS_INLINE void resident_add(struct frames *fs, uint64_t key, uint32_t frame,
                                       uint64_t bits) {
  uint64_t h = slot_of(fs, key);
  while (fs->slots[h].key)
    h = (h + 1) & fs->mask;
  fs->slots[h] = (struct resident_slot){key | SLOT_USED, frame | bits};
  fs->frame_slot[frame] = (uint32_t)h;
}

/* Empty slot i: the entries after it in its run that could no longer be
 * found from their home slot move back into the hole, and their frames
 * learn where they went. */
static ALWAYS_INLINE void resident_del(struct frames *fs, uint64_t i) {
  for (uint64_t j = i;;) {
    j = (j + 1) & fs->mask;
    uint64_t k = fs->slots[j].key;
    if (!k)
      break;
    /* k stays unless its home lies cyclically in (i, j]. */
    if (((j - slot_of(fs, k & ~SLOT_USED)) & fs->mask) >= ((j - i) & fs->mask)) {
      fs->slots[i] = fs->slots[j];
      fs->frame_slot[slot_frame(&fs->slots[i])] = (uint32_t)i;
      i = j;
    }
  }
  fs->slots[i].key = 0;
}

/* The slot of the page in frame f. */
static ALWAYS_INLINE struct resident_slot *frame_page(const struct frames *fs, uint32_t f) {
  return &fs->slots[fs->frame_slot[f]];
}

/* ---- host memory ----------------------------------------------------------- */

static size_t frame_bytes(enum frames_model m) {
  size_t b = sizeof(uint32_t);
  if (m == MODEL_CLOCK)
    b += sizeof(uint8_t);
  if (m == MODEL_LRU)
    b += 4 * sizeof(struct lru_use); /* the ring, 2 * cap rounded up */
  if (m == MODEL_OPT)
    b += sizeof(uint64_t) + 2 * sizeof(uint32_t);
  return b;
}

static int check_host(struct frames *fs, uint64_t cap, uint64_t slots) {
  uint64_t need = cap * frame_bytes(fs->model) + slots * sizeof(struct resident_slot);
  uint64_t host = vmsim__host_memory();
  if (need <= host)
    return 0;
  char need_s[32], host_s[32];
  return vmsim__errf(fs->rp->err, fs->rp->len, VMSIM_ERANGE,
                     "replay: %" PRIu32 " of the %" PRIu32 " frames in use need %s of host "
                     "memory, the host has %s",
                     fs->used, fs->nr, vmsim__format_bytes(need_s, sizeof(need_s), need),
                     vmsim__format_bytes(host_s, sizeof(host_s), host));
}

/* Make the table `slots` slots and put every resident page back in it. */
static int resident_resize(struct frames *fs, uint64_t slots) {
  int rc = check_host(fs, fs->cap, slots);
  if (rc)
    return rc;
  void *base, *old_base = fs->slots_base;
  struct resident_slot *s = vmsim__calloc_huge(slots * sizeof(*s), &base), *old = fs->slots;
  if (!s)
    return vmsim__replay_nomem(fs->rp);
  fs->slots_base = base;
  uint64_t old_slots = old ? fs->mask + 1 : 0;
  fs->slots = s;
  fs->mask = slots - 1;
  fs->shift = 64 - (unsigned)__builtin_ctzll(slots);
  for (uint64_t i = 0; i < old_slots; i++)
    if (old[i].key)
      resident_add(fs, old[i].key & ~SLOT_USED, slot_frame(&old[i]),
                   old[i].frame & ~(uint64_t)UINT32_MAX); /* its bits, all of them */
  vmsim__free(old_base);
  return 0;
}

/* ---- lru's queue of uses ------------------------------------------------- */

static ALWAYS_INLINE uint32_t slot_stamp(const struct resident_slot *s) {
  return (uint32_t)(s->frame >> STAMP_SHIFT) & STAMP_MASK;
}

/* Squeeze the stale entries out of the ring, keeping the order. */
static NOINLINE void lru_compact(struct frames *fs) {
  uint64_t w = fs->use_head;
  for (uint64_t r = fs->use_head; r != fs->use_tail; r++) {
    struct lru_use u = fs->uses[r & fs->use_mask];
    if (slot_stamp(frame_page(fs, u.frame)) == u.stamp)
      fs->uses[w++ & fs->use_mask] = u;
  }
  fs->use_tail = w;
}

/* A use of the page in slot s, frame f: a new stamp, queued. */
static ALWAYS_INLINE void lru_stamp(struct frames *fs, struct resident_slot *s, uint32_t f) {
  fs->clock = (fs->clock + 1) & STAMP_MASK;
  s->frame = (s->frame & ~((uint64_t)STAMP_MASK << STAMP_SHIFT)) |
             (uint64_t)fs->clock << STAMP_SHIFT;
  if (fs->use_tail - fs->use_head > fs->use_mask)
    lru_compact(fs);
  fs->uses[fs->use_tail++ & fs->use_mask] = (struct lru_use){f, fs->clock};
}

/* A hit: a use, unless the last use was this page's already. */
static ALWAYS_INLINE void lru_use(struct frames *fs, struct resident_slot *s, uint32_t f) {
  if (slot_stamp(s) != fs->clock)
    lru_stamp(fs, s, f);
}

/* The least recently used frame: the first live entry, popped. The frames
 * of the entries a few pops on are prefetched in two steps: their slot
 * index, then their slot. */
static ALWAYS_INLINE uint32_t lru_victim(struct frames *fs) {
  for (;;) {
    uint64_t h = fs->use_head++;
    __builtin_prefetch(&fs->frame_slot[fs->uses[(h + 16) & fs->use_mask].frame]);
    __builtin_prefetch(frame_page(fs, fs->uses[(h + 8) & fs->use_mask].frame));
    struct lru_use u = fs->uses[h & fs->use_mask];
    if (slot_stamp(frame_page(fs, u.frame)) == u.stamp)
      return u.frame;
  }
}

/* A ring for at least 2 * cap entries, the queue moved into it in order. */
static int lru_grow(struct frames *fs, uint32_t cap) {
  uint64_t size = 64;
  while (size < 2 * (uint64_t)cap)
    size *= 2;
  if (fs->uses && size <= fs->use_mask + 1)
    return 0;
  struct lru_use *ring = vmsim__calloc(size, sizeof(*ring));
  if (!ring)
    return vmsim__replay_nomem(fs->rp);
  uint64_t n = 0;
  for (uint64_t r = fs->use_head; r != fs->use_tail; r++)
    ring[n++] = fs->uses[r & fs->use_mask];
  vmsim__free(fs->uses);
  fs->uses = ring;
  fs->use_mask = size - 1;
  fs->use_head = 0;
  fs->use_tail = n;
  return 0;
}

static int grow_array(struct frames *fs, void *pp, size_t elem, uint32_t cap) {
  void *n = vmsim__realloc(*(void **)pp, (size_t)cap * elem);
  if (!n)
    return vmsim__replay_nomem(fs->rp);
  *(void **)pp = n;
  return 0;
}

/*
 * Would one more page fill the table more than a quarter (more than half,
 * once it has TABLE_LARGE slots)? Linear probing's runs shorten quickly as
 * the table empties: at a quarter full a hit probes 1.17 slots and a miss
 * 1.39 on average (Knuth's 1/2 (1 + 1/(1 - a)) and 1/2 (1 + 1/(1 - a)^2)),
 * at half full 1.5 and 2.5, and a deletion's backward shift walks the run.
 * On 5 M records of the replay benchmark, fifo ran 5 % fewer instructions
 * with 8 % fewer D1 misses, and 7 to 12 % faster in interleaved runs, for
 * 32 bytes more host memory per frame. Past 2^23 frames (once the table
 * has 2^26 slots, 1 GiB) the memory matters more and it fills to half.
 */
#define TABLE_LARGE (UINT64_C(1) << 26) /* slots */
static ALWAYS_INLINE bool table_full(const struct frames *fs) {
  uint64_t slots = fs->mask + 1;
  return ((uint64_t)fs->used + 1) * (slots < TABLE_LARGE ? 4 : 2) > slots;
}

/* Room for one more frame in use, and a table that stays that empty. */
static NOINLINE int frames_grow(struct frames *fs) {
  int rc;
  if (fs->used == fs->cap) {
    uint32_t cap = fs->cap ? (uint32_t)MIN((uint64_t)fs->cap * 2, fs->nr) : MIN(1024, fs->nr);
    if ((rc = check_host(fs, cap, fs->mask + 1)) ||
        (rc = grow_array(fs, &fs->frame_slot, sizeof(*fs->frame_slot), cap)) ||
        (fs->model == MODEL_CLOCK &&
         (rc = grow_array(fs, &fs->referenced, sizeof(*fs->referenced), cap))) ||
        (fs->model == MODEL_LRU && (rc = lru_grow(fs, cap))) ||
        (fs->model == MODEL_OPT &&
         ((rc = grow_array(fs, &fs->next_use, sizeof(*fs->next_use), cap)) ||
          (rc = grow_array(fs, &fs->heap, sizeof(*fs->heap), cap)) ||
          (rc = grow_array(fs, &fs->pos, sizeof(*fs->pos), cap)))))
      return rc;
    fs->cap = cap;
  }
  if (table_full(fs))
    return resident_resize(fs, 2 * (fs->mask + 1));
  return 0;
}

/* ---- the models ------------------------------------------------------------ */

static ALWAYS_INLINE uint32_t hand_next(const struct frames *fs, uint32_t f) {
  return f + 1 == fs->nr ? 0 : f + 1;
}

/* fifo, clock: the slot of the page `ahead` frames past the hand. */
static ALWAYS_INLINE void prefetch_ahead(const struct frames *fs, uint32_t ahead) {
  uint32_t f = fs->hand + ahead; /* no overflow: at most MAX_FRAMES frames */
  if (f >= fs->nr)
    f -= fs->nr;
  if (f < fs->nr) /* not when there are fewer frames than `ahead` */
    __builtin_prefetch(frame_page(fs, f));
}

/* Should frame a leave before frame b? */
static ALWAYS_INLINE bool opt_before(const struct frames *fs, uint32_t a, uint32_t b) {
  return fs->next_use[a] > fs->next_use[b] || (fs->next_use[a] == fs->next_use[b] && a < b);
}

static ALWAYS_INLINE void opt_place(struct frames *fs, uint32_t i, uint32_t f) {
  fs->heap[i] = f;
  fs->pos[f] = i;
}

static void opt_sift_up(struct frames *fs, uint32_t i) {
  uint32_t f = fs->heap[i];
  while (i && opt_before(fs, f, fs->heap[(i - 1) / 2])) {
    opt_place(fs, i, fs->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  opt_place(fs, i, f);
}

static void opt_sift_down(struct frames *fs, uint32_t i) {
  uint32_t f = fs->heap[i];
  for (;;) {
    uint64_t c = 2 * (uint64_t)i + 1;
    if (c >= fs->used)
      break;
    if (c + 1 < fs->used && opt_before(fs, fs->heap[c + 1], fs->heap[c]))
      c++;
    if (!opt_before(fs, fs->heap[c], f))
      break;
    opt_place(fs, i, fs->heap[c]);
    i = (uint32_t)c;
  }
  opt_place(fs, i, f);
}

/* A hit on the page in slot s by an access next used at `next`. */
static ALWAYS_INLINE void model_hit(struct frames *fs, const enum frames_model m,
                                    struct resident_slot *s, bool write, uint64_t next) {
  if (write)
    s->frame |= PAGE_DIRTY;
  uint32_t f = slot_frame(s);
  if (m == MODEL_CLOCK)
    fs->referenced[f] = 1;
  if (m == MODEL_LRU)
    lru_use(fs, s, f);
  if (m == MODEL_OPT) {
    fs->next_use[f] = next; /* later than now, the old key: the frame rises */
    opt_sift_up(fs, fs->pos[f]);
  }
}

/* The frame whose page leaves (every frame is in use). */
static ALWAYS_INLINE uint32_t model_victim(struct frames *fs, const enum frames_model m) {
  uint32_t f;
  switch (m) {
  case MODEL_CLOCK:
    while (fs->referenced[fs->hand]) {
      fs->referenced[fs->hand] = 0;
      fs->hand = hand_next(fs, fs->hand);
      prefetch_ahead(fs, CLOCK_AHEAD);
    }
    /* fall through */
  case MODEL_FIFO:
    f = fs->hand;
    fs->hand = hand_next(fs, f);
    return f;
  case MODEL_LRU:
    return lru_victim(fs);
  case MODEL_OPT:
    return fs->heap[0];
  }
  return NO_FRAME;
}

/* Frame f now holds a page brought in, next used at `next`; `fresh`: f
 * was free (not a victim's). */
static ALWAYS_INLINE void model_arrive(struct frames *fs, const enum frames_model m, uint32_t f,
                                       bool fresh, uint64_t next) {
  if (m == MODEL_LRU)
    lru_stamp(fs, frame_page(fs, f), f);
  if (m == MODEL_OPT) {
    fs->next_use[f] = next;
    if (fresh) {
      fs->heap[fs->used - 1] = f;
      opt_sift_up(fs, fs->used - 1);
    } else {
      opt_sift_down(fs, fs->pos[f]); /* the root: the victim's place */
    }
  }
}

/* ---- invariants ---------------------------------------------------------- */

static int frames_check(void *ctx, char *msg, size_t len) {
  const struct frames *fs = ctx;
  uint64_t taken = 0;
  for (uint64_t i = 0; i <= fs->mask; i++)
    taken += fs->slots[i].key != 0;
  if (taken != fs->used)
    return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                       "frames: %" PRIu64 " resident pages in the table, %" PRIu32
                       " frames in use",
                       taken, fs->used);
  for (uint32_t f = 0; f < fs->used; f++) {
    const struct resident_slot *s = frame_page(fs, f);
    uint64_t key = s->key & ~SLOT_USED;
    if (!s->key || slot_frame(s) != f || resident_find(fs, slot_of(fs, key), key) != s)
      return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                         "frames: frame %" PRIu32 "'s page is not found in it", f);
  }
  if (fs->used < fs->nr && fs->hand != 0)
    return vmsim__errf(msg, len, VMSIM_ECORRUPT, "frames: the hand moved before frames ran out");
  if (fs->model == MODEL_LRU) {
    /* Stamps are unique among the entries, so as many live entries as
     * frames in use is one for each. */
    uint64_t live = 0;
    for (uint64_t r = fs->use_head; r != fs->use_tail; r++) {
      struct lru_use u = fs->uses[r & fs->use_mask];
      if (u.frame >= fs->used)
        return vmsim__errf(msg, len, VMSIM_ECORRUPT, "frames: lru use of frame %" PRIu32
                           ", not in use", u.frame);
      live += slot_stamp(frame_page(fs, u.frame)) == u.stamp;
    }
    if (live != fs->used || fs->use_tail - fs->use_head > fs->use_mask + 1)
      return vmsim__errf(msg, len, VMSIM_ECORRUPT,
                         "frames: %" PRIu64 " live lru uses, %" PRIu32 " frames in use", live,
                         fs->used);
  }
  if (fs->model == MODEL_OPT) {
    for (uint32_t i = 0; i < fs->used; i++) {
      if (fs->heap[i] >= fs->used || fs->pos[fs->heap[i]] != i)
        return vmsim__errf(msg, len, VMSIM_ECORRUPT, "frames: opt heap entry %" PRIu32, i);
      if (i && opt_before(fs, fs->heap[i], fs->heap[(i - 1) / 2]))
        return vmsim__errf(msg, len, VMSIM_ECORRUPT, "frames: opt heap out of order at %" PRIu32,
                           i);
    }
  }
  return 0;
}

/* ---- the replay ------------------------------------------------------------ */

/* A block of the trace: each record's page_key() (NO_KEY for an address
 * outside the space), its page_hash() (its slot is the top bits: the table
 * may grow), whether it writes. */
struct block {
  uint64_t key[FRAMES_BLOCK], hash[FRAMES_BLOCK];
  bool write[FRAMES_BLOCK];
};

/* The next block of the trace, up to FRAMES_BLOCK records: how many (0 at
 * the end), or an error with rp->err set. */
static long read_block(struct replay *rp, vmsim_trace *t, struct block *b) {
  long n = replay_read_keys(rp, t, b->key, b->write, FRAMES_BLOCK);
  for (long i = 0; i < n; i++)
    b->hash[i] = page_hash(b->key[i]);
  return n;
}

/* Access i of a block to come: its slot, and the page set's should it miss. */
static ALWAYS_INLINE void prefetch_access(const struct frames *fs, const struct page_set *seen,
                                          const struct block *b, long i) {
  if (b->key[i] == NO_KEY)
    return;
  __builtin_prefetch(&fs->slots[b->hash[i] >> fs->shift]);
  __builtin_prefetch(page_set_home(seen, b->key[i] >> CHUNK_SHIFT)); /* its chunk */
}

/* Access i of block b, next used at `next` (opt). */
static ALWAYS_INLINE int frames_access(struct frames *fs, struct page_set *seen,
                                       vmsim_replay_result *res, const struct block *b, long i,
                                       uint64_t next, const enum frames_model m) {
  const uint64_t key = b->key[i];
  if (key == NO_KEY) {
    res->segv++;
    return 0;
  }
  struct resident_slot *s = resident_find(fs, b->hash[i] >> fs->shift, key);
  if (s) {
    model_hit(fs, m, s, b->write[i], next);
    return 0;
  }
  res->misses++;
  int rc = see_page(fs->rp, seen, key);
  if (rc < 0)
    return rc;
  res->major_faults += !rc;
  uint32_t f;
  bool fresh = fs->used < fs->nr;
  if (fresh) {
    if ((fs->used == fs->cap || table_full(fs)) && (rc = frames_grow(fs)))
      return rc;
    f = fs->used++;
  } else {
    if (m == MODEL_FIFO || m == MODEL_CLOCK)
      prefetch_ahead(fs, m == MODEL_FIFO ? FIFO_AHEAD : CLOCK_AHEAD);
    f = model_victim(fs, m);
    uint32_t slot = fs->frame_slot[f];
    res->evictions++;
    res->dirty_evictions += !!(fs->slots[slot].frame & PAGE_DIRTY);
    resident_del(fs, slot);
  }
  resident_add(fs, key, f, b->write[i] ? PAGE_DIRTY : 0);
  if (m == MODEL_CLOCK)
    fs->referenced[f] = 1;
  model_arrive(fs, m, f, fresh, next);
  return 0;
}

/*
 * The trace in blocks: while one block is replayed, the next is already
 * read, and each access prefetches what the access FRAMES_BLOCK later
 * will look at. Progress and checks come between blocks.
 */
static int frames_replay(struct frames *fs, vmsim_trace *t, struct page_set *seen,
                         vmsim_replay_result *res, const enum frames_model m) {
  struct replay *rp = fs->rp;
  const uint64_t planned = rp->future ? rp->nr : UINT64_MAX;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, rp->opt->run);
  struct block blk[2];
  uint64_t seq = 0;
  int rc;
  long n = read_block(rp, t, &blk[0]);
  for (unsigned cur = 0; n > 0; cur ^= 1) {
    const struct block *b = &blk[cur], *later = &blk[cur ^ 1];
    long nl = read_block(rp, t, &blk[cur ^ 1]);
    if (nl < 0)
      return (int)nl;
    for (long i = 0; i < n; i++) {
      if (i < nl)
        prefetch_access(fs, seen, later, i);
      uint64_t next = m == MODEL_OPT ? rp->next_use[seq + (uint64_t)i] : 0;
      if ((rc = frames_access(fs, seen, res, b, i, next, m)))
        return rc;
    }
    seq += (uint64_t)n;
    if ((rc = vmsim__pace_check(&pace, frames_check, fs, seq, planned, rp->err, rp->len)))
      return rc;
    n = nl;
  }
  if (n < 0)
    return (int)n;
  res->accesses = seq;
  res->checks = pace.checks;
  return 0;
}

int vmsim__replay_frames(struct replay *rp, vmsim_replay_result *res) {
  const vmsim_replay_options *opt = rp->opt;
  if (opt->frames > MAX_FRAMES)
    return vmsim__errf(rp->err, rp->len, VMSIM_ERANGE,
                       "replay: %" PRIu64 " frames; the frames engine takes at most %" PRIu64,
                       opt->frames, MAX_FRAMES);
  if (is_fivelist(opt->policy))
    return vmsim__replay_fivelist(rp, res); /* its own pass 1 numbers the pages */
  int rc;
  if (rp->future && (rc = vmsim__replay_scan(rp, res))) /* opt: every access's next use */
    return rc;
  struct frames fs = {.rp = rp, .model = (enum frames_model)find_model(opt->policy),
                      .nr = (uint32_t)opt->frames,
                      /* lru: near the wrap, which every replay of more than a few
                       * thousand uses thus runs through, the tests' included */
                      .clock = STAMP_MASK - 4096};
  struct page_set seen = {0};
  vmsim_trace *t = NULL;
  uint64_t distinct = res->distinct_pages; /* pass 1's, if it ran */
  if ((rc = resident_resize(&fs, RESIDENT_MIN_SLOTS)) ||
      (rc = vmsim__page_set_init(rp, &seen, CHUNK_SHIFT)) || (rc = vmsim__replay_open(rp, &t)))
    goto out;
  memset(res, 0, sizeof(*res));
  res->engine = VMSIM_REPLAY_FRAMES;
  switch (fs.model) {
  case MODEL_FIFO: rc = frames_replay(&fs, t, &seen, res, MODEL_FIFO); break;
  case MODEL_CLOCK: rc = frames_replay(&fs, t, &seen, res, MODEL_CLOCK); break;
  case MODEL_LRU: rc = frames_replay(&fs, t, &seen, res, MODEL_LRU); break;
  case MODEL_OPT: rc = frames_replay(&fs, t, &seen, res, MODEL_OPT); break;
  }
  /* A last check of every invariant: a result is only given whole. */
  if (!rc && (rc = frames_check(&fs, rp->err, rp->len)))
    goto out;
  res->distinct_pages = seen.pages;
  res->nr_procs = rp->nr_pids;
  assert(rc || !rp->future || distinct == seen.pages);
  (void)distinct;
out:
  vmsim_trace_close(t);
  vmsim__free(seen.slots);
  vmsim__free(fs.slots_base);
  vmsim__free(fs.frame_slot);
  vmsim__free(fs.referenced);
  vmsim__free(fs.uses);
  vmsim__free(fs.next_use);
  vmsim__free(fs.heap);
  vmsim__free(fs.pos);
  if (rc)
    memset(res, 0, sizeof(*res));
  return rc;
}
