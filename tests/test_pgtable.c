/* SPDX-License-Identifier: MIT */
/* The simulated page tables: PTE encodings, the radix tree, the walk. */
#include "vmsim_test.h"

#include "pgtable.h"

#define KIB(n) ((uint64_t)(n) << 10)
#define MIB(n) ((uint64_t)(n) << 20)
#define GIB(n) ((uint64_t)(n) << 30)
#define PGD_SPAN (UINT64_C(1) << 39) /* 512 GiB */

/* Host allocations not yet freed, as the shim counts them. */
static uint64_t live_allocs(void) {
  vmsim_alloc_stats st;
  vmsim_alloc_get_stats(&st);
  return st.nr_allocs - st.nr_frees;
}

/* Map `vaddr` to `pte`, creating tables. */
static void map(struct vmsim_pgtable *pt, uint64_t vaddr, vmsim_pte_t pte) {
  vmsim_pte_t *ptep = vmsim__pte_alloc(pt, vaddr);
  assert_non_null(ptep);
  vmsim__pte_set(pt, vaddr, ptep, pte);
}

static void unmap(struct vmsim_pgtable *pt, uint64_t vaddr) {
  vmsim_pte_t *ptep = vmsim__pte_lookup(pt, vaddr, NULL);
  assert_non_null(ptep);
  vmsim__pte_set(pt, vaddr, ptep, 0);
}

static void test_present_encoding(void **state) {
  (void)state;
  vmsim_pte_t pte = vmsim_pte_mk(0x12345, VMSIM_PTE_WRITE | VMSIM_PTE_USER);
  /* 0x12345 << 12 | USER 4 | WRITE 2 | PRESENT 1 */
  assert_int_equal(pte, UINT64_C(0x12345007));
  assert_int_equal(vmsim_pte_pfn(pte), 0x12345);
  assert_true(vmsim_pte_present(pte));
  assert_true(vmsim_pte_write(pte));
  assert_false(vmsim_pte_young(pte));
  assert_false(vmsim_pte_dirty(pte));
  assert_false(vmsim_pte_none(pte));
  assert_false(vmsim_pte_is_swap(pte));
  assert_false(vmsim_pte_is_file(pte));

  pte = vmsim__pte_mkdirty(vmsim__pte_mkyoung(pte));
  assert_int_equal(pte, UINT64_C(0x12345067)); /* + ACCESSED 0x20 + DIRTY 0x40 */
  assert_true(vmsim_pte_young(pte) && vmsim_pte_dirty(pte));
  pte = vmsim__pte_wrprotect(vmsim__pte_mkclean(vmsim__pte_mkold(pte)));
  assert_int_equal(pte, UINT64_C(0x12345005));
  assert_int_equal(vmsim__pte_mkwrite(pte), UINT64_C(0x12345007));

  /* The largest pfn a vmsim_pfn_t holds survives the round trip. */
  assert_int_equal(vmsim_pte_pfn(vmsim_pte_mk(UINT32_MAX - 1, 0)), UINT32_MAX - 1);
  assert_true(vmsim_pte_none(0));
  assert_false(vmsim_pte_present(0));
}

static void test_swap_and_file_encoding(void **state) {
  (void)state;
  vmsim_pte_t swp = vmsim_swp_entry(31, UINT64_C(1) << 40);
  /* offset 2^40 << 12 = 2^52; type 31 << 2 = 0x7c; SWP 0x2 */
  assert_int_equal(swp, (UINT64_C(1) << 52) | 0x7e);
  assert_int_equal(vmsim_swp_type(swp), 31);
  assert_int_equal(vmsim_swp_offset(swp), UINT64_C(1) << 40);
  assert_true(vmsim_pte_is_swap(swp));
  assert_false(vmsim_pte_present(swp));
  assert_false(vmsim_pte_is_file(swp));
  assert_false(vmsim_pte_none(swp));

  /* The first slot of the first device is still not pte_none. */
  vmsim_pte_t first = vmsim_swp_entry(0, 0);
  assert_true(vmsim_pte_is_swap(first) && !vmsim_pte_none(first));
  assert_int_equal(vmsim_swp_type(first), 0);
  assert_int_equal(vmsim_swp_offset(first), 0);
  /* The largest offset fills bits 12..63. */
  vmsim_pte_t last = vmsim_swp_entry(5, VMSIM_SWP_OFFSET_MAX);
  assert_int_equal(vmsim_swp_offset(last), VMSIM_SWP_OFFSET_MAX);
  assert_int_equal(vmsim_swp_type(last), 5);

  vmsim_pte_t file = vmsim_pte_mkfile();
  assert_int_equal(file, 0x80);
  assert_true(vmsim_pte_is_file(file));
  assert_false(vmsim_pte_is_swap(file));
  assert_false(vmsim_pte_present(file));
  assert_false(vmsim_pte_none(file));
  /* A present PTE is neither, whatever its other bits. */
  assert_false(vmsim_pte_is_file(vmsim_pte_mk(1, VMSIM_PTE_WRITE | 0x80)));
  assert_false(vmsim_pte_is_swap(vmsim_pte_mk(1, VMSIM_PTE_WRITE)));
}

