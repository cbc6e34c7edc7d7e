/* SPDX-License-Identifier: MIT */
/*
 * The lruvec's list helpers (src/core/lru.c) on a real machine's frames:
 * where a listed page keeps its list's index (bits of its flags), and the
 * skip links the core keeps in `private` for scans from the tail. The
 * links are hints (results never depend on them), so they are checked
 * here, against a model of the adds, rather than through any result.
 */
#include "mm_test.h"

#define NR 48

struct fixture {
  vmsim_sim *sim;
  vmsim_lruvec *lv;
  struct vmsim_page *pages[NR];
  vmsim_pfn_t pfn[NR];
};

/* The small machine of mm_test.h with twolist: list 0 inactive, 1 active. */
static int setup(void **state) {
  struct fixture *f = test_calloc(1, sizeof(*f));
  vmsim_config cfg;
  small_config(&cfg, 1);
  snprintf(cfg.policy, sizeof(cfg.policy), "twolist");
  assert_ok(vmsim_sim_create(&f->sim, &cfg));
  f->lv = f->sim->nodes[0].lruvec;
  for (unsigned i = 0; i < NR; i++) {
    f->pages[i] = vmsim__alloc_pages(f->sim, &f->sim->nodes[0], 0, 0);
    assert_non_null(f->pages[i]);
    f->pfn[i] = vmsim__page_to_pfn(f->sim, f->pages[i]);
  }
  *state = f;
  return 0;
}

/* Every page leaves its list and goes back to the buddy allocator; the
 * machine must then be as consistent as it began. */
static int teardown(void **state) {
  struct fixture *f = *state;
  for (unsigned i = 0; i < NR; i++) {
    vmsim_lru_del(f->lv, f->pages[i]);
    vmsim__free_pages(f->sim, f->pages[i], 0);
  }
  check_and_destroy(f->sim);
  test_free(f);
  return 0;
}

/* The list index lives in the flags beside the PG_* bits and the zone id,
 * and disturbs neither. */
static void test_list_index_in_flags(void **state) {
  struct fixture *f = *state;
  struct vmsim_page *p = f->pages[0], *q = f->pages[1];
  unsigned nid = vmsim_page_nid(p);
  enum vmsim_zone_type zone = vmsim_page_zonenum(p);
  vmsim_page_set(p, VMSIM_PG_dirty);

  vmsim_lru_add(f->lv, 1, p); /* twolist's list 1 is its active list */
  vmsim_lru_add_tail(f->lv, 0, q);
  assert_int_equal(vmsim_page_lru(p), 1);
  assert_int_equal(vmsim_page_lru(q), 0);
  assert_true(vmsim_page_test(p, VMSIM_PG_lru) && vmsim_page_test(p, VMSIM_PG_active));
  assert_true(vmsim_page_test(p, VMSIM_PG_dirty));
  assert_false(vmsim_page_test(q, VMSIM_PG_active));
  assert_int_equal(vmsim_page_nid(p), nid);
  assert_int_equal(vmsim_page_zonenum(p), zone);

  vmsim_lru_move(f->lv, p, 0, true);
  assert_int_equal(vmsim_page_lru(p), 0);
  assert_false(vmsim_page_test(p, VMSIM_PG_active));
  assert_true(vmsim_page_test(p, VMSIM_PG_dirty));
  assert_int_equal(f->lv->lists[0].tail, f->pfn[0]);

  vmsim_lru_del(f->lv, p);
  assert_false(vmsim_page_test(p, VMSIM_PG_lru));
  assert_int_equal(p->flags & VMSIM_PAGE_LRU_MASK, 0);
  assert_int_equal(vmsim_page_zonenum(p), zone);
  vmsim_page_clear(p, VMSIM_PG_dirty);
  assert_sim_consistent(f->sim);
}

/*
 * The model: adds[l] lists the pages added at the head of list l in order.
 * A page added as the n-th (0-based) links to the page added as the
 * (n + VMSIM_LRU_SKIP)-th, provided it was still on l at that add; until
 * then, and for pages added at the tail, it has no link.
 */
