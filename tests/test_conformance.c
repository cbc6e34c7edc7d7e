/* SPDX-License-Identifier: MIT */
/*
 * The policy conformance suite (src/core/conformance.c): every registered
 * policy passes it, and it catches policies broken in the ways plugins
 * break: mlocked pages on an evictable list, evictable pages parked on the
 * unevictable one, pages left isolated, more evictions than asked for on
 * demand, none at all, and decisions that depend on state outside the
 * simulation (so two runs differ).
 */
#include "vmsim_test.h"

/* ---- every registered policy conforms ------------------------------------ */

static void test_registered_policies_conform(void **state) {
  (void)state;
  size_t n = 0;
  for (const vmsim_policy_ops *ops; (ops = vmsim_policy_at(n)); n++) {
    if (strncmp(ops->name, "bad-", 4) == 0)
      continue; /* registered below, on purpose broken */
    char msg[512];
    int rc = vmsim_policy_conformance(ops->name, msg, sizeof(msg));
    if (rc)
      fail_msg("%s (%s)", msg, vmsim_err_name(rc));
  }
  assert_true(n >= 4); /* clock, fifo, lru, opt at least */
}

static void test_unknown_policy(void **state) {
  (void)state;
  char msg[128];
  assert_int_equal(vmsim_policy_conformance("no-such-policy", msg, sizeof(msg)), VMSIM_ENOENT);
  assert_non_null(strstr(msg, "no-such-policy"));
  assert_int_equal(vmsim_policy_conformance(NULL, NULL, 0), VMSIM_ENOENT);
}

/* ---- broken policies ------------------------------------------------------ */

/* A FIFO with one defect chosen by `bug`. */
enum bug {
  BUG_MLOCK_EVICTABLE,  /* mlocked pages on the evictable list */
  BUG_PARK_EVICTABLE,   /* some evictable pages on the unevictable list */
  BUG_LEAVE_ISOLATED,   /* one page per pass left isolated */
  BUG_GREEDY,           /* evicts one page more than asked */
  BUG_LAZY,             /* on demand, evicts nothing */
  BUG_NONDETERMINISTIC, /* skips pages by a counter that outlives the machine */
};

enum { BAD_LIST, BAD_UNEVICTABLE, BAD_NR_LISTS };
static const char *const bad_list_names[BAD_NR_LISTS] = {"fifo", "unevictable"};
static const enum vmsim_lru_kind bad_list_kinds[BAD_NR_LISTS] = {VMSIM_LRU_KIND_INACTIVE,
                                                                 VMSIM_LRU_KIND_UNEVICTABLE};
static uint64_t process_global_counter;

static int bad_init(vmsim_lruvec *lruvec, void *state) {
  (void)lruvec, (void)state;
  return 0;
}
static void bad_fini(vmsim_lruvec *lruvec, void *state) { (void)lruvec, (void)state; }
static void bad_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lruvec, page);
}

static void page_add(vmsim_lruvec *lruvec, struct vmsim_page *page, enum bug bug) {
  bool unevictable = vmsim_page_test(page, VMSIM_PG_mlocked);
  if (bug == BUG_MLOCK_EVICTABLE)
    unevictable = false;
  if (bug == BUG_PARK_EVICTABLE && (page->index & 7) == 0)
    unevictable = true;
  vmsim_lru_add(lruvec, unevictable ? BAD_UNEVICTABLE : BAD_LIST, page);
}

