/* SPDX-License-Identifier: MIT */
/*
 * The simulated TLBs (see tlb.h): fills, LRU replacement, invalidation and
 * cross-CPU shootdowns. The probe is inline in tlb.h.
 *
 * LRU: each level has a 64-bit clock; every use of an entry stamps it with
 * the next tick, and the victim of a set is an invalid way if there is one,
 * else the way with the smallest stamp. Stamps are unique within a level, so
 * the order is exact, and the clock never wraps (2^64 uses would take a
 * simulation of centuries). A 32-bit clock would wrap after 2^32 uses, a few
 * minutes of a long replay, and renumbering the stamps then is easy to get
 * subtly wrong; eight bytes rather than four per way cost nothing here.
 */
#include "tlb.h"

static void level_destroy(struct vmsim_tlb_level *lv) {
  vmsim__free(lv->tags);
  vmsim__free(lv->stamps);
  vmsim__free(lv->ents);
  vmsim__free(lv->present);
  *lv = (struct vmsim_tlb_level){0};
}

/* A level of `entries` in sets of `ways`, with a presence filter if
 * `filtered` (see tlb.h): VMSIM_TLB_PRESENT_PER_WAY buckets a way, rounded
 * up to a power of two. */
static int level_init(struct vmsim_tlb_level *lv, uint32_t entries, uint32_t ways,
                      bool filtered) {
  *lv = (struct vmsim_tlb_level){0};
  if (entries == 0)
    return 0;
  uint32_t sets = ways ? entries / ways : 0;
  if (sets == 0 || sets * ways != entries || (sets & (sets - 1)) != 0)
    return VMSIM_EINVAL;
  if (filtered) {
    unsigned bits = 0;
    while ((UINT64_C(1) << bits) < (uint64_t)entries * VMSIM_TLB_PRESENT_PER_WAY)
      bits++;
    lv->present = vmsim__calloc((size_t)1 << bits, 1);
    lv->present_shift = 64 - bits;
  }
  lv->tags = vmsim__malloc((size_t)entries * sizeof(*lv->tags));
  lv->stamps = vmsim__calloc(entries, sizeof(*lv->stamps));
  lv->ents = vmsim__calloc(entries, sizeof(*lv->ents));
  if (!lv->tags || !lv->stamps || !lv->ents || (filtered && !lv->present)) {
    level_destroy(lv);
    return VMSIM_ENOMEM;
  }
  for (uint32_t i = 0; i < entries; i++)
    lv->tags[i] = VMSIM_TLB_TAG_INVALID;
  lv->set_mask = sets - 1;
  lv->ways = ways;
  return 0;
}

static inline size_t level_size(const struct vmsim_tlb_level *lv) {
  return ((size_t)lv->set_mask + 1) * lv->ways;
}

int vmsim__tlb_init(struct vmsim_tlb *tlb, const vmsim_tlb_config *cfg) {
  *tlb = (struct vmsim_tlb){0};
  int err = cfg->l1_entries ? level_init(&tlb->l1, cfg->l1_entries, cfg->l1_ways, false)
                            : VMSIM_EINVAL;
  if (!err)
    err = level_init(&tlb->l2, cfg->l2_entries, cfg->l2_ways, true);
  if (err)
    vmsim__tlb_destroy(tlb);
  return err;
}

void vmsim__tlb_destroy(struct vmsim_tlb *tlb) {
  level_destroy(&tlb->l1);
  level_destroy(&tlb->l2);
}

/* Count `tag` in, or out of, the presence filter of `lv` (if it has one);
 * a sticky count stays (see tlb.h). */
static inline void present_add(struct vmsim_tlb_level *lv, uint64_t tag) {
  uint8_t *c = &lv->present[vmsim__tlb_present_bucket(lv, tag)];
  *c += *c != VMSIM_TLB_PRESENT_STICKY;
}

