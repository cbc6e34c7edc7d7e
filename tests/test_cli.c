/* SPDX-License-Identifier: MIT */
/*
 * The `vmsim` command, end to end: exit statuses, error positions, replay
 * miss counts against brute-force references, and byte-identical output
 * across runs. The binary's path comes from VMSIM_BIN (set by meson).
 */
#include "cli_test.h"

/* The number right after the first `label` in `out`; fails if either is
 * missing. */
static uint64_t u64_after(const char *out, const char *label) {
  const char *p = strstr(out, label);
  if (!p)
    fail_msg("no '%s' in output:\n%s", label, out);
  const char *num = p + strlen(label);
  char *end;
  uint64_t v = strtoull(num, &end, 10);
  if (end == num)
    fail_msg("no number after '%s' in output:\n%s", label, out);
  return v;
}

static uint64_t json_u64(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof(pat), "\"%s\": ", key);
  return u64_after(json, pat);
}

static int setup(void **state) {
  (void)state;
  return cli_setup();
}

static int teardown(void **state) {
  (void)state;
  return cli_teardown();
}

/* ---- exit statuses and error positions ------------------------------- */

static void test_usage_errors(void **state) {
  (void)state;
  expect_error("frobnicate", 2, "unknown command 'frobnicate'");
  expect_error("run", 2, "run needs a scenario file");
  expect_error("run x.yaml --output xml", 2, "--output: 'xml'");
  expect_error("run x.yaml --bogus", 2, "unknown option '--bogus'");
  expect_error("run x.yaml --seed -3", 2, "--seed");
  expect_error("replay t.txt", 2, "replay needs --trace-format");
  expect_error("replay t.txt --trace-format csv", 2, "unknown trace format 'csv'");
  expect_error("replay t.txt --trace-format text --frames 0", 2, "--frames");
  expect_error("run missing.yaml", 2, "missing.yaml");
  expect_error("policies --plugin ./nothere.so", 2, "nothere.so");
  /* An option of another command is refused, not ignored. */
  expect_error("run x.yaml --frames 5", 2, "--frames is an option of replay");
  expect_error("--engine frames", 2, "--engine is an option of replay");
  expect_error("run x.yaml --trace-format text", 2, "--trace-format is an option of replay");
  expect_error("replay t.txt --trace-format text --seed 4", 2, "--seed is an option of run");
  expect_error("replay t.txt --trace-format text --timeline t.csv", 2,
               "--timeline is an option of run");
  /* policies takes --plugin only. */
  expect_error("policies --seed 1", 2, "--seed is an option of run");
  expect_error("policies --output json", 2, "--output is an option of run and replay");
}

/* Each class of scenario error: file:line:column and status 2. */
static void test_scenario_errors(void **state) {
  (void)state;
  write_file("malformed.yaml", "vm:\n  policy: [clock\n");
  expect_error("run malformed.yaml", 2, "malformed.yaml:");
  write_file("unknown.yaml", "vm:\n  policy: clock\n  swapines: 60\n");
  expect_error("run unknown.yaml", 2, "unknown.yaml:3:3: error: unknown key 'swapines'");
  write_file("type.yaml", "vm:\n  swappiness: lots\n");
  expect_error("run type.yaml", 2, "type.yaml:2:15: error:");
  write_file("range.yaml", "vm:\n  swappiness: 201\n");
  expect_error("run range.yaml", 2, "range.yaml:2:15: error:");
  write_file("fit.yaml", "machine:\n  nodes:\n    - memory: 64MiB\n      cpus: 1\n"
                         "      zones: {DMA: 128MiB, Normal: rest}\n");
  expect_error("run fit.yaml", 2, "fit.yaml:");
  write_file("policy.yaml", "vm:\n  policy: nosuchpolicy\n");
  expect_error("run policy.yaml", 2, "policy.yaml:2:11: error:");
}

