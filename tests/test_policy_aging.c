/* SPDX-License-Identifier: MIT */
/*
 * The aging policy (src/policies/aging.c): per-page ages of Linux 2.0 and
 * 2.4.0, against results worked out by hand from ../shared/docs/
 * linux-reclaim.md rules 1, 2 and 6.
 *
 *   linux20: new page 3; referenced at a visit: age = min(age + 3, 20);
 *            else age = max(age - 1, 0), evicted when that leaves 0.
 *   linux24: new page 2 on the active list; referenced: age_page_up (an
 *            age of 0 is first lifted to 2), age = min(age + 3, 64); else
 *            age /= 2, and 0 moves the page to inactive_dirty; the next
 *            pass launders it (clean -> inactive_clean -> freed; dirty or
 *            anon -> written, which frees it).
 *
 * Machines are one node with a single ZONE_NORMAL of 4096 frames and one
 * CPU: far more than the tests use, so reclaim runs only when a test calls
 * shrink_node() itself. With one page on the lists, a linux20 pass visits
 * it once (budget min(roundup((1 >> p) + 1, AGE_CLUSTER_SIZE(1) = 4), 1) =
 * 1), and so does a linux24 pass at priority 0 (nr_active >> 0 = 1;
 * inactive_target = min(memory_pressure 1 >> 6, 1024) = 0, so the shortage
 * is what reclaim wants, 1).
 */
#include "reclaim_test.h"

#include <vmsim/conformance.h>

/* The policy's lists. */
enum { AG_ACTIVE, AG_INACTIVE_DIRTY, AG_INACTIVE_CLEAN, AG_UNEVICTABLE };

struct ag_param {
  const char *key, *value;
};

static void ag_config(vmsim_config *cfg, const struct ag_param *params, size_t n) {
  rt_config(cfg, 4096, 65536, "ssd");
  strcpy(cfg->policy, "aging");
  cfg->nr_policy_params = (uint32_t)n;
  for (size_t i = 0; i < n; i++) {
    strcpy(cfg->policy_params[i].key, params[i].key);
    strcpy(cfg->policy_params[i].value, params[i].value);
  }
}

static vmsim_sim *ag_sim(const struct ag_param *params, size_t n) {
  vmsim_config cfg;
  ag_config(&cfg, params, n);
  return rt_create(&cfg);
}

static const struct ag_param linux20[] = {{"variant", "linux20"}};
static const struct ag_param linux24[] = {{"variant", "linux24"}};

static unsigned ag_age(const struct vmsim_page *page) { return (unsigned)(page->policy & 0xff); }

static struct vmsim_page *ag_anon(vmsim_sim *sim, uint32_t pid, uint64_t i) {
  return rt_page(sim, pid, RT_REGION(0) + i * RT_PAGE);
}

static void ag_touch(vmsim_sim *sim, uint32_t pid, uint64_t i) {
  rt_touch(sim, 0, pid, RT_REGION(0), i, 1, false);
}

static void expect_listed(const struct vmsim_page *page, unsigned lru, unsigned age) {
  assert_non_null(page);
  assert_true(vmsim_page_test(page, VMSIM_PG_lru));
  assert_int_equal(vmsim_page_lru(page), lru);
  assert_int_equal(vmsim_page_test(page, VMSIM_PG_active), lru == AG_ACTIVE);
  assert_int_equal(ag_age(page), age);
}

/*
 * Rules 1 and 2 (linux20): aging protects a page touched often over one
 * touched once. Pages A (index 0) and B (index 1) are written once: both
 * start at age 3 with young PTEs. A faulted first, so it is the tail (the
 * hand) and each pass (priority 12: budget 2, both pages) visits A, then B,
 * each going to the head, so A stays at the tail. A is read again before
 * every pass after the first; B never is.
 *   pass 1: A young 3+3 = 6;  B young 3+3 = 6
 *   pass 2: A young 6+3 = 9;  B 6-1 = 5
 *   pass 3: A 12;  B 4
 *   pass 4: A 15;  B 3
 *   pass 5: A 18;  B 2
 *   pass 6: A 21 -> capped 20;  B 1
 *   pass 7: A 20 (capped);  B 0: evicted (swapped out), nr_reclaimed 1
 */
