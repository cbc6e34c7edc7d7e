/* SPDX-License-Identifier: MIT */
/*
 * Resource limits: a machine whose simulator state cannot fit in the host
 * is refused up front (vmsim_config_validate), as is a trace whose
 * distinct pages cannot (vmsim_replay's pass 1); addresses beyond the
 * 47-bit address space cost no host memory per address. Built twice: as
 * the unit test `limits`, and with VMSIM_TEST_CLI as `limits_cli`, which
 * runs the same limits through the vmsim command (VMSIM_BIN).
 */
#include "cli_test.h"

#include "swap.h"
#include "tlb.h"

#define GiB (UINT64_C(1) << 30)

static int setup(void **state) {
  (void)state;
  return cli_setup();
}

static int teardown(void **state) {
  (void)state;
  vmsim__set_host_memory(0);
  return cli_teardown();
}

/* Host bytes a configuration needs, as config.c counts them. */
static uint64_t machine_bytes(const vmsim_config *cfg) {
  uint64_t pages = 0, cpus = 0, slots = 0;
  for (uint32_t i = 0; i < cfg->nr_nodes; i++) {
    pages += cfg->nodes[i].pages;
    cpus += cfg->nodes[i].nr_cpus;
  }
  for (uint32_t i = 0; i < cfg->nr_swap; i++)
    slots += cfg->swap[i].pages;
  return pages * sizeof(struct vmsim_page) +
         slots * sizeof(struct vmsim_swap_slot) +
         cpus * ((uint64_t)cfg->tlb.l1_entries + cfg->tlb.l2_entries) *
             (2 * sizeof(uint64_t) + sizeof(struct vmsim_tlb_entry)) + /* tag, stamp, entry */
         cpus * cfg->tlb.l2_entries * 16; /* the STLB's presence filter, at most */
}

/* A scenario's smallest workload, and a machine of 4 TiB (2^30 frames). */
#define WORKLOAD                                                               \
  "workload:\n"                                                                \
  "  processes:\n"                                                             \
  "    - name: p\n"                                                            \
  "      accesses: 1000\n"                                                     \
  "      vmas: [{start: 0x10000000, size: 1MiB}]\n"                            \
  "      driver: {generator: sequential}\n"
static const char big_yaml[] = "machine:\n"
                               "  nodes:\n"
                               "    - memory: 4TiB\n" WORKLOAD;

/* 8 TiB of RAM (2^31 frames) and the largest swap device (2^32 - 1 slots). */
static void config_huge(vmsim_config *cfg) {
  vmsim_config_default(cfg);
  cfg->nodes[0].pages = UINT64_C(1) << 31;
  cfg->swap[0].pages = UINT32_MAX;
}

#ifndef VMSIM_TEST_CLI

/* ---- the machine ----------------------------------------------------------- */

static void test_format_bytes(void **state) {
  (void)state;
  static const struct {
    uint64_t bytes;
    const char *text;
  } cases[] = {
    {0, "0 bytes"},          {1023, "1023 bytes"},       {1024, "1 KiB"},
    {1536, "1.5 KiB"},       {24 * GiB, "24 GiB"},       {GiB + GiB / 5, "1.2 GiB"},
    {1229 * GiB, "1.2 TiB"}, {UINT64_MAX, "16.0 EiB"},
  };
  char buf[32];
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    assert_string_equal(vmsim__format_bytes(buf, sizeof(buf), cases[i].bytes), cases[i].text);
}

/*
 * 8 TiB with a 16 TiB swap device: 2^31 frames x 64 bytes = 128 GiB of
 * frame descriptors and (2^32 - 1) slots x 24 bytes (struct vmsim_swap_slot)
 * = 96 GiB of swap bookkeeping, 224 GiB with the TLBs' few KiB. Refused by validate with the message, and by create
 * before it allocates anything. Pretends the host has 24 GiB, so that the
 * test means the same on any host.
 */
