/* SPDX-License-Identifier: MIT */
/* The simulated TLBs: geometry, hit levels, LRU, ASIDs, flushes, shootdowns. */
#include "vmsim_test.h"

#include "tlb.h"

#define VA(vpn) ((uint64_t)(vpn) << VMSIM_PAGE_SHIFT)

static uint64_t live_allocs(void) {
  vmsim_alloc_stats st;
  vmsim_alloc_get_stats(&st);
  return st.nr_allocs - st.nr_frees;
}

static vmsim_tlb_config default_geometry(void) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  return cfg.tlb;
}

/* L1 16 sets x 4 ways, STLB 128 sets x 12 ways. */
static void init_default(struct vmsim_tlb *tlb) {
  vmsim_tlb_config g = default_geometry();
  assert_ok(vmsim__tlb_init(tlb, &g));
}

/* Fill (asid, vpn) with pfn = vpn + 1000 and no PTE behind it. */
static void fill(struct vmsim_tlb *tlb, uint32_t asid, uint64_t vpn) {
  vmsim__tlb_fill(tlb, vmsim__tlb_tag(asid, VA(vpn)), NULL, (vmsim_pfn_t)vpn + 1000, true, false);
}

/* Look (asid, vpn) up; returns where it was found. */
static enum vmsim_tlb_hit probe(struct vmsim_tlb *tlb, uint32_t asid, uint64_t vpn) {
  enum vmsim_tlb_hit hit;
  struct vmsim_tlb_entry *e = vmsim__tlb_lookup(tlb, vmsim__tlb_tag(asid, VA(vpn)), &hit);
  assert_true((e != NULL) == (hit != VMSIM_TLB_MISS));
  if (e)
    assert_int_equal(e->pfn, (vmsim_pfn_t)(vpn + 1000));
  return hit;
}

static void test_geometry(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  vmsim_tlb_config g = default_geometry();
  uint64_t live0 = live_allocs();
  assert_ok(vmsim__tlb_init(&tlb, &g));
  assert_int_equal(tlb.l1.set_mask, 15);  /* 64 / 4 = 16 sets */
  assert_int_equal(tlb.l1.ways, 4);
  assert_int_equal(tlb.l2.set_mask, 127); /* 1536 / 12 = 128 sets */
  assert_int_equal(tlb.l2.ways, 12);
  vmsim__tlb_destroy(&tlb);
  vmsim__tlb_destroy(&tlb); /* twice is harmless */
  assert_int_equal(live_allocs(), live0);

  static const vmsim_tlb_config bad[] = {
    {48, 4, 0, 0},      /* 12 sets: not a power of two */
    {64, 3, 0, 0},      /* not a multiple of the ways */
    {0, 4, 1536, 12},   /* no L1 */
    {64, 0, 0, 0},      /* no ways */
    {64, 4, 1536, 10},  /* bad L2 */
  };
  for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
    assert_int_equal(vmsim__tlb_init(&tlb, &bad[i]), VMSIM_EINVAL);
    assert_int_equal(live_allocs(), live0);
  }

  /* Six allocations (tags, stamps and entries of each level): fail each. */
  for (uint64_t nth = 1; nth <= 6; nth++) {
    vmsim_alloc_fail_after(nth, false);
    assert_int_equal(vmsim__tlb_init(&tlb, &g), VMSIM_ENOMEM);
    vmsim_alloc_fail_after(0, false);
    assert_int_equal(live_allocs(), live0);
  }
}

/*
 * Default geometry: L1 16 sets x 4, STLB 128 sets x 12. Pages 0, 16, 32, 48
 * and 64 share L1 set 0 but sit in STLB sets 0, 16, 32, 48, 64.
 *
 *   probe 0          miss                       misses 1
 *   fill 0
 *   probe 0          L1 hit                     l1 1
 *   fill 16..64      L1 set 0 overflows: 0, the LRU, leaves L1 (stays in L2)
 *   probe 0          L2 hit, back in L1 over 16 l2 1
 *   probe 0          L1 hit                     l1 2
 *   probe 16         L2 hit                     l2 2
 *   probe 7          miss (never filled)        misses 2
 */