static void test_linux20_protects_frequent_page(void **state) {
  (void)state;
  static const unsigned age_a[] = {6, 9, 12, 15, 18, 20, 20};
  static const unsigned age_b[] = {6, 5, 4, 3, 2, 1};
  vmsim_sim *sim = ag_sim(linux20, ARRAY_SIZE(linux20));
  uint32_t pid = rt_process(sim, 0, 2);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 2, true);
  struct vmsim_page *a = ag_anon(sim, pid, 0), *b = ag_anon(sim, pid, 1);
  expect_listed(a, AG_ACTIVE, 3);
  expect_listed(b, AG_ACTIVE, 3);

  for (unsigned pass = 1; pass <= 7; pass++) {
    if (pass > 1)
      ag_touch(sim, pid, 0);
    vmsim_scan_control sc = rt_shrink(sim, DEF_PRIORITY, 1);
    assert_int_equal(sc.nr_scanned, 2);
    expect_listed(a, AG_ACTIVE, age_a[pass - 1]);
    if (pass < 7) {
      assert_int_equal(sc.nr_reclaimed, 0);
      expect_listed(b, AG_ACTIVE, age_b[pass - 1]);
    } else {
      assert_int_equal(sc.nr_reclaimed, 1);
    }
  }
  assert_null(ag_anon(sim, pid, 1));
  assert_non_null(ag_anon(sim, pid, 0));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), 1);
  /* 2.0 had no lists to move pages between */
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 0);

  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

/*
 * The variants differ (rules 1, 2, 6): one anon page, written once (young
 * PTE), k = 2 referenced passes (the fault, then one read), then
 * unreferenced passes at priority 0.
 *   linux20: 3 -> 6 -> 9, then 8, 7, 6 (m = 3) ... 1 after pass 10, 0 at
 *            pass 11: evicted then.
 *   linux24: 2 -> 5 -> 8, then 4, 2, 1 (m = 3), pass 6: 0 -> deactivated
 *            to inactive_dirty (pgdeactivate 1, pgrefill 6: one active page
 *            scanned per pass); pass 7: page_launder rotates it (anon, not
 *            yet in swap: to be written), finds nothing clean to free, then
 *            its launder loop writes it: swapped out and freed.
 */
struct variant_script {
  const struct ag_param *params;
  size_t nr_params;
  unsigned initial;    /* age when it is added */
  unsigned ages[12];   /* after passes 1.. while the page is listed */
  unsigned lists[12];
  unsigned evicted_at; /* pass that evicts it */
  uint64_t pgrefill, pgdeactivate;
};

static void run_variant(const struct variant_script *s) {
  vmsim_sim *sim = ag_sim(s->params, s->nr_params);
  uint32_t pid = rt_process(sim, 0, 1);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 1, true);
  struct vmsim_page *page = ag_anon(sim, pid, 0);
  expect_listed(page, AG_ACTIVE, s->initial);
  for (unsigned pass = 1; pass <= s->evicted_at; pass++) {
    if (pass == 2)
      ag_touch(sim, pid, 0);
    vmsim_scan_control sc = rt_shrink(sim, 0, 1);
    if (pass < s->evicted_at) {
      assert_int_equal(sc.nr_reclaimed, 0);
      expect_listed(page, s->lists[pass - 1], s->ages[pass - 1]);
    } else {
      assert_int_equal(sc.nr_reclaimed, 1);
    }
  }
  assert_null(ag_anon(sim, pid, 0));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pswpout), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgrefill), s->pgrefill);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), s->pgdeactivate);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
}

