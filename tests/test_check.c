/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker (src/core/check.c): it passes on a machine that has
 * been through reclaim, swap, fork and copy-on-write, and it fails, naming
 * the problem, on each kind of deliberate corruption. After each corruption
 * is undone it passes again, so each case shows exactly one fault. These
 * are the simulator's own invariants (docs/architecture.md), not rules of
 * linux-reclaim.md; the reclaim tests run the checker after every scenario.
 */
#include "reclaim_test.h"

#include <stdio.h>
#include <stdlib.h>

#define PAGES 64
#define SWAPPED 16 /* the oldest pages, pushed to swap */

struct fixture {
  vmsim_sim *sim;
  uint32_t pid;
  uint64_t base;
};

/* A process with PAGES written pages, the first SWAPPED of them swapped
 * out, the rest resident (and the last one just accessed through CPU 0's
 * TLB with a write). */
static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->sim = rt_sim(4096, 1024, "zram");
  f->base = RT_REGION(0);
  f->pid = rt_process(f->sim, 0, PAGES);
  rt_touch(f->sim, 0, f->pid, f->base, 0, PAGES, true);
  assert_int_equal(rt_reclaim(f->sim, 0, SWAPPED), SWAPPED);
  rt_touch(f->sim, 0, f->pid, f->base, SWAPPED, PAGES - SWAPPED, true);
  assert_sim_consistent(f->sim);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  assert_sim_consistent(f->sim); /* every corruption was undone */
  vmsim_sim_destroy(f->sim);
  free(f);
  return 0;
}

/* vmsim_check() fails with VMSIM_ECORRUPT and a message that contains
 * `want` (formatted). */
static void expect_corrupt(vmsim_sim *sim, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void expect_corrupt(vmsim_sim *sim, const char *fmt, ...) {
  char want[256], msg[512] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, sizeof(want), fmt, ap);
  va_end(ap);
  int rc = vmsim_check(sim, msg, sizeof(msg));
  if (rc != VMSIM_ECORRUPT || !strstr(msg, want))
    fail_msg("vmsim_check returned %s \"%s\", expected ECORRUPT naming \"%s\"", vmsim_err_name(rc),
             msg, want);
}

static uint64_t va_of(const struct fixture *f, uint64_t i) { return f->base + i * RT_PAGE; }

static vmsim_pte_t *ptep_of(struct fixture *f, uint64_t i) {
  vmsim_pte_t *ptep = vmsim__pte_lookup(&vmsim__mm_get(f->sim, f->pid)->pgt, va_of(f, i), NULL);
  assert_non_null(ptep);
  return ptep;
}

/* A free order-0 block: after the process's allocations the buddy
 * allocator has split blocks down to order 0 (an order-0 page was last
 * taken from a split, leaving its buddy). */
static struct vmsim_page *free_order0_page(vmsim_sim *sim) {
  struct vmsim_zone *z = &sim->nodes[0].zones[VMSIM_ZONE_NORMAL];
  if (vmsim_list_empty(&z->free_area[0].free_list)) {
    vmsim_pfn_t pfn;
    assert_ok(vmsim_alloc_pages(sim, 0, 0, 0, &pfn));
  }
  assert_false(vmsim_list_empty(&z->free_area[0].free_list));
  struct vmsim_page *p = &sim->mem_map[z->free_area[0].free_list.head];
  assert_true(vmsim_page_test(p, VMSIM_PG_buddy) && p->private == 0);
  return p;
}

/*
 * A frame that is both free and on an LRU list. Free lists and LRU lists
 * share the page's links, so the two cannot both hold it; what can happen
 * is a listed page that the allocator takes for a free buddy (PG_buddy,
 * `private` its order), which it would merge into a free block.
 */
static void test_free_frame_on_lru(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = rt_page(f->sim, f->pid, va_of(f, 20));
  assert_non_null(p);
  assert_true(vmsim_page_test(p, VMSIM_PG_lru));
  vmsim_page_set(p, VMSIM_PG_buddy);
  expect_corrupt(f->sim, "buddy: pfn %u is marked free (PG_buddy) but is on an LRU list",
                 vmsim__page_to_pfn(f->sim, p));
  vmsim_page_clear(p, VMSIM_PG_buddy);
}

/* A page on clock's inactive-kind list that claims to be active. */
static void test_active_flag_off_its_list(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = rt_page(f->sim, f->pid, va_of(f, 20));
  assert_non_null(p);
  assert_false(vmsim_page_test(p, VMSIM_PG_active));
  vmsim_page_set(p, VMSIM_PG_active);
  expect_corrupt(f->sim, "lru: pfn %u on list 'clock' has PG_active set",
                 vmsim__page_to_pfn(f->sim, p));
  vmsim_page_clear(p, VMSIM_PG_active);
}