/* Addresses whose indices differ at every level. */
static const struct {
  uint64_t vaddr;
  unsigned idx[4]; /* PGD, PUD, PMD, PTE table */
} spots[] = {
  {0x1000, {0, 0, 0, 1}},
  {GIB(1) + MIB(2) * 3 + KIB(4) * 5, {0, 1, 3, 5}},
  {PGD_SPAN * 5 + GIB(7) + MIB(2) * 9 + KIB(4) * 11, {5, 7, 9, 11}},
  {VMSIM_VA_LIMIT - VMSIM_PAGE_SIZE, {255, 511, 511, 511}},
};

static void test_set_and_lookup(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  assert_ok(vmsim__pgtable_init(&pt));
  for (unsigned i = 0; i < ARRAY_SIZE(spots); i++) {
    for (unsigned l = 0; l < 4; l++)
      assert_int_equal(vmsim__pt_index(spots[i].vaddr, l), spots[i].idx[l]);
    map(&pt, spots[i].vaddr, vmsim_pte_mk(100 + i, VMSIM_PTE_WRITE));
  }
  for (unsigned i = 0; i < ARRAY_SIZE(spots); i++) {
    unsigned levels = 0;
    /* Any address inside the page finds the same slot. */
    vmsim_pte_t *ptep = vmsim__pte_lookup(&pt, spots[i].vaddr + 123, &levels);
    assert_non_null(ptep);
    assert_int_equal(levels, 4);
    assert_int_equal(vmsim_pte_pfn(*ptep), 100 + i);
    assert_ptr_equal(ptep, vmsim__pte_alloc(&pt, spots[i].vaddr));
  }

  unsigned levels = 99;
  /* A neighbour in a present leaf: an empty slot, all four tables read. */
  vmsim_pte_t *ptep = vmsim__pte_lookup(&pt, 0x2000, &levels);
  assert_non_null(ptep);
  assert_int_equal(*ptep, 0);
  assert_int_equal(levels, 4);
  /* PGD slot 1 is empty: only the PGD read. */
  assert_null(vmsim__pte_lookup(&pt, PGD_SPAN, &levels));
  assert_int_equal(levels, 1);
  /* PGD slot 0 present, its PUD slot 2 empty: PGD + PUD read. */
  assert_null(vmsim__pte_lookup(&pt, GIB(2), &levels));
  assert_int_equal(levels, 2);
  /* PUD slot 0 present, PMD slot 1 empty: three tables read. */
  assert_null(vmsim__pte_lookup(&pt, MIB(2), &levels));
  assert_int_equal(levels, 3);
  vmsim__pgtable_destroy(&pt);
}

/*
 * nr_tables by hand. init: the PGD (1).
 *   map 0          + PUD[0] + PMD[0,0] + leaf[0,0,0]           = 4
 *   map 1 GiB      same PUD; + PMD[0,1] + leaf[0,1,0]          = 6
 *   map 4 KiB      same leaf as 0                              = 6
 *   map 2 MiB      same PMD as 0; + leaf[0,0,1]                = 7
 *   map 512 GiB    + PUD[1] + PMD + leaf                       = 10
 *   unmap 512 GiB  its leaf, PMD and PUD are freed             = 7
 *   unmap 1 GiB    leaf[0,1,0] and PMD[0,1] freed              = 5
 *   unmap 2 MiB    leaf[0,0,1] freed                           = 4
 *   unmap 0        leaf[0,0,0] keeps 4 KiB                     = 4
 *   unmap 4 KiB    leaf, PMD, PUD freed; the PGD stays         = 1
 */