/* A malformed trace record: its line, status 2, nothing simulated. */
static void test_trace_errors(void **state) {
  (void)state;
  write_file("bad.txt", "R 1000\nW 2000\nX 3000\n");
  expect_error("replay bad.txt --trace-format text --frames 4", 2, "bad.txt:3:");
  write_file("bad.lackey", " L 00001000,4\n S zzz,4\n");
  expect_error("replay bad.lackey --trace-format lackey", 2, "bad.lackey:2:");
  /* A truncated oracleGeneral record (24 bytes each; 30 here). */
  FILE *f;
  char path[300];
  snprintf(path, sizeof(path), "%s/short.bin", tmpdir);
  f = fopen(path, "wb");
  assert_non_null(f);
  /* Record 1: time 0, object 7, size 4096, next access -1 (never);
   * then 6 bytes of a second record. */
  unsigned char rec[30] = {0};
  rec[4] = 7;
  rec[13] = 0x10;
  memset(rec + 16, 0xff, 8);
  fwrite(rec, 1, sizeof(rec), f);
  fclose(f);
  expect_error("replay short.bin --trace-format oracleGeneral", 2, "record 2");
}

/* ---- replay counts ------------------------------------------------------ */

/* Write pages[] as a text trace of reads (page p at address p * 4096). */
static void write_trace(const char *name, const unsigned *pages, size_t n) {
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "R %x\n", (pages[i] + 16) * 4096);
  fclose(f);
}

/* The misses of a replay on `engine` (NULL: the default, auto). */
static uint64_t replay_misses_on(const char *trace, const char *policy, unsigned frames,
                                 const char *engine) {
  char args[256];
  static struct result r;
  snprintf(args, sizeof(args),
           "replay %s --trace-format text --frames %u --policy %s --output json%s%s", trace,
           frames, policy, engine ? " --engine " : "", engine ? engine : "");
  vmsim(&r, args);
  if (r.status != 0)
    fail_msg("vmsim %s: status %d\n%s", args, r.status, r.err);
  return json_u64(r.out, "misses");
}

static uint64_t replay_misses(const char *trace, const char *policy, unsigned frames) {
  return replay_misses_on(trace, policy, frames, NULL);
}

/* Belady's reference string, as belady.txt. */
static const unsigned belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};

static void write_belady(void) { write_trace("belady.txt", belady, ARRAY_SIZE(belady)); }

/* A skewed mix over 40 pages, as mix.txt. */
#define MIX_LEN 1500

static void write_mix(unsigned s[MIX_LEN]) {
  uint64_t seed = 42;
  for (size_t i = 0; i < MIX_LEN; i++)
    s[i] = (unsigned)(test_rand(&seed) % 100 < 70 ? test_rand(&seed) % 10 : test_rand(&seed) % 40);
  write_trace("mix.txt", s, MIX_LEN);
}

/* Belady's anomaly: FIFO on 1,2,3,4,1,2,5,1,2,3,4,5 misses 9 times with 3
 * frames and 10 times with 4 (Belady, Nelson, Shedler 1969). */
static void test_replay_belady(void **state) {
  (void)state;
  write_belady();
  assert_int_equal(replay_misses("belady.txt", "fifo", 3), 9);
  assert_int_equal(replay_misses("belady.txt", "fifo", 4), 10);
}

/* Brute-force references: LRU (evict least recently used) and OPT (evict
 * the page used farthest in the future, or never). */
static unsigned ref_misses(const unsigned *s, size_t n, unsigned frames, bool opt) {
  unsigned mem[64], last[64], nr = 0, misses = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned j;
    for (j = 0; j < nr && mem[j] != s[i]; j++)
      ;
    if (j < nr) {
      last[j] = (unsigned)i;
      continue;
    }
    misses++;
    if (nr < frames) {
      mem[nr] = s[i], last[nr++] = (unsigned)i;
      continue;
    }
    unsigned victim = 0;
    size_t best = 0;
    for (j = 0; j < nr; j++) {
      size_t key;
      if (opt) {
        size_t k = i + 1;
        while (k < n && s[k] != mem[j])
          k++;
        key = k; /* n: never used again */
      } else {
        key = SIZE_MAX - last[j];
      }
      if (key > best) /* first of equal keys: the lowest slot */
        best = key, victim = j;
    }
    mem[victim] = s[i], last[victim] = (unsigned)i;
  }
  return misses;
}