static inline void present_del(struct vmsim_tlb_level *lv, uint64_t tag) {
  uint8_t *c = &lv->present[vmsim__tlb_present_bucket(lv, tag)];
  assert(*c > 0);
  *c -= *c != VMSIM_TLB_PRESENT_STICKY;
}

/* vmsim__tlb_level_put, keeping the presence filter: the way's old tag
 * (if valid) goes out of it, `tag` comes in. */
static struct vmsim_tlb_entry *level_replace(struct vmsim_tlb_level *lv, size_t i, uint64_t tag,
                                             const struct vmsim_tlb_entry *src) {
  if (lv->present) {
    if (lv->tags[i] != VMSIM_TLB_TAG_INVALID)
      present_del(lv, lv->tags[i]);
    present_add(lv, tag);
  }
  return vmsim__tlb_level_put(lv, i, tag, src);
}

/*
 * Copy `src` into its set of `lv` under `tag` (over an entry with the same
 * tag, else the first invalid way, else the least recently used); returns
 * the copy, now the set's most recent.
 */
static struct vmsim_tlb_entry *level_insert(struct vmsim_tlb_level *lv, uint64_t tag,
                                            const struct vmsim_tlb_entry *src) {
  size_t victim, i = vmsim__tlb_level_find(lv, vmsim__tlb_level_set(lv, tag), tag, &victim);
  return level_replace(lv, i != SIZE_MAX ? i : victim, tag, src);
}

struct vmsim_tlb_entry *vmsim__tlb_fill(struct vmsim_tlb *tlb, uint64_t tag, vmsim_pte_t *ptep,
                                        vmsim_pfn_t pfn, bool writable, bool dirty) {
  const struct vmsim_tlb_entry src = {
    .ptep = ptep, .pfn = pfn, .writable = writable, .dirty = dirty,
  };
  if (tlb->l2.ways)
    level_insert(&tlb->l2, tag, &src);
  return level_insert(&tlb->l1, tag, &src);
}

static struct vmsim_tlb_entry *level_refill(struct vmsim_tlb_level *lv, uint64_t tag,
                                            const struct vmsim_tlb_entry *src) {
  size_t base = vmsim__tlb_level_set(lv, tag);
  return level_replace(lv, vmsim__tlb_level_victim(lv, base), tag, src);
}

struct vmsim_tlb_entry *vmsim__tlb_refill(struct vmsim_tlb *tlb, uint64_t tag, vmsim_pte_t *ptep,
                                          vmsim_pfn_t pfn, bool writable, bool dirty) {
  const struct vmsim_tlb_entry src = {
    .ptep = ptep, .pfn = pfn, .writable = writable, .dirty = dirty,
  };
  assert(!vmsim__tlb_holds(tlb, tag));
  if (tlb->l2.ways)
    level_refill(&tlb->l2, tag, &src);
  return level_refill(&tlb->l1, tag, &src);
}

static inline void invalidate(struct vmsim_tlb_level *lv, size_t i) {
  if (lv->present && lv->tags[i] != VMSIM_TLB_TAG_INVALID)
    present_del(lv, lv->tags[i]);
  lv->tags[i] = VMSIM_TLB_TAG_INVALID;
  lv->stamps[i] = 0;
}

static void level_flush_tag(struct vmsim_tlb_level *lv, uint64_t tag) {
  if (lv->present && !lv->present[vmsim__tlb_present_bucket(lv, tag)])
    return; /* no such tag in the level: nothing to search for */
  /* A level holds a tag at most once (a fill replaces its own tag). */
  size_t base = vmsim__tlb_level_set(lv, tag), ways = lv->ways;
  const uint64_t *tags = lv->tags + base;
#pragma GCC unroll 4
  for (size_t w = 0; w < ways; w++) {
    if (tags[w] == tag) {
      invalidate(lv, base + w);
      return;
    }
  }
}

void vmsim__tlb_invalidate(struct vmsim_tlb *tlb, uint64_t tag) {
  level_flush_tag(&tlb->l1, tag);
  level_flush_tag(&tlb->l2, tag);
}

