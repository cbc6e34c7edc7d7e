/* SPDX-License-Identifier: MIT */
/*
 * The host allocator shim (src/core/alloc.c), error codes (error.c) and
 * vmstat names (vmstat.c). The shim is process-global; every test leaves
 * failure injection off and the default allocator in place.
 */
#include "vmsim_test.h"

#include <stdlib.h>

static vmsim_alloc_stats stats_now(void) {
  vmsim_alloc_stats s;
  vmsim_alloc_get_stats(&s);
  return s;
}

/* Two nodes, so that creation makes a zonelist per node. */
static void config_two_nodes(vmsim_config *cfg) {
  vmsim_config_default(cfg);
  cfg->nr_nodes = 2;
  cfg->nodes[1] = (vmsim_node_config){
    .pages = 2048, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
}

/* How many shim allocations a successful vmsim_sim_create(cfg) makes; its
 * destroy must free as many. */
static uint64_t count_create_allocs(const vmsim_config *cfg) {
  vmsim_alloc_stats a = stats_now();
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, cfg));
  vmsim_alloc_stats b = stats_now();
  vmsim_sim_destroy(sim);
  vmsim_alloc_stats c = stats_now();
  assert_int_equal(c.nr_frees - b.nr_frees, b.nr_allocs - a.nr_allocs);
  assert_int_equal(b.nr_failed, a.nr_failed);
  return b.nr_allocs - a.nr_allocs;
}

/*
 * Failure injection, every step: for n = 1 .. N (N counted from the
 * stats), failing the nth allocation makes create return VMSIM_ENOMEM with
 * *out NULL, and every allocation it made is freed (no leak).
 * With n = N + 1 nothing fails.
 */
static void fail_each_allocation(const vmsim_config *cfg) {
  uint64_t n_allocs = count_create_allocs(cfg);
  assert_true(n_allocs >= 3); /* the machine, its nodes, its mem_map at least */
  for (uint64_t n = 1; n <= n_allocs + 1; n++) {
    vmsim_sim *sim = (vmsim_sim *)&n; /* must be overwritten */
    vmsim_alloc_stats a = stats_now();
    vmsim_alloc_fail_after(n, false);
    int rc = vmsim_sim_create(&sim, cfg);
    vmsim_alloc_fail_after(0, false);
    vmsim_alloc_stats b = stats_now();
    if (n > n_allocs) {
      assert_ok(rc);
      vmsim_sim_destroy(sim);
      continue;
    }
    if (rc != VMSIM_ENOMEM)
      fail_msg("failing allocation %" PRIu64 " of %" PRIu64 ": create returned %d (%s)", n,
               n_allocs, rc, vmsim_err_name(rc));
    assert_null(sim);
    assert_int_equal(b.nr_failed - a.nr_failed, 1);
    /* The n - 1 before it succeeded (create may go on allocating after a
     * failure before it gives up); all of them are freed. */
    assert_true(b.nr_allocs - a.nr_allocs >= n - 1);
    assert_int_equal(b.nr_frees - a.nr_frees, b.nr_allocs - a.nr_allocs); /* no leak */
  }
}

static void test_create_fails_cleanly_at_each_allocation(void **state) {
  (void)state;
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  fail_each_allocation(&cfg);
  config_two_nodes(&cfg);
  fail_each_allocation(&cfg);
}

/*
 * Counting of the injection (alloc.h): nth = 1 fails the next allocation;
 * non-sticky fails once, sticky fails that one and every later one until
 * turned off with 0. realloc of a live block that fails leaves it intact.
 */