static void test_nr_tables(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  uint64_t live0 = live_allocs();
  assert_ok(vmsim__pgtable_init(&pt));
  assert_int_equal(pt.nr_tables, 1);
  static const struct {
    bool map;
    uint64_t vaddr;
    uint64_t nr_tables;
  } script[] = {
    {true, 0, 4},          {true, GIB(1), 6},       {true, KIB(4), 6},
    {true, MIB(2), 7},     {true, PGD_SPAN, 10},    {false, PGD_SPAN, 7},
    {false, GIB(1), 5},    {false, MIB(2), 4},      {false, 0, 4},
    {false, KIB(4), 1},
  };
  for (unsigned i = 0; i < ARRAY_SIZE(script); i++) {
    if (script[i].map)
      map(&pt, script[i].vaddr, vmsim_pte_mk(7, 0));
    else
      unmap(&pt, script[i].vaddr);
    if (pt.nr_tables != script[i].nr_tables)
      fail_msg("step %u: %" PRIu64 " tables, expected %" PRIu64, i, pt.nr_tables,
               script[i].nr_tables);
    assert_int_equal(live_allocs() - live0, pt.nr_tables);
  }
  /* After step 5 the PGD's PUD[0] held 2 PMDs; now it is gone entirely. */
  for (unsigned i = 0; i < VMSIM_PT_ENTRIES; i++) {
    assert_null(pt.pgd->entry[i]);
    assert_int_equal(pt.pgd->nr_used[i], 0);
  }
  /* A table created by alloc and never filled is freed by writing 0. */
  vmsim_pte_t *ptep = vmsim__pte_alloc(&pt, GIB(3));
  assert_int_equal(pt.nr_tables, 4);
  vmsim__pte_set(&pt, GIB(3), ptep, 0);
  assert_int_equal(pt.nr_tables, 1);
  vmsim__pgtable_destroy(&pt);
  assert_int_equal(live_allocs(), live0);
}

/* Counts in the upper tables follow non-zero-ness, not value changes. */
static void test_counts(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  assert_ok(vmsim__pgtable_init(&pt));
  map(&pt, 0x1000, vmsim_pte_mk(1, 0));
  map(&pt, 0x2000, vmsim_pte_mk(2, 0));
  map(&pt, 0x3000, vmsim_swp_entry(0, 0));
  struct vmsim_pgdir *pud = pt.pgd->entry[0], *pmd = pud->entry[0];
  assert_int_equal(pt.pgd->nr_used[0], 1); /* PUD has 1 PMD */
  assert_int_equal(pud->nr_used[0], 1);     /* PMD has 1 leaf */
  assert_int_equal(pmd->nr_used[0], 3);     /* leaf has 3 entries */
  /* Non-zero to non-zero: no count changes. */
  vmsim_pte_t *ptep = vmsim__pte_lookup(&pt, 0x1000, NULL);
  vmsim__pte_set(&pt, 0x1000, ptep, vmsim__pte_mkyoung(*ptep));
  vmsim__pte_set(&pt, 0x3000, vmsim__pte_lookup(&pt, 0x3000, NULL), vmsim_pte_mkfile());
  assert_int_equal(pmd->nr_used[0], 3);
  /* Zero to zero in a live leaf: nothing. */
  vmsim__pte_set(&pt, 0x4000, vmsim__pte_lookup(&pt, 0x4000, NULL), 0);
  assert_int_equal(pmd->nr_used[0], 3);
  unmap(&pt, 0x2000);
  assert_int_equal(pmd->nr_used[0], 2);
  assert_int_equal(pt.nr_tables, 4);
  vmsim__pgtable_destroy(&pt);
}

/* Entries in address order; entry i maps pfn i + 1 (walk_cb checks it). */
static const uint64_t walk_addrs[] = {
  0x1000,                              /* leaf [0,0,0], first entries */
  0x2000,
  MIB(2) - KIB(4),                     /* last slot of leaf [0,0,0] */
  MIB(2),                              /* leaf [0,0,1] */
  GIB(1),                              /* PMD [0,1] */
  PGD_SPAN * 5,                        /* PUD [5] */
  VMSIM_VA_LIMIT - VMSIM_PAGE_SIZE,    /* the very last page */
};
#define NR_WALK ARRAY_SIZE(walk_addrs)