static void test_hit_counters(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  init_default(&tlb);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_MISS);
  fill(&tlb, 1, 0);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_L1_HIT);
  for (uint64_t vpn = 16; vpn <= 64; vpn += 16)
    fill(&tlb, 1, vpn);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_L2_HIT);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, 1, 16), VMSIM_TLB_L2_HIT);
  assert_int_equal(probe(&tlb, 1, 7), VMSIM_TLB_MISS);
  assert_int_equal(tlb.stats.l1_hits, 2);
  assert_int_equal(tlb.stats.l2_hits, 2);
  assert_int_equal(tlb.stats.misses, 2);
  vmsim__tlb_destroy(&tlb);
}

/* L1 64 entries 4-way, no STLB: pages 0, 16, 32, 48, 64 share set 0. */
static void lru_setup(struct vmsim_tlb *tlb) {
  static const vmsim_tlb_config g = {64, 4, 0, 0};
  assert_ok(vmsim__tlb_init(tlb, &g));
  for (uint64_t vpn = 0; vpn < 64; vpn += 16)
    fill(tlb, 1, vpn);
}

static void test_lru_eviction(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  /* Filled 0, 16, 32, 48: the fifth evicts the oldest, 0. */
  lru_setup(&tlb);
  fill(&tlb, 1, 64);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_MISS);
  for (uint64_t vpn = 16; vpn <= 64; vpn += 16)
    assert_int_equal(probe(&tlb, 1, vpn), VMSIM_TLB_L1_HIT);
  vmsim__tlb_destroy(&tlb);

  /* Touching 0 first makes 16 the least recent: it goes instead. */
  lru_setup(&tlb);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_L1_HIT);
  fill(&tlb, 1, 64);
  assert_int_equal(probe(&tlb, 1, 16), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, 1, 0), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, 1, 32), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, 1, 48), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, 1, 64), VMSIM_TLB_L1_HIT);
  /* Other sets were never touched. */
  assert_int_equal(probe(&tlb, 1, 1), VMSIM_TLB_MISS);
  vmsim__tlb_destroy(&tlb);

  /* Re-filling a present tag replaces it in place: nothing is evicted. */
  lru_setup(&tlb);
  vmsim__tlb_fill(&tlb, vmsim__tlb_tag(1, VA(0)), NULL, 5, false, true);
  enum vmsim_tlb_hit hit;
  struct vmsim_tlb_entry *e = vmsim__tlb_lookup(&tlb, vmsim__tlb_tag(1, VA(0)), &hit);
  assert_non_null(e);
  assert_int_equal(e->pfn, 5);
  assert_false(e->writable);
  assert_true(e->dirty);
  for (uint64_t vpn = 16; vpn < 64; vpn += 16)
    assert_int_equal(probe(&tlb, 1, vpn), VMSIM_TLB_L1_HIT);
  vmsim__tlb_destroy(&tlb);
}

/* Whether the L1 holds (asid, vpn), without touching its LRU order. */
static bool l1_holds(const struct vmsim_tlb *tlb, uint32_t asid, uint64_t vpn) {
  for (size_t i = 0; i < (size_t)(tlb->l1.set_mask + 1) * tlb->l1.ways; i++)
    if (tlb->l1.tags[i] == vmsim__tlb_tag(asid, VA(vpn)))
      return true;
  return false;
}

/*
 * The LRU clocks are 64 bits: nothing happens at 2^32 uses of a level. (A
 * 32-bit clock wrapped there, and renumbering the stamps in place could
 * reorder a set; these are two cases where it evicted the wrong page.)
 * Pages 0, 16, ..., 96 all fall in L1 set 0.
 *
 * L1 only, clock 101 short of 2^32: fill 0 16 32 48, use 0 then 16 (LRU
 * order 32 48 0 16), then with the clock at 2^32 - 1 fill 16 again, in
 * place, stamped 2^32: the order stays 32 48 0 16, so 64, 80 and 96 evict
 * 32, 48 and 0.
 */