static void shrink(vmsim_lruvec *lruvec, vmsim_scan_control *sc, enum bug bug) {
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lruvec);
  const vmsim_list *list = vmsim_lruvec_list(lruvec, BAD_LIST);
  uint64_t budget = sc->on_demand ? list->nr : (list->nr >> sc->priority) + 1;
  uint64_t want = sc->nr_to_reclaim + (bug == BUG_GREEDY);
  vmsim_pfn_t pfn = list->tail;
  bool leaked = false;
  if (bug == BUG_LAZY && sc->on_demand)
    return;
  while (budget-- && pfn != VMSIM_PFN_NONE && sc->nr_reclaimed < want) {
    struct vmsim_page *page = &mem_map[pfn];
    pfn = page->lru_prev;
    if (bug == BUG_NONDETERMINISTIC && process_global_counter++ % 3 == 0)
      continue;
    if (vmsim_lru_isolate(lruvec, sc, page) != 0)
      continue;
    if (bug == BUG_LEAVE_ISOLATED && !leaked) {
      leaked = true;
      continue;
    }
    enum vmsim_reclaim_outcome outcome =
        vmsim_reclaim_page(lruvec, sc, page, VMSIM_PAGEREF_RECLAIM);
    if (outcome != VMSIM_RECLAIM_FREED)
      vmsim_lru_add(lruvec, BAD_LIST, page);
  }
}

#define BAD_POLICY(id, bug)                                                           \
  static void id##_page_add(vmsim_lruvec *lv, void *st, struct vmsim_page *page) {    \
    (void)st;                                                                         \
    page_add(lv, page, bug);                                                          \
  }                                                                                   \
  static void id##_shrink(vmsim_lruvec *lv, void *st, vmsim_scan_control *sc) {       \
    (void)st;                                                                         \
    shrink(lv, sc, bug);                                                              \
  }                                                                                   \
  static const vmsim_policy_ops id##_ops = {                                          \
    .abi_version = VMSIM_POLICY_ABI_VERSION,                                          \
    .struct_size = sizeof(vmsim_policy_ops),                                          \
    .name = "bad-" #id,                                                               \
    .description = "broken on purpose",                                               \
    .nr_lists = BAD_NR_LISTS,                                                         \
    .list_names = bad_list_names,                                                     \
    .list_kinds = bad_list_kinds,                                                     \
    .init = bad_init,                                                                 \
    .fini = bad_fini,                                                                 \
    .page_add = id##_page_add,                                                        \
    .page_del = bad_page_del,                                                         \
    .shrink = id##_shrink,                                                            \
  };

BAD_POLICY(mlock, BUG_MLOCK_EVICTABLE)
BAD_POLICY(park, BUG_PARK_EVICTABLE)
BAD_POLICY(isolate, BUG_LEAVE_ISOLATED)
BAD_POLICY(greedy, BUG_GREEDY)
BAD_POLICY(lazy, BUG_LAZY)
BAD_POLICY(random, BUG_NONDETERMINISTIC)

/* The suite fails each broken policy with a message naming the scenario
 * and the property it breaks. */
static void test_catches_broken_policies(void **state) {
  (void)state;
  static const struct {
    const vmsim_policy_ops *ops;
    const char *scenario, *property;
  } cases[] = {
    {&mlock_ops, "on-demand", "mlocked pages are on an unevictable list"},
    {&park_ops, "on-demand", "only mlocked pages are on an unevictable list"},
    {&isolate_ops, "on-demand", "no integrity error"},
    {&greedy_ops, "on-demand", "on demand, no eviction while a frame is free"},
    {&lazy_ops, "on-demand", "every access succeeds"},
    {&random_ops, "on-demand", "determinism"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    const vmsim_policy_ops *ops = cases[i].ops;
    char msg[512] = "", want[128];
    assert_ok(vmsim_policy_register(ops, msg, sizeof(msg)));
    int rc = vmsim_policy_conformance(ops->name, msg, sizeof(msg));
    print_message("%s\n", msg);
    snprintf(want, sizeof(want), "policy '%s', scenario '%s': %s: ", ops->name, cases[i].scenario,
             cases[i].property);
    if (rc != VMSIM_ECORRUPT || strncmp(msg, want, strlen(want)) != 0)
      fail_msg("%s: got %s \"%s\", expected ECORRUPT and \"%s...\"", ops->name,
               vmsim_err_name(rc), msg, want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_registered_policies_conform),
    cmocka_unit_test(test_unknown_policy),
    cmocka_unit_test(test_catches_broken_policies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