static void test_variants_differ(void **state) {
  (void)state;
  const struct variant_script v20 = {
    .params = linux20,
    .nr_params = 1,
    .initial = 3,
    .ages = {6, 9, 8, 7, 6, 5, 4, 3, 2, 1},
    .evicted_at = 11,
  };
  const struct variant_script v24 = {
    .params = linux24,
    .nr_params = 1,
    .initial = 2,
    .ages = {5, 8, 4, 2, 1, 0},
    .lists = {AG_ACTIVE, AG_ACTIVE, AG_ACTIVE, AG_ACTIVE, AG_ACTIVE, AG_INACTIVE_DIRTY},
    .evicted_at = 7,
    .pgrefill = 6,
    .pgdeactivate = 1,
  };
  run_variant(&v20);
  run_variant(&v24);
}

/*
 * read() (rule 6, 2.4.0 __find_page_nolock -> age_page_up; 2.0 find_page
 * sets PG_referenced). A file page read 21 times:
 *   linux20: starts at 3 and stays 3 until a scan, PG_referenced set.
 *   linux24: starts at 2 on the active list; each read adds 3, capped at
 *            64: 2 + 3 * 21 = 65 -> 64.
 * Then, linux24, passes at priority 0: 64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1
 * -> 0 (pass 7: inactive_dirty, pgdeactivate 1). A read now finds it at
 * age 0 on an inactive list: age_page_up activates it (pgactivate 1) with
 * PAGE_AGE_START 2, then adds 3: 5. Passes 8, 9, 10: 2, 1, 0 (inactive_dirty
 * again). Pass 11: page_launder finds it clean and moves it to
 * inactive_clean, and reclaim_page frees it from there (nothing written:
 * pgpgout unchanged).
 */
static void test_read_ages(void **state) {
  (void)state;
  for (int v = 0; v < 2; v++) {
    vmsim_sim *sim = ag_sim(v ? linux24 : linux20, 1);
    uint32_t pid = 0, file = 0;
    assert_ok(vmsim_process_create(sim, &pid));
    assert_ok(vmsim_file_create(sim, 1, &file));
    for (int i = 0; i < 21; i++)
      assert_ok(vmsim_file_read(sim, 0, pid, file, 0));
    uint64_t e = vmsim__file_get(sim, file)->cache[0];
    assert_true(cache_entry_is_page(e));
    struct vmsim_page *page = &sim->mem_map[cache_entry_pfn(e)];
    if (!v) {
      expect_listed(page, AG_ACTIVE, 3);
      assert_true(vmsim_page_test(page, VMSIM_PG_referenced));
    } else {
      static const unsigned ages[] = {32, 16, 8, 4, 2, 1, 0, 2, 1, 0};
      expect_listed(page, AG_ACTIVE, 64);
      for (unsigned pass = 1; pass <= 10; pass++) {
        if (pass == 8) {
          assert_ok(vmsim_file_read(sim, 0, pid, file, 0));
          expect_listed(page, AG_ACTIVE, 5);
          assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgactivate), 1);
        }
        assert_int_equal(rt_shrink(sim, 0, 1).nr_reclaimed, 0);
        bool inactive = pass == 7 || pass == 10;
        expect_listed(page, inactive ? AG_INACTIVE_DIRTY : AG_ACTIVE, ages[pass - 1]);
      }
      assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgdeactivate), 2);
      uint64_t pgpgout = rt_vmstat(sim, VMSIM_VM_pgpgout);
      assert_int_equal(rt_shrink(sim, 0, 1).nr_reclaimed, 1);
      assert_false(cache_entry_is_page(vmsim__file_get(sim, file)->cache[0]));
      assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgpgout), pgpgout);
    }
    assert_sim_consistent(sim);
    vmsim_sim_destroy(sim);
  }
}

/*
 * The constants as tunables (linux20): initial_age 5, age_advance 2,
 * age_max 7, age_decline 2. One page, written (young), read again before
 * pass 2, then left alone; priority 0:
 *   pass 1: 5 + 2 = 7; pass 2: 7 + 2 = 9 -> 7; passes 3, 4, 5: 5, 3, 1;
 *   pass 6: 1 - 2 -> 0: evicted.
 */
static void test_tunables_take_effect(void **state) {
  (void)state;
  static const struct ag_param params[] = {
    {"initial_age", "5"}, {"age_advance", "2"}, {"age_max", "7"}, {"age_decline", "2"}};
  const struct variant_script s = {
    .params = params,
    .nr_params = ARRAY_SIZE(params),
    .initial = 5,
    .ages = {7, 7, 5, 3, 1},
    .evicted_at = 6,
  };
  run_variant(&s);
}