static void test_machine_too_big(void **state) {
  (void)state;
  vmsim_config cfg;
  char msg[256] = "";
  config_huge(&cfg);
  vmsim__set_host_memory(24 * GiB);
  assert_int_equal(vmsim_config_validate(&cfg, msg, sizeof(msg)), VMSIM_ECONFIG);
  assert_string_equal(msg, "machine: needs 224.0 GiB of host memory for its page frames, swap "
                           "and TLBs, the host has 24 GiB");

  vmsim_alloc_stats a, b;
  vmsim_sim *sim = (vmsim_sim *)&cfg;
  vmsim_alloc_get_stats(&a);
  assert_int_equal(vmsim_sim_create(&sim, &cfg), VMSIM_ECONFIG);
  vmsim_alloc_get_stats(&b);
  assert_null(sim);
  assert_int_equal(b.nr_allocs, a.nr_allocs);

  /* The real host, whatever it is: refused unless it has 224 GiB. */
  vmsim__set_host_memory(0);
  uint64_t host = vmsim__host_memory();
  if (host < machine_bytes(&cfg)) {
    assert_int_equal(vmsim_config_validate(&cfg, msg, sizeof(msg)), VMSIM_ECONFIG);
    assert_non_null(strstr(msg, "machine: needs 224.0 GiB of host memory"));
  } else {
    print_message("the host has %" PRIu64 " bytes: the 8 TiB machine fits\n", host);
  }
}

/* The bound is exact: a machine that needs exactly the host's memory is
 * accepted, one byte more is refused; what counts is frames, swap slots
 * and TLB entries, each in proportion. */
static void test_machine_bound(void **state) {
  (void)state;
  vmsim_config cfg;
  char msg[256];
  vmsim_config_default(&cfg);
  uint64_t need = machine_bytes(&cfg);
  assert_true(need > 131072 * 64);
  vmsim__set_host_memory(need);
  assert_ok(vmsim_config_validate(&cfg, msg, sizeof(msg)));
  vmsim__set_host_memory(need - 1);
  assert_int_equal(vmsim_config_validate(&cfg, msg, sizeof(msg)), VMSIM_ECONFIG);
  assert_non_null(strstr(msg, "machine: needs "));

  /* Each part counts: more swap, more CPUs, more TLB entries. */
  vmsim__set_host_memory(need);
  cfg.swap[0].pages++;
  assert_int_equal(vmsim_config_validate(&cfg, NULL, 0), VMSIM_ECONFIG);
  cfg.swap[0].pages--;
  cfg.nodes[0].nr_cpus++;
  assert_int_equal(vmsim_config_validate(&cfg, NULL, 0), VMSIM_ECONFIG);
  cfg.nodes[0].nr_cpus--;
  cfg.tlb.l1_entries *= 2;
  assert_int_equal(vmsim_config_validate(&cfg, NULL, 0), VMSIM_ECONFIG);
  cfg.tlb.l1_entries /= 2;
  cfg.nodes[0].pages++;
  cfg.nr_swap = 0; /* its slots (24 bytes each) make room for 1 frame */
  assert_ok(vmsim_config_validate(&cfg, NULL, 0));
  vmsim__set_host_memory(0);
}

/* A scenario asking for 4 TiB: the loader reports it at the machine
 * section, file:line:column. */
static void test_scenario_too_big(void **state) {
  (void)state;
  vmsim_scenario *scn = NULL;
  char err[512];
  vmsim__set_host_memory(24 * GiB);
  assert_int_equal(vmsim_scenario_parse(&scn, big_yaml, strlen(big_yaml), "big.yaml", err,
                                        sizeof(err)),
                   VMSIM_ECONFIG);
  assert_null(scn);
  assert_string_equal(err, "big.yaml:1:1: error: machine: needs 64.0 GiB of host memory for its "
                           "page frames, swap and TLBs, the host has 24 GiB");
  vmsim__set_host_memory(0);
}

/* ---- traces ------------------------------------------------------------------ */

/* A trace of n accesses, all above the 47-bit address space. */
static const char *write_absurd_trace(const char *name, enum vmsim_trace_format fmt, unsigned n) {
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned i = 0; i < n; i++) {
    uint64_t addr = (UINT64_C(1) << 47) + (uint64_t)i * 4096 * 7919; /* all distinct */
    if (fmt == VMSIM_TRACE_LACKEY)
      fprintf(f, i % 2 ? " S %" PRIx64 ",8\n" : " L %" PRIx64 ",4\n", addr);
    else
      fprintf(f, "%c %" PRIx64 "\n", i % 2 ? 'W' : 'R', addr);
  }
  /* lackey's vsyscall page and the very top of the 64-bit space */
  fprintf(f, fmt == VMSIM_TRACE_LACKEY ? "I  ffffffffff600000,3\n" : "R ffffffffff600000\n");
  fprintf(f, fmt == VMSIM_TRACE_LACKEY ? " L fffffffffffff000,1\n" : "R fffffffffffff000\n");
  fclose(f);
  return strcpy(malloc(strlen(path) + 1), path);
}

