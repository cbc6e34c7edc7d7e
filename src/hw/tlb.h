/* SPDX-License-Identifier: MIT */
/*
 * The simulated TLBs: per CPU, an L1 dTLB and an optional unified L2 (the
 * STLB), both set-associative with LRU replacement within a set, tagged by
 * address-space id (ASID/PCID) so that a context switch needs no flush.
 *
 * A translation is found by its tag, ((uint64_t)asid << 36) | vpn, with
 * vpn = vaddr >> 12. User addresses are below 2^47, so a vpn fits in 35
 * bits and the all-ones tag never names a real translation: it marks an
 * invalid way. The set is vpn & (sets - 1).
 *
 * Layout: each level keeps its tags in one array, the ways of a set side by
 * side, apart from the rest of the entries, so that a probe reads one short
 * run of tags (a 4-way L1 set is 32 bytes, a 12-way STLB set 96) and touches
 * an entry only on a hit. The LRU stamps are a third array, parallel to the
 * tags, so that choosing a victim reads one set's stamps (16 bytes for a
 * 4-way set) and no entry.
 *
 * The STLB also keeps a presence filter, for the shootdowns: reclaim
 * flushes pages that are almost never cached (a 1536-entry STLB against a
 * machine of 65,536 frames), and searching a 12-way set on every CPU of
 * the mm to find nothing was 14 % of a reclaim-heavy run. The filter is a
 * byte per bucket, eight buckets per way, counting the valid tags that
 * hash to the bucket; a flush that finds its bucket at 0 skips the set. A
 * count that reaches 255 sticks there until the level is flushed whole,
 * so a bucket at 0 always means no such tag, however skewed the hashing.
 * The filter changes what the simulator costs, never what it simulates.
 */
#ifndef VMSIM_HW_TLB_H
#define VMSIM_HW_TLB_H

#include "internal.h"
#include "pgtable.h"

#define VMSIM_TLB_ASID_SHIFT 36
#define VMSIM_TLB_MAX_ASID ((UINT32_C(1) << 28) - 1)
#define VMSIM_TLB_TAG_INVALID UINT64_MAX

/* What a TLB remembers of a translation, besides its tag and LRU stamp
 * (16 bytes on a 64-bit host, copied whole when the STLB refills the L1). */
struct vmsim_tlb_entry {
  vmsim_pte_t *ptep; /* the PTE it came from: the D bit is set through it */
  vmsim_pfn_t pfn;
  uint8_t writable;  /* the PTE allowed writes */
  uint8_t dirty;     /* the PTE's D bit is known set */
};

struct vmsim_tlb_level {
  uint64_t *tags;                /* sets * ways; set s at [s * ways, (s+1) * ways) */
  uint64_t *stamps;              /* parallel to tags: the level's clock at the way's
                                  * last use (LRU order), 0 for an invalid way */
  struct vmsim_tlb_entry *ents;  /* parallel to tags */
  uint32_t set_mask;             /* sets - 1 */
  uint32_t ways;                 /* 0: the level is absent */
  uint64_t clock;                /* the last stamp handed out; 64 bits never wrap */
  uint8_t *present;              /* the presence filter (STLB only, else NULL): per
                                  * bucket, its valid tags, or 255 for "some" */
  uint32_t present_shift;        /* a tag's bucket is its hash >> present_shift */
};

#define VMSIM_TLB_PRESENT_STICKY 255
/* Presence-filter buckets per way, before rounding up to a power of two
 * (so at most twice this many bytes a way: config.c's host estimate). */
#define VMSIM_TLB_PRESENT_PER_WAY 8

/* The presence filter's bucket of `tag` (a Fibonacci hash: the ASID and
 * the high vpn bits reach the top bits that pick the bucket). */
static inline size_t vmsim__tlb_present_bucket(const struct vmsim_tlb_level *lv, uint64_t tag) {
  return (size_t)((tag * UINT64_C(0x9e3779b97f4a7c15)) >> lv->present_shift);
}

struct vmsim_tlb_stats {
  uint64_t l1_hits, l2_hits, misses;
  uint64_t flush_page, flush_asid, flush_all; /* local invalidations */
  uint64_t shootdowns;                        /* received from another CPU */
};

struct vmsim_tlb {
  struct vmsim_tlb_level l1, l2;
  struct vmsim_tlb_stats stats;
};

/* A simulated CPU: its id, its NUMA node and its TLBs. */
struct vmsim_cpu {
  uint32_t id;
  uint32_t nid;
  struct vmsim_tlb tlb;
};

/* Where a lookup found its translation. */
enum vmsim_tlb_hit { VMSIM_TLB_L1_HIT, VMSIM_TLB_L2_HIT, VMSIM_TLB_MISS };

/*
 * Allocate the levels with the geometry of `cfg` (a validated config: see
 * vmsim_config_validate). Errors: VMSIM_EINVAL for a geometry that is not
 * sets x ways with sets a power of two, VMSIM_ENOMEM.
 */
