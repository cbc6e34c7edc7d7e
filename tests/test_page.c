/* SPDX-License-Identifier: MIT */
/*
 * struct vmsim_page and the pfn-linked list helpers of include/vmsim/page.h.
 * Expected list contents are kept in a plain array model beside each list,
 * so the helpers are checked against an independent implementation.
 */
#include "vmsim_test.h"

/* The frame descriptor is one host cache line at most (page.h promises it). */
_Static_assert(sizeof(struct vmsim_page) <= 64, "struct vmsim_page must fit in 64 bytes");
/* The zone id lives in the top byte: node * VMSIM_NR_ZONES + zone must fit. */
_Static_assert(VMSIM_MAX_NODES * VMSIM_NR_ZONES <= 256, "zone id must fit in 8 bits");
_Static_assert(VMSIM_NR_PAGEFLAGS <= VMSIM_PAGE_LRU_SHIFT, "page flags overlap the list index");
_Static_assert(VMSIM_PAGE_LRU_MASK >> VMSIM_PAGE_ZONEID_SHIFT == 0, "the list index overlaps the zone id");

#define NPAGES 16

/* A list, its pages, and the model: model[0] is the head end. */
struct fixture {
  struct vmsim_page map[NPAGES];
  vmsim_list list;
  vmsim_pfn_t model[NPAGES];
  unsigned nr;
};

static void fixture_init(struct fixture *f) {
  memset(f, 0, sizeof(*f));
  for (unsigned i = 0; i < NPAGES; i++)
    f->map[i].lru_next = f->map[i].lru_prev = VMSIM_PFN_NONE;
  vmsim_list_init(&f->list);
}

static void model_insert(struct fixture *f, unsigned at, vmsim_pfn_t pfn) {
  memmove(&f->model[at + 1], &f->model[at], (f->nr - at) * sizeof(f->model[0]));
  f->model[at] = pfn;
  f->nr++;
}

static void model_remove(struct fixture *f, vmsim_pfn_t pfn) {
  for (unsigned i = 0; i < f->nr; i++)
    if (f->model[i] == pfn) {
      memmove(&f->model[i], &f->model[i + 1], (f->nr - i - 1) * sizeof(f->model[0]));
      f->nr--;
      return;
    }
  fail_msg("pfn %u not in the model", pfn);
}

/* The list equals the model walked both ways; the ends and count agree. */
static void check_list(const struct fixture *f) {
  const vmsim_list *l = &f->list;
  assert_int_equal(l->nr, f->nr);
  assert_int_equal(vmsim_list_empty(l), f->nr == 0);
  assert_int_equal(l->head, f->nr ? f->model[0] : VMSIM_PFN_NONE);
  assert_int_equal(l->tail, f->nr ? f->model[f->nr - 1] : VMSIM_PFN_NONE);
  vmsim_pfn_t pfn = l->head, prev = VMSIM_PFN_NONE;
  for (unsigned i = 0; i < f->nr; i++) {
    assert_int_equal(pfn, f->model[i]);
    assert_int_equal(f->map[pfn].lru_prev, prev);
    prev = pfn;
    pfn = f->map[pfn].lru_next;
  }
  assert_int_equal(pfn, VMSIM_PFN_NONE);
}

/* Each operation on the list and on the model, then the check. */
static void add(struct fixture *f, vmsim_pfn_t pfn) {
  vmsim_list_add(f->map, &f->list, pfn);
  model_insert(f, 0, pfn);
  check_list(f);
}
static void add_tail(struct fixture *f, vmsim_pfn_t pfn) {
  vmsim_list_add_tail(f->map, &f->list, pfn);
  model_insert(f, f->nr, pfn);
  check_list(f);
}
static void del(struct fixture *f, vmsim_pfn_t pfn) {
  vmsim_list_del(f->map, &f->list, pfn);
  model_remove(f, pfn);
  check_list(f);
  /* A deleted page's links are reset, so it can be re-added. */
  assert_int_equal(f->map[pfn].lru_next, VMSIM_PFN_NONE);
  assert_int_equal(f->map[pfn].lru_prev, VMSIM_PFN_NONE);
}