/* The walk's record of what it saw, and what it does to each entry. */
struct walk_log {
  struct vmsim_pgtable *pt;
  uint64_t seen[16];
  unsigned nr;
  enum { WALK_LOOK, WALK_CLEAR, WALK_CLEAR_ODD, WALK_STOP_AT_3 } action;
};

static int walk_cb(void *arg, uint64_t vaddr, vmsim_pte_t *ptep) {
  struct walk_log *log = arg;
  assert_true(log->nr < ARRAY_SIZE(log->seen));
  assert_ptr_equal(ptep, vmsim__pte_lookup(log->pt, vaddr, NULL));
  assert_int_equal(walk_addrs[vmsim_pte_pfn(*ptep) - 1], vaddr);
  unsigned n = log->nr;
  log->seen[log->nr++] = vaddr;
  switch (log->action) {
  case WALK_LOOK:
    return 0;
  case WALK_CLEAR:
    vmsim__pte_set(log->pt, vaddr, ptep, 0);
    return 0;
  case WALK_CLEAR_ODD: /* clear the 2nd, 4th..., age the others in place */
    if (n % 2)
      vmsim__pte_set(log->pt, vaddr, ptep, 0);
    else
      *ptep = vmsim__pte_mkold(*ptep);
    return 0;
  case WALK_STOP_AT_3:
    return n == 2 ? 42 : 0;
  }
  return -1;
}


static void walk_setup(struct vmsim_pgtable *pt, struct walk_log *log, int action) {
  assert_ok(vmsim__pgtable_init(pt));
  /* Mapped in reverse so that the order seen is the walk's own. */
  for (unsigned i = NR_WALK; i-- > 0;)
    map(pt, walk_addrs[i], vmsim_pte_mk(i + 1, VMSIM_PTE_ACCESSED));
  *log = (struct walk_log){.pt = pt, .action = action};
}

/* Walk [0, end) and check every entry was seen once, in order. */
static void walk_all(struct vmsim_pgtable *pt, struct walk_log *log, uint64_t end) {
  assert_int_equal(vmsim__pgtable_walk(pt, 0, end, walk_cb, log), 0);
  assert_int_equal(log->nr, NR_WALK);
  assert_memory_equal(log->seen, walk_addrs, sizeof(walk_addrs));
}

static void test_walk_order(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  struct walk_log log;
  walk_setup(&pt, &log, WALK_LOOK);
  /* The whole user half: absent tables must be skipped, or this takes
   * 2^35 steps and times out. */
  walk_all(&pt, &log, UINT64_MAX);
  /* nr_tables: PGD + PUD[0] + PMD[0,0] + 2 leaves + PMD[0,1] + leaf
   * + PUD[5] + PMD + leaf + PUD[255] + PMD + leaf = 13 */
  assert_int_equal(pt.nr_tables, 13);
  vmsim__pgtable_destroy(&pt);
}

static void test_walk_range(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  struct walk_log log;
  walk_setup(&pt, &log, WALK_LOOK);
  /* [0x2800, 2 MiB): the page of 0x2800 overlaps it, 2 MiB is excluded. */
  assert_int_equal(vmsim__pgtable_walk(&pt, 0x2800, MIB(2), walk_cb, &log), 0);
  assert_int_equal(log.nr, 2);
  assert_int_equal(log.seen[0], 0x2000);
  assert_int_equal(log.seen[1], MIB(2) - KIB(4));
  /* Empty and inverted ranges visit nothing. */
  log.nr = 0;
  assert_int_equal(vmsim__pgtable_walk(&pt, GIB(2), GIB(2), walk_cb, &log), 0);
  assert_int_equal(vmsim__pgtable_walk(&pt, GIB(2), GIB(1), walk_cb, &log), 0);
  assert_int_equal(vmsim__pgtable_walk(&pt, VMSIM_VA_LIMIT, UINT64_MAX, walk_cb, &log), 0);
  assert_int_equal(log.nr, 0);
  vmsim__pgtable_destroy(&pt);
}

