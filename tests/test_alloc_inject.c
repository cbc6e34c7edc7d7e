/* SPDX-License-Identifier: MIT */
/*
 * Host allocation failure along whole runs: a complete scenario run
 * (vmsim_scenario_run) and a trace replay (vmsim_replay), failing the Nth
 * host allocation for every N the successful run makes. Each failure must
 * come back as VMSIM_ENOMEM with a message -- never a crash, a hang or
 * another error -- and once everything is freed the shim must have seen as
 * many frees as allocations. test_alloc.c does the same for machine
 * creation alone, test_scenario.c for parsing.
 */
#include "vmsim_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A failing run that takes longer than this is hung (a successful run
 * takes well under a second, also under ASan). */
#define HANG_SECONDS 60

/*
 * If the successful run makes more allocations than this, every N up to
 * it is tried and then a deterministic sample of the rest (see
 * fail_each_allocation()).
 */
#define EXHAUSTIVE_LIMIT 5000
#define SAMPLES_ABOVE_LIMIT 1000

/*
 * A small machine under real pressure: 16 MiB of RAM, 16 MiB of swap,
 * kswapd. `app` works a Zipf-skewed anonymous heap and maps a file it does
 * not touch; `mapper` writes a private file mapping at random (copy on
 * write of file pages); `reader` read()s a 32 MiB file once. Together they
 * want about 60 MiB: kswapd and direct reclaim run, anon pages go to swap,
 * the file stream is reclaimed behind the reader. 38,192 accesses.
 */
static const char scenario_text[] =
  "machine:\n"
  "  nodes:\n"
  "    - memory: 16MiB\n"
  "      cpus: 2\n"
  "      zones: {DMA: 4MiB, DMA32: rest}\n"
  "  swap:\n"
  "    - {size: 16MiB, type: ssd}\n"
  "vm:\n"
  "  policy: clock\n"
  "  reclaim: kswapd\n"
  "files:\n"
  "  - {name: data, size: 8MiB}\n"
  "  - {name: log, size: 32MiB}\n"
  "workload:\n"
  "  seed: 3\n"
  "  quantum: 250\n"
  "  processes:\n"
  "    - name: app\n"
  "      accesses: 20000\n"
  "      vmas:\n"
  "        - {start: 0x10000000, size: 12MiB, type: anon, prot: rw}\n"
  "        - {start: 0x40000000, size: 8MiB, type: file, file: data, shared: true, prot: r}\n"
  "      driver: {generator: zipf, region: 0, theta: 0.7, write_ratio: 0.4}\n"
  "    - name: mapper\n"
  "      accesses: 10000\n"
  "      vmas:\n"
  "        - {start: 0x10000000, size: 4MiB, type: anon, prot: rw}\n"
  "        - {start: 0x50000000, size: 8MiB, type: file, file: data, prot: rw}\n"
  "      driver: {generator: uniform, region: 1, write_ratio: 0.2}\n"
  "    - name: reader\n"
  "      accesses: 8192\n"
  "      driver: {generator: sequential, read: log}\n";

static vmsim_alloc_stats stats_now(void) {
  vmsim_alloc_stats s;
  vmsim_alloc_get_stats(&s);
  return s;
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "test_alloc_inject: a run with a failed allocation hung\n";
  ssize_t n = write(2, msg, sizeof(msg) - 1);
  (void)n;
  _exit(3);
}

/* One run under test: returns 0 or a VMSIM_E* code with a message in err,
 * and the machine, if any, in *sim (the caller destroys it). */
typedef int (*run_fn)(void *ctx, vmsim_sim **sim, char *err, size_t len);

/* Run `fn` once with nothing failing: the allocations it makes. Also checks
 * that the run leaks nothing and that the machine is consistent. */
static uint64_t count_run_allocs(run_fn fn, void *ctx) {
  vmsim_sim *sim = NULL;
  char err[512] = "";
  vmsim_alloc_stats a = stats_now();
  int rc = fn(ctx, &sim, err, sizeof(err));
  if (rc)
    fail_msg("the run without failures: %s: %s", vmsim_err_name(rc), err);
  vmsim_alloc_stats b = stats_now();
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
  vmsim_alloc_stats c = stats_now();
  assert_int_equal(b.nr_failed, a.nr_failed);
  assert_int_equal(c.nr_frees - a.nr_frees, c.nr_allocs - a.nr_allocs);
  return b.nr_allocs - a.nr_allocs;
}

/* Fail allocation n of a run of `fn`: VMSIM_ENOMEM with a message, no
 * machine, nothing leaked. */
static void fail_one(run_fn fn, void *ctx, uint64_t n, uint64_t total) {
  vmsim_sim *sim = NULL;
  char err[512] = "";
  vmsim_alloc_stats a = stats_now();
  alarm(HANG_SECONDS);
  vmsim_alloc_fail_after(n, false);
  int rc = fn(ctx, &sim, err, sizeof(err));
  vmsim_alloc_fail_after(0, false);
  alarm(0);
  vmsim_sim_destroy(sim); /* NULL after a failure; freed anyway if not */
  vmsim_alloc_stats b = stats_now();
  if (rc != VMSIM_ENOMEM)
    fail_msg("failing allocation %" PRIu64 " of %" PRIu64 ": %s (%s)", n, total,
             vmsim_err_name(rc), err);
  if (!err[0])
    fail_msg("failing allocation %" PRIu64 " of %" PRIu64 ": no message", n, total);
  assert_null(sim);
  assert_int_equal(b.nr_failed - a.nr_failed, 1);
  if (b.nr_frees - a.nr_frees != b.nr_allocs - a.nr_allocs)
    fail_msg("failing allocation %" PRIu64 " of %" PRIu64 ": %" PRIu64 " allocations, %" PRIu64
             " frees (%s)",
             n, total, b.nr_allocs - a.nr_allocs, b.nr_frees - a.nr_frees, err);
}