static void test_lru_clock_past_2_32(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  enum vmsim_tlb_hit hit;
  static const vmsim_tlb_config l1_only = {64, 4, 0, 0};
  assert_ok(vmsim__tlb_init(&tlb, &l1_only));
  tlb.l1.clock = UINT32_MAX - 100;
  for (uint64_t vpn = 0; vpn < 64; vpn += 16)
    fill(&tlb, 1, vpn);
  assert_non_null(vmsim__tlb_lookup(&tlb, vmsim__tlb_tag(1, VA(0)), &hit));
  assert_non_null(vmsim__tlb_lookup(&tlb, vmsim__tlb_tag(1, VA(16)), &hit));
  tlb.l1.clock = UINT32_MAX;
  fill(&tlb, 1, 16);
  assert_true(tlb.l1.clock == (uint64_t)UINT32_MAX + 1);
  static const uint64_t evicted[3][2] = {{64, 32}, {80, 48}, {96, 0}};
  for (int i = 0; i < 3; i++) {
    fill(&tlb, 1, evicted[i][0]);
    assert_false(l1_holds(&tlb, 1, evicted[i][1]));
  }
  assert_true(l1_holds(&tlb, 1, 16));
  vmsim__tlb_destroy(&tlb);
}

/*
 * The same across an STLB refill. Default geometry (L1 set 0 and STLB set
 * 64 for page 64): fill 64, then 0 16 32 48, which push 64 out of the L1
 * into the STLB alone (L1 order 0 16 32 48). With the L1 clock at 2^32 - 1,
 * probing 64 hits the STLB and copies it over the L1's LRU, 0: the order
 * is 16 32 48 64, so 80 evicts 16.
 */
static void test_lru_refill_past_2_32(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  init_default(&tlb);
  tlb.l1.clock = UINT32_MAX - 50;
  fill(&tlb, 1, 64);
  for (uint64_t vpn = 0; vpn < 64; vpn += 16)
    fill(&tlb, 1, vpn);
  assert_false(l1_holds(&tlb, 1, 64));
  tlb.l1.clock = UINT32_MAX;
  tlb.l2.clock = UINT32_MAX - 10;
  assert_int_equal(probe(&tlb, 1, 64), VMSIM_TLB_L2_HIT);
  assert_false(l1_holds(&tlb, 1, 0));
  fill(&tlb, 1, 80);
  assert_false(l1_holds(&tlb, 1, 16));
  assert_true(l1_holds(&tlb, 1, 32) && l1_holds(&tlb, 1, 48) && l1_holds(&tlb, 1, 64) &&
              l1_holds(&tlb, 1, 80));
  vmsim__tlb_destroy(&tlb);
}

/* ---- against a reference model ------------------------------------------ */

/*
 * The replacement rules of tlb.h in their plainest form: a way's last use
 * is a 64-bit count that never wraps, 0 for an invalid way; a new tag goes
 * over its own way, else the set's first invalid way, else its least
 * recently used. An STLB hit is copied into the L1.
 */
#define MODEL_WAYS 64

struct model_level {
  uint32_t sets, ways; /* ways 0: absent */
  uint64_t tag[MODEL_WAYS], used[MODEL_WAYS];
  vmsim_pfn_t pfn[MODEL_WAYS];
};

struct model {
  struct model_level l1, l2;
  uint64_t now, l1_hits, l2_hits, misses;
};

