/* SPDX-License-Identifier: MIT */
/*
 * The YAML scenario loader (src/scenario/scenario.c, yamlutil.c): a full
 * example parsed into exactly the expected configuration, the defaults,
 * every class of error with its exact FILE:LINE:COLUMN message and return
 * code, every shipped example, and allocation failure at every allocation.
 * And the runner (run.c): its scheduler against a reference that makes one
 * access at a time.
 */
#include "vmsim_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EXAMPLES VMSIM_TEST_SRCDIR "/../examples/scenarios/"
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* ---- a policy with a tunable, to test policy_params -------------------- */

static int test_configure(vmsim_lruvec *lruvec, void *state, const char *key, const char *value,
                          char *msg, size_t len) {
  (void)lruvec, (void)state;
  if (strcmp(key, "variant") != 0)
    return VMSIM_ENOENT;
  if (strcmp(value, "linux24") != 0 && strcmp(value, "modern") != 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "variant: '%s' is not linux24 or modern", value);
  return 0;
}

static vmsim_policy_ops test_policy;

static int register_test_policy(void **state) {
  (void)state;
  char msg[256];
  test_policy = *vmsim_policy_find("clock");
  test_policy.name = "scn-test";
  test_policy.configure = test_configure;
  assert_ok(vmsim_policy_register(&test_policy, msg, sizeof(msg)));
  return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static vmsim_scenario *parse_as(const char *text, const char *name) {
  vmsim_scenario *scn = NULL;
  char err[512] = "";
  int rc = vmsim_scenario_parse(&scn, text, strlen(text), name, err, sizeof(err));
  if (rc)
    fail_msg("vmsim_scenario_parse: %s: %s", vmsim_err_name(rc), err);
  assert_non_null(scn);
  return scn;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  char *buf = malloc(1 << 20);
  assert_non_null(buf);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

/* The end of a scenario that is right, for errors placed before it. */
#define WORKLOAD                                                                   \
  "workload:\n"                                                                    \
  "  processes:\n"                                                                 \
  "    - name: p\n"                                                                \
  "      accesses: 10\n"                                                           \
  "      vmas: [{start: 0x10000, size: 64KiB}]\n"                                  \
  "      driver: {generator: sequential}\n"

/* The start of one process of a workload, for errors placed after it. */
#define PROCESS                                                                    \
  "workload:\n"                                                                    \
  "  processes:\n"                                                                 \
  "    - name: p\n"                                                                \
  "      accesses: 10\n"

/* ---- the full example ---------------------------------------------------- */

static const char full_example[] =
    "machine:\n"
    "  nodes:\n"
    "    - memory: 512MiB\n"
    "      cpus: 2\n"
    "      zones: {DMA: 16MiB, DMA32: rest}\n"
    "    - memory: 1GiB\n"
    "      cpus: 4\n"
    "  distance: [[10, 20], [20, 10]]\n"
    "  tlb: {l1_entries: 32, l1_ways: 4, l2_entries: 1024, l2_ways: 8}\n"
    "  swap:\n"
    "    - {size: 256MiB, type: ssd, priority: 5}\n"
    "    - {size: 1.5GiB, read_latency: 2.5us, write_latency: 1ms, name: slow}\n"
    "  costs: {l1_tlb_hit: 2ns, l2_tlb_hit: 9ns, walk_level: 30ns, minor_fault: 0.6us,\n"
    "          major_fault: 3us, file_read: 80us, file_write: 0.25ms, reclaim_scan: 40}\n"
    "vm:\n"
    "  policy: scn-test\n"
    "  policy_params: {variant: linux24}\n"
    "  swappiness: 100\n"
    "  min_free_kbytes: 4096\n"
    "  watermark_scale_factor: 150\n"
    "  watermark_style: linux26\n"
    "  reclaim: on-demand\n"
    "files:\n"
    "  - {name: data, size: 1GiB}\n"
    "  - {name: logs, size: 64MiB}\n"
    "workload:\n"
    "  seed: 42\n"
    "  quantum: 500\n"
    "  processes:\n"
    "    - name: db\n"
    "      start: 0ms\n"
    "      oom_score_adj: -500\n"
    "      accesses: 1_000_000\n"
    "      vmas:\n"
    "        - {start: 0x10000000, size: 256MiB, type: anon, prot: rw, locked: true}\n"
    "        - {start: 0x40000000, size: 512MiB, type: file, file: data, shared: true,\n"
    "           prot: r, offset: 256MiB}\n"
    "      driver:\n"
    "        generator: zipf\n"
    "        region: 1\n"
    "        theta: 0.9\n"
    "        write_ratio: 0.25\n"
    "        seed: 7\n"
    "    - name: scan\n"
    "      start: 1.5ms\n"
    "      accesses: 5000\n"
    "      driver: {generator: sequential, read: logs}\n"
    "    - name: mixed\n"
    "      accesses: 100000\n"
    "      vmas:\n"
    "        - {start: 0x7fff00000000, size: 16MiB, prot: rwx}\n"
    "        - {start: 0x1000, size: 4KiB, file: logs, prot: none}\n"
    "      driver:\n"
    "        generator: phases\n"
    "        phases:\n"
    "          - {generator: sequential, count: 10000}\n"
    "          - {generator: loop, count: 5000, working_set: 100, write_ratio: 0.5}\n"
    "          - {generator: uniform, count: 10, region: 1}\n"
    "    - name: replay\n"
    "      oom_score_adj: 1000\n"
    "      vmas: [{start: 0x400000, size: 1MiB}]\n"
    "      driver: {trace: traces/app.lackey, format: lackey}\n";

static void expect_gen(const vmsim_gen_config *g, enum vmsim_gen_kind kind, uint64_t base,
                       uint64_t pages, uint64_t count) {
  assert_int_equal(g->kind, kind);
  assert_int_equal(g->base, base);
  assert_int_equal(g->pages, pages);
  assert_int_equal(g->count, count);
}

static void expect_vma(const vmsim_scn_vma *v, uint64_t start, uint64_t len, unsigned prot,
                       unsigned flags, int32_t file, uint64_t pgoff) {
  assert_int_equal(v->start, start);
  assert_int_equal(v->len, len);
  assert_int_equal(v->prot, prot);
  assert_int_equal(v->flags, flags);
  assert_int_equal(v->file, file);
  assert_int_equal(v->pgoff, pgoff);
}

static void test_full_example(void **state) {
  (void)state;
  vmsim_scenario *scn = parse_as(full_example, "dir/full.yaml");
  const vmsim_config *c = &scn->cfg;
  vmsim_config want;

  /* The machine, field by field, then the whole structure: nothing else set. */
  vmsim_config_default(&want);
  want.nr_nodes = 2;
  want.nodes[0] = (vmsim_node_config){.pages = 131072, .nr_cpus = 2,
                                      .zone_pages = {4096, VMSIM_ZONE_REST, 0, 0}};
  want.nodes[1] = (vmsim_node_config){.pages = 262144, .nr_cpus = 4,
                                      .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}};
  want.node_distance[0][0] = want.node_distance[1][1] = 10;
  want.node_distance[0][1] = want.node_distance[1][0] = 20;
  want.tlb = (vmsim_tlb_config){32, 4, 1024, 8};
  want.nr_swap = 2;
  memset(want.swap, 0, sizeof(want.swap));
  assert_ok(vmsim_swap_preset("ssd", 65536, &want.swap[0]));
  want.swap[0].priority = 5;
  want.swap[1] = (vmsim_swap_config){393216, -2, 2500, 1000000, "slow"}; /* 1.5 GiB */
  want.cost = (vmsim_cost_config){2, 9, 30, 600, 3000, 80000, 250000, 40};
  strcpy(want.policy, "scn-test");
  want.nr_policy_params = 1;
  strcpy(want.policy_params[0].key, "variant");
  strcpy(want.policy_params[0].value, "linux24");
  want.swappiness = 100;
  want.min_free_kbytes = 4096;
  want.watermark_scale_factor = 150;
  want.watermark_style = VMSIM_WMARK_LINUX26;
  want.reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  want.seed = 42;

  assert_int_equal(c->nr_nodes, 2);
  for (int n = 0; n < 2; n++) {
    assert_int_equal(c->nodes[n].pages, want.nodes[n].pages);
    assert_int_equal(c->nodes[n].nr_cpus, want.nodes[n].nr_cpus);
    assert_memory_equal(c->nodes[n].zone_pages, want.nodes[n].zone_pages,
                        sizeof(want.nodes[n].zone_pages));
  }
  assert_memory_equal(c->node_distance, want.node_distance, sizeof(want.node_distance));
  assert_memory_equal(&c->tlb, &want.tlb, sizeof(want.tlb));
  assert_memory_equal(&c->cost, &want.cost, sizeof(want.cost));
  assert_int_equal(c->nr_swap, 2);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(c->swap[s].pages, want.swap[s].pages);
    assert_int_equal(c->swap[s].priority, want.swap[s].priority);
    assert_int_equal(c->swap[s].read_latency, want.swap[s].read_latency);
    assert_int_equal(c->swap[s].write_latency, want.swap[s].write_latency);
    assert_string_equal(c->swap[s].name, want.swap[s].name);
  }
  assert_string_equal(c->policy, "scn-test");
  assert_int_equal(c->nr_policy_params, 1);
  assert_string_equal(c->policy_params[0].key, "variant");
  assert_string_equal(c->policy_params[0].value, "linux24");
  assert_int_equal(c->swappiness, 100);
  assert_int_equal(c->min_free_kbytes, 4096);
  assert_int_equal(c->watermark_scale_factor, 150);
  assert_int_equal(c->watermark_style, VMSIM_WMARK_LINUX26);
  assert_int_equal(c->reclaim_mode, VMSIM_RECLAIM_ON_DEMAND);
  assert_int_equal(c->seed, 42);
  assert_memory_equal(c, &want, sizeof(want));

  /* Files and the workload. */
  assert_int_equal(scn->nr_files, 2);
  assert_string_equal(scn->files[0].name, "data");
  assert_int_equal(scn->files[0].pages, 262144);
  assert_string_equal(scn->files[1].name, "logs");
  assert_int_equal(scn->files[1].pages, 16384);
  assert_int_equal(scn->seed, 42);
  assert_int_equal(scn->quantum, 500);
  assert_string_equal(scn->source, "dir/full.yaml");
  assert_int_equal(scn->nr_procs, 4);

  const vmsim_scn_process *p = &scn->procs[0];
  assert_string_equal(p->name, "db");
  assert_int_equal(p->start_ns, 0);
  assert_int_equal(p->oom_score_adj, -500);
  assert_int_equal(p->accesses, 1000000);
  assert_int_equal(p->nr_vmas, 2);
  expect_vma(&p->vmas[0], 0x10000000, 256 * MiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
             VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE | VMSIM_MAP_LOCKED, -1, 0);
  expect_vma(&p->vmas[1], 0x40000000, 512 * MiB, VMSIM_PROT_READ, VMSIM_MAP_SHARED, 0, 65536);
  assert_int_equal(p->driver.kind, VMSIM_DRIVER_GENERATOR);
  assert_int_equal(p->driver.region, 1);
  assert_int_equal(p->driver.read_file, -1);
  expect_gen(&p->driver.gen, VMSIM_GEN_ZIPF, 0x40000000, 131072, 1000000);
  assert_true(p->driver.gen.theta == 0.9);
  assert_true(p->driver.gen.write_ratio == 0.25);
  assert_int_equal(p->driver.gen.seed, 7);
  assert_int_equal(p->driver.gen.working_set, 0);
  assert_null(p->driver.gen.phases);

  p = &scn->procs[1];
  assert_string_equal(p->name, "scan");
  assert_int_equal(p->start_ns, 1500000);
  assert_int_equal(p->oom_score_adj, 0);
  assert_int_equal(p->nr_vmas, 0);
  assert_int_equal(p->driver.kind, VMSIM_DRIVER_GENERATOR);
  assert_int_equal(p->driver.read_file, 1);
  expect_gen(&p->driver.gen, VMSIM_GEN_SEQUENTIAL, 0, 16384, 5000);
  assert_int_equal(p->driver.gen.seed, 1);
  assert_true(p->driver.gen.write_ratio == 0.0);

  p = &scn->procs[2];
  assert_string_equal(p->name, "mixed");
  assert_int_equal(p->nr_vmas, 2);
  expect_vma(&p->vmas[0], UINT64_C(0x7fff00000000), 16 * MiB,
             VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC,
             VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE, -1, 0);
  expect_vma(&p->vmas[1], 0x1000, 4096, 0, VMSIM_MAP_PRIVATE, 1, 0);
  expect_gen(&p->driver.gen, VMSIM_GEN_PHASES, UINT64_C(0x7fff00000000), 4096, 100000);
  assert_int_equal(p->driver.gen.nr_phases, 3);
  const vmsim_gen_config *ph = p->driver.gen.phases;
  expect_gen(&ph[0], VMSIM_GEN_SEQUENTIAL, UINT64_C(0x7fff00000000), 4096, 10000);
  expect_gen(&ph[1], VMSIM_GEN_LOOP, UINT64_C(0x7fff00000000), 4096, 5000);
  assert_int_equal(ph[1].working_set, 100);
  assert_true(ph[1].write_ratio == 0.5);
  expect_gen(&ph[2], VMSIM_GEN_UNIFORM, 0x1000, 1, 10);

  p = &scn->procs[3];
  assert_string_equal(p->name, "replay");
  assert_int_equal(p->oom_score_adj, 1000);
  assert_int_equal(p->accesses, UINT64_MAX);
  expect_vma(&p->vmas[0], 0x400000, MiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
             VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE, -1, 0);
  assert_int_equal(p->driver.kind, VMSIM_DRIVER_TRACE);
  assert_string_equal(p->driver.trace_path, "dir/traces/app.lackey");
  assert_int_equal(p->driver.trace_format, VMSIM_TRACE_LACKEY);
  assert_int_equal(p->driver.read_file, -1);
  vmsim_scenario_free(scn);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state) {
  (void)state;
  vmsim_config want;
  vmsim_config_default(&want);

  /* No machine, no vm: the default configuration, to the byte. */
  vmsim_scenario *scn = parse_as(WORKLOAD, "t.yaml");
  assert_memory_equal(&scn->cfg, &want, sizeof(want));
  assert_int_equal(scn->seed, 1);
  assert_int_equal(scn->quantum, 1000);
  assert_int_equal(scn->nr_files, 0);
  assert_null(scn->files);
  assert_string_equal(scn->source, "t.yaml");
  const vmsim_scn_process *p = &scn->procs[0];
  assert_int_equal(p->start_ns, 0);
  assert_int_equal(p->oom_score_adj, 0);
  assert_int_equal(p->driver.region, 0);
  assert_int_equal(p->driver.read_file, -1);
  expect_vma(&p->vmas[0], 0x10000, 65536, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
             VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE, -1, 0);
  expect_gen(&p->driver.gen, VMSIM_GEN_SEQUENTIAL, 0x10000, 16, 10);
  vmsim_scenario_free(scn);

  /* A machine section without swap has none; a node's zones default to
   * Normal; omitted machine parts keep their defaults. */
  scn = parse_as("machine:\n  nodes: [{memory: 32MiB}]\n" WORKLOAD, NULL);
  want.nodes[0] = (vmsim_node_config){.pages = 8192, .nr_cpus = 1,
                                      .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}};
  want.nr_swap = 0;
  memset(want.swap, 0, sizeof(want.swap));
  assert_memory_equal(&scn->cfg, &want, sizeof(want));
  assert_string_equal(scn->source, "<string>");
  vmsim_scenario_free(scn);

  scn = parse_as("machine: {}\n" WORKLOAD, "t.yaml");
  assert_int_equal(scn->cfg.nr_swap, 0);
  assert_int_equal(scn->cfg.nodes[0].pages, 131072);
  vmsim_scenario_free(scn);
}