static void test_walk_clearing(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  struct walk_log log;
  uint64_t live0 = live_allocs();
  /* Clearing every entry frees each table as its last entry goes, under
   * the walk's feet; the walk must still see all of them, in order. */
  walk_setup(&pt, &log, WALK_CLEAR);
  walk_all(&pt, &log, VMSIM_VA_LIMIT);
  assert_int_equal(pt.nr_tables, 1);
  vmsim__pgtable_destroy(&pt);
  assert_int_equal(live_allocs(), live0);

  /* Clearing every other one: 0x2000, 2 MiB (a whole leaf), 512 GiB * 5
   * (a whole PUD) go; the others stay, made old in place. */
  walk_setup(&pt, &log, WALK_CLEAR_ODD);
  walk_all(&pt, &log, VMSIM_VA_LIMIT);
  for (unsigned i = 0; i < NR_WALK; i++) {
    vmsim_pte_t *ptep = vmsim__pte_lookup(&pt, walk_addrs[i], NULL);
    if (i % 2) {
      assert_true(ptep == NULL || *ptep == 0);
    } else {
      assert_non_null(ptep);
      assert_int_equal(*ptep, vmsim_pte_mk(i + 1, 0));
    }
  }
  /* Left: PGD 1, PUD[0] > PMD[0,0] > leaf[0,0,0] 3, PMD[0,1] > leaf 2,
   * PUD[255] > PMD > leaf 3: 9 */
  assert_int_equal(pt.nr_tables, 9);
  vmsim__pgtable_destroy(&pt);
  assert_int_equal(live_allocs(), live0);
}

static void test_walk_stop(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  struct walk_log log;
  walk_setup(&pt, &log, WALK_STOP_AT_3);
  assert_int_equal(vmsim__pgtable_walk(&pt, 0, VMSIM_VA_LIMIT, walk_cb, &log), 42);
  assert_int_equal(log.nr, 3);
  vmsim__pgtable_destroy(&pt);
}

static void test_va_limit(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  assert_ok(vmsim__pgtable_init(&pt));
  static const uint64_t bad[] = {VMSIM_VA_LIMIT, VMSIM_VA_LIMIT + 0x1000, UINT64_C(1) << 48,
                                 UINT64_C(0xffff800000000000), UINT64_MAX};
  for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
    unsigned levels = 99;
    assert_null(vmsim__pte_lookup(&pt, bad[i], &levels));
    assert_int_equal(levels, 0);
    assert_null(vmsim__pte_alloc(&pt, bad[i]));
  }
  assert_int_equal(pt.nr_tables, 1);
  vmsim__pgtable_destroy(&pt);
}

static void test_alloc_failure(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  uint64_t live0 = live_allocs();

  vmsim_alloc_fail_after(1, false);
  assert_int_equal(vmsim__pgtable_init(&pt), VMSIM_ENOMEM);
  assert_int_equal(live_allocs(), live0);

  /* Into an empty tree, 0x1000 needs PUD, PMD, leaf: fail each in turn. */
  assert_ok(vmsim__pgtable_init(&pt));
  for (uint64_t nth = 1; nth <= 3; nth++) {
    vmsim_alloc_fail_after(nth, false);
    assert_null(vmsim__pte_alloc(&pt, 0x1000));
    vmsim_alloc_fail_after(0, false);
    assert_int_equal(pt.nr_tables, 1);
    assert_int_equal(live_allocs() - live0, 1);
    assert_null(pt.pgd->entry[0]);
  }
  /* With 0 mapped (4 tables), 1 GiB needs a PMD and a leaf under the
   * existing PUD: failing the leaf must free the new PMD but not the PUD. */
  map(&pt, 0, vmsim_pte_mk(1, 0));
  for (uint64_t nth = 1; nth <= 2; nth++) {
    vmsim_alloc_fail_after(nth, false);
    assert_null(vmsim__pte_alloc(&pt, GIB(1)));
    vmsim_alloc_fail_after(0, false);
    assert_int_equal(pt.nr_tables, 4);
    assert_int_equal(live_allocs() - live0, 4);
    assert_int_equal(pt.pgd->nr_used[0], 1);
  }
  vmsim__pgtable_destroy(&pt);
  assert_int_equal(live_allocs(), live0);
}

/* The walk of pgtable.h done by hand from the PGD, remembering nothing:
 * the slot of `vaddr` (or NULL) and the tables read (see pte_lookup). */