/* Configurations vmsim_config_validate() must refuse, with the message it
 * must give (NULL: must accept). */
static const struct {
  struct ag_param params[2];
  const char *message;
} config_cases[] = {
  {{{"age_max", "0"}}, "age_max = 0 is out of range 1..255"},
  {{{"age_max", "256"}}, "age_max = 256 is out of range 1..255"},
  {{{"variant", "linux26"}}, "variant = 'linux26' is not one of linux20 | linux24"},
  /* linux20's age_max is 20, linux24's 64 */
  {{{"initial_age", "30"}}, "initial_age = 30 is out of range 0..20"},
  {{{"variant", "linux24"}, {"initial_age", "30"}}, NULL},
  {{{"initial_age", "15"}, {"age_max", "10"}},
   "with age_max as set, initial_age = 15 is out of range 0..10"},
  {{{"age_advance", "0"}}, "age_advance = 0 is out of range 1..20"},
  /* a decline of 9 is fine for linux20, not as linux24's shift */
  {{{"age_decline", "9"}, {"variant", "linux24"}},
   "with variant as set, age_decline = 9 is out of range 1..7"},
  {{{"age_decline", "0"}}, "age_decline = 0 is out of range 1..20"},
  {{{"age_advance", "3x"}}, "age_advance = '3x' is not a whole number"},
  {{{"initial_age", "-1"}}, "initial_age = '-1' is not a whole number"},
  {{{"bogus", "1"}}, "no tunable 'bogus'"},
};

static void test_tunable_errors(void **state) {
  (void)state;
  for (size_t i = 0; i < ARRAY_SIZE(config_cases); i++) {
    vmsim_config cfg;
    char msg[256] = "";
    ag_config(&cfg, config_cases[i].params, config_cases[i].params[1].key ? 2 : 1);
    int rc = vmsim_config_validate(&cfg, msg, sizeof(msg));
    const char *want = config_cases[i].message;
    if (!want && rc)
      fail_msg("case %zu: unexpected error: %s", i, msg);
    if (want && (rc != VMSIM_ECONFIG || !strstr(msg, want)))
      fail_msg("case %zu: got %s \"%s\", want \"%s\"", i, vmsim_err_name(rc), msg, want);
  }

  vmsim_config cfg;
  vmsim_sim *sim = NULL;
  ag_config(&cfg, config_cases[0].params, 1);
  assert_int_equal(vmsim_sim_create(&sim, &cfg), VMSIM_ECONFIG);
  assert_null(sim);
}

/* ---- conformance of linux24 ----------------------------------------------- */

/* test_conformance runs "aging" (linux20) with every other built-in; this
 * registers the policy set to linux24 before any page arrives, and runs it. */
static vmsim_policy_ops aging24_ops;

static int aging24_init(vmsim_lruvec *lruvec, void *state) {
  const vmsim_policy_ops *aging = vmsim_policy_find("aging");
  int err = aging->init(lruvec, state);
  return err ? err : aging->configure(lruvec, state, "variant", "linux24", NULL, 0);
}

static void test_linux24_conformance(void **state) {
  (void)state;
  char msg[512] = "";
  aging24_ops = *vmsim_policy_find("aging");
  aging24_ops.name = "aging-linux24";
  aging24_ops.init = aging24_init;
  assert_ok(vmsim_policy_register(&aging24_ops, msg, sizeof(msg)));
  int rc = vmsim_policy_conformance("aging-linux24", msg, sizeof(msg));
  if (rc)
    fail_msg("%s (%s)", msg, vmsim_err_name(rc));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_linux20_protects_frequent_page),
    cmocka_unit_test(test_variants_differ),
    cmocka_unit_test(test_read_ages),
    cmocka_unit_test(test_tunables_take_effect),
    cmocka_unit_test(test_tunable_errors),
    cmocka_unit_test(test_linux24_conformance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