void vmsim__tlb_flush_page(struct vmsim_tlb *tlb, uint32_t asid, uint64_t vaddr) {
  vmsim__tlb_invalidate(tlb, vmsim__tlb_tag(asid, vaddr));
  tlb->stats.flush_page++;
}

static void level_flush_asid(struct vmsim_tlb_level *lv, uint32_t asid) {
  for (size_t i = 0; i < level_size(lv); i++)
    if (lv->tags[i] >> VMSIM_TLB_ASID_SHIFT == asid)
      invalidate(lv, i);
}

void vmsim__tlb_flush_asid(struct vmsim_tlb *tlb, uint32_t asid) {
  level_flush_asid(&tlb->l1, asid);
  level_flush_asid(&tlb->l2, asid);
  tlb->stats.flush_asid++;
}

static void level_flush_all(struct vmsim_tlb_level *lv) {
  for (size_t i = 0; i < level_size(lv); i++)
    invalidate(lv, i);
  if (lv->present) /* sticky counts too: the level is empty */
    memset(lv->present, 0, (size_t)1 << (64 - lv->present_shift));
}

void vmsim__tlb_flush_all(struct vmsim_tlb *tlb) {
  level_flush_all(&tlb->l1);
  level_flush_all(&tlb->l2);
  tlb->stats.flush_all++;
}

/*
 * The IPI a real kernel sends (flush_tlb_mm_range -> native_flush_tlb_multi)
 * is modelled by its effect: every CPU in the mask flushes the range
 * [start, start + pages) page by page, or the whole address space when
 * `pages` is 0. Each receiving CPU counts one shootdown per IPI.
 */
#define SHOOTDOWN_COUNT_ONLY UINT64_MAX /* `pages` for vmsim__tlb_shootdown_count */

static void shootdown(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                      uint32_t initiator, uint32_t asid, uint64_t start, uint64_t pages) {
  for (uint32_t w = 0; w * 64 < nr_cpus; w++) {
    uint64_t bits = cpumask[w];
    if (nr_cpus - w * 64 < 64)
      bits &= (UINT64_C(1) << (nr_cpus - w * 64)) - 1;
    for (; bits; bits &= bits - 1) {
      uint32_t c = w * 64 + (uint32_t)__builtin_ctzll(bits);
      struct vmsim_tlb *tlb = &cpus[c].tlb;
      if (pages == SHOOTDOWN_COUNT_ONLY)
        tlb->stats.flush_page++;
      else if (!pages)
        vmsim__tlb_flush_asid(tlb, asid);
      else
        for (uint64_t i = 0; i < pages; i++)
          vmsim__tlb_flush_page(tlb, asid, start + (i << VMSIM_PAGE_SHIFT));
      tlb->stats.shootdowns += c != initiator;
    }
  }
}

void vmsim__tlb_shootdown_page(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                               uint32_t initiator, uint32_t asid, uint64_t vaddr) {
  shootdown(cpus, nr_cpus, cpumask, initiator, asid, vaddr, 1);
}

void vmsim__tlb_shootdown_count(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                                uint32_t initiator) {
  shootdown(cpus, nr_cpus, cpumask, initiator, 0, 0, SHOOTDOWN_COUNT_ONLY);
}

void vmsim__tlb_shootdown_asid(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                               uint32_t initiator, uint32_t asid) {
  shootdown(cpus, nr_cpus, cpumask, initiator, asid, 0, 0);
}

void vmsim__tlb_shootdown_range(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                                uint32_t initiator, uint32_t asid, uint64_t start, uint64_t end) {
  uint64_t pages = (end - start) >> VMSIM_PAGE_SHIFT;
  shootdown(cpus, nr_cpus, cpumask, initiator, asid, start,
            pages > VMSIM_TLB_SINGLE_PAGE_FLUSH_CEILING ? 0 : pages);
}