/* Replay `path`: the allocations it made; all freed. */
static uint64_t replay_allocs(const char *path, enum vmsim_trace_format fmt,
                              vmsim_replay_result *res) {
  vmsim_replay_options opt = {.path = path, .format = fmt, .frames = 64, .policy = "clock"};
  vmsim_alloc_stats a, b;
  vmsim_sim *sim = NULL;
  char err[512];
  vmsim_alloc_get_stats(&a);
  int rc = vmsim_replay(&opt, &sim, res, err, sizeof(err));
  if (rc)
    fail_msg("%s: %s", vmsim_err_name(rc), err);
  vmsim_sim_destroy(sim);
  vmsim_alloc_get_stats(&b);
  assert_int_equal(b.nr_frees - a.nr_frees, b.nr_allocs - a.nr_allocs);
  return b.nr_allocs - a.nr_allocs;
}

/*
 * Addresses above 2^47 are segmentation faults, counted, and cost no host
 * memory per address: a trace of 200,000 of them makes exactly the host
 * allocations a trace of one does, in both text formats.
 */
static void test_absurd_addresses(void **state) {
  (void)state;
  static const enum vmsim_trace_format fmts[] = {VMSIM_TRACE_TEXT, VMSIM_TRACE_LACKEY};
  for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
    char *one = (char *)write_absurd_trace("one", fmts[i], 1);
    char *many = (char *)write_absurd_trace("many", fmts[i], 200000);
    vmsim_replay_result r1, rn;
    uint64_t a1 = replay_allocs(one, fmts[i], &r1), an = replay_allocs(many, fmts[i], &rn);
    assert_int_equal(r1.segv, 3);
    assert_int_equal(rn.segv, 200002);
    assert_int_equal(rn.accesses, 200002);
    assert_int_equal(rn.distinct_pages, 0);
    assert_int_equal(rn.misses, 0);
    assert_int_equal(an, a1);
    free(one);
    free(many);
  }
}

/* A text trace: `pages` distinct pages, `stride` pages apart from
 * 0x10000000, then again until `n` accesses. */
static const char *write_pages_trace(const char *name, unsigned pages, unsigned stride,
                                     unsigned n) {
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned i = 0; i < n; i++)
    fprintf(f, "R %" PRIx64 "\n", 0x10000000 + (uint64_t)(i % pages) * stride * 4096);
  fclose(f);
  return strcpy(malloc(strlen(path) + 1), path);
}

/* Replay `path` expecting pass 1 to refuse it: ERANGE, a message naming
 * the trace, nothing leaked. */
static void expect_refused(const char *path, const char *policy, const char *needle) {
  vmsim_replay_options opt = {.path = path, .format = VMSIM_TRACE_TEXT, .policy = policy};
  vmsim_replay_result res;
  vmsim_alloc_stats a, b;
  vmsim_sim *sim = NULL;
  char err[512] = "";
  vmsim_alloc_get_stats(&a);
  int rc = vmsim_replay(&opt, &sim, &res, err, sizeof(err));
  vmsim_alloc_get_stats(&b);
  if (rc != VMSIM_ERANGE || !strstr(err, path) || !strstr(err, needle))
    fail_msg("replay %s (%s): %s: %s (want ERANGE and '%s')", path, policy, vmsim_err_name(rc),
             err, needle);
  assert_null(sim);
  assert_int_equal(b.nr_frees - a.nr_frees, b.nr_allocs - a.nr_allocs);
}

/*
 * Pass 1 refuses a trace whose distinct pages would not fit in the host,
 * naming the trace and the count so far. The host is pretended to have
 * 2 MiB; pass 1 counts 16-byte slots of its page set, a 24-byte swap slot
 * for each distinct page, up to twice the count last checked (from 1024),
 * and for a policy that needs the future 8 bytes per access:
 *  - wide.txt, 100,000 dense pages from vpn 0x10000 (a multiple of 64): the
 *    set holds chunks of 64 pages. The 65,537th page opens the 1025th
 *    chunk: the set grows to 4096 slots (64 KiB + 65,536 x 24 bytes
 *    fits), then the page count reaches its bound and is checked for
 *    131,072 pages: 4096 x 16 + 131,072 x 24 = 3,211,264 bytes, 3.06 MiB,
 *    printed 3.1.
 *  - sparse.txt, 100,000 pages 64 apart: one chunk each. At the 32,769th
 *    the set, half full at 65,536 slots, would grow to 131,072: 2 MiB of
 *    slots + 32,768 x 24 bytes (the bound checked at 16,384 pages) =
 *    2,883,584 bytes = 2.75 MiB, printed 2.8.
 *  - long.txt, 300,000 accesses over 10 pages with opt: the next uses
 *    double from 4096; growing from 131,072 to 262,144 needs 2 MiB for
 *    them alone.
 * With the real host all three replay.
 */