/* An LRU list whose count is one more than its links. */
static void test_lru_count_off_by_one(void **state) {
  struct fixture *f = *state;
  vmsim_list *list = &f->sim->nodes[0].lruvec->lists[0];
  uint64_t n = list->nr;
  list->nr++;
  expect_corrupt(f->sim, "lru: list 'clock' of node 0 counts %" PRIu64 " pages, links hold %" PRIu64,
                 n + 1, n);
  list->nr--;
}

/* A PTE pointing at a free frame. */
static void test_pte_maps_free_frame(void **state) {
  struct fixture *f = *state;
  vmsim_pte_t *ptep = ptep_of(f, 40);
  vmsim_pte_t old = *ptep;
  vmsim_pfn_t free_pfn = vmsim__page_to_pfn(f->sim, free_order0_page(f->sim));
  *ptep = vmsim_pte_mk(free_pfn, old & ~VMSIM_PTE_PFN_MASK);
  expect_corrupt(f->sim, "pte: pid %u %#" PRIx64 " maps pfn %u, which is not a listed page", f->pid,
                 va_of(f, 40), free_pfn);
  *ptep = old;
}

/* A page whose mapcount says two PTEs map it when one does. */
static void test_wrong_mapcount(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = rt_page(f->sim, f->pid, va_of(f, 41));
  assert_non_null(p);
  p->mapcount++;
  expect_corrupt(f->sim, "rmap: pfn %u has mapcount 2 but 1 PTEs map it",
                 vmsim__page_to_pfn(f->sim, p));
  p->mapcount--;
}

/* A swap PTE whose slot counts one reference too many. */
static void test_swap_slot_count_wrong(void **state) {
  struct fixture *f = *state;
  vmsim_pte_t e = *ptep_of(f, 3);
  assert_true(vmsim_pte_is_swap(e));
  struct vmsim_swap_device *d = vmsim__swap_dev(f->sim, e);
  assert_int_equal(d->slots[vmsim_swp_offset(e)].map, 1);
  d->slots[vmsim_swp_offset(e)].map++;
  expect_corrupt(f->sim, "swap: slot %u:%" PRIu64 " counts 2 references, 1 swap PTEs name it",
                 vmsim_swp_type(e), vmsim_swp_offset(e));
  d->slots[vmsim_swp_offset(e)].map--;
}

/* A PTE write-protected behind the TLB's back: CPU 0 still holds the
 * writable translation of the last page it wrote. */
static void test_stale_tlb_entry(void **state) {
  struct fixture *f = *state;
  vmsim_pte_t *ptep = ptep_of(f, PAGES - 1);
  vmsim_pte_t old = *ptep;
  assert_true(vmsim_pte_write(old));
  *ptep = vmsim__pte_wrprotect(old); /* no flush */
  expect_corrupt(f->sim, "tlb: cpu 0 caches pid %u %#" PRIx64 " -> pfn %u, which its PTE no longer says",
                 f->pid, va_of(f, PAGES - 1), vmsim_pte_pfn(old));
  *ptep = old;
}

/* A buddy pair map bit flipped (page_alloc.c): a free would then merge a
 * block with a buddy that is not free, or miss one that is. */
static void test_buddy_pair_map_wrong(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = free_order0_page(f->sim);
  vmsim_pfn_t pfn = (vmsim_pfn_t)(p - f->sim->mem_map);
  struct vmsim_zone *z = &f->sim->nodes[0].zones[VMSIM_ZONE_NORMAL];
  /* Order-0 pairs are numbered from the pair that holds the zone's first
   * frame. */
  uint64_t i = (pfn - (z->start_pfn & ~UINT64_C(1))) / 2;
  assert_int_equal(vmsim__buddy_pair_index(z, pfn, 0), i);
  /* An order-0 free block's buddy is in use (else they would have merged):
   * the bit says "one free"; flipped, it says "neither or both". */
  z->free_area[0].map[i / 64] ^= UINT64_C(1) << (i % 64);
  expect_corrupt(f->sim, "buddy: the order-0 pair map says neither or both of pfns %u and %u is free",
                 pfn & ~1u, pfn | 1u);
  z->free_area[0].map[i / 64] ^= UINT64_C(1) << (i % 64);

  /* The other way: a pair of two pages in use (the process's last one,
   * written last, and its buddy) with its bit set says "one free". */
  vmsim_pfn_t used = (vmsim_pfn_t)(rt_page(f->sim, f->pid, va_of(f, PAGES - 1)) - f->sim->mem_map);
  assert_false(vmsim_page_test(&f->sim->mem_map[used], VMSIM_PG_buddy));
  assert_false(vmsim_page_test(&f->sim->mem_map[used ^ 1u], VMSIM_PG_buddy));
  i = (used - (z->start_pfn & ~UINT64_C(1))) / 2;
  z->free_area[0].map[i / 64] ^= UINT64_C(1) << (i % 64);
  expect_corrupt(f->sim, "buddy: the order-0 pair map says one of pfns %u and %u is free",
                 used & ~1u, used | 1u);
  z->free_area[0].map[i / 64] ^= UINT64_C(1) << (i % 64);
}