static void test_skip_links(void **state) {
  struct fixture *f = *state;
  const unsigned K = VMSIM_LRU_SKIP;
  assert_true(K + 8 < 40);
  /* Pages 0..39 join the head of list 0, in order. */
  for (unsigned i = 0; i < 40; i++)
    vmsim_lru_add(f->lv, 0, f->pages[i]);
  for (unsigned i = 0; i < 40; i++)
    assert_int_equal(f->pages[i]->private, i + K < 40 ? f->pfn[i + K] : VMSIM_PFN_NONE);

  /* Page 35 (not yet linked: 35 + K > 39) moves to list 1; page 36 leaves
   * list 0 for its own tail, where no add counts; pages 40..47 join list 0
   * at the head: adds 40..47, which reach back to adds 40-K..47-K. */
  vmsim_lru_move(f->lv, f->pages[35], 1, false);
  vmsim_lru_move(f->lv, f->pages[36], 0, true);
  for (unsigned i = 40; i < NR; i++)
    vmsim_lru_add(f->lv, 0, f->pages[i]);
  for (unsigned i = 40 - K; i < NR; i++) {
    bool linked = i + K < NR && i != 35 && i != 36;
    assert_int_equal(f->pages[i]->private, linked ? f->pfn[i + K] : VMSIM_PFN_NONE);
  }
  /* The links made before stay as they were. */
  for (unsigned i = 0; i < 40 - K; i++)
    assert_int_equal(f->pages[i]->private, f->pfn[i + K]);
  assert_sim_consistent(f->sim);
}

/*
 * A scan from the tail leaves the list in order whatever the links say,
 * stale ones (the page linked to has left) and corrupt ones (a policy
 * that wrote `private`, which is the core's while the page is listed)
 * included. Under the sanitizers this also checks that no link is used to
 * index the frame array without a bound check.
 */
static void test_scan_with_stale_and_corrupt_links(void **state) {
  struct fixture *f = *state;
  for (unsigned i = 0; i < NR; i++)
    vmsim_lru_add(f->lv, 0, f->pages[i]);
  /* Stale: pages 20..29 leave from the middle (their predecessors still
   * link to them). Corrupt: page 5's link points past the frames. */
  for (unsigned i = 20; i < 30; i++)
    vmsim_lru_del(f->lv, f->pages[i]);
  f->pages[5]->private = UINT32_MAX - 1;
  f->pages[6]->private = (vmsim_pfn_t)f->sim->nr_pages;
  const vmsim_list *list = &f->lv->lists[0];
  /* Expected order from the tail: 0..19, then 30..47. */
  for (unsigned want = 0; want < NR; want++) {
    if (want >= 20 && want < 30)
      continue;
    assert_int_equal(list->tail, f->pfn[want]);
    vmsim_lru_del(f->lv, &f->sim->mem_map[list->tail]);
  }
  assert_int_equal(list->nr, 0);
  assert_sim_consistent(f->sim);
}

/* Take `n` pages from the tail of list 0. */
static void depart(struct fixture *f, unsigned n) {
  const vmsim_list *list = &f->lv->lists[0];
  while (n--)
    vmsim_lru_del(f->lv, &f->sim->mem_map[list->tail]);
}

/*
 * Whether the links are used: each departure checks the link taken
 * VMSIM_LRU_SKIP departures earlier against the page leaving, +1 if it
 * named it, -1 if it named another, nothing without a link (the first
 * VMSIM_LRU_SKIP departures); within +-VMSIM_LRU_TRUST_MAX.
 */
static void test_link_trust(void **state) {
  struct fixture *f = *state;
  const unsigned K = VMSIM_LRU_SKIP;
  assert_int_equal(K, 12); /* the counts below are worked out for 12 */
  const struct vmsim_lru_hints *h = &f->lv->hints[0];
  for (unsigned i = 0; i < NR; i++)
    vmsim_lru_add(f->lv, 0, f->pages[i]);
  /* Pages 12..35 move to the head (as exact LRU moves an accessed page),
   * as adds 48..71: page 36 + j (add 36 + j) links to page 12 + j, page
   * 12 + j (add 48 + j) to page 24 + j, for j < 12. From the tail the
   * list is now 0..11, 36..47, 12..35. */
  for (unsigned i = 12; i < 36; i++)
    vmsim_lru_move(f->lv, f->pages[i], 0, false);
  /* Departures 0..11 (pages 0..11) have no earlier link to check. */
  depart(f, 12);
  assert_int_equal(h->trust, 0);
  /* Departures 12..23 (pages 36..47) check the links of pages 0..11,
   * made before the move: pages 12..23, not the pages leaving. */
  depart(f, 12);
  assert_int_equal(h->trust, -12);
  /* Departures 24..35 (pages 12..23) check the links of pages 36..47,
   * which name them; departures 36..47 (pages 24..35) those of pages
   * 12..23, which name them too. */
  depart(f, 12);
  assert_int_equal(h->trust, 0);
  depart(f, 12);
  assert_int_equal(h->trust, 12);
  assert_int_equal(f->lv->lists[0].nr, 0);

  /* A long steady run saturates at VMSIM_LRU_TRUST_MAX. */
  for (unsigned round = 0; round < 2; round++) {
    for (unsigned i = 0; i < NR; i++)
      vmsim_lru_add(f->lv, 0, f->pages[i]);
    depart(f, NR);
  }
  assert_int_equal(h->trust, VMSIM_LRU_TRUST_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_list_index_in_flags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_skip_links, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scan_with_stale_and_corrupt_links, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_trust, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