static void model_init(struct model *m, const vmsim_tlb_config *g) {
  *m = (struct model){0};
  m->l1 = (struct model_level){g->l1_entries / g->l1_ways, g->l1_ways, {0}, {0}, {0}};
  if (g->l2_entries)
    m->l2 = (struct model_level){g->l2_entries / g->l2_ways, g->l2_ways, {0}, {0}, {0}};
  for (int i = 0; i < MODEL_WAYS; i++)
    m->l1.tag[i] = m->l2.tag[i] = VMSIM_TLB_TAG_INVALID;
}

/* The index of `tag`'s way in `lv`, or -1. */
static int model_find(const struct model_level *lv, uint64_t tag) {
  uint32_t base = (uint32_t)(tag % lv->sets) * lv->ways;
  for (uint32_t w = base; w < base + lv->ways; w++)
    if (lv->used[w] && lv->tag[w] == tag)
      return (int)w;
  return -1;
}

static void model_put(struct model *m, struct model_level *lv, uint64_t tag, vmsim_pfn_t pfn) {
  int w = model_find(lv, tag);
  if (w < 0) {
    uint32_t base = (uint32_t)(tag % lv->sets) * lv->ways;
    w = (int)base;
    for (uint32_t i = base; i < base + lv->ways && lv->used[w]; i++)
      if (!lv->used[i] || lv->used[i] < lv->used[w])
        w = (int)i;
  }
  lv->tag[w] = tag;
  lv->pfn[w] = pfn;
  lv->used[w] = ++m->now;
}

static enum vmsim_tlb_hit model_lookup(struct model *m, uint64_t tag) {
  int w = model_find(&m->l1, tag);
  if (w >= 0) {
    m->l1.used[w] = ++m->now;
    m->l1_hits++;
    return VMSIM_TLB_L1_HIT;
  }
  w = m->l2.ways ? model_find(&m->l2, tag) : -1;
  if (w >= 0) {
    m->l2.used[w] = ++m->now;
    m->l2_hits++;
    model_put(m, &m->l1, tag, m->l2.pfn[w]);
    return VMSIM_TLB_L2_HIT;
  }
  m->misses++;
  return VMSIM_TLB_MISS;
}

static void model_fill(struct model *m, uint64_t tag, vmsim_pfn_t pfn) {
  if (m->l2.ways)
    model_put(m, &m->l2, tag, pfn);
  model_put(m, &m->l1, tag, pfn);
}

static void model_flush(struct model *m, bool (*match)(uint64_t tag, uint64_t key), uint64_t key) {
  struct model_level *levels[2] = {&m->l1, &m->l2};
  for (int l = 0; l < 2; l++)
    for (uint32_t w = 0; w < levels[l]->sets * levels[l]->ways; w++)
      if (levels[l]->used[w] && match(levels[l]->tag[w], key)) {
        levels[l]->tag[w] = VMSIM_TLB_TAG_INVALID;
        levels[l]->used[w] = 0;
      }
}

static bool same_tag(uint64_t tag, uint64_t key) { return tag == key; }
static bool same_asid(uint64_t tag, uint64_t asid) { return tag >> VMSIM_TLB_ASID_SHIFT == asid; }
static bool any_tag(uint64_t tag, uint64_t unused) { return (void)tag, (void)unused, true; }

/* The STLB's presence filter counts exactly the valid tags of each bucket,
 * except where a count stuck at 255 (tlb.h); a bucket at 0 has none. Counted
 * here from the tags themselves, by brute force. */
static void expect_filter(const struct vmsim_tlb_level *lv) {
  if (!lv->ways)
    return;
  size_t buckets = (size_t)1 << (64 - lv->present_shift);
  assert_true(buckets >= 8 * (size_t)(lv->set_mask + 1) * lv->ways);
  uint32_t *count = test_calloc(buckets, sizeof(*count));
  for (size_t w = 0; w < (size_t)(lv->set_mask + 1) * lv->ways; w++)
    if (lv->tags[w] != VMSIM_TLB_TAG_INVALID)
      count[vmsim__tlb_present_bucket(lv, lv->tags[w])]++;
  /* A count can only stick once the level holds 255 tags of one bucket. */
  bool can_stick = (size_t)(lv->set_mask + 1) * lv->ways >= VMSIM_TLB_PRESENT_STICKY;
  for (size_t b = 0; b < buckets; b++)
    if ((!can_stick || lv->present[b] != VMSIM_TLB_PRESENT_STICKY) && lv->present[b] != count[b])
      fail_msg("filter bucket %zu counts %u tags, the level holds %u", b, lv->present[b], count[b]);
  test_free(count);
}