/*
 * Every N from 1 to the number of allocations of the successful run; above
 * EXHAUSTIVE_LIMIT, SAMPLES_ABOVE_LIMIT values of N spread evenly over the
 * rest (the last one included), which the test prints.
 */
static void fail_each_allocation(const char *what, run_fn fn, void *ctx) {
  uint64_t total = count_run_allocs(fn, ctx);
  assert_true(total >= 10);
  uint64_t exhaustive = MIN(total, EXHAUSTIVE_LIMIT);
  for (uint64_t n = 1; n <= exhaustive; n++)
    fail_one(fn, ctx, n, total);
  uint64_t rest = total - exhaustive, samples = MIN(rest, SAMPLES_ABOVE_LIMIT);
  for (uint64_t i = 1; i <= samples; i++)
    fail_one(fn, ctx, exhaustive + rest * i / samples, total);
  print_message("%s: %" PRIu64 " host allocations; failed each of 1..%" PRIu64
                " and %" PRIu64 " more spread over the rest\n",
                what, total, exhaustive, samples);
}

/* ---- a scenario run ---------------------------------------------------- */

struct scenario_ctx {
  const vmsim_scenario *scn;
  const vmsim_run_options *opt;
};

static int run_scenario(void *arg, vmsim_sim **sim, char *err, size_t len) {
  struct scenario_ctx *c = arg;
  vmsim_run_process res[4];
  return vmsim_scenario_run(c->scn, c->opt, sim, res, ARRAY_SIZE(res), err, len);
}

static vmsim_scenario *parse_scenario(void) {
  vmsim_scenario *scn = NULL;
  char err[512];
  int rc = vmsim_scenario_parse(&scn, scenario_text, strlen(scenario_text), "inject.yaml", err,
                                sizeof(err));
  if (rc)
    fail_msg("%s", err);
  return scn;
}

/* The scenario does what it is for: reclaim by kswapd and directly, swap
 * out and in, file pages read and reclaimed, every access made. */
static void test_scenario_exercises_reclaim(void **state) {
  (void)state;
  vmsim_scenario *scn = parse_scenario();
  vmsim_sim *sim = NULL;
  vmsim_run_process res[3];
  char err[512];
  assert_ok(vmsim_scenario_run(scn, NULL, &sim, res, 3, err, sizeof(err)));
  assert_true(vmsim_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
  assert_true(vmsim_vmstat(sim, VMSIM_VM_pgscan_direct) > 0);
  assert_true(vmsim_vmstat(sim, VMSIM_VM_pswpout) > 0);
  assert_true(vmsim_vmstat(sim, VMSIM_VM_pswpin) > 0);
  assert_true(vmsim_vmstat(sim, VMSIM_VM_pgmajfault) > 0);
  assert_int_equal(res[0].accesses + res[1].accesses + res[2].accesses, 38192);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
  vmsim_scenario_free(scn);
}

static void test_scenario_run(void **state) {
  (void)state;
  vmsim_scenario *scn = parse_scenario();
  struct scenario_ctx c = {scn, NULL};
  fail_each_allocation("scenario run", run_scenario, &c);
  vmsim_scenario_free(scn);
}

/* With the invariant checker every 4096 accesses, whose own allocations
 * may fail too, and a timeline. */
static void test_scenario_run_checked(void **state) {
  (void)state;
  vmsim_scenario *scn = parse_scenario();
  vmsim_run_options opt;
  vmsim_run_options_default(&opt);
  opt.check_interval = 4096;
  opt.timeline = tmpfile();
  assert_non_null(opt.timeline);
  struct scenario_ctx c = {scn, &opt};
  fail_each_allocation("scenario run with checks", run_scenario, &c);
  fclose(opt.timeline);
  vmsim_scenario_free(scn);
}

/* ---- a trace replay ---------------------------------------------------- */

/* A text trace of two processes: a loop over 300 pages with writes, and
 * a stream of 600 pages, interleaved, twice over. */
static void write_trace(const char *path) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "# a text trace for failure injection\n");
  for (int pass = 0; pass < 2; pass++)
    for (unsigned i = 0; i < 600; i++) {
      fprintf(f, "1 %c %x\n", i % 3 ? 'R' : 'W', 0x10000000 + (i % 300) * 4096);
      fprintf(f, "2 R 0x%x\n", 0x20000000 + i * 4096 + 8);
    }
  fclose(f);
}

static int run_replay(void *arg, vmsim_sim **sim, char *err, size_t len) {
  const vmsim_replay_options *opt = arg;
  vmsim_replay_result res;
  return vmsim_replay(opt, sim, &res, err, len);
}

static void replay_each(const char *path, uint64_t frames, const char *policy) {
  vmsim_replay_options opt = {
    .path = path, .format = VMSIM_TRACE_TEXT, .frames = frames, .policy = policy};
  char what[64];
  snprintf(what, sizeof(what), "replay %s --frames %" PRIu64, policy, frames);
  fail_each_allocation(what, run_replay, &opt);
}

static void test_replay(void **state) {
  (void)state;
  char path[] = "/tmp/vmsim-inject-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_trace(path);
  replay_each(path, 128, "clock");
  replay_each(path, 128, "opt"); /* pass 1 records the future */
  replay_each(path, 0, "fivelist"); /* the default machine, with kswapd */
  unlink(path);
}

int main(void) {
  signal(SIGALRM, on_alarm);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scenario_exercises_reclaim),
    cmocka_unit_test(test_scenario_run),
    cmocka_unit_test(test_scenario_run_checked),
    cmocka_unit_test(test_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