static void test_injection_counting_and_sticky(void **state) {
  (void)state;
  void *p[4];

  vmsim_alloc_fail_after(1, false);
  assert_null(vmsim__malloc(8));
  p[0] = vmsim__malloc(8);
  assert_non_null(p[0]);

  vmsim_alloc_fail_after(3, false);
  p[1] = vmsim__calloc(2, 8);
  p[2] = vmsim__realloc(NULL, 8); /* counts as an allocation */
  assert_true(p[1] && p[2]);
  assert_null(vmsim__malloc(8)); /* the 3rd */
  p[3] = vmsim__malloc(8);
  assert_non_null(p[3]);

  vmsim_alloc_stats a = stats_now();
  vmsim_alloc_fail_after(2, true);
  void *q = vmsim__malloc(8);
  assert_non_null(q);
  for (int i = 0; i < 5; i++) {
    assert_null(vmsim__malloc(8));
    assert_null(vmsim__calloc(1, 8));
  }
  assert_null(vmsim__realloc(p[0], 64)); /* fails; p[0] still ours */
  vmsim_sim *sim = NULL;
  assert_int_equal(vmsim_sim_create(&sim, NULL), VMSIM_ENOMEM);
  assert_null(sim);
  vmsim_alloc_fail_after(0, false);
  vmsim_alloc_stats b = stats_now();
  assert_int_equal(b.nr_allocs - a.nr_allocs, 1);
  assert_true(b.nr_failed - a.nr_failed >= 12);

  p[0] = vmsim__realloc(p[0], 64);
  assert_non_null(p[0]);
  vmsim__free(q);
  for (int i = 0; i < 4; i++)
    vmsim__free(p[i]);
  vmsim__free(NULL); /* not counted */
  assert_int_equal(stats_now().nr_frees - b.nr_frees, 5);
  assert_ok(vmsim_sim_create(&sim, NULL));
  vmsim_sim_destroy(sim);
}

/* ---- a custom allocator --------------------------------------------------- */

struct counting {
  uint64_t mallocs, callocs, reallocs, frees;
  bool refuse; /* behave as a host out of memory */
};

static void *c_malloc(void *ctx, size_t size) {
  struct counting *c = ctx;
  c->mallocs++;
  return c->refuse ? NULL : malloc(size);
}
static void *c_calloc(void *ctx, size_t n, size_t size) {
  struct counting *c = ctx;
  c->callocs++;
  return c->refuse ? NULL : calloc(n, size);
}
static void *c_realloc(void *ctx, void *ptr, size_t size) {
  struct counting *c = ctx;
  c->reallocs++;
  return c->refuse ? NULL : realloc(ptr, size);
}
static void c_free(void *ctx, void *ptr) {
  struct counting *c = ctx;
  c->frees++;
  free(ptr);
}

/*
 * vmsim_set_allocator: every allocation of create goes to the custom
 * allocator with its ctx, destroy frees through it, a refusal surfaces as
 * VMSIM_ENOMEM; vmsim_set_allocator(NULL) restores the default, after which
 * the custom one is not called.
 */
static void test_custom_allocator(void **state) {
  (void)state;
  vmsim_config cfg;
  config_two_nodes(&cfg);
  uint64_t n_allocs = count_create_allocs(&cfg);

  struct counting c = {0};
  const vmsim_allocator custom = {c_malloc, c_calloc, c_realloc, c_free, &c};
  vmsim_set_allocator(&custom);
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  assert_int_equal(c.mallocs + c.callocs + c.reallocs, n_allocs);
  vmsim_sim_destroy(sim);
  assert_int_equal(c.frees, n_allocs);

  c.refuse = true;
  vmsim_alloc_stats a = stats_now();
  assert_int_equal(vmsim_sim_create(&sim, &cfg), VMSIM_ENOMEM);
  assert_null(sim);
  assert_int_equal(stats_now().nr_failed - a.nr_failed, c.mallocs + c.callocs + c.reallocs -
                                                            n_allocs);
  c.refuse = false;

  vmsim_set_allocator(NULL);
  struct counting before = c;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  vmsim_sim_destroy(sim);
  assert_memory_equal(&before, &c, sizeof(c));
}

/* ---- error codes ------------------------------------------------------------ */

static const struct {
  int code;
  const char *name, *msg;
} errors[] = {
#define ERR_ENTRY_(name, value, msg) {VMSIM_##name, #name, msg},
  VMSIM_ERRNO_MAP(ERR_ENTRY_)
#undef ERR_ENTRY_
};