/* Every way of the TLB holds what the model's does: the same victims. */
static void expect_model(const struct vmsim_tlb *tlb, const struct model *m, int op) {
  const struct vmsim_tlb_level *levels[2] = {&tlb->l1, &tlb->l2};
  const struct model_level *mlevels[2] = {&m->l1, &m->l2};
  for (int l = 0; l < 2; l++)
    for (uint32_t w = 0; w < mlevels[l]->sets * mlevels[l]->ways; w++) {
      uint64_t want = mlevels[l]->used[w] ? mlevels[l]->tag[w] : VMSIM_TLB_TAG_INVALID;
      if (levels[l]->tags[w] != want)
        fail_msg("op %d: L%d way %u holds %#" PRIx64 ", the model %#" PRIx64, op, l + 1, w,
                 levels[l]->tags[w], want);
      if (want != VMSIM_TLB_TAG_INVALID)
        assert_int_equal(levels[l]->ents[w].pfn, mlevels[l]->pfn[w]);
    }
  assert_int_equal(tlb->stats.l1_hits, m->l1_hits);
  assert_int_equal(tlb->stats.l2_hits, m->l2_hits);
  assert_int_equal(tlb->stats.misses, m->misses);
  assert_null(tlb->l1.present); /* the L1 is searched, never filtered */
  expect_filter(&tlb->l2);
}

/*
 * Random lookups (a miss refilled as the MMU does after a walk), fills over
 * present and absent tags, page and ASID flushes, on geometries with an odd
 * number of ways, a single set and no STLB; the TLB must match the model
 * way for way after every operation.
 */
static void test_lru_model(void **state) {
  (void)state;
  static const vmsim_tlb_config geometries[] = {
    {16, 4, 24, 3}, {8, 8, 0, 0}, {8, 2, 32, 4}, {64, 4, 48, 12},
  };
  uint64_t seed = 7;
  for (size_t g = 0; g < ARRAY_SIZE(geometries); g++) {
    struct vmsim_tlb tlb;
    struct model m;
    assert_ok(vmsim__tlb_init(&tlb, &geometries[g]));
    model_init(&m, &geometries[g]);
    for (int op = 0; op < 20000; op++) {
      uint32_t asid = 1 + (uint32_t)(test_rand(&seed) % 2);
      uint64_t tag = vmsim__tlb_tag(asid, VA(test_rand(&seed) % 80));
      vmsim_pfn_t pfn = (vmsim_pfn_t)(test_rand(&seed) % 1000);
      uint64_t dice = test_rand(&seed) % 100;
      if (dice < 60) {
        enum vmsim_tlb_hit hit, want = model_lookup(&m, tag);
        struct vmsim_tlb_entry *e = vmsim__tlb_lookup(&tlb, tag, &hit);
        assert_int_equal(hit, want);
        if (e)
          assert_int_equal(e->pfn, m.l1.pfn[model_find(&m.l1, tag)]);
        if (!e) { /* the walk's refill: the tag is in neither level */
          vmsim__tlb_refill(&tlb, tag, NULL, pfn, true, false);
          model_fill(&m, tag, pfn);
        }
      } else if (dice < 88) {
        vmsim__tlb_fill(&tlb, tag, NULL, pfn, true, false);
        model_fill(&m, tag, pfn);
      } else if (dice < 99) {
        vmsim__tlb_invalidate(&tlb, tag);
        model_flush(&m, same_tag, tag);
      } else if (op % 4) {
        vmsim__tlb_flush_asid(&tlb, asid);
        model_flush(&m, same_asid, asid);
      } else {
        vmsim__tlb_flush_all(&tlb);
        model_flush(&m, any_tag, 0);
      }
      expect_model(&tlb, &m, op);
    }
    vmsim__tlb_destroy(&tlb);
  }
}

