/* SPDX-License-Identifier: MIT */
/*
 * Policies loaded from shared objects (vmsim_policy_load, src/core/policy.c):
 * the custom policy example (examples/custom_policy/random.c) loads, runs
 * and passes the conformance suite; broken plugins (tests/plugins/plugin.c
 * variants) are refused with a message saying what is wrong; a plugin
 * built against an older, shorter table still loads and works.
 *
 * The paths come from tests/meson.build: VMSIM_CUSTOM_POLICY (random.so)
 * and VMSIM_TEST_PLUGINS (the directory of plugin_<variant>.so). This
 * program links the shared library, as a program loading plugins must, and
 * uses the public API only.
 */
#include "vmsim_test.h"

#include <stdio.h>
#include <stdlib.h>

#define PAGE VMSIM_PAGE_SIZE
#define BASE (UINT64_C(1) << 30)

static const char *env_path(const char *var) {
  const char *p = getenv(var);
  if (!p || !*p)
    fail_msg("%s is not set (run through meson test)", var);
  return p;
}

static const char *plugin_path(const char *variant, char *buf, size_t len) {
  snprintf(buf, len, "%s/plugin_%s.so", env_path("VMSIM_TEST_PLUGINS"), variant);
  return buf;
}

static const char *load_ok(const char *path) {
  char msg[512];
  const char *name = NULL;
  int rc = vmsim_policy_load(path, &name, msg, sizeof(msg));
  if (rc)
    fail_msg("vmsim_policy_load(%s): %s (%s)", path, msg, vmsim_err_name(rc));
  assert_non_null(name);
  return name;
}

static void conforms(const char *name) {
  char msg[512];
  int rc = vmsim_policy_conformance(name, msg, sizeof(msg));
  if (rc)
    fail_msg("%s (%s)", msg, vmsim_err_name(rc));
}

/* Demand paging with 16 frames: 600 random reads over 40 anon pages. */
static void run_on_demand(const char *policy, const char *seed) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  cfg.nodes[0].pages = 16;
  memset(cfg.nodes[0].zone_pages, 0, sizeof(cfg.nodes[0].zone_pages));
  cfg.nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
  snprintf(cfg.policy, sizeof(cfg.policy), "%s", policy);
  if (seed) {
    cfg.nr_policy_params = 1;
    snprintf(cfg.policy_params[0].key, sizeof(cfg.policy_params[0].key), "seed");
    snprintf(cfg.policy_params[0].value, sizeof(cfg.policy_params[0].value), "%s", seed);
  }
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  uint32_t pid = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, BASE, 40 * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
  uint64_t rng = 3;
  for (int i = 0; i < 600; i++)
    assert_ok(vmsim_access(sim, 0, pid, BASE + test_rand(&rng) % 40 * PAGE, false));
  uint64_t faults = vmsim_vmstat(sim, VMSIM_VM_pgfault);
  assert_true(faults > 16);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct), faults - 16);
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), 0);
  char msg[256];
  if (vmsim_check(sim, msg, sizeof(msg)))
    fail_msg("vmsim_check: %s", msg);
  assert_int_equal(vmsim_integrity_errors(sim), 0);
  vmsim_sim_destroy(sim);
}

static void test_custom_policy(void **state) {
  (void)state;
  const char *name = load_ok(env_path("VMSIM_CUSTOM_POLICY"));
  assert_string_equal(name, "random");
  assert_non_null(vmsim_policy_find("random"));
  /* Loading the same object again finds the same table: harmless. */
  assert_string_equal(load_ok(env_path("VMSIM_CUSTOM_POLICY")), "random");
  run_on_demand("random", NULL);
  run_on_demand("random", "42");

  /* Its tunable is checked when the configuration is. */
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  snprintf(cfg.policy, sizeof(cfg.policy), "random");
  cfg.nr_policy_params = 1;
  snprintf(cfg.policy_params[0].key, sizeof(cfg.policy_params[0].key), "seed");
  snprintf(cfg.policy_params[0].value, sizeof(cfg.policy_params[0].value), "x1");
  char msg[256] = "";
  assert_int_equal(vmsim_config_validate(&cfg, msg, sizeof(msg)), VMSIM_ECONFIG);
  assert_non_null(strstr(msg, "seed"));
}

static void test_custom_policy_conforms(void **state) {
  (void)state;
  conforms(load_ok(env_path("VMSIM_CUSTOM_POLICY")));
}

/* A table whose struct_size stops after `shrink` (an ABI before the
 * optional members): it loads, works, and its members past struct_size,
 * which abort, are never called. */
static void test_older_abi_loads(void **state) {
  (void)state;
  char path[1024];
  const char *name = load_ok(plugin_path("oldabi", path, sizeof(path)));
  assert_string_equal(name, "oldabi");
  run_on_demand("oldabi", NULL);
  conforms("oldabi");
}

static void test_bad_plugins_refused(void **state) {
  (void)state;
  static const struct {
    const char *variant;
    int err;
    const char *says;
  } bad[] = {
    {"nosym", VMSIM_EABI, "no symbol 'vmsim_policy_entry'"},
    {"abi99", VMSIM_EABI, "abi_version 99 is not supported"},
    {"small", VMSIM_EABI, "is smaller than a version-1 table"},
    {"nullcb", VMSIM_EINVAL, "required callback shrink is NULL"},
    {"badname", VMSIM_EINVAL, "name must be 1..31 characters of [a-z0-9_-]"},
    {"dupname", VMSIM_EEXIST, "policy 'clock': a policy of that name exists"},
    {"missing", VMSIM_ENOENT, "cannot load"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    char path[1024], msg[512] = "";
    const char *name = "unchanged";
    plugin_path(bad[i].variant, path, sizeof(path));
    int rc = vmsim_policy_load(path, &name, msg, sizeof(msg));
    if (rc != bad[i].err || !strstr(msg, bad[i].says) || !strstr(msg, path))
      fail_msg("%s: got %s \"%s\", expected %s and \"%s\"", bad[i].variant, vmsim_err_name(rc),
               msg, vmsim_err_name(bad[i].err), bad[i].says);
    assert_string_equal(name, "unchanged");
  }
  assert_null(vmsim_policy_find("abi99"));
  assert_null(vmsim_policy_find("small"));
  assert_int_equal(vmsim_policy_load(NULL, NULL, NULL, 0), VMSIM_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_custom_policy),
    cmocka_unit_test(test_custom_policy_conforms),
    cmocka_unit_test(test_older_abi_loads),
    cmocka_unit_test(test_bad_plugins_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