/* list_add puts the newest at the head; list_add_tail at the tail. */
static void test_add_and_add_tail_order(void **state) {
  (void)state;
  struct fixture f;
  fixture_init(&f);
  check_list(&f);
  add(&f, 3);      /* 3 */
  add(&f, 7);      /* 7 3 */
  add_tail(&f, 1); /* 7 3 1 */
  add_tail(&f, 0); /* 7 3 1 0: pfn 0 is a valid member */
  assert_int_equal(f.list.head, 7);
  assert_int_equal(f.list.tail, 0);
}

/* add_tail into an empty list sets both ends, like add. */
static void test_add_tail_to_empty(void **state) {
  (void)state;
  struct fixture f;
  fixture_init(&f);
  add_tail(&f, 5);
  assert_int_equal(f.list.head, 5);
  assert_int_equal(f.list.tail, 5);
}

/* list_del from the head, the tail, the middle and the only element, then
 * re-adding a deleted page. */
static void test_del_positions(void **state) {
  (void)state;
  struct fixture f;
  fixture_init(&f);
  for (vmsim_pfn_t pfn = 0; pfn < 6; pfn++)
    add_tail(&f, pfn); /* 0 1 2 3 4 5 */
  const vmsim_pfn_t order[] = {0, 5, 3, 1, 4, 2}; /* head, tail, middles, last */
  for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
    del(&f, order[i]);
  assert_true(vmsim_list_empty(&f.list));
  add(&f, 2);
}

/* Random mix of add / add_tail / del against the model (seeded). */
static void test_random_against_model(void **state) {
  (void)state;
  struct fixture f;
  bool on[NPAGES] = {false};
  uint64_t seed = 42;
  fixture_init(&f);
  for (int step = 0; step < 5000; step++) {
    vmsim_pfn_t pfn = (vmsim_pfn_t)(test_rand(&seed) % NPAGES);
    if (on[pfn])
      del(&f, pfn);
    else if (test_rand(&seed) & 1)
      add(&f, pfn);
    else
      add_tail(&f, pfn);
    on[pfn] = !on[pfn];
  }
}

/* Flag helpers touch only their bit and never the zone id in the top byte. */
static void test_flags_keep_zone_id(void **state) {
  (void)state;
  struct vmsim_page p = {0};
  const unsigned nid = 63, zone = VMSIM_ZONE_MOVABLE;
  p.flags = (uint32_t)(nid * VMSIM_NR_ZONES + zone) << VMSIM_PAGE_ZONEID_SHIFT;
  for (int f = 0; f < VMSIM_NR_PAGEFLAGS; f++) {
    assert_false(vmsim_page_test_and_set(&p, (enum vmsim_pageflag)f));
    assert_true(vmsim_page_test(&p, (enum vmsim_pageflag)f));
  }
  assert_int_equal(p.flags & VMSIM_PAGE_FLAGS_MASK, (UINT32_C(1) << VMSIM_NR_PAGEFLAGS) - 1);
  for (int f = 0; f < VMSIM_NR_PAGEFLAGS; f++)
    assert_true(vmsim_page_test_and_clear(&p, (enum vmsim_pageflag)f));
  assert_int_equal(p.flags & VMSIM_PAGE_FLAGS_MASK, 0);
  assert_int_equal(vmsim_page_nid(&p), nid);
  assert_int_equal(vmsim_page_zonenum(&p), zone);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_add_and_add_tail_order),
    cmocka_unit_test(test_add_tail_to_empty),
    cmocka_unit_test(test_del_positions),
    cmocka_unit_test(test_random_against_model),
    cmocka_unit_test(test_flags_keep_zone_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