/*
 * A presence-filter bucket that overflows sticks at 255 (tlb.h): 300 tags
 * of one bucket (found by trying vpns in turn) in a single 512-way STLB
 * set. Flushing them all leaves the bucket at 255 and every flush still
 * finds its tag; only a flush of the whole level resets it.
 */
static void test_filter_sticky(void **state) {
  (void)state;
  const vmsim_tlb_config g = {4, 4, 512, 512};
  struct vmsim_tlb tlb;
  assert_ok(vmsim__tlb_init(&tlb, &g));
  uint64_t tags[300];
  size_t n = 0, bucket = vmsim__tlb_present_bucket(&tlb.l2, vmsim__tlb_tag(1, VA(0)));
  for (uint64_t vpn = 0; n < ARRAY_SIZE(tags); vpn++)
    if (vmsim__tlb_present_bucket(&tlb.l2, vmsim__tlb_tag(1, VA(vpn))) == bucket)
      tags[n++] = vmsim__tlb_tag(1, VA(vpn));
  for (size_t i = 0; i < n; i++)
    vmsim__tlb_fill(&tlb, tags[i], NULL, (vmsim_pfn_t)i, true, false);
  assert_int_equal(tlb.l2.present[bucket], VMSIM_TLB_PRESENT_STICKY);
  for (size_t i = 0; i < n; i++) {
    assert_true(vmsim__tlb_holds(&tlb, tags[i]));
    vmsim__tlb_invalidate(&tlb, tags[i]);
    assert_false(vmsim__tlb_holds(&tlb, tags[i]));
  }
  assert_int_equal(tlb.l2.present[bucket], VMSIM_TLB_PRESENT_STICKY);
  vmsim__tlb_flush_all(&tlb);
  assert_int_equal(tlb.l2.present[bucket], 0);
  expect_filter(&tlb.l2);
  vmsim__tlb_destroy(&tlb);
}

static void test_asid_isolation(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  init_default(&tlb);
  fill(&tlb, 1, 0x1234);
  assert_int_equal(probe(&tlb, 2, 0x1234), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, 1, 0x1234), VMSIM_TLB_L1_HIT);
  /* The largest ASID and the largest user vpn make a valid tag. */
  uint64_t top = (VMSIM_VA_LIMIT >> VMSIM_PAGE_SHIFT) - 1;
  fill(&tlb, VMSIM_TLB_MAX_ASID, top);
  assert_int_equal(probe(&tlb, VMSIM_TLB_MAX_ASID, top), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, VMSIM_TLB_MAX_ASID - 1, top), VMSIM_TLB_MISS);

  vmsim__tlb_flush_asid(&tlb, 2);
  assert_int_equal(probe(&tlb, 1, 0x1234), VMSIM_TLB_L1_HIT);
  vmsim__tlb_flush_asid(&tlb, 1);
  assert_int_equal(probe(&tlb, 1, 0x1234), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, VMSIM_TLB_MAX_ASID, top), VMSIM_TLB_L1_HIT);
  assert_int_equal(tlb.stats.flush_asid, 2);
  vmsim__tlb_destroy(&tlb);
}

