/* SPDX-License-Identifier: MIT */
/*
 * The fuzz targets (fuzz/) as a regression suite: every seed input of
 * fuzz/corpus/<target>/ and every crash input the fuzzers have found,
 * fuzz/regress/<target>/, replayed through its target in every build, with
 * or without libFuzzer. A target checks its own oracle (fuzz/fuzz.h); a
 * broken one fails the test with the input's path.
 */
#include "vmsim_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../fuzz/fuzz_policy.c"
#include "../fuzz/fuzz_replay.c"
#include "../fuzz/fuzz_run.c"
#include "../fuzz/fuzz_scenario.c"
#include "../fuzz/fuzz_trace.c"

#define FUZZ_DIR VMSIM_TEST_SRCDIR "/../fuzz"

static const char *current_input = "(none)";

void vmsim_fuzz_fail(const char *file, int line, const char *fmt, ...) {
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  fail_msg("%s: %s:%d: fuzz oracle failed: %s", current_input, file, line, what);
  abort(); /* not reached: fail_msg() leaves the test */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)data, (void)size;
  return 0;
}

/* The whole of a file, in a buffer of exactly its size (AddressSanitizer
 * sees reads past the end of the input). */
static uint8_t *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("%s: cannot open: %s", path, strerror(errno));
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  assert_true(len >= 0);
  rewind(f);
  uint8_t *buf = malloc(len ? (size_t)len : 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *size = (size_t)len;
  return buf;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; returns how many. A missing
 * directory has none. */
static size_t replay_dir(const char *dir, int (*target)(const uint8_t *, size_t)) {
  DIR *d = opendir(dir);
  if (!d) {
    assert_int_equal(errno, ENOENT);
    return 0;
  }
  char *names[1024];
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    assert_true(n < ARRAY_SIZE(names));
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    assert_non_null(names[n]);
    snprintf(names[n++], len, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(names[0]), compare_names);
  size_t ran = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      size_t size;
      uint8_t *data = slurp(names[i], &size);
      current_input = names[i];
      assert_int_equal(target(data, size), 0);
      current_input = "(none)";
      free(data);
      ran++;
    }
    free(names[i]);
  }
  return ran;
}

/* The seeds (there must be some) and the crash inputs of one target. The
 * scenario targets also start from every example scenario. */
static void replay(const char *corpus, const char *target_name,
                   int (*target)(const uint8_t *, size_t)) {
  char dir[512];
  snprintf(dir, sizeof(dir), "%s/corpus/%s", FUZZ_DIR, corpus);
  size_t seeds = replay_dir(dir, target);
  assert_true(seeds > 0);
  if (strcmp(corpus, "scenario") == 0)
    assert_true(replay_dir(VMSIM_TEST_SRCDIR "/../examples/scenarios", target) > 0);
  snprintf(dir, sizeof(dir), "%s/regress/%s", FUZZ_DIR, target_name);
  (void)replay_dir(dir, target);
}

static void test_scenario(void **state) {
  (void)state;
  replay("scenario", "scenario", vmsim_fuzz_scenario);
}

static void test_trace_lackey(void **state) {
  (void)state;
  replay("trace_lackey", "trace_lackey", vmsim_fuzz_trace_lackey);
}

static void test_trace_oracle(void **state) {
  (void)state;
  replay("trace_oracle", "trace_oracle", vmsim_fuzz_trace_oracle);
}

static void test_trace_text(void **state) {
  (void)state;
  replay("trace_text", "trace_text", vmsim_fuzz_trace_text);
}

static void test_policy(void **state) {
  (void)state;
  replay("policy", "policy", vmsim_fuzz_policy);
}

/* The run target starts from the scenario seeds. */
static void test_run(void **state) {
  (void)state;
  replay("scenario", "run", vmsim_fuzz_run);
}

static void test_replay(void **state) {
  (void)state;
  replay("replay", "replay", vmsim_fuzz_replay);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scenario),     cmocka_unit_test(test_trace_lackey),
    cmocka_unit_test(test_trace_oracle), cmocka_unit_test(test_trace_text),
    cmocka_unit_test(test_policy),       cmocka_unit_test(test_run),
    cmocka_unit_test(test_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