/* Numbers in their notations: fractions, hex, '_', units with a space. */
static void test_notations(void **state) {
  (void)state;
  vmsim_scenario *scn = parse_as(
      "machine:\n"
      "  nodes: [{memory: 0.5 GiB, zones: {Normal: 524_288K}}]\n"
      "  swap: [{size: 0x100000, type: zram}, {size: 1T, type: hdd}]\n"
      "  costs: {major_fault: 1.25us, file_read: 2s, reclaim_scan: 0}\n"
      "vm: {min_free_kbytes: auto}\n"
      "workload:\n"
      "  seed: 0xffffffffffffffff\n"
      "  processes:\n"
      "    - name: \"quoted name\"\n"
      "      accesses: 18446744073709551614\n"
      "      oom_score_adj: +7\n"
      "      vmas: [{start: 0x10000, size: 64KiB, locked: FALSE, prot: xwr}]\n"
      "      driver: {generator: loop, write_ratio: 1, working_set: 16}\n",
      "t.yaml");
  const vmsim_config *c = &scn->cfg;
  assert_int_equal(c->nodes[0].pages, 131072);
  assert_int_equal(c->nodes[0].zone_pages[VMSIM_ZONE_NORMAL], 131072);
  assert_int_equal(c->swap[0].pages, 256);
  assert_string_equal(c->swap[0].name, "zram");
  assert_int_equal(c->swap[1].pages, UINT64_C(1) << 28);
  assert_int_equal(c->swap[1].priority, -2);
  assert_int_equal(c->cost.major_fault, 1250);
  assert_int_equal(c->cost.file_read, 2000000000);
  assert_int_equal(c->cost.reclaim_scan, 0);
  assert_int_equal(c->min_free_kbytes, -1);
  assert_int_equal(c->seed, UINT64_MAX);
  assert_int_equal(scn->seed, UINT64_MAX);
  const vmsim_scn_process *p = &scn->procs[0];
  assert_string_equal(p->name, "quoted name");
  assert_int_equal(p->accesses, UINT64_MAX - 1);
  assert_int_equal(p->oom_score_adj, 7);
  expect_vma(&p->vmas[0], 0x10000, 65536, VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC,
             VMSIM_MAP_ANONYMOUS | VMSIM_MAP_PRIVATE, -1, 0);
  assert_int_equal(p->driver.gen.working_set, 16);
  assert_true(p->driver.gen.write_ratio == 1.0);
  vmsim_scenario_free(scn);
}