/* Every code in VMSIM_ERRNO_MAP is negative, has its own non-empty name and
 * message, distinct from every other code's and from the unknown-code text;
 * 0 is success. */
static void test_error_strings(void **state) {
  (void)state;
  const char *unknown_msg = vmsim_strerror(-1000), *unknown_name = vmsim_err_name(-1000);
  assert_string_equal(unknown_name, "EUNKNOWN");
  assert_string_equal(vmsim_err_name(1), "EUNKNOWN");
  assert_string_equal(vmsim_err_name(0), "OK");
  assert_string_equal(vmsim_strerror(0), "success");
  for (unsigned i = 0; i < ARRAY_SIZE(errors); i++) {
    const char *msg = vmsim_strerror(errors[i].code), *name = vmsim_err_name(errors[i].code);
    assert_true(errors[i].code < 0);
    assert_true(errors[i].code > VMSIM_ERRNO_MIN_);
    assert_non_null(msg);
    assert_non_null(name);
    assert_true(msg[0] && name[0]);
    assert_string_equal(name, errors[i].name);
    assert_string_equal(msg, errors[i].msg);
    assert_string_not_equal(msg, unknown_msg);
    assert_string_not_equal(name, unknown_name);
    for (unsigned j = 0; j < i; j++) {
      assert_int_not_equal(errors[i].code, errors[j].code);
      assert_string_not_equal(msg, vmsim_strerror(errors[j].code));
      assert_string_not_equal(name, vmsim_err_name(errors[j].code));
    }
  }
}

/* ---- vmstat names -------------------------------------------------------------- */

static const char *const vmstat_names[] = {
#define VMSTAT_NAME_(name) #name,
  VMSIM_VMSTAT_MAP(VMSTAT_NAME_)
#undef VMSTAT_NAME_
};

/* Each item's name is its /proc/vmstat name from the X-macro list, unique,
 * and vmsim_vmstat_lookup() maps it back; out-of-range items have no name
 * and read 0; an unknown name is VMSIM_ENOENT. */
static void test_vmstat_names(void **state) {
  (void)state;
  assert_int_equal(ARRAY_SIZE(vmstat_names), VMSIM_NR_VMSTAT);
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++) {
    const char *name = vmsim_vmstat_name(i);
    assert_non_null(name);
    assert_string_equal(name, vmstat_names[i]);
    assert_int_equal(vmsim_vmstat_lookup(name), i);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(name, vmstat_names[j]);
  }
  assert_string_equal(vmsim_vmstat_name(VMSIM_VM_nr_free_pages), "nr_free_pages");
  assert_string_equal(vmsim_vmstat_name(VMSIM_VM_oom_kill), "oom_kill");
  assert_null(vmsim_vmstat_name(-1));
  assert_null(vmsim_vmstat_name(VMSIM_NR_VMSTAT));
  assert_int_equal(vmsim_vmstat_lookup("no_such_counter"), VMSIM_ENOENT);
  assert_int_equal(vmsim_vmstat_lookup(""), VMSIM_ENOENT);
  assert_int_equal(vmsim_vmstat_lookup("nr_free_page"), VMSIM_ENOENT); /* no prefix match */

  vmsim_sim *sim = NULL;
  uint64_t snap[VMSIM_NR_VMSTAT];
  assert_ok(vmsim_sim_create(&sim, NULL));
  vmsim_vmstat_snapshot(sim, snap);
  assert_int_equal(snap[VMSIM_VM_nr_free_pages], 131072);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), 131072);
  assert_int_equal(vmsim_vmstat(sim, -1), 0);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_NR_VMSTAT), 0);
  vmsim_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_create_fails_cleanly_at_each_allocation),
    cmocka_unit_test(test_injection_counting_and_sticky),
    cmocka_unit_test(test_custom_allocator),
    cmocka_unit_test(test_error_strings),
    cmocka_unit_test(test_vmstat_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