static void test_flush(void **state) {
  (void)state;
  struct vmsim_tlb tlb;
  init_default(&tlb);
  fill(&tlb, 1, 10);
  fill(&tlb, 1, 11);
  fill(&tlb, 2, 10);
  /* Push 11 out of the L1 (set 11: 27, 43, 59, 75 fill it), so that only
   * the STLB holds it. */
  for (uint64_t vpn = 27; vpn <= 75; vpn += 16)
    fill(&tlb, 1, vpn);

  vmsim__tlb_flush_page(&tlb, 1, VA(10) + 0x123);
  vmsim__tlb_flush_page(&tlb, 1, VA(11));
  /* Gone from both levels: a miss, not an STLB hit. */
  assert_int_equal(probe(&tlb, 1, 10), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, 1, 11), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, 2, 10), VMSIM_TLB_L1_HIT);
  assert_int_equal(probe(&tlb, 1, 27), VMSIM_TLB_L1_HIT);
  assert_int_equal(tlb.stats.flush_page, 2);

  vmsim__tlb_flush_all(&tlb);
  assert_int_equal(probe(&tlb, 2, 10), VMSIM_TLB_MISS);
  assert_int_equal(probe(&tlb, 1, 27), VMSIM_TLB_MISS);
  assert_int_equal(tlb.stats.flush_all, 1);
  assert_int_equal(tlb.stats.flush_asid, 0);
  /* A flushed way is reused first. */
  fill(&tlb, 1, 10);
  assert_int_equal(probe(&tlb, 1, 10), VMSIM_TLB_L1_HIT);
  vmsim__tlb_destroy(&tlb);
}

#define NR_TEST_CPUS 70

static void cpus_init(struct vmsim_cpu *cpus, uint32_t n) {
  static const vmsim_tlb_config g = {16, 4, 64, 4};
  for (uint32_t i = 0; i < n; i++) {
    cpus[i].id = i;
    cpus[i].nid = 0;
    assert_ok(vmsim__tlb_init(&cpus[i].tlb, &g));
  }
}

static void cpus_destroy(struct vmsim_cpu *cpus, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    vmsim__tlb_destroy(&cpus[i].tlb);
}

static void test_shootdown(void **state) {
  (void)state;
  struct vmsim_cpu cpus[4];
  cpus_init(cpus, 4);
  for (uint32_t c = 0; c < 4; c++) {
    fill(&cpus[c].tlb, 7, 100);
    fill(&cpus[c].tlb, 7, 101);
  }
  /* Mask {0, 1} (and bit 5, beyond nr_cpus: ignored), initiator 0. */
  uint64_t mask[VMSIM_MAX_CPUS / 64] = {0x3 | 0x20};
  vmsim__tlb_shootdown_page(cpus, 4, mask, 0, 7, VA(100));
  static const uint64_t flushes[4] = {1, 1, 0, 0}, received[4] = {0, 1, 0, 0};
  for (uint32_t c = 0; c < 4; c++) {
    assert_int_equal(cpus[c].tlb.stats.flush_page, flushes[c]);
    assert_int_equal(cpus[c].tlb.stats.shootdowns, received[c]);
    /* Page 100 survives only where the mask did not reach; 101 everywhere. */
    assert_int_equal(probe(&cpus[c].tlb, 7, 100), c < 2 ? VMSIM_TLB_MISS : VMSIM_TLB_L1_HIT);
    assert_int_equal(probe(&cpus[c].tlb, 7, 101), VMSIM_TLB_L1_HIT);
  }

  /* kswapd on CPU 3, not in the mask {1, 2}: it flushes nothing itself. */
  mask[0] = 0x6;
  vmsim__tlb_shootdown_asid(cpus, 4, mask, 3, 7);
  static const uint64_t asid_flushes[4] = {0, 1, 1, 0}, received2[4] = {0, 2, 1, 0};
  for (uint32_t c = 0; c < 4; c++) {
    assert_int_equal(cpus[c].tlb.stats.flush_asid, asid_flushes[c]);
    assert_int_equal(cpus[c].tlb.stats.shootdowns, received2[c]);
    bool reached = c == 1 || c == 2;
    assert_int_equal(probe(&cpus[c].tlb, 7, 101), reached ? VMSIM_TLB_MISS : VMSIM_TLB_L1_HIT);
  }
  cpus_destroy(cpus, 4);
}