int vmsim__tlb_init(struct vmsim_tlb *tlb, const vmsim_tlb_config *cfg);
/* Free the levels. A zeroed or destroyed tlb may be destroyed again. */
void vmsim__tlb_destroy(struct vmsim_tlb *tlb);

/* The tag of a user address (vaddr < VMSIM_VA_LIMIT) of address space `asid`. */
static inline uint64_t vmsim__tlb_tag(uint32_t asid, uint64_t vaddr) {
  assert(asid <= VMSIM_TLB_MAX_ASID && vaddr < VMSIM_VA_LIMIT);
  return ((uint64_t)asid << VMSIM_TLB_ASID_SHIFT) | (vaddr >> VMSIM_PAGE_SHIFT);
}

/* The next stamp of a level's LRU clock. */
static inline uint64_t vmsim__tlb_tick(struct vmsim_tlb_level *lv) { return ++lv->clock; }

/* The index of the first way of `tag`'s set. */
static inline size_t vmsim__tlb_level_set(const struct vmsim_tlb_level *lv, uint64_t tag) {
  /* The low 36 bits of the tag are the vpn and set_mask < 2^32. */
  return (size_t)(tag & lv->set_mask) * lv->ways;
}

/* Way `i` becomes *victim if its stamp is below *oldest (without
 * branches, cmov: the oldest way moves at every refill). */
static ALWAYS_INLINE void vmsim__tlb_way_older(const struct vmsim_tlb_level *lv, size_t i,
                                               uint64_t *oldest, size_t *victim) {
  bool older = lv->stamps[i] < *oldest;
  *victim = older ? i : *victim;
  *oldest = older ? lv->stamps[i] : *oldest;
}

/* One way of vmsim__tlb_level_find(): true if way `i` holds `tag`, else
 * it is weighed as the victim. */
static ALWAYS_INLINE bool vmsim__tlb_way_find(const struct vmsim_tlb_level *lv, size_t i,
                                               uint64_t tag, uint64_t *oldest, size_t *victim) {
  if (lv->tags[i] == tag)
    return true;
  vmsim__tlb_way_older(lv, i, oldest, victim);
  return false;
}

/*
 * The way of `tag` in the set of `lv` that starts at `base`, else SIZE_MAX;
 * either way, in *victim, the way to replace if the tag is not there.
 * Invalid ways have stamp 0 and valid ones distinct stamps >= 1, so the
 * first smallest stamp is the first invalid way, else the least recently
 * used. One pass does both: an L1 miss is usually followed by a refill.
 */
static inline size_t vmsim__tlb_level_find(const struct vmsim_tlb_level *lv, size_t base,
                                           uint64_t tag, size_t *victim) {
  uint64_t oldest = UINT64_MAX;
  size_t i = base, end = base + lv->ways;
  *victim = base;
  if (likely(lv->ways % 4 == 0)) {
    /* Whole groups of four ways (the L1's 4): no loop branch in a group,
     * and none at all for a 4-way set, where every access probes. */
    for (; i < end; i += 4)
#pragma GCC unroll 4
      for (size_t k = 0; k < 4; k++)
        if (vmsim__tlb_way_find(lv, i + k, tag, &oldest, victim))
          return i + k;
    return SIZE_MAX;
  }
  for (; i < end; i++)
    if (vmsim__tlb_way_find(lv, i, tag, &oldest, victim))
      return i;
  return SIZE_MAX;
}

/* The victim of the set that starts at `base`, for a tag known to be
 * absent: vmsim__tlb_level_find's *victim without the tag compares. */
static inline size_t vmsim__tlb_level_victim(const struct vmsim_tlb_level *lv, size_t base) {
  size_t victim = base;
  uint64_t oldest = lv->stamps[base];
#pragma GCC unroll 4
  for (size_t i = base + 1; i < base + lv->ways; i++)
    vmsim__tlb_way_older(lv, i, &oldest, &victim);
  return victim;
}

/* Whether either level holds `tag` (no LRU update: for assertions). */
static inline bool vmsim__tlb_holds(const struct vmsim_tlb *tlb, uint64_t tag) {
  size_t unused;
  return vmsim__tlb_level_find(&tlb->l1, vmsim__tlb_level_set(&tlb->l1, tag), tag, &unused) !=
             SIZE_MAX ||
         vmsim__tlb_level_find(&tlb->l2, vmsim__tlb_level_set(&tlb->l2, tag), tag, &unused) !=
             SIZE_MAX;
}

/* Copy `src` into way `i` of `lv` under `tag`, as its set's most recent.
 * It keeps no presence filter: only the L1, which has none, is written
 * here directly; the STLB's ways go through tlb.c's level_replace(). */
static inline struct vmsim_tlb_entry *vmsim__tlb_level_put(struct vmsim_tlb_level *lv, size_t i,
                                                           uint64_t tag,
                                                           const struct vmsim_tlb_entry *src) {
  memcpy(&lv->ents[i], src, sizeof(*src)); /* the padding too: a single 16-byte copy */
  lv->tags[i] = tag;
  lv->stamps[i] = vmsim__tlb_tick(lv);
  return &lv->ents[i];
}

