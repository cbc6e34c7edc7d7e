/* SPDX-License-Identifier: MIT */
/* The simulated MMU: translation, accessed/dirty bits, faults, costs. */
#include "vmsim_test.h"

#include "mmu.h"

#define ASID 5
#define NR_CPUS 2

/* Two CPUs with the default TLBs, one address space, the default costs
 * (L1 hit 1 ns, STLB hit +7 ns, 25 ns per table read). */
struct machine {
  struct vmsim_cpu cpus[NR_CPUS];
  struct vmsim_pgtable pt;
  vmsim_cost_config costs;
  uint64_t mask[VMSIM_MAX_CPUS / 64]; /* CPUs that ran the address space */
};

static int setup_with(void **state, uint32_t l2_entries) {
  struct machine *m = test_calloc(1, sizeof(*m));
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.tlb.l2_entries = l2_entries;
  m->costs = cfg.cost;
  for (uint32_t c = 0; c < NR_CPUS; c++) {
    m->cpus[c].id = c;
    assert_ok(vmsim__tlb_init(&m->cpus[c].tlb, &cfg.tlb));
  }
  assert_ok(vmsim__pgtable_init(&m->pt));
  m->mask[0] = (UINT64_C(1) << NR_CPUS) - 1;
  *state = m;
  return 0;
}

static int setup(void **state) { return setup_with(state, 1536); }
static int setup_no_l2(void **state) { return setup_with(state, 0); }

static int teardown(void **state) {
  struct machine *m = *state;
  for (uint32_t c = 0; c < NR_CPUS; c++)
    vmsim__tlb_destroy(&m->cpus[c].tlb);
  vmsim__pgtable_destroy(&m->pt);
  test_free(m);
  return 0;
}

static vmsim_pte_t *map(struct machine *m, uint64_t vaddr, vmsim_pte_t pte) {
  vmsim_pte_t *ptep = vmsim__pte_alloc(&m->pt, vaddr);
  assert_non_null(ptep);
  vmsim__pte_set(&m->pt, vaddr, ptep, pte);
  return ptep;
}

/* One access on `cpu`; *cost gets only this access's cost. */
static int access(struct machine *m, uint32_t cpu, uint64_t vaddr, bool is_write,
                  vmsim_pfn_t *pfn, vmsim_time_t *cost) {
  *cost = 0;
  *pfn = VMSIM_PFN_NONE;
  return vmsim__mmu_translate(&m->cpus[cpu], &m->pt, ASID, vaddr, is_write, pfn, cost, &m->costs);
}