/* ---- errors ----------------------------------------------------------------- */

struct error_case {
  const char *what;
  const char *text;
  int code;
  const char *msg;
  bool prefix; /* the message starts with msg (it ends in a list that grows) */
};

/* Each case fails with its code and message; all are tried, then the
 * differences are reported together. */
static void run_error_cases(const struct error_case *cases, size_t n) {
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) {
    vmsim_scenario *scn = (vmsim_scenario *)&cases; /* must be reset to NULL */
    char err[512] = "";
    int rc = vmsim_scenario_parse(&scn, cases[i].text, strlen(cases[i].text), "t.yaml", err,
                                  sizeof(err));
    size_t cmp = cases[i].prefix ? strlen(cases[i].msg) : sizeof(err);
    if (rc != cases[i].code || strncmp(err, cases[i].msg, cmp) != 0) {
      print_error("%s: got %s \"%s\"\n  want %s \"%s\"\n", cases[i].what, vmsim_err_name(rc),
                  err, vmsim_err_name(cases[i].code), cases[i].msg);
      failed++;
    }
    if (rc == 0)
      vmsim_scenario_free(scn);
    else
      assert_null(scn);
  }
  if (failed)
    fail_msg("%zu of %zu cases failed", failed, n);
}

#define ERR(what, text, code, msg) {what, text, VMSIM_##code, msg, false}
#define ERR_PREFIX(what, text, code, msg) {what, text, VMSIM_##code, msg, true}