/*
 * flush_tlb_mm_range(): up to 33 pages (x86's tlb_single_page_flush_ceiling)
 * are flushed one by one, more as the whole address space; either way one
 * IPI, so one shootdown per receiving CPU.
 */
static void test_shootdown_range(void **state) {
  (void)state;
  struct vmsim_cpu cpus[2];
  cpus_init(cpus, 2);
  fill(&cpus[1].tlb, 7, 10);  /* inside the range */
  fill(&cpus[1].tlb, 7, 43);  /* just past it: 10 + 33 */
  uint64_t mask[VMSIM_MAX_CPUS / 64] = {0x3};
  vmsim__tlb_shootdown_range(cpus, 2, mask, 0, 7, VA(10), VA(43)); /* 33 pages */
  for (uint32_t c = 0; c < 2; c++) {
    assert_int_equal(cpus[c].tlb.stats.flush_page, 33);
    assert_int_equal(cpus[c].tlb.stats.flush_asid, 0);
    assert_int_equal(cpus[c].tlb.stats.shootdowns, c);
  }
  assert_int_equal(probe(&cpus[1].tlb, 7, 10), VMSIM_TLB_MISS);
  assert_int_equal(probe(&cpus[1].tlb, 7, 43), VMSIM_TLB_L1_HIT);
  vmsim__tlb_shootdown_range(cpus, 2, mask, 0, 7, VA(10), VA(44)); /* 34 pages */
  for (uint32_t c = 0; c < 2; c++) {
    assert_int_equal(cpus[c].tlb.stats.flush_page, 33);
    assert_int_equal(cpus[c].tlb.stats.flush_asid, 1);
    assert_int_equal(cpus[c].tlb.stats.shootdowns, 2 * c);
  }
  assert_int_equal(probe(&cpus[1].tlb, 7, 43), VMSIM_TLB_MISS);
  cpus_destroy(cpus, 2);
}

/* CPUs past the first mask word are reached through the right bit. */
static void test_shootdown_wide_mask(void **state) {
  (void)state;
  static struct vmsim_cpu cpus[NR_TEST_CPUS];
  cpus_init(cpus, NR_TEST_CPUS);
  for (uint32_t c = 0; c < NR_TEST_CPUS; c++)
    fill(&cpus[c].tlb, 3, 9);
  uint64_t mask[VMSIM_MAX_CPUS / 64] = {UINT64_C(1) << 63, (UINT64_C(1) << 1) | (UINT64_C(1) << 5)};
  /* CPUs 63, 65, 69; bit 5 of word 1 is CPU 69 = the last one. */
  vmsim__tlb_shootdown_page(cpus, NR_TEST_CPUS, mask, 0, 3, VA(9));
  for (uint32_t c = 0; c < NR_TEST_CPUS; c++) {
    bool reached = c == 63 || c == 65 || c == 69;
    assert_int_equal(cpus[c].tlb.stats.shootdowns, reached);
    assert_int_equal(probe(&cpus[c].tlb, 3, 9), reached ? VMSIM_TLB_MISS : VMSIM_TLB_L1_HIT);
  }
  cpus_destroy(cpus, NR_TEST_CPUS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_geometry),
    cmocka_unit_test(test_hit_counters),
    cmocka_unit_test(test_lru_eviction),
    cmocka_unit_test(test_lru_clock_past_2_32),
    cmocka_unit_test(test_lru_refill_past_2_32),
    cmocka_unit_test(test_lru_model),
    cmocka_unit_test(test_filter_sticky),
    cmocka_unit_test(test_asid_isolation),
    cmocka_unit_test(test_flush),
    cmocka_unit_test(test_shootdown),
    cmocka_unit_test(test_shootdown_wide_mask),
    cmocka_unit_test(test_shootdown_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