static vmsim_pte_t *walk_by_hand(const struct vmsim_pgtable *pt, uint64_t vaddr, unsigned *levels) {
  const struct vmsim_pgdir *pud = pt->pgd->entry[(vaddr >> 39) & 511];
  if (!pud)
    return *levels = 1, NULL;
  const struct vmsim_pgdir *pmd = pud->entry[(vaddr >> 30) & 511];
  if (!pmd)
    return *levels = 2, NULL;
  vmsim_pte_t *leaf = pmd->entry[(vaddr >> 21) & 511];
  if (!leaf)
    return *levels = 3, NULL;
  return *levels = 4, &leaf[(vaddr >> 12) & 511];
}

/*
 * The lookup remembers the last gigabyte's PMD table (pgtable.h): it must
 * forget it when that table is freed, and never answer other than the
 * walk by hand. First by hand: 0x1000 and 1 GiB + 0x1000 mapped, a lookup
 * of 0x1000 remembers gigabyte 0; unmapping 0x1000 empties its leaf, then
 * gigabyte 0's PMD (the PUD stays, for gigabyte 1): the next lookup of
 * 0x1000 reads the PGD and the PUD only and finds nothing. Then 20,000
 * random maps, unmaps and lookups over pages in 3 gigabytes of 2 PGD
 * entries (few enough pages that tables empty and go often), each lookup
 * against the walk by hand. Under ASan a stale PMD pointer is also a
 * use after free.
 */
static void test_lookup_remembers_pmd(void **state) {
  (void)state;
  struct vmsim_pgtable pt;
  unsigned levels, want_levels;
  assert_ok(vmsim__pgtable_init(&pt));
  map(&pt, KIB(4), vmsim_pte_mk(1, 0));
  map(&pt, GIB(1) + KIB(4), vmsim_pte_mk(2, 0));
  assert_non_null(vmsim__pte_lookup(&pt, KIB(4), &levels));
  assert_int_equal(pt.pmd_gb, 0);
  unmap(&pt, KIB(4));
  assert_true(pt.pmd_gb == VMSIM_PMD_GB_NONE);
  assert_null(vmsim__pte_lookup(&pt, KIB(4), &levels));
  assert_int_equal(levels, 2);
  assert_int_equal(pt.nr_tables, 4); /* PGD, PUD, gigabyte 1's PMD and leaf */

  static const uint64_t base[3] = {0, GIB(1), PGD_SPAN * 3 + GIB(5)};
  bool mapped[3][64] = {{false}};
  uint64_t x = 0x9e3779b97f4a7c15;
  for (int op = 0; op < 20000; op++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
    unsigned g = (unsigned)(x % 3), k = (unsigned)(x >> 8) % 64;
    /* 64 pages: 8 in each of 8 leaf tables (2 MiB apart) */
    uint64_t vaddr = base[g] + MIB(2) * (k / 8) + KIB(4) * (k % 8);
    vmsim_pte_t *want = walk_by_hand(&pt, vaddr, &want_levels);
    vmsim_pte_t *got = vmsim__pte_lookup(&pt, vaddr, &levels);
    if (got != want || levels != want_levels)
      fail_msg("op %d: lookup of %#" PRIx64 " gave %p (%u tables), by hand %p (%u)", op, vaddr,
               (void *)got, levels, (void *)want, want_levels);
    if ((x >> 40) & 1) {
      if (!mapped[g][k])
        map(&pt, vaddr, vmsim_pte_mk(k + 1, 0));
      mapped[g][k] = true;
    } else if (mapped[g][k]) {
      unmap(&pt, vaddr);
      mapped[g][k] = false;
    }
  }
  vmsim__pgtable_destroy(&pt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_present_encoding),
    cmocka_unit_test(test_swap_and_file_encoding),
    cmocka_unit_test(test_set_and_lookup),
    cmocka_unit_test(test_nr_tables),
    cmocka_unit_test(test_counts),
    cmocka_unit_test(test_walk_order),
    cmocka_unit_test(test_walk_range),
    cmocka_unit_test(test_walk_clearing),
    cmocka_unit_test(test_walk_stop),
    cmocka_unit_test(test_va_limit),
    cmocka_unit_test(test_alloc_failure),
    cmocka_unit_test(test_lookup_remembers_pmd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