/* The accessed bit cleared behind the TLB's back: a flush of the old PTE
 * would skip the TLBs (hw/mmu.h), so the stale entry would outlive it. */
static void test_old_pte_cached(void **state) {
  struct fixture *f = *state;
  vmsim_pte_t *ptep = ptep_of(f, PAGES - 1);
  vmsim_pte_t old = *ptep;
  assert_true(vmsim_pte_young(old));
  *ptep = vmsim__pte_mkold(old); /* no flush */
  expect_corrupt(f->sim, "tlb: cpu 0 caches pid %u %#" PRIx64 ", whose PTE is old", f->pid,
                 va_of(f, PAGES - 1));
  *ptep = old;
}

/* A lost write: a page's content holds one write less than was made. */
static void test_lost_write(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = rt_page(f->sim, f->pid, va_of(f, 50));
  assert_non_null(p);
  uint64_t ledger = f->sim->token_ledger;
  p->token--;
  expect_corrupt(f->sim, "integrity: live contents carry %" PRIu64 " writes, the ledger %" PRIu64
                 " (data was lost or duplicated)", ledger - 1, ledger);
  p->token++;
}

/* A mismatch the simulator saw while running is reported too. */
static void test_integrity_error_reported(void **state) {
  struct fixture *f = *state;
  f->sim->integrity_errors++;
  expect_corrupt(f->sim, "integrity: 1 errors seen while simulating");
  f->sim->integrity_errors--;
}

/* After fork an anon page is shared copy-on-write: a writable PTE for it
 * would let one process's writes reach the other. */
static void test_shared_anon_page_writable(void **state) {
  struct fixture *f = *state;
  uint32_t child;
  assert_ok(vmsim_process_fork(f->sim, f->pid, &child));
  assert_sim_consistent(f->sim);
  vmsim_pte_t *ptep = ptep_of(f, 42);
  vmsim_pte_t old = *ptep;
  assert_false(vmsim_pte_write(old));
  *ptep = vmsim__pte_mkwrite(old); /* no TLB holds it read-only: fork flushed */
  expect_corrupt(f->sim, "cow: anon pfn %u is mapped by 2 PTEs but pid %u may write it at %#" PRIx64,
                 vmsim_pte_pfn(old), f->pid, va_of(f, 42));
  *ptep = old;
  assert_sim_consistent(f->sim);
  assert_ok(vmsim_process_exit(f->sim, child));
}

/*
 * Not a corruption: frames that held user pages, freed by exit and then
 * given out by vmsim_alloc_pages() (outside the reclaim domain), are not
 * taken for user pages (a free clears the owner, as free_pages_prepare()
 * insists in the kernel).
 */
static void test_recycled_user_frames(void **state) {
  struct fixture *f = *state;
  bool was_user[4096] = {false};
  for (uint64_t i = SWAPPED; i < PAGES; i++)
    was_user[vmsim__page_to_pfn(f->sim, rt_page(f->sim, f->pid, va_of(f, i)))] = true;
  assert_ok(vmsim_process_exit(f->sim, f->pid));
  unsigned reused = 0;
  for (int k = 0; k < PAGES; k++) {
    vmsim_pfn_t pfn;
    assert_ok(vmsim_alloc_pages(f->sim, 0, VMSIM_GFP_KERNEL, 0, &pfn));
    reused += was_user[pfn];
  }
  assert_true(reused > 0);
  assert_sim_consistent(f->sim);
}

#define CHECK_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    CHECK_TEST(test_free_frame_on_lru),
    CHECK_TEST(test_lru_count_off_by_one),
    CHECK_TEST(test_active_flag_off_its_list),
    CHECK_TEST(test_pte_maps_free_frame),
    CHECK_TEST(test_wrong_mapcount),
    CHECK_TEST(test_swap_slot_count_wrong),
    CHECK_TEST(test_stale_tlb_entry),
    CHECK_TEST(test_old_pte_cached),
    CHECK_TEST(test_buddy_pair_map_wrong),
    CHECK_TEST(test_lost_write),
    CHECK_TEST(test_integrity_error_reported),
    CHECK_TEST(test_shared_anon_page_writable),
    CHECK_TEST(test_recycled_user_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