/* Find `tag` in one level; a hit becomes the set's most recently used. */
static inline struct vmsim_tlb_entry *vmsim__tlb_level_probe(struct vmsim_tlb_level *lv,
                                                             uint64_t tag) {
  size_t base = vmsim__tlb_level_set(lv, tag);
#pragma GCC unroll 4
  for (size_t i = base; i < base + lv->ways; i++) {
    if (lv->tags[i] == tag) {
      lv->stamps[i] = vmsim__tlb_tick(lv);
      return &lv->ents[i];
    }
  }
  return NULL;
}

/*
 * Look `tag` up: the L1, then the STLB, whose hit is copied into the L1.
 * Counts the outcome in tlb->stats and reports it in *hit. Returns the L1
 * entry, or NULL on a miss.
 */
static inline struct vmsim_tlb_entry *vmsim__tlb_lookup(struct vmsim_tlb *tlb, uint64_t tag,
                                                        enum vmsim_tlb_hit *hit) {
  struct vmsim_tlb_level *l1 = &tlb->l1;
  size_t victim, i = vmsim__tlb_level_find(l1, vmsim__tlb_level_set(l1, tag), tag, &victim);
  if (likely(i != SIZE_MAX)) {
    l1->stamps[i] = vmsim__tlb_tick(l1);
    tlb->stats.l1_hits++;
    *hit = VMSIM_TLB_L1_HIT;
    return &l1->ents[i];
  }
  struct vmsim_tlb_entry *e = vmsim__tlb_level_probe(&tlb->l2, tag);
  if (e) {
    tlb->stats.l2_hits++;
    *hit = VMSIM_TLB_L2_HIT;
    /* Over the victim the L1 probe found. */
    return vmsim__tlb_level_put(l1, victim, tag, e);
  }
  tlb->stats.misses++;
  *hit = VMSIM_TLB_MISS;
  return NULL;
}

/*
 * Install a translation in both levels (replacing an entry with the same
 * tag, else an invalid way, else the set's least recently used). Returns
 * the L1 entry. The MMU itself only ever installs a translation after a
 * miss, with vmsim__tlb_refill(); this general form is for setting up TLB
 * states (the tests), where the tag may already be present.
 */
struct vmsim_tlb_entry *vmsim__tlb_fill(struct vmsim_tlb *tlb, uint64_t tag, vmsim_pte_t *ptep,
                                        vmsim_pfn_t pfn, bool writable, bool dirty);

/*
 * vmsim__tlb_fill for a translation that neither level holds, as after a
 * miss: the page walk's refill, which needs no search for the tag.
 */
struct vmsim_tlb_entry *vmsim__tlb_refill(struct vmsim_tlb *tlb, uint64_t tag, vmsim_pte_t *ptep,
                                          vmsim_pfn_t pfn, bool writable, bool dirty);

/* Drop `tag` from both levels, counting nothing: what the hardware does to
 * the faulting address's entries when it raises a page fault. */
void vmsim__tlb_invalidate(struct vmsim_tlb *tlb, uint64_t tag);

/* Local invalidations by the OS, each counted once in the stats. */
void vmsim__tlb_flush_page(struct vmsim_tlb *tlb, uint32_t asid, uint64_t vaddr);
void vmsim__tlb_flush_asid(struct vmsim_tlb *tlb, uint32_t asid);
void vmsim__tlb_flush_all(struct vmsim_tlb *tlb);

/*
 * Invalidate a page (or a whole address space) on every CPU whose bit is set
 * in `cpumask` (VMSIM_MAX_CPUS bits, 64 per word, CPU c at word c / 64, bit
 * c % 64; bits at or above nr_cpus are ignored). Each such CPU counts a
 * local flush; those other than `initiator` also count a received
 * shootdown. An initiator outside the mask (kswapd flushing for another
 * process) flushes nothing of its own.
 */
void vmsim__tlb_shootdown_page(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                               uint32_t initiator, uint32_t asid, uint64_t vaddr);
/* vmsim__tlb_shootdown_page for a translation known to be in no TLB: the
 * IPIs are sent and counted as above, and there is nothing to search for. */
void vmsim__tlb_shootdown_count(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                                uint32_t initiator);
void vmsim__tlb_shootdown_asid(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                               uint32_t initiator, uint32_t asid);
/*
 * flush_tlb_mm_range(): the pages of [start, end) one by one on every CPU
 * of the mask, or the whole address space when the range has more than
 * VMSIM_TLB_SINGLE_PAGE_FLUSH_CEILING pages (x86's
 * tlb_single_page_flush_ceiling, 33). One shootdown per receiving CPU.
 */
#define VMSIM_TLB_SINGLE_PAGE_FLUSH_CEILING 33
void vmsim__tlb_shootdown_range(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                                uint32_t initiator, uint32_t asid, uint64_t start, uint64_t end);

#endif /* VMSIM_HW_TLB_H */