static void test_errors_yaml(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("unclosed flow", "machine: {nodes: [\n", EPARSE,
        "t.yaml:2:1: error: malformed YAML: did not find expected node content (while parsing "
        "a flow node that started at line 2, column 1)"),
    ERR("bad indentation", "machine:\n  nodes: []\n tlb: {}\n", EPARSE,
        "t.yaml:3:2: error: malformed YAML: did not find expected key (while parsing a block "
        "mapping that started at line 1, column 1)"),
    ERR("tab", "machine:\n\tnodes: []\n", EPARSE,
        "t.yaml:2:1: error: malformed YAML: found character that cannot start any token "
        "(while scanning for the next token that started at line 2, column 1)"),
    ERR("invalid UTF-8", "machine:\n  nodes: \xff\n", EPARSE,
        "t.yaml:2:10: error: malformed YAML: invalid leading UTF-8 octet (byte 0xff; expected: "
        "UTF-8 text)"),
    ERR("undefined alias", "machine: *nothing\n", EPARSE,
        "t.yaml:1:10: error: malformed YAML: found undefined alias"),
    ERR("two documents", WORKLOAD "---\nmachine: {}\n", EPARSE,
        "t.yaml:7:1: error: a second YAML document (expected: one document)"),
    ERR("empty", "", ECONFIG,
        "t.yaml:1:1: error: the scenario is empty (expected: a mapping with machine, vm, files, "
        "workload)"),
    ERR("comment only", "# nothing\n", ECONFIG,
        "t.yaml:1:1: error: the scenario is empty (expected: a mapping with machine, vm, files, "
        "workload)"),
    ERR("not a mapping", "- machine\n", ECONFIG,
        "t.yaml:1:1: error: the scenario: got a sequence (expected: a mapping)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

static void test_errors_keys(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("unknown top-level key", "machin: {}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:1: error: unknown key 'machin' in the scenario (expected: machine, vm, "
        "files, workload)"),
    ERR("unknown zone", "machine:\n  nodes:\n    - memory: 64MiB\n"
        "      zones: {DMA: 16MiB, sise: rest}\n" WORKLOAD, ECONFIG,
        "t.yaml:4:27: error: unknown key 'sise' in zones (expected: DMA, DMA32, Normal, "
        "Movable)"),
    ERR("unknown swap key", "machine:\n  swap:\n    - {sise: 1GiB}\n" WORKLOAD, ECONFIG,
        "t.yaml:3:8: error: unknown key 'sise' in swap device (expected: size, type, priority, "
        "read_latency, write_latency, name)"),
    ERR("key for another generator", PROCESS
        "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: uniform, theta: 0.5}\n", ECONFIG,
        "t.yaml:6:36: error: unknown key 'theta' in uniform generator (expected: generator, "
        "read, region, seed, write_ratio)"),
    ERR("key of no driver", PROCESS "      driver: {generatr: zipf}\n", ECONFIG,
        "t.yaml:5:16: error: unknown key 'generatr' in driver (expected: generator, trace, "
        "format, read, region, seed, theta, write_ratio, working_set, phases)"),
    ERR("non-scalar key", "? [a]\n: 1\n" WORKLOAD, ECONFIG,
        "t.yaml:1:3: error: a key: got a sequence (expected: a name)"),
    ERR("duplicate key", "machine:\n  swap:\n    - {size: 1GiB, size: 2GiB}\n" WORKLOAD,
        ECONFIG,
        "t.yaml:3:20: error: duplicate key 'size' in swap device (expected: each key once; "
        "the first is at line 3, column 8)"),
    ERR("duplicate section", WORKLOAD "workload: {}\n", ECONFIG,
        "t.yaml:7:1: error: duplicate key 'workload' in the scenario (expected: each key once; "
        "the first is at line 1, column 1)"),
    ERR("duplicate file name", "files:\n  - {name: a, size: 4KiB}\n  - {name: a, size: 8KiB}\n"
        WORKLOAD, ECONFIG,
        "t.yaml:3:12: error: duplicate file name 'a' (expected: unique names; the first is at "
        "line 2, column 12)"),
    ERR("duplicate process name",
        WORKLOAD "    - name: p\n      driver: {trace: x, format: text}\n", ECONFIG,
        "t.yaml:7:13: error: duplicate process name 'p' (expected: unique names; the first is "
        "at line 3, column 13)"),
    ERR("missing workload", "machine: {}\n", ECONFIG,
        "t.yaml:1:1: error: missing key 'workload' in the scenario"),
    ERR("missing memory", "machine:\n  nodes: [{cpus: 2}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:11: error: missing key 'memory' in node"),
    ERR("missing processes", "workload: {seed: 3}\n", ECONFIG,
        "t.yaml:1:11: error: missing key 'processes' in workload"),
    ERR("missing name", "workload:\n  processes:\n    - {accesses: 1}\n", ECONFIG,
        "t.yaml:3:7: error: missing key 'name' in process"),
    ERR("missing driver", PROCESS, ECONFIG, "t.yaml:3:7: error: missing key 'driver' in process"),
    ERR("missing generator or trace", PROCESS "      driver: {read: x}\n", ECONFIG,
        "t.yaml:5:15: error: missing key 'generator' or 'trace' in driver"),
    ERR("generator and trace", PROCESS "      driver: {generator: zipf, trace: t}\n", ECONFIG,
        "t.yaml:5:33: error: driver: both generator and trace (expected: exactly one of them)"),
    ERR("missing accesses", "workload:\n  processes:\n    - name: p\n"
        "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:3:7: error: missing key 'accesses' in process 'p' (expected: a limit, since a "
        "generator never ends)"),
    ERR("missing format", PROCESS "      driver: {trace: t.lackey}\n", ECONFIG,
        "t.yaml:5:15: error: missing key 'format' in trace driver"),
    ERR("missing latency", "machine:\n  swap: [{size: 4KiB, read_latency: 1us}]\n" WORKLOAD,
        ECONFIG,
        "t.yaml:2:10: error: missing key 'write_latency' in swap device (expected: a type, or "
        "both read_latency and write_latency)"),
    ERR("missing vma file", PROCESS "      vmas: [{start: 0x10000, size: 64KiB, type: file}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:14: error: missing key 'file' in vma (expected: the file a type: file vma "
        "maps)"),
    ERR("missing phase count", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: phases, phases: [{generator: zipf}]}\n", ECONFIG,
        "t.yaml:6:44: error: missing key 'count' in phase"),
    ERR("missing phases", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: phases}\n", ECONFIG,
        "t.yaml:6:15: error: missing key 'phases' in phases generator"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

static void test_errors_types(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("word for a number", "machine:\n  nodes: [{memory: 64MiB, cpus: two}]\n" WORKLOAD,
        ECONFIG, "t.yaml:2:33: error: cpus: got 'two' (expected: an integer 0..256)"),
    ERR("quoted number", "vm:\n  swappiness: \"60\"\n" WORKLOAD, ECONFIG,
        "t.yaml:2:15: error: swappiness: got the quoted string \"60\" (expected: an integer "
        "0..200)"),
    ERR("empty value", "vm:\n  swappiness:\n" WORKLOAD, ECONFIG,
        "t.yaml:2:14: error: swappiness: got nothing (expected: an integer 0..200)"),
    ERR("mapping for a sequence", "machine:\n  nodes: {memory: 1GiB}\n" WORKLOAD, ECONFIG,
        "t.yaml:2:10: error: nodes: got a mapping (expected: a sequence)"),
    ERR("sequence for a mapping", "vm: [clock]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:5: error: vm: got a sequence (expected: a mapping)"),
    ERR("not a boolean", PROCESS "      vmas: [{start: 0x10000, size: 64KiB, locked: yes}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:52: error: locked: got 'yes' (expected: true or false)"),
    ERR("not a size", "machine:\n  nodes: [{memory: lots}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:20: error: memory: got 'lots' (expected: a size such as 4096, 64KiB or "
        "1.5GiB)"),
    ERR("unknown unit", "machine:\n  nodes: [{memory: 64MB}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:20: error: memory: unknown unit in '64MB' (expected: B, KiB, MiB, GiB, TiB, "
        "or K, M, G, T)"),
    ERR("not a duration", "machine:\n  costs: {file_read: fast}\n" WORKLOAD, ECONFIG,
        "t.yaml:2:22: error: file_read: got 'fast' (expected: a duration such as 500ns, 100us, "
        "1.5ms or 2s)"),
    ERR("not a real", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: zipf, theta: nan}\n", ECONFIG,
        "t.yaml:6:40: error: theta: got 'nan' (expected: a number > 0)"),
    ERR("bad prot", PROCESS "      vmas: [{start: 0x10000, size: 64KiB, prot: rww}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:50: error: prot: got 'rww' (expected: r, w and x in any combination, such as "
        "rw, or none)"),
    ERR("name not a scalar", "files: [{name: [a], size: 4KiB}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:16: error: name: got a sequence (expected: a name of 1..63 characters)"),
    ERR("name too long", "workload:\n  processes:\n"
        "    - name: a-process-name-that-is-far-too-long\n", ECONFIG,
        "t.yaml:3:13: error: name: 'a-process-name-that-is-far-too-long' is 35 characters "
        "long (expected: a name of 1..31 characters)"),
    ERR("min_free_kbytes word", "vm: {min_free_kbytes: some}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:23: error: min_free_kbytes: got 'some' (expected: auto or an integer >= 0)"),
    ERR("policy param not a scalar", "vm: {policy_params: {a: [1]}}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: a: got a sequence (expected: a string or a number)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

#define SSD2 "{size: 4K, type: ssd}, {size: 4K, type: ssd}, "
#define SSD8 SSD2 SSD2 SSD2 SSD2

static void test_errors_ranges(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("no cpus", "machine:\n  nodes: [{memory: 64MiB, cpus: 0}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:33: error: cpus: the machine has no CPUs (expected: at least 1 on some node)"),
    ERR("too many cpus", "machine:\n  nodes: [{memory: 64MiB, cpus: 257}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:33: error: cpus: 257 is out of range (expected: an integer 0..256)"),
    ERR("too many cpus in all", "machine:\n  nodes: [{memory: 64MiB, cpus: 200},\n"
        "          {memory: 64MiB, cpus: 100}]\n" WORKLOAD, ECONFIG,
        "t.yaml:3:33: error: cpus: the machine has 300 CPUs in all (expected: at most 256)"),
    ERR("swappiness", "vm:\n  swappiness: 201\n" WORKLOAD, ECONFIG,
        "t.yaml:2:15: error: swappiness: 201 is out of range (expected: an integer 0..200)"),
    ERR("watermark_scale_factor", "vm: {watermark_scale_factor: 0}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:30: error: watermark_scale_factor: 0 is out of range (expected: an integer "
        "1..3000)"),
    ERR("negative size", "files: [{name: a, size: -4096}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: size: -4096 is negative (expected: a size such as 4096, 64KiB or "
        "1.5GiB)"),
    ERR("size not in pages", "files: [{name: a, size: 1000}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: size: 1000 bytes is not a multiple of 4 KiB (expected: whole "
        "4 KiB pages)"),
    ERR("fraction of a byte", "files: [{name: a, size: 1.3KiB}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: size: 1.3KiB is not a whole number of bytes (expected: a size "
        "such as 4096, 64KiB or 1.5GiB)"),
    ERR("zero size", "files: [{name: a, size: 0}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: size: 0 bytes is too small (expected: at least 4 KiB)"),
    ERR("size overflow", "files: [{name: a, size: 16777216TiB}]\n" WORKLOAD, ECONFIG,
        "t.yaml:1:25: error: size: 16777216TiB is too large (expected: a size such as 4096, "
        "64KiB or 1.5GiB)"),
    ERR("integer overflow", "workload: {seed: 18446744073709551616}\n", ECONFIG,
        "t.yaml:1:18: error: seed: 18446744073709551616 is too large (expected: an integer "
        ">= 0)"),
    ERR("oom_score_adj", PROCESS "      oom_score_adj: -1001\n", ECONFIG,
        "t.yaml:5:22: error: oom_score_adj: -1001 is out of range (expected: an integer "
        "-1000..1000)"),
    ERR("write_ratio", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: uniform, write_ratio: 1.5}\n", ECONFIG,
        "t.yaml:6:49: error: write_ratio: 1.5 is out of range (expected: a number in [0, 1])"),
    ERR("theta", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: zipf, theta: 0}\n", ECONFIG,
        "t.yaml:6:40: error: theta: 0 is out of range (expected: a number > 0)"),
    ERR("accesses 0", "workload:\n  processes:\n    - name: p\n      accesses: 0\n", ECONFIG,
        "t.yaml:4:17: error: accesses: 0 is out of range (expected: an integer "
        "1..18446744073709551614)"),
    ERR("accesses twice", PROCESS "      accesses: 0\n", ECONFIG,
        "t.yaml:5:7: error: duplicate key 'accesses' in process (expected: each key once; the "
        "first is at line 4, column 7)"),
    ERR("quantum 0", "workload: {quantum: 0}\n", ECONFIG,
        "t.yaml:1:21: error: quantum: 0 is out of range (expected: an integer >= 1)"),
    ERR("distance local", "machine:\n  nodes: [{memory: 64MiB}, {memory: 64MiB}]\n"
        "  distance: [[10, 20], [20, 11]]\n" WORKLOAD, ECONFIG,
        "t.yaml:3:29: error: distance[1][1]: 11 (expected: 10, the local distance)"),
    ERR("distance shape", "machine:\n  distance: [[10, 20], [20, 10]]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:13: error: distance: 2 rows for 1 nodes (expected: a 1x1 matrix)"),
    ERR("too many swap devices",
        "machine:\n  swap: [" SSD8 SSD8 SSD8 SSD8 "{size: 4K, type: ssd}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:9: error: swap: 33 entries are too many (expected: at most 32)"),
    ERR("no processes", "workload: {processes: []}\n", ECONFIG,
        "t.yaml:1:23: error: processes: 0 entries are too few (expected: at least 1)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

static void test_errors_fit(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("zones larger than the node", "machine:\n  nodes:\n    - memory: 64MiB\n"
        "      zones: {DMA: 16MiB, DMA32: 64MiB}\n" WORKLOAD, ECONFIG,
        "t.yaml:4:34: error: DMA32: the zones add up to 80 MiB, more than the node's memory of "
        "64 MiB (expected: zones that fit in the node)"),
    ERR("zones smaller than the node", "machine:\n  nodes:\n    - memory: 64MiB\n"
        "      zones: {DMA: 16MiB, Normal: 32MiB}\n" WORKLOAD, ECONFIG,
        "t.yaml:4:14: error: zones: the zones add up to 48 MiB, less than the node's memory of "
        "64 MiB (expected: zones that add up to the node, or one zone `rest`)"),
    ERR("two rests", "machine:\n  nodes:\n    - memory: 64MiB\n"
        "      zones: {DMA: rest, Normal: rest}\n" WORKLOAD, ECONFIG,
        "t.yaml:4:34: error: Normal: zone DMA already takes the rest (expected: a size)"),
    ERR("vma larger than its file", "files: [{name: f, size: 1MiB}]\n" PROCESS
        "      vmas: [{start: 0x10000, size: 2MiB, file: f}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:6:37: error: size: 2 MiB at offset 0 bytes runs past the end of file 'f' of "
        "1 MiB (expected: offset + size within the file)"),
    ERR("vma offset past its file", "files: [{name: f, size: 1MiB}]\n" PROCESS
        "      vmas: [{start: 0x10000, size: 4KiB, file: f, offset: 1MiB}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:6:37: error: size: 4 KiB at offset 1 MiB runs past the end of file 'f' of "
        "1 MiB (expected: offset + size within the file)"),
    ERR("overlapping vmas", PROCESS "      vmas:\n"
        "        - {start: 0x10000, size: 64KiB}\n"
        "        - {start: 0x1f000, size: 4KiB}\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:7:19: error: start: the vma [0x1f000, 0x20000) overlaps vma 0 [0x10000, "
        "0x20000) (expected: vmas that do not overlap)"),
    ERR("vma beyond 2^47", PROCESS
        "      vmas: [{start: 0x7fffff000000, size: 32MiB}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:44: error: size: 32 MiB at 0x7fffff000000 ends beyond the 47-bit address "
        "space (expected: start + size <= 0x800000000000)"),
    ERR("vma start beyond 2^47", PROCESS
        "      vmas: [{start: 0x800000000000, size: 4KiB}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:22: error: start: 0x800000000000 is beyond the 47-bit address space "
        "(expected: below 0x800000000000)"),
    ERR("vma start not page aligned", PROCESS "      vmas: [{start: 0x10001, size: 4KiB}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:22: error: start: 65537 bytes is not a multiple of 4 KiB (expected: whole "
        "4 KiB pages)"),
    ERR("working set larger than the region", PROCESS
        "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: loop, working_set: 17}\n", ECONFIG,
        "t.yaml:6:46: error: working_set: 17 is out of range (expected: an integer 1..16)"),
    ERR("region out of range", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: uniform, region: 1}\n", ECONFIG,
        "t.yaml:6:44: error: region: process 'p' has no vma 1 (expected: a vma index 0..0)"),
    ERR("no vma for the generator", PROCESS "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:15: error: region: process 'p' has no vmas (expected: a vma under vmas for "
        "the generator, or read: FILE)"),
    ERR("region with read", "files: [{name: f, size: 4KiB}]\n" PROCESS
        "      driver: {generator: uniform, read: f, region: 0}\n", ECONFIG,
        "t.yaml:6:53: error: region: not used with read (expected: either region or read)"),
    ERR("shared anon", PROCESS "      vmas: [{start: 0x10000, size: 64KiB, shared: true}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:52: error: shared: shared anonymous memory is not supported (expected: "
        "false)"),
    ERR("file for anon", "files: [{name: f, size: 4KiB}]\n" PROCESS
        "      vmas: [{start: 0x10000, size: 4KiB, type: anon, file: f}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:6:61: error: file: an anonymous vma has no file (expected: type: file)"),
    ERR("nested phases", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: phases, phases: [{generator: phases, count: 1}]}\n", ECONFIG,
        "t.yaml:6:56: error: generator: phases do not nest (expected: sequential, uniform, zipf "
        "or loop)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

static void test_errors_names(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR_PREFIX("unknown policy", "vm:\n  policy: clok\n" WORKLOAD, ECONFIG,
               "t.yaml:2:11: error: unknown policy 'clok' (expected: a registered policy: "
               "clock, "),
    ERR("unknown generator", PROCESS "      vmas: [{start: 0x10000, size: 64KiB}]\n"
        "      driver: {generator: zipff}\n", ECONFIG,
        "t.yaml:6:27: error: unknown generator 'zipff' (expected: sequential, uniform, zipf, "
        "loop, phases)"),
    ERR("unknown trace format", PROCESS "      driver: {trace: t, format: valgrind}\n", ECONFIG,
        "t.yaml:5:34: error: unknown trace format 'valgrind' (expected: lackey, oracleGeneral, "
        "text)"),
    ERR("unknown file", "files: [{name: data, size: 4KiB}, {name: logs, size: 4KiB}]\n" PROCESS
        "      driver: {generator: sequential, read: dta}\n", ECONFIG,
        "t.yaml:6:45: error: unknown file 'dta' (expected: data, logs)"),
    ERR("unknown file, none declared", PROCESS "      driver: {generator: sequential, read: d}\n",
        ECONFIG,
        "t.yaml:5:45: error: unknown file 'd' (expected: the name of a file listed under "
        "files)"),
    ERR("unknown swap type", "machine:\n  swap: [{size: 4KiB, type: tape}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:29: error: unknown swap type 'tape' (expected: ssd, nvme, zram, hdd)"),
    ERR("unknown watermark style", "vm: {watermark_style: linux22}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:23: error: unknown watermark style 'linux22' (expected: modern, linux26, "
        "linux24)"),
    ERR("unknown reclaim mode", "vm: {reclaim: kswap}\n" WORKLOAD, ECONFIG,
        "t.yaml:1:15: error: unknown reclaim mode 'kswap' (expected: kswapd, on-demand)"),
    ERR("unknown vma type", PROCESS "      vmas: [{start: 0x10000, size: 64KiB, type: shm}]\n"
        "      driver: {generator: uniform}\n", ECONFIG,
        "t.yaml:5:50: error: unknown vma type 'shm' (expected: anon, file)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

/* vmsim_config_validate()'s findings and the policy's, at their nodes. */
static void test_errors_config(void **state) {
  (void)state;
  static const struct error_case cases[] = {
    ERR("tlb geometry", "machine:\n  tlb: {l1_entries: 60, l1_ways: 4}\n" WORKLOAD, ECONFIG,
        "t.yaml:2:8: error: tlb.l1: 15 sets (entries / ways) is not a power of two"),
    ERR("min_free_kbytes", "machine:\n  nodes: [{memory: 4MiB}]\nvm:\n  min_free_kbytes: 4096\n"
        WORKLOAD, ECONFIG,
        "t.yaml:4:20: error: min_free_kbytes: 4096 KiB is not below the machine's 4096 KiB"),
    ERR("swap too large", "machine:\n  swap: [{size: 16TiB, type: ssd}]\n" WORKLOAD, ECONFIG,
        "t.yaml:2:17: error: size: 16TiB is too large (expected: less than 16 TiB, 2^32 "
        "pages)"),
    ERR("tunable value", "vm:\n  policy: scn-test\n  policy_params:\n    variant: linux22\n"
        WORKLOAD, ECONFIG,
        "t.yaml:4:14: error: variant: 'linux22' is not linux24 or modern"),
    ERR("unknown tunable", "vm:\n  policy: scn-test\n  policy_params: {variant: modern, "
        "depth: 3}\n" WORKLOAD, ECONFIG,
        "t.yaml:3:43: error: policy 'scn-test' has no tunable 'depth'"),
    ERR("tunable of a policy without any", "vm:\n  policy_params: {depth: 3}\n" WORKLOAD,
        ECONFIG, "t.yaml:2:26: error: policy 'clock' has no tunable 'depth'"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

/* A tunable's range may depend on the tunables before it: they are checked
 * in order, as the policy applies them. */
static void test_params_in_order(void **state) {
  (void)state;
  if (!vmsim_policy_find("aging"))
    skip();
  vmsim_scenario *scn =
      parse_as("vm:\n  policy: aging\n  policy_params: {variant: linux24, initial_age: 50}\n"
               WORKLOAD, "t.yaml");
  assert_int_equal(scn->cfg.nr_policy_params, 2);
  assert_string_equal(scn->cfg.policy_params[1].key, "initial_age");
  assert_string_equal(scn->cfg.policy_params[1].value, "50");
  vmsim_scenario_free(scn);

  static const struct error_case cases[] = {
    ERR("range from an earlier tunable", "vm:\n  policy: aging\n  policy_params:\n"
        "    initial_age: 50\n    variant: linux24\n" WORKLOAD, ECONFIG,
        "t.yaml:4:18: error: aging: initial_age = 50 is out of range 0..20 (at most age_max)"),
  };
  run_error_cases(cases, ARRAY_SIZE(cases));
}

/* ---- files on disk ---------------------------------------------------------- */

static void test_load(void **state) {
  (void)state;
  vmsim_scenario *scn = (vmsim_scenario *)state;
  char err[512];
  assert_int_equal(vmsim_scenario_load(&scn, EXAMPLES "no-such-file.yaml", err, sizeof(err)),
                   VMSIM_EIO);
  assert_null(scn);
  assert_non_null(strstr(err, "no-such-file.yaml: error: cannot open: "));

  /* A file's errors name the path as given; its traces are relative to it. */
  char path[] = "/tmp/vmsim-scn-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs(PROCESS "      driver: {trace: sub/t.txt, format: TEXT}\n", f);
  fclose(f);
  assert_ok(vmsim_scenario_load(&scn, path, err, sizeof(err)));
  assert_string_equal(scn->source, path);
  assert_string_equal(scn->procs[0].driver.trace_path, "/tmp/sub/t.txt");
  assert_int_equal(scn->procs[0].driver.trace_format, VMSIM_TRACE_TEXT);
  vmsim_scenario_free(scn);

  f = fopen(path, "w");
  fputs(PROCESS "      driver: {trace: /abs/t, format: text, read: x}\n", f);
  fclose(f);
  assert_int_equal(vmsim_scenario_load(&scn, path, err, sizeof(err)), VMSIM_ECONFIG);
  char want[256];
  snprintf(want, sizeof(want), "%s:5:51: error: unknown file 'x' (expected: the name of a file "
           "listed under files)", path);
  assert_string_equal(err, want);
  unlink(path);

  /* A name without a directory leaves trace paths as they are. */
  scn = parse_as(PROCESS "      driver: {trace: /abs/t, format: oracleGeneral}\n", "x.yaml");
  assert_string_equal(scn->procs[0].driver.trace_path, "/abs/t");
  vmsim_scenario_free(scn);
  scn = parse_as(PROCESS "      driver: {trace: rel/t, format: oracleGeneral}\n", "x.yaml");
  assert_string_equal(scn->procs[0].driver.trace_path, "rel/t");
  vmsim_scenario_free(scn);

  /* NULL arguments. */
  assert_int_equal(vmsim_scenario_load(NULL, path, err, sizeof(err)), VMSIM_EINVAL);
  assert_int_equal(vmsim_scenario_parse(&scn, NULL, 1, NULL, err, sizeof(err)), VMSIM_EINVAL);
  vmsim_scenario_free(NULL);
}

static void test_default(void **state) {
  (void)state;
  vmsim_scenario *scn = NULL;
  char err[512] = "";
  int rc = vmsim_scenario_default(&scn, err, sizeof(err));
  if (rc)
    fail_msg("vmsim_scenario_default: %s", err);
  assert_true(scn->nr_procs >= 2);
  assert_int_equal(scn->cfg.nr_swap, 1);
  uint64_t planned = 0;
  for (uint32_t i = 0; i < scn->nr_procs; i++)
    planned += scn->procs[i].accesses;
  assert_in_range(planned, 2000000, 5000000);
  vmsim_scenario_free(scn);

  char *text = read_file(EXAMPLES "default.yaml");
  assert_string_equal(vmsim_scenario_default_text(), text);
  free(text);
}

/* The complete example of docs/scenarios.md loads. */
static void test_docs_example(void **state) {
  (void)state;
  char *doc = read_file(VMSIM_TEST_SRCDIR "/../docs/scenarios.md");
  char *start = strstr(doc, "<!-- complete example");
  assert_non_null(start);
  start = strstr(start, "```yaml\n");
  assert_non_null(start);
  start += strlen("```yaml\n");
  char *end = strstr(start, "```\n");
  assert_non_null(end);
  *end = 0;
  vmsim_scenario *scn = parse_as(start, "docs/scenarios.md");
  assert_int_equal(scn->cfg.nr_nodes, 2);
  assert_int_equal(scn->nr_files, 1);
  assert_int_equal(scn->nr_procs, 3);
  vmsim_scenario_free(scn);
  free(doc);
}

/* One test per shipped example: each loads, or is skipped while its policy
 * is not registered yet. */
static void test_example(void **state) {
  const char *name = *state;
  char path[512], err[512] = "";
  vmsim_scenario *scn = NULL;
  snprintf(path, sizeof(path), "%s%s", EXAMPLES, name);
  int rc = vmsim_scenario_load(&scn, path, err, sizeof(err));
  if (rc == VMSIM_ECONFIG && strstr(err, "error: unknown policy '")) {
    print_message("skipping %s: its policy is not registered yet (%s)\n", name, err);
    skip();
  }
  if (rc)
    fail_msg("%s: %s", vmsim_err_name(rc), err);
  assert_true(scn->nr_procs >= 1);
  vmsim_scenario_free(scn);
}

/* ---- allocation failure ------------------------------------------------------ */

/* Fail the 1st, 2nd, ... allocation until the call succeeds: each failure
 * is VMSIM_ENOMEM and leaves nothing allocated. */
static void fail_every_allocation(int (*call)(vmsim_scenario **, void *), void *arg) {
  for (uint64_t n = 1;; n++) {
    vmsim_alloc_stats before, after;
    vmsim_scenario *scn = NULL;
    vmsim_alloc_get_stats(&before);
    vmsim_alloc_fail_after(n, false);
    int rc = call(&scn, arg);
    vmsim_alloc_fail_after(0, false);
    if (rc == 0)
      vmsim_scenario_free(scn);
    vmsim_alloc_get_stats(&after);
    if (after.nr_allocs - before.nr_allocs != after.nr_frees - before.nr_frees)
      fail_msg("failing allocation %" PRIu64 ": %" PRIu64 " allocations, %" PRIu64 " frees", n,
               after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
    if (rc == 0) {
      assert_true(n > 3);
      return;
    }
    if (rc != VMSIM_ENOMEM)
      fail_msg("failing allocation %" PRIu64 ": %s", n, vmsim_err_name(rc));
    assert_null(scn);
  }
}

static int parse_full(vmsim_scenario **scn, void *arg) {
  char err[512];
  (void)arg;
  return vmsim_scenario_parse(scn, full_example, strlen(full_example), "full.yaml", err,
                              sizeof(err));
}

static int load_default(vmsim_scenario **scn, void *arg) {
  char err[512];
  (void)arg;
  return vmsim_scenario_load(scn, EXAMPLES "default.yaml", err, sizeof(err));
}

static void test_alloc_failure(void **state) {
  (void)state;
  fail_every_allocation(parse_full, NULL);
  fail_every_allocation(load_default, NULL);
}

/* ---- running: the scheduler against a reference ------------------------- */

/* run.c's seed mixing (splitmix64's finaliser), so that the reference draws
 * the same streams. */
static uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + b * UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/*
 * The scheduler of vmsim_scenario_run() in its plainest form, one access at
 * a time through the public API: round robin over the processes, a quantum
 * each, on CPU 0, 1, ... in turn; a process exits when its stream ends, it
 * made its `accesses` or the OOM killer chose it. For scenarios of
 * anonymous memory that all start at time 0. Returns 0 or the error that
 * stopped the run; the machine is left in *out.
 */
static int reference_run(const vmsim_scenario *scn, vmsim_sim **out) {
  struct {
    uint32_t pid;
    vmsim_gen *gen;
    vmsim_trace *trace;
    uint64_t done;
    bool finished;
  } procs[8] = {{0}};
  assert_true(scn->nr_procs <= ARRAY_SIZE(procs));
  vmsim_sim *sim;
  assert_ok(vmsim_sim_create(&sim, &scn->cfg));
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    const vmsim_scn_process *sp = &scn->procs[i];
    assert_int_equal(sp->start_ns, 0);
    assert_ok(vmsim_process_create(sim, &procs[i].pid));
    assert_ok(vmsim_process_set_oom_score_adj(sim, procs[i].pid, sp->oom_score_adj));
    for (uint32_t v = 0; v < sp->nr_vmas; v++)
      assert_ok(vmsim_mmap(sim, procs[i].pid, sp->vmas[v].start, sp->vmas[v].len,
                           sp->vmas[v].prot, sp->vmas[v].flags, 0, 0));
    const vmsim_scn_driver *d = &sp->driver;
    if (d->kind == VMSIM_DRIVER_TRACE) {
      assert_ok(vmsim_trace_open(&procs[i].trace, d->trace_path, d->trace_format, NULL, NULL, 0));
      continue;
    }
    vmsim_gen_config gen = d->gen;
    gen.base = sp->vmas[d->region].start;
    gen.pages = sp->vmas[d->region].len / VMSIM_PAGE_SIZE;
    gen.seed = mix_seed(gen.seed, scn->seed + i);
    assert_ok(vmsim_gen_create(&procs[i].gen, &gen, NULL, 0));
  }
  int rc = 0;
  for (uint32_t cpu = 0, live = scn->nr_procs; live && !rc;) {
    for (uint32_t i = 0; i < scn->nr_procs && !rc; i++) {
      if (procs[i].finished)
        continue;
      for (uint64_t q = 0; q < scn->quantum; q++) {
        vmsim_memref ref;
        int n = procs[i].gen ? vmsim_gen_next(procs[i].gen, &ref)
                             : vmsim_trace_next(procs[i].trace, &ref);
        int err = n > 0 ? vmsim_access(sim, cpu, procs[i].pid, ref.vaddr, ref.write) : n;
        if (err < 0 && err != VMSIM_EFAULT && err != VMSIM_EACCES && err != VMSIM_EKILLED) {
          rc = err;
          break;
        }
        if (n == 0 || err == VMSIM_EKILLED || ++procs[i].done == scn->procs[i].accesses) {
          procs[i].finished = true;
          (void)vmsim_process_exit(sim, procs[i].pid);
          live--;
          break;
        }
      }
      cpu = (cpu + 1) % vmsim_nr_cpus(sim);
    }
  }
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    vmsim_gen_destroy(procs[i].gen);
    vmsim_trace_close(procs[i].trace);
  }
  *out = sim;
  return rc;
}

/* Run `scn` both ways: the same outcome, and the same machine to the last
 * counter. */
static void expect_reference_run(const vmsim_scenario *scn) {
  vmsim_sim *want, *got = NULL;
  char err[512] = "";
  vmsim_run_process res[8];
  int want_rc = reference_run(scn, &want);
  int rc = vmsim_scenario_run(scn, NULL, &got, res, ARRAY_SIZE(res), err, sizeof(err));
  if (rc != want_rc)
    fail_msg("quantum %" PRIu64 ": %s (%s), the reference %s", scn->quantum, vmsim_err_name(rc),
             err, vmsim_err_name(want_rc));
  if (rc) {
    assert_null(got);
    vmsim_sim_destroy(want);
    return;
  }
  uint64_t a[VMSIM_NR_VMSTAT], b[VMSIM_NR_VMSTAT];
  vmsim_vmstat_snapshot(want, a);
  vmsim_vmstat_snapshot(got, b);
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
    if (a[i] != b[i])
      fail_msg("quantum %" PRIu64 ": %s %" PRIu64 ", the reference %" PRIu64, scn->quantum,
               vmsim_vmstat_name(i), b[i], a[i]);
  assert_int_equal(vmsim_time_now(got), vmsim_time_now(want));
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    vmsim_process_info x, y;
    assert_ok(vmsim_process_get_info(want, res[i].pid, &x));
    assert_ok(vmsim_process_get_info(got, res[i].pid, &y));
    assert_int_equal(y.state, x.state);
    assert_int_equal(y.accesses, x.accesses);
    assert_int_equal(y.misses, x.misses);
    assert_int_equal(y.pgfault, x.pgfault);
    assert_int_equal(y.segv, x.segv);
    assert_int_equal(y.time_ns, x.time_ns);
  }
  vmsim_sim_destroy(want);
  vmsim_sim_destroy(got);
}

/* A text trace of `lines` accesses over 600 pages at 0x30000000, one in
 * three a write, then, if `bad`, a line that is not an access. */
static void write_text_trace(const char *path, unsigned lines, bool bad) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned i = 0; i < lines; i++)
    fprintf(f, "%c 0x%x\n", i % 3 ? 'R' : 'W', 0x30000000 + (i * 7 % 600) * 4096);
  if (bad)
    fprintf(f, "X 0x1000\n");
  fclose(f);
}

/*
 * Three processes on a machine that must reclaim, so that the order of
 * their accesses shows in every counter: uniform and loop generators, and
 * a text trace of 1001 accesses, which ends before its limit. Quanta
 * around and across the runner's batches of 256; a generator whose stream
 * (count) ends before its limit, inside a quantum or at its end; a limit
 * inside a trace; a machine without swap, where the OOM killer stops a
 * process; and a trace that fails, after its limit (no error) or before it.
 */
static void test_run_like_reference(void **state) {
  (void)state;
  char trace[] = "/tmp/vmsim-test-run-XXXXXX";
  int fd = mkstemp(trace);
  assert_true(fd >= 0);
  close(fd);
  write_text_trace(trace, 1001, false);
  char text[2048];
  snprintf(text, sizeof(text),
           "machine:\n"
           "  nodes: [{memory: 8MiB, cpus: 2}]\n"
           "  swap: [{size: 32MiB, type: ssd}]\n"
           "vm: {policy: clock}\n"
           "workload:\n"
           "  seed: 5\n"
           "  processes:\n"
           "    - name: uniform\n"
           "      accesses: 3001\n"
           "      vmas: [{start: 0x10000000, size: 6MiB, type: anon, prot: rw}]\n"
           "      driver: {generator: uniform, write_ratio: 0.3}\n"
           "    - name: loop\n"
           "      accesses: 2500\n"
           "      vmas: [{start: 0x20000000, size: 5MiB, type: anon, prot: rw}]\n"
           "      driver: {generator: loop, write_ratio: 0.5}\n"
           "    - name: trace\n"
           "      accesses: 5000\n"
           "      vmas: [{start: 0x30000000, size: 3MiB, type: anon, prot: rw}]\n"
           "      driver: {trace: %s, format: text}\n",
           trace);
  vmsim_scenario *scn = parse_as(text, "run.yaml");
  static const uint64_t quanta[] = {1, 7, 255, 256, 257, 300, 1000, 100000};
  vmsim_scn_process *uniform = &scn->procs[0], *loop = &scn->procs[1], *tr = &scn->procs[2];
  for (size_t q = 0; q < ARRAY_SIZE(quanta); q++) {
    scn->quantum = quanta[q];
    expect_reference_run(scn);
    /* The uniform stream ends after 600 accesses, its limit gone. */
    uniform->accesses = UINT64_MAX;
    uniform->driver.gen.count = 600;
    expect_reference_run(scn);
    /* The trace stops at 700 of its 1001 accesses. */
    tr->accesses = 700;
    expect_reference_run(scn);
    uniform->accesses = 3001;
    uniform->driver.gen.count = 3001;
    tr->accesses = 5000;
  }

  /* No swap and 16 MiB to write in 8: the OOM killer picks one. */
  scn->cfg.nr_swap = 0;
  loop->driver.gen.write_ratio = 1;
  uniform->driver.gen.write_ratio = 1;
  for (size_t q = 0; q < ARRAY_SIZE(quanta); q++) {
    scn->quantum = quanta[q];
    expect_reference_run(scn);
  }

  /* A malformed line after the 1001 accesses: the run fails there, unless
   * the process stops before it. */
  write_text_trace(trace, 1001, true);
  scn->quantum = 300;
  expect_reference_run(scn);
  tr->accesses = 1001;
  expect_reference_run(scn);
  tr->accesses = 5000;
  vmsim_sim *sim = NULL;
  char err[512] = "";
  assert_int_equal(vmsim_scenario_run(scn, NULL, &sim, NULL, 0, err, sizeof(err)), VMSIM_EPARSE);
  assert_non_null(strstr(err, ":1002:"));
  unlink(trace);
  vmsim_scenario_free(scn);
}

/* ---- main ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_example),
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_notations),
    cmocka_unit_test(test_errors_yaml),
    cmocka_unit_test(test_errors_keys),
    cmocka_unit_test(test_errors_types),
    cmocka_unit_test(test_errors_ranges),
    cmocka_unit_test(test_errors_fit),
    cmocka_unit_test(test_errors_names),
    cmocka_unit_test(test_errors_config),
    cmocka_unit_test(test_params_in_order),
    cmocka_unit_test(test_load),
    cmocka_unit_test(test_default),
    cmocka_unit_test(test_docs_example),
    cmocka_unit_test(test_alloc_failure),
    cmocka_unit_test(test_run_like_reference),
  };
  int failed = cmocka_run_group_tests_name("scenario", tests, register_test_policy, NULL);

  /* The examples, one test each. */
  char *names[256];
  size_t n = 0;
  DIR *dir = opendir(EXAMPLES);
  assert_non_null(dir);
  for (struct dirent *e; (e = readdir(dir)) && n < ARRAY_SIZE(names);) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
      names[n++] = strdup(e->d_name);
  }
  closedir(dir);
  qsort(names, n, sizeof(names[0]), by_name);
  struct CMUnitTest examples[ARRAY_SIZE(names)];
  for (size_t i = 0; i < n; i++)
    examples[i] = (struct CMUnitTest){names[i], test_example, NULL, NULL, names[i]};
  failed += _cmocka_run_group_tests("examples", examples, n, NULL, NULL);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  return failed;
}