static void test_trace_too_big(void **state) {
  (void)state;
  char *wide = (char *)write_pages_trace("wide.txt", 100000, 1, 100000);
  char *sparse = (char *)write_pages_trace("sparse.txt", 100000, 64, 100000);
  char *long_ = (char *)write_pages_trace("long.txt", 10, 1, 300000);
  vmsim__set_host_memory(2 << 20);
  expect_refused(wide, "clock", "65536 distinct pages in its first 65536 accesses, and counting: "
                                "replaying it needs more than 3.1 MiB of host memory, the host "
                                "has 2 MiB");
  expect_refused(sparse, "clock", "32768 distinct pages in its first 32768 accesses, and "
                                  "counting: replaying it needs more than 2.8 MiB of host memory");
  expect_refused(long_, "opt", "10 distinct pages in its first 131072 accesses");
  vmsim__set_host_memory(0);

  vmsim_replay_options opt = {.path = wide, .format = VMSIM_TRACE_TEXT, .frames = 16};
  vmsim_replay_result res;
  vmsim_sim *sim = NULL;
  char err[512];
  assert_ok(vmsim_replay(&opt, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.distinct_pages, 100000);
  vmsim_sim_destroy(sim);
  opt.path = sparse;
  assert_ok(vmsim_replay(&opt, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.distinct_pages, 100000);
  vmsim_sim_destroy(sim);
  opt.path = long_;
  opt.policy = "opt";
  assert_ok(vmsim_replay(&opt, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.misses, 10);
  vmsim_sim_destroy(sim);
  free(wide);
  free(sparse);
  free(long_);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_format_bytes),
    cmocka_unit_test(test_machine_too_big),
    cmocka_unit_test(test_machine_bound),
    cmocka_unit_test(test_scenario_too_big),
    cmocka_unit_test(test_absurd_addresses),
    cmocka_unit_test(test_trace_too_big),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

#else /* VMSIM_TEST_CLI */

/* ---- through the vmsim command ------------------------------------------------ */

/* `vmsim run` of a 4 TiB machine: status 2, the message at the machine
 * section. Skipped on a host that could hold it (64 GiB of frames). */
static void test_run_too_big(void **state) {
  (void)state;
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.nodes[0].pages = UINT64_C(1) << 30;
  cfg.nr_swap = 0;
  if (vmsim__host_memory() >= machine_bytes(&cfg)) {
    print_message("the host has %" PRIu64 " bytes: a 4 TiB machine would fit\n",
                  vmsim__host_memory());
    skip();
  }
  write_file("big.yaml", big_yaml);
  expect_error("run big.yaml", 2, "big.yaml:1:1: error: machine: needs 64.0 GiB of host memory");
}

/* The same for the 8 TiB machine with its 16 TiB swap device. */
static void test_run_huge(void **state) {
  (void)state;
  vmsim_config cfg;
  config_huge(&cfg);
  if (vmsim__host_memory() >= machine_bytes(&cfg))
    skip();
  write_file("huge.yaml", "machine:\n"
                          "  nodes:\n"
                          "    - memory: 8TiB\n"
                          "  swap:\n"
                          "    - {size: 17179869180KiB, type: ssd}\n" WORKLOAD);
  expect_error("run huge.yaml", 2, "huge.yaml:1:1: error: machine: needs 224.0 GiB");
}

/* `vmsim replay` of a lackey trace of nothing but addresses above 2^47:
 * every access a segv, status 0, done in constant host memory. */
static void test_replay_absurd(void **state) {
  (void)state;
  char path[300];
  snprintf(path, sizeof(path), "%s/absurd.lackey", tmpdir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned i = 0; i < 100000; i++)
    fprintf(f, " L %" PRIx64 ",8\n", (UINT64_C(1) << 47) + (uint64_t)i * 4096 * 104729);
  fclose(f);
  struct result r;
  vmsim(&r, "replay absurd.lackey --trace-format lackey --output json");
  if (r.status != 0 || !strstr(r.out, "\"accesses\": 100000,") ||
      !strstr(r.out, "\"misses\": 0,") || !strstr(r.out, "\"nr_page_table_pages\": 1,"))
    fail_msg("vmsim replay absurd.lackey: status %d, stdout:\n%s\nstderr:\n%s", r.status, r.out,
             r.err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_run_too_big),
    cmocka_unit_test(test_run_huge),
    cmocka_unit_test(test_replay_absurd),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

#endif /* VMSIM_TEST_CLI */