static void test_replay_lru_opt_vs_bruteforce(void **state) {
  (void)state;
  unsigned s[MIX_LEN];
  write_mix(s);
  for (unsigned frames = 5; frames <= 25; frames += 10) {
    assert_int_equal(replay_misses("mix.txt", "lru", frames),
                     ref_misses(s, ARRAY_SIZE(s), frames, false));
    /* OPT's count does not depend on how ties are broken. */
    assert_int_equal(replay_misses("mix.txt", "opt", frames),
                     ref_misses(s, ARRAY_SIZE(s), frames, true));
  }
}

/* The string value of `key` in a JSON output, in buf. */
static const char *json_str(const char *json, const char *key, char *buf, size_t len) {
  char pat[64];
  snprintf(pat, sizeof(pat), "\"%s\": \"", key);
  const char *p = strstr(json, pat);
  if (!p)
    fail_msg("no %s in output:\n%s", key, json);
  p += strlen(pat);
  size_t n = strcspn(p, "\"");
  assert_true(n < len);
  memcpy(buf, p, n);
  buf[n] = 0;
  return buf;
}

/*
 * Both replay engines on the traces above: --engine machine and --engine
 * frames count the same misses, for every policy with a frames model, and
 * those of the tests above (Belady's 9 and 10, the brute-force LRU and
 * OPT counts); fivelist's frames report gives the machine's pswpout as
 * its swap writes.
 */
static void test_replay_engines_agree(void **state) {
  (void)state;
  write_belady();
  for (unsigned frames = 3; frames <= 4; frames++) {
    uint64_t m = replay_misses_on("belady.txt", "fifo", frames, "machine");
    assert_int_equal(m, frames == 3 ? 9 : 10);
    assert_int_equal(replay_misses_on("belady.txt", "fifo", frames, "frames"), m);
  }
  unsigned s[MIX_LEN];
  write_mix(s);
  static const char *const policies[] = {"fifo", "lru", "clock", "opt", "fivelist"};
  for (unsigned frames = 5; frames <= 25; frames += 10) {
    for (size_t i = 0; i < ARRAY_SIZE(policies); i++) {
      uint64_t m = replay_misses_on("mix.txt", policies[i], frames, "machine");
      uint64_t f = replay_misses_on("mix.txt", policies[i], frames, "frames");
      if (m != f)
        fail_msg("mix.txt, %s, %u frames: machine %" PRIu64 " misses, frames %" PRIu64,
                 policies[i], frames, m, f);
      if (strcmp(policies[i], "lru") == 0 || strcmp(policies[i], "opt") == 0)
        assert_int_equal(m, ref_misses(s, MIX_LEN, frames, strcmp(policies[i], "opt") == 0));
    }
  }
  /* fivelist's frames report has its swap writes: the machine's pswpout,
   * in the JSON and in the text. */
  static struct result r;
  vmsim(&r, "replay mix.txt --trace-format text --frames 5 --policy fivelist --output json "
            "--engine machine");
  assert_int_equal(r.status, 0);
  uint64_t pswpout = json_u64(r.out, "pswpout");
  assert_true(pswpout > 0);
  vmsim(&r, "replay mix.txt --trace-format text --frames 5 --policy fivelist --output json");
  assert_int_equal(r.status, 0);
  assert_int_equal(json_u64(r.out, "swap_writes"), pswpout);
  vmsim(&r, "replay mix.txt --trace-format text --frames 5 --policy fivelist");
  assert_int_equal(r.status, 0);
  assert_int_equal(u64_after(r.out, "swap writes (pswpout)"), pswpout);
}