static void test_read_sets_accessed(void **state) {
  struct machine *m = *state;
  vmsim_pte_t *ptep = map(m, 0x400000, vmsim_pte_mk(42, VMSIM_PTE_WRITE | VMSIM_PTE_USER));
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  assert_int_equal(access(m, 0, 0x400123, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(pfn, 42);
  assert_int_equal(*ptep, vmsim_pte_mk(42, VMSIM_PTE_WRITE | VMSIM_PTE_USER | VMSIM_PTE_ACCESSED));
  assert_int_equal(m->cpus[0].tlb.stats.misses, 1);
  /* Reads through the TLB change nothing more. */
  assert_int_equal(access(m, 0, 0x400000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_false(vmsim_pte_dirty(*ptep));
  assert_int_equal(m->cpus[0].tlb.stats.l1_hits, 1);
}

static void test_write_sets_dirty(void **state) {
  struct machine *m = *state;
  vmsim_pte_t *ptep = map(m, 0x400000, vmsim_pte_mk(42, VMSIM_PTE_WRITE));
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  assert_int_equal(access(m, 0, 0x400000, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(pfn, 42);
  assert_int_equal(*ptep,
                   vmsim_pte_mk(42, VMSIM_PTE_WRITE | VMSIM_PTE_ACCESSED | VMSIM_PTE_DIRTY));
  /* The TLB entry was filled dirty, so after a mkclean without a flush a
   * write through it leaves D clear (SDM: software that clears D must
   * invalidate, or later writes may go unrecorded). */
  *ptep = vmsim__pte_mkclean(*ptep);
  assert_int_equal(access(m, 0, 0x400000, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_false(vmsim_pte_dirty(*ptep));
}

/* read (miss, walk), then write: the L1 entry is clean, so the write sets D
 * in the PTE through the cached ptep, with no second walk. */
static void test_first_write_through_clean_entry(void **state) {
  struct machine *m = *state;
  vmsim_pte_t *ptep = map(m, 0x7000, vmsim_pte_mk(9, VMSIM_PTE_WRITE));
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  assert_int_equal(access(m, 1, 0x7000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_false(vmsim_pte_dirty(*ptep));
  assert_int_equal(access(m, 1, 0x7008, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(pfn, 9);
  assert_true(vmsim_pte_dirty(*ptep));
  assert_int_equal(cost, 1); /* an L1 hit */
  struct vmsim_tlb_stats *st = &m->cpus[1].tlb.stats;
  assert_int_equal(st->misses, 1);
  assert_int_equal(st->l1_hits, 1);
  /* CPU 0 never saw it. */
  assert_int_equal(m->cpus[0].tlb.stats.misses, 0);
}

static void test_clear_young_forces_walk(void **state) {
  struct machine *m = *state;
  uint64_t va = 0x12345000;
  vmsim_pte_t *ptep = map(m, va, vmsim_pte_mk(3, VMSIM_PTE_WRITE));
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  assert_int_equal(access(m, 0, va, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(access(m, 1, va, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_true(vmsim_pte_young(*ptep));

  /* Reclaim (initiator 0) clears A: both CPUs lose the entry. */
  assert_true(vmsim__ptep_test_and_clear_young(m->cpus, NR_CPUS, m->mask, 0, ASID, va, ptep));
  assert_false(vmsim_pte_young(*ptep));
  assert_int_equal(m->cpus[0].tlb.stats.flush_page, 1);
  assert_int_equal(m->cpus[1].tlb.stats.shootdowns, 1);
  /* Already old: no flush at all. */
  assert_false(vmsim__ptep_test_and_clear_young(m->cpus, NR_CPUS, m->mask, 0, ASID, va, ptep));
  assert_int_equal(m->cpus[0].tlb.stats.flush_page, 1);
  assert_int_equal(m->cpus[1].tlb.stats.shootdowns, 1);

  /* The next access misses (no STLB hit either), walks (108 ns), sets A. */
  assert_int_equal(access(m, 1, va, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(m->cpus[1].tlb.stats.misses, 2);
  assert_int_equal(m->cpus[1].tlb.stats.l2_hits, 0);
  assert_int_equal(cost, 108);
  assert_true(vmsim_pte_young(*ptep));

  /* A non-present entry is not touched (bit 5 is a swap-type bit there). */
  vmsim_pte_t swp = vmsim_swp_entry(31, 1);
  assert_false(vmsim__ptep_test_and_clear_young(m->cpus, NR_CPUS, m->mask, 0, ASID, va, &swp));
  assert_int_equal(swp, vmsim_swp_entry(31, 1));
}

static void test_write_protect_fault(void **state) {
  struct machine *m = *state;
  vmsim_pte_t ro = vmsim_pte_mk(5, VMSIM_PTE_USER);
  vmsim_pte_t *ptep = map(m, 0x9000, ro);
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  struct vmsim_tlb_stats *st = &m->cpus[0].tlb.stats;

  /* A write walk to a read-only PTE: fault, PTE untouched, nothing cached. */
  assert_int_equal(access(m, 0, 0x9000, true, &pfn, &cost), VMSIM_MMU_FAULT_PROT);
  assert_int_equal(*ptep, ro);
  assert_int_equal(pfn, VMSIM_PFN_NONE);
  /* A read caches a read-only entry; a write through it faults, leaves
   * no D bit, and drops the entry (so the read after it walks again). */
  assert_int_equal(access(m, 0, 0x9000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(*ptep, ro | VMSIM_PTE_ACCESSED);
  assert_int_equal(access(m, 0, 0x9000, true, &pfn, &cost), VMSIM_MMU_FAULT_PROT);
  assert_int_equal(*ptep, ro | VMSIM_PTE_ACCESSED);
  assert_int_equal(st->misses, 2);
  assert_int_equal(st->l1_hits, 1);
  /* The fault handler makes it writable (in place: non-zero to non-zero)
   * and retries: the walk sees the new PTE. */
  *ptep = vmsim__pte_mkwrite(*ptep);
  assert_int_equal(access(m, 0, 0x9000, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(st->misses, 3);
  assert_true(vmsim_pte_dirty(*ptep));

  /* A read-only but dirty PTE (wrprotected for COW) must still fault. */
  *ptep = vmsim__pte_wrprotect(*ptep);
  vmsim__tlb_flush_page(&m->cpus[0].tlb, ASID, 0x9000);
  assert_int_equal(access(m, 0, 0x9000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(access(m, 0, 0x9000, true, &pfn, &cost), VMSIM_MMU_FAULT_PROT);
}

static void test_not_present(void **state) {
  struct machine *m = *state;
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  /* No table at all: the PGD read only. 1 + 7 + 1 * 25 = 33 */
  assert_int_equal(access(m, 0, 0x5000, false, &pfn, &cost), VMSIM_MMU_FAULT_NOT_PRESENT);
  assert_int_equal(cost, 33);
  /* A swap entry and a file marker in a leaf: 4 tables read, 108 ns. */
  map(m, 0x5000, vmsim_swp_entry(2, 77));
  map(m, 0x6000, vmsim_pte_mkfile());
  assert_int_equal(access(m, 0, 0x5000, true, &pfn, &cost), VMSIM_MMU_FAULT_NOT_PRESENT);
  assert_int_equal(cost, 108);
  assert_int_equal(access(m, 0, 0x6000, false, &pfn, &cost), VMSIM_MMU_FAULT_NOT_PRESENT);
  /* An empty slot of a present leaf, and an address out of range. */
  assert_int_equal(access(m, 0, 0x7000, false, &pfn, &cost), VMSIM_MMU_FAULT_NOT_PRESENT);
  assert_int_equal(access(m, 0, VMSIM_VA_LIMIT, false, &pfn, &cost),
                   VMSIM_MMU_FAULT_NOT_PRESENT);
  assert_int_equal(cost, 1); /* no TLB lookup, no table read */
  assert_int_equal(pfn, VMSIM_PFN_NONE);
  /* 2^48 would be tag (ASID + 1, vpn 0) if it reached the TLB. */
  vmsim__tlb_fill(&m->cpus[0].tlb, vmsim__tlb_tag(ASID + 1, 0), NULL, 1, true, true);
  assert_int_equal(access(m, 0, UINT64_C(1) << 48, false, &pfn, &cost),
                   VMSIM_MMU_FAULT_NOT_PRESENT);
  /* The encodings are intact: faults do not set bits. */
  assert_int_equal(*vmsim__pte_lookup(&m->pt, 0x5000, NULL), vmsim_swp_entry(2, 77));
  assert_int_equal(*vmsim__pte_lookup(&m->pt, 0x6000, NULL), vmsim_pte_mkfile());
  assert_int_equal(m->cpus[0].tlb.stats.misses, 4);
}

/*
 * Default costs: L1 hit 1, STLB hit 1 + 7 = 8, walk 1 + 7 + 4 * 25 = 108.
 * Pages 0, 16, 32, 48, 64 share L1 set 0 (4 ways) and have STLB sets of
 * their own: after reading all five, page 0 is only in the STLB.
 */
static void test_costs(void **state) {
  struct machine *m = *state;
  vmsim_pfn_t pfn;
  vmsim_time_t cost, total = 0;
  for (uint64_t vpn = 0; vpn <= 64; vpn += 16)
    map(m, vpn << VMSIM_PAGE_SHIFT, vmsim_pte_mk((vmsim_pfn_t)vpn + 1, VMSIM_PTE_WRITE));
  for (uint64_t vpn = 0; vpn <= 64; vpn += 16) {
    assert_int_equal(access(m, 0, vpn << VMSIM_PAGE_SHIFT, false, &pfn, &cost), VMSIM_MMU_OK);
    assert_int_equal(cost, 108);
  }
  assert_int_equal(access(m, 0, 0, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(pfn, 1);
  assert_int_equal(cost, 8);
  assert_int_equal(access(m, 0, 0, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(cost, 1);
  /* The cost accumulates into what the caller passes. */
  for (int i = 0; i < 3; i++)
    assert_int_equal(vmsim__mmu_translate(&m->cpus[0], &m->pt, ASID, 0, false, &pfn, &total,
                                          &m->costs), VMSIM_MMU_OK);
  assert_int_equal(total, 3);
  struct vmsim_tlb_stats *st = &m->cpus[0].tlb.stats;
  assert_int_equal(st->misses, 5);
  assert_int_equal(st->l2_hits, 1);
  assert_int_equal(st->l1_hits, 4);
}

/* Without an STLB a walk costs no STLB probe: 1 + 4 * 25 = 101. */
static void test_costs_no_l2(void **state) {
  struct machine *m = *state;
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  map(m, 0x3000, vmsim_pte_mk(1, 0));
  assert_int_equal(access(m, 0, 0x3000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(cost, 101);
  assert_int_equal(access(m, 0, 0x3000, false, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(cost, 1);
}

static void test_clear_flush(void **state) {
  struct machine *m = *state;
  uint64_t va = UINT64_C(0x7f0000001000);
  vmsim_pte_t *ptep = map(m, va, vmsim_pte_mk(11, VMSIM_PTE_WRITE));
  vmsim_pfn_t pfn;
  vmsim_time_t cost;
  assert_int_equal(access(m, 0, va, true, &pfn, &cost), VMSIM_MMU_OK);
  assert_int_equal(access(m, 1, va, false, &pfn, &cost), VMSIM_MMU_OK);

  /* Initiator 1 unmaps: old value back, tables freed, CPU 0 shot down. */
  vmsim_pte_t old = vmsim__ptep_clear_flush(&m->pt, m->cpus, NR_CPUS, m->mask, 1, ASID, va, ptep);
  assert_int_equal(old, vmsim_pte_mk(11, VMSIM_PTE_WRITE | VMSIM_PTE_ACCESSED | VMSIM_PTE_DIRTY));
  assert_int_equal(m->pt.nr_tables, 1);
  assert_int_equal(m->cpus[0].tlb.stats.shootdowns, 1);
  assert_int_equal(m->cpus[1].tlb.stats.shootdowns, 0);
  assert_int_equal(m->cpus[1].tlb.stats.flush_page, 1);
  for (uint32_t c = 0; c < NR_CPUS; c++)
    assert_int_equal(access(m, c, va, false, &pfn, &cost), VMSIM_MMU_FAULT_NOT_PRESENT);

  /* Clearing a swap entry flushes nothing: no TLB can hold it. */
  ptep = map(m, va, vmsim_swp_entry(1, 2));
  old = vmsim__ptep_clear_flush(&m->pt, m->cpus, NR_CPUS, m->mask, 1, ASID, va, ptep);
  assert_int_equal(old, vmsim_swp_entry(1, 2));
  assert_int_equal(m->cpus[1].tlb.stats.flush_page, 1);
  assert_int_equal(m->pt.nr_tables, 1);

  /* A present PTE never walked is old, so cached nowhere (mmu.h): its
   * flush searches no TLB but still sends and counts the IPIs, as the
   * kernel does: one more flush on each CPU, one more shootdown on CPU 0. */
  ptep = map(m, va, vmsim_pte_mk(12, VMSIM_PTE_WRITE));
  old = vmsim__ptep_clear_flush(&m->pt, m->cpus, NR_CPUS, m->mask, 1, ASID, va, ptep);
  assert_int_equal(old, vmsim_pte_mk(12, VMSIM_PTE_WRITE));
  assert_int_equal(m->cpus[0].tlb.stats.flush_page, 2);
  assert_int_equal(m->cpus[1].tlb.stats.flush_page, 2);
  assert_int_equal(m->cpus[0].tlb.stats.shootdowns, 2);
  assert_int_equal(m->cpus[1].tlb.stats.shootdowns, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_read_sets_accessed),
    T(test_write_sets_dirty),
    T(test_first_write_through_clean_entry),
    T(test_clear_young_forces_walk),
    T(test_write_protect_fault),
    T(test_not_present),
    T(test_costs),
    cmocka_unit_test_setup_teardown(test_costs_no_l2, setup_no_l2, teardown),
    T(test_clear_flush),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