/*
 * --engine: an unknown engine is a usage error naming the option; frames
 * with a policy that has no frames model is one naming the policy. The
 * JSON report says which engine ran: frames by default with --frames and
 * a policy that has a model, the machine when asked for; both give the
 * replay's counts under the same keys.
 */
static void test_replay_engine_option(void **state) {
  (void)state;
  write_belady();
  expect_error("replay belady.txt --trace-format text --frames 4 --engine bogus", 2, "--engine");
  expect_error("replay belady.txt --trace-format text --engine frames --policy twolist --frames 4",
               2, "twolist");
  static struct result r;
  char engine[32];
  vmsim(&r, "replay belady.txt --trace-format text --frames 4 --policy fifo --output json");
  if (r.status != 0)
    fail_msg("status %d\n%s", r.status, r.err);
  assert_string_equal(json_str(r.out, "engine", engine, sizeof(engine)), "frames");
  assert_int_equal(json_u64(r.out, "misses"), 10);
  /* Belady's string has 5 pages: the other 5 misses are refaults. */
  assert_int_equal(json_u64(r.out, "major_faults"), 5);
  assert_int_equal(json_u64(r.out, "distinct_pages"), 5);
  assert_int_equal(json_u64(r.out, "nr_procs"), 1);
  assert_int_equal(json_u64(r.out, "segv"), 0);
  vmsim(&r, "replay belady.txt --trace-format text --frames 4 --policy fifo --engine machine "
            "--output json");
  if (r.status != 0)
    fail_msg("status %d\n%s", r.status, r.err);
  assert_string_equal(json_str(r.out, "engine", engine, sizeof(engine)), "machine");
  assert_int_equal(json_u64(r.out, "misses"), 10);
  /* Belady's string has 5 pages: the other 5 misses are refaults. */
  assert_int_equal(json_u64(r.out, "major_faults"), 5);
  assert_int_equal(json_u64(r.out, "distinct_pages"), 5);
  assert_int_equal(json_u64(r.out, "nr_procs"), 1);
  assert_int_equal(json_u64(r.out, "segv"), 0);
}

/* ---- determinism --------------------------------------------------------- */

static void strip_host(char *json) {
  char *h = strstr(json, "\"host\"");
  assert_non_null(h);
  *h = 0;
}

static void test_run_twice_identical(void **state) {
  (void)state;
  static struct result a, b;
  vmsim(&a, "run " VMSIM_TEST_SRCDIR "/../examples/scenarios/default.yaml --seed 7 --output json");
  vmsim(&b, "run " VMSIM_TEST_SRCDIR "/../examples/scenarios/default.yaml --seed 7 --output json");
  assert_int_equal(a.status, 0);
  assert_int_equal(b.status, 0);
  strip_host(a.out);
  strip_host(b.out);
  assert_string_equal(a.out, b.out);
  assert_true(json_u64(a.out, "kswapd_wakeups") > 0);
  assert_int_equal(json_u64(a.out, "integrity_errors"), 0);
  /* Another seed is another run. */
  vmsim(&b, "run " VMSIM_TEST_SRCDIR "/../examples/scenarios/default.yaml --seed 8 --output json");
  strip_host(b.out);
  assert_true(strcmp(a.out, b.out) != 0);
}

static void test_default_and_policies(void **state) {
  (void)state;
  static struct result r;
  vmsim(&r, "");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "invariant check: passed"));
  vmsim(&r, "policies");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "clock"));
  assert_non_null(strstr(r.out, "fifo"));
  vmsim(&r, "--version");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, VMSIM_VERSION_STRING));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_usage_errors),
    cmocka_unit_test(test_scenario_errors),
    cmocka_unit_test(test_trace_errors),
    cmocka_unit_test(test_replay_belady),
    cmocka_unit_test(test_replay_lru_opt_vs_bruteforce),
    cmocka_unit_test(test_replay_engines_agree),
    cmocka_unit_test(test_replay_engine_option),
    cmocka_unit_test(test_run_twice_identical),
    cmocka_unit_test(test_default_and_policies),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
