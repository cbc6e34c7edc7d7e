/* SPDX-License-Identifier: MIT */
/*
 * The FRAMES replay engine (vmsim_replay() with VMSIM_REPLAY_FRAMES): N page
 * frames and a policy. Every count it returns (accesses, misses, major
 * faults, segvs, distinct pages, processes, evictions, dirty evictions) is
 * checked against a brute-force textbook simulation (replay_test.h: arrays
 * and linear searches over the frames) of FIFO, LRU, CLOCK and Belady's
 * OPT, on random text traces the test writes. Traces of the same generator
 * (other seeds, shorter) go through the MACHINE engine too, whose misses
 * and major faults must equal the same brute force: both engines equal the
 * textbook and each other.
 * Also: Belady's anomaly, memory large enough for every page, which engine
 * AUTO picks, the configuration and trace errors, determinism.
 */
#include "replay_test.h"

#include "pace.h"

#include <string.h>

static char bad_path[400];

/* Each test gets its own scratch directory. */
static int setup(void **state) {
  (void)state;
  if (replay_test_setup("replay-frames"))
    return -1;
  snprintf(bad_path, sizeof(bad_path), "%s/bad.txt", tmp_dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(bad_path);
  return replay_test_teardown();
}

#define MAX_FRAMES 64 /* enough for every page of test_everything_fits() */

/* ---- the traces --------------------------------------------------------- */

/* A trace of reads of page numbers s[] (page p at vpn 16 + p), pid 0. */
static struct access *reference_string(const unsigned *s, size_t n) {
  struct access *a = malloc(n * sizeof(*a));
  assert_non_null(a);
  for (size_t i = 0; i < n; i++)
    a[i] = (struct access){.pid = 0, .vaddr = (uint64_t)(16 + s[i]) << VMSIM_PAGE_SHIFT};
  write_trace(a, n);
  return a;
}

/* ---- replaying ----------------------------------------------------------- */

/* Replay the trace at `path` with `engine`; the status, err filled. */
static int replay_rc(const char *policy, uint64_t frames, enum vmsim_replay_engine engine,
                     const char *path, vmsim_sim **sim, vmsim_replay_result *res, char *err,
                     size_t len) {
  return replay_rc_run(policy, frames, engine, NULL, path, sim, res, err, len);
}

/* The FRAMES engine ran and gave no machine. */
static void replay_frames(const char *policy, uint64_t frames, vmsim_replay_result *res) {
  replay_ok(policy, frames, VMSIM_REPLAY_FRAMES, NULL, res);
}

#define CHECK_FIELD(what, got, want)                                                       \
  do {                                                                                     \
    if ((uint64_t)(got) != (uint64_t)(want))                                               \
      fail_msg("%s: %s is %" PRIu64 ", the brute force says %" PRIu64, what, #got,         \
               (uint64_t)(got), (uint64_t)(want));                                         \
  } while (0)

/* The counts both engines give (the machine's others are in its vmstat). */
static void check_shared(const char *what, const vmsim_replay_result *res,
                         const struct expect *e) {
  CHECK_FIELD(what, res->accesses, e->accesses);
  CHECK_FIELD(what, res->misses, e->misses);
  CHECK_FIELD(what, res->major_faults, e->major_faults);
  CHECK_FIELD(what, res->segv, e->segv);
  CHECK_FIELD(what, res->distinct_pages, e->distinct_pages);
  CHECK_FIELD(what, res->nr_procs, e->nr_procs);
}

/* Every count of a FRAMES result equals the brute force's. */
static void check_all(const char *what, const vmsim_replay_result *res, const struct expect *e) {
  check_shared(what, res, e);
  CHECK_FIELD(what, res->evictions, e->evictions);
  CHECK_FIELD(what, res->dirty_evictions, e->dirty_evictions);
  CHECK_FIELD(what, res->swap_writes, 0); /* no swap behind a textbook model */
}

static const unsigned frame_counts[] = {1, 2, 3, 7, 16, 40};

/* ---- the tests ----------------------------------------------------------- */

/*
 * An engine against the textbook: for each model and frame count, on
 * random traces of n accesses, the result equals the brute force's. All of
 * it on FRAMES; on the MACHINE, the counts it shares (misses, major faults
 * -- swap-ins -- and pass 1's counts), and the machine it leaves passes
 * every invariant check. The traces are checked to be what they mean to
 * be: evictions, refaults and segvs happen with every frame count.
 */
static void engine_vs_bruteforce(enum vmsim_replay_engine engine, size_t n,
                                 const uint64_t *seeds, size_t nr_seeds) {
  for (size_t s = 0; s < nr_seeds; s++) {
    struct access *a = generate_trace(n, seeds[s]);
    struct trace_facts tf;
    trace_facts(a, n, &tf);
    for (int m = 0; m < NR_MODELS; m++) {
      for (size_t k = 0; k < ARRAY_SIZE(frame_counts); k++) {
        struct expect e;
        brute_force(a, n, &tf, (enum model)m, frame_counts[k], &e);
        assert_int_equal(e.nr_procs, 4);
        assert_true(e.evictions > n / 40 && e.dirty_evictions > 0 &&
                    e.dirty_evictions < e.evictions && e.segv > n / 40 &&
                    e.major_faults > n / 200);
        vmsim_replay_result res;
        char what[96];
        snprintf(what, sizeof(what), "%s, seed %" PRIu64 ", %s, %u frames",
                 engine == VMSIM_REPLAY_FRAMES ? "frames" : "machine", seeds[s],
                 model_names[m], frame_counts[k]);
        if (engine == VMSIM_REPLAY_FRAMES) {
          replay_frames(model_names[m], frame_counts[k], &res);
          check_all(what, &res, &e);
          continue;
        }
        replay_machine(model_names[m], frame_counts[k], &res);
        check_shared(what, &res, &e);
      }
    }
    trace_facts_free(&tf);
    free(a);
  }
}

/* FRAMES: 2 traces of 20,000 accesses. */
static void test_frames_vs_bruteforce(void **state) {
  (void)state;
  static const uint64_t seeds[] = {2024, 7};
  engine_vs_bruteforce(VMSIM_REPLAY_FRAMES, 20000, seeds, ARRAY_SIZE(seeds));
}

/* The MACHINE, slower: 2 traces of 4,000 accesses. With the test above,
 * both engines equal the textbook, hence each other. */
static void test_machine_vs_bruteforce(void **state) {
  (void)state;
  static const uint64_t seeds[] = {99, 5};
  engine_vs_bruteforce(VMSIM_REPLAY_MACHINE, 4000, seeds, ARRAY_SIZE(seeds));
}

/*
 * The policies differ on these traces: from 3 frames up, LRU, CLOCK and
 * FIFO miss each a different number of times, and OPT misses least (by the brute force: a
 * check that the traces tell the models apart, so that the test above
 * would see one model's engine running another's rule).
 */
static void test_traces_tell_models_apart(void **state) {
  (void)state;
  enum { N = 20000 };
  struct access *a = generate_trace(N, 2024);
  struct trace_facts tf;
  trace_facts(a, N, &tf);
  for (size_t k = 2; k < ARRAY_SIZE(frame_counts); k++) {
    struct expect e[NR_MODELS];
    for (int m = 0; m < NR_MODELS; m++)
      brute_force(a, N, &tf, (enum model)m, frame_counts[k], &e[m]);
    assert_true(e[FIFO].misses != e[LRU].misses && e[LRU].misses != e[CLOCK].misses &&
                e[FIFO].misses != e[CLOCK].misses);
    for (int m = 0; m < NR_MODELS; m++)
      if (m != OPT)
        assert_true(e[OPT].misses < e[m].misses);
  }
  trace_facts_free(&tf);
  free(a);
}

/*
 * Frame counts past the engine's first allocation (1024 frames, a
 * 1024-slot table): 1500 and 2500 frames over some 2,900 pages grow the
 * frame arrays and rehash the table of resident pages while the trace
 * runs, then evict once every frame is in use. Every count equals the
 * brute force's, and the engine's invariant check, run every 500 accesses
 * (vmsim_run_options.check_interval), passes throughout: a failing check
 * would make vmsim_replay() return VMSIM_ECORRUPT. That the engine paces
 * itself while it runs shows in the progress report, which the same
 * vmsim__pace_check() makes once, before 500 accesses are done, and in the
 * count of checks the result reports: the engine paces after each block of
 * at most 16 accesses, and checks at the first pacing at least 500
 * accesses after the last check, so 500 to 515 accesses apart: at most
 * 12000 / 500 = 24 checks, at least 12000 / 515 = 23.3, so 23 or 24 (an
 * engine that stopped pacing after its first block would report none).
 */
struct progress_seen {
  unsigned calls;
  uint64_t first_done;
};

static void seen_progress(void *ctx, uint64_t done, uint64_t planned) {
  struct progress_seen *s = ctx;
  (void)planned;
  if (s->calls++ == 0)
    s->first_done = done;
}

static void test_frames_grow(void **state) {
  (void)state;
  enum { N = 12000 };
  struct access *a = malloc(N * sizeof(*a));
  assert_non_null(a);
  uint64_t seed = 4242;
  for (size_t i = 0; i < N; i++) { /* two pids; half the accesses to 200 hot pages */
    uint64_t r = test_rand(&seed);
    uint64_t vpn = r % 2 ? 0x5000 + (r >> 8) % 200 : 0x9000 + (r >> 8) % 1400;
    a[i].pid = (r >> 40) % 2 ? 1 : 2;
    a[i].vaddr = (vpn << VMSIM_PAGE_SHIFT) + (r >> 20) % 4096;
    a[i].write = (r >> 50) % 4 == 0;
  }
  write_trace(a, N);
  struct trace_facts tf;
  trace_facts(a, N, &tf);
  vmsim_run_options ro;
  vmsim_run_options_default(&ro);
  ro.check_interval = 500;
  static const unsigned frames[] = {1500, 2500};
  for (int m = 0; m < NR_MODELS; m++) {
    for (size_t k = 0; k < ARRAY_SIZE(frames); k++) {
      struct expect e;
      brute_force(a, N, &tf, (enum model)m, frames[k], &e);
      assert_true(e.distinct_pages > frames[k] && e.evictions > 100);
      vmsim_replay_options opt = {.path = trace_path, .format = VMSIM_TRACE_TEXT,
                                  .frames = frames[k], .policy = model_names[m],
                                  .engine = VMSIM_REPLAY_FRAMES, .run = &ro};
      vmsim_sim *sim;
      vmsim_replay_result res;
      char err[512];
      struct progress_seen seen = {0, 0};
      ro.progress = seen_progress;
      ro.progress_ctx = &seen;
      int rc = vmsim_replay(&opt, &sim, &res, err, sizeof(err));
      if (rc)
        fail_msg("%s, %u frames: %s: %s", model_names[m], frames[k], vmsim_err_name(rc), err);
      assert_null(sim);
      check_all(model_names[m], &res, &e);
      /* Progress every 2^20 accesses, so once in 12,000, paced early. */
      assert_int_equal(seen.calls, 1);
      assert_true(seen.first_done < 500);
      assert_in_range(res.checks, 23, 24);
    }
  }
  trace_facts_free(&tf);
  free(a);
}

/* Belady's anomaly: FIFO on 1,2,3,4,1,2,5,1,2,3,4,5 misses 9 times with 3
 * frames and 10 times with 4 (Belady, Nelson, Shedler 1969); the rest of
 * each result as the brute force has it. */
static void test_belady_anomaly(void **state) {
  (void)state;
  static const unsigned s[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
  struct access *a = reference_string(s, ARRAY_SIZE(s));
  struct trace_facts tf;
  trace_facts(a, ARRAY_SIZE(s), &tf);
  static const unsigned frames[] = {3, 4}, want[] = {9, 10};
  for (size_t k = 0; k < ARRAY_SIZE(frames); k++) {
    vmsim_replay_result res;
    replay_frames("fifo", frames[k], &res);
    assert_int_equal(res.misses, want[k]);
    struct expect e;
    brute_force(a, ARRAY_SIZE(s), &tf, FIFO, frames[k], &e);
    assert_int_equal(e.misses, want[k]);
    check_all("belady", &res, &e);
  }
  trace_facts_free(&tf);
  free(a);
}

/*
 * With at least as many frames as distinct pages nothing is evicted: each
 * page misses once, on its first touch, and never refaults, whatever the
 * model, with exactly enough frames and with more.
 */
static void test_everything_fits(void **state) {
  (void)state;
  enum { N = 3000 };
  struct access *a = malloc(N * sizeof(*a));
  assert_non_null(a);
  uint64_t seed = 11;
  static const uint32_t pids[] = {0, 3, UINT32_MAX};
  for (size_t i = 0; i < N; i++) { /* 3 pids x 10 pages, some segvs */
    uint64_t r = test_rand(&seed);
    a[i].pid = pids[r % 3];
    a[i].vaddr = r % 17 == 0 ? VMSIM_TASK_SIZE + (r >> 8) % 4096
                             : ((0x400 + (r >> 8) % 10) << VMSIM_PAGE_SHIFT) + (r >> 20) % 4096;
    a[i].write = (r >> 40) % 3 == 0;
  }
  write_trace(a, N);
  struct trace_facts tf;
  trace_facts(a, N, &tf);
  for (int m = 0; m < NR_MODELS; m++) {
    struct expect e;
    brute_force(a, N, &tf, (enum model)m, MAX_FRAMES, &e);
    assert_int_equal(e.distinct_pages, 30);
    static const unsigned frames[] = {30, 31, 64, 100000};
    for (size_t k = 0; k < ARRAY_SIZE(frames); k++) {
      vmsim_replay_result res;
      replay_frames(model_names[m], frames[k], &res);
      assert_int_equal(res.distinct_pages, 30);
      assert_int_equal(res.misses, 30);
      assert_int_equal(res.major_faults, 0);
      assert_int_equal(res.evictions, 0);
      assert_int_equal(res.dirty_evictions, 0);
      check_all(model_names[m], &res, &e);
    }
  }
  trace_facts_free(&tf);
  free(a);
}

/*
 * Which engine runs: AUTO picks FRAMES with frames and a policy that has
 * a frames model (the default, clock, included), the MACHINE otherwise
 * (a policy without one, or no frames). FRAMES without frames or without a
 * model is a configuration error naming what is missing; an unknown policy
 * is one under every engine. vmsim_replay_frames_model() says which
 * policies have a model.
 */
static void test_engine_selection(void **state) {
  (void)state;
  static const unsigned s[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 2};
  enum { N = ARRAY_SIZE(s) };
  struct access *a = reference_string(s, N);
  struct trace_facts tf;
  trace_facts(a, N, &tf);
  vmsim_sim *sim;
  vmsim_replay_result res;
  char err[512];

  /* The models in the order of model_names[], then NULL: clock. */
  static const char *const modeled[] = {"fifo", "lru", "clock", "opt", NULL};
  for (size_t i = 0; i < ARRAY_SIZE(modeled); i++) {
    assert_ok(replay_rc(modeled[i], 3, VMSIM_REPLAY_AUTO, trace_path, &sim, &res, err,
                        sizeof(err)));
    assert_int_equal(res.engine, VMSIM_REPLAY_FRAMES);
    assert_null(sim);
    struct expect e;
    brute_force(a, N, &tf, i < NR_MODELS ? (enum model)i : CLOCK, 3, &e);
    check_all(modeled[i] ? modeled[i] : "default", &res, &e);
    assert_true(vmsim_replay_frames_model(modeled[i]));
  }

  /* fivelist has a model too, checked in test_replay_fivelist.c. */
  assert_true(vmsim_replay_frames_model("fivelist"));
  static const char *const unmodeled[] = {"twolist", "aging"};
  for (size_t i = 0; i < ARRAY_SIZE(unmodeled); i++) {
    assert_ok(replay_rc(unmodeled[i], 3, VMSIM_REPLAY_AUTO, trace_path, &sim, &res, err,
                        sizeof(err)));
    assert_int_equal(res.engine, VMSIM_REPLAY_MACHINE);
    assert_non_null(sim);
    assert_true(sim != (vmsim_sim *)(void *)&replay_not_null);
    assert_sim_consistent(sim);
    vmsim_sim_destroy(sim);
    assert_false(vmsim_replay_frames_model(unmodeled[i]));

    int rc = replay_rc(unmodeled[i], 3, VMSIM_REPLAY_FRAMES, trace_path, &sim, &res, err,
                       sizeof(err));
    assert_int_equal(rc, VMSIM_ECONFIG);
    assert_null(sim);
    if (!strstr(err, unmodeled[i]))
      fail_msg("FRAMES with %s: '%s' does not name the policy", unmodeled[i], err);
  }
  assert_false(vmsim_replay_frames_model("nosuchpolicy"));
  assert_false(vmsim_replay_frames_model(""));

  /* No frames: AUTO runs the default machine; FRAMES refuses. */
  assert_ok(replay_rc("fifo", 0, VMSIM_REPLAY_AUTO, trace_path, &sim, &res, err, sizeof(err)));
  assert_int_equal(res.engine, VMSIM_REPLAY_MACHINE);
  assert_non_null(sim);
  assert_true(sim != (vmsim_sim *)(void *)&replay_not_null);
  struct expect e;
  brute_force(a, N, &tf, FIFO, MAX_FRAMES, &e); /* the default machine holds every page */
  assert_int_equal(res.misses, e.misses);
  assert_int_equal(res.misses, e.distinct_pages);
  assert_sim_consistent(sim);
  vmsim_sim_destroy(sim);
  int rc = replay_rc("fifo", 0, VMSIM_REPLAY_FRAMES, trace_path, &sim, &res, err, sizeof(err));
  assert_int_equal(rc, VMSIM_ECONFIG);
  assert_null(sim);
  if (!strstr(err, "frames"))
    fail_msg("FRAMES without frames: '%s' does not say 'frames'", err);

  /* More frames than the engine takes (2^27: its lru stamps): refused,
   * naming the limit; the limit itself runs (lazily: nothing allocated
   * for frames the trace does not fill). */
  rc = replay_rc("lru", (UINT64_C(1) << 27) + 1, VMSIM_REPLAY_FRAMES, trace_path, &sim, &res,
                 err, sizeof(err));
  assert_int_equal(rc, VMSIM_ERANGE);
  assert_non_null(strstr(err, "134217728"));
  assert_ok(replay_rc("lru", UINT64_C(1) << 27, VMSIM_REPLAY_FRAMES, trace_path, &sim, &res, err,
                      sizeof(err)));
  assert_int_equal(res.misses, e.distinct_pages);

  /* An unknown policy, under each engine. */
  static const enum vmsim_replay_engine engines[] = {
    VMSIM_REPLAY_MACHINE, VMSIM_REPLAY_FRAMES, VMSIM_REPLAY_AUTO};
  for (size_t i = 0; i < ARRAY_SIZE(engines); i++) {
    rc = replay_rc("nosuchpolicy", 3, engines[i], trace_path, &sim, &res, err, sizeof(err));
    if (rc != VMSIM_ECONFIG)
      fail_msg("engine %d, unknown policy: %s (%s)", (int)engines[i], vmsim_err_name(rc), err);
    assert_null(sim);
    assert_non_null(strstr(err, "nosuchpolicy"));
  }
  trace_facts_free(&tf);
  free(a);
}

/*
 * A garbage record on line 3 of a text trace: every frames model (one
 * pass, or two for opt) stops with VMSIM_EPARSE and "PATH:3:" in err, as
 * the machine does. A trace that is not there is an error, not a crash.
 */
static void test_trace_errors(void **state) {
  (void)state;
  FILE *f = fopen(bad_path, "w");
  assert_non_null(f);
  fputs("0 R 1000\n7 W 2000\nthis is not a record\n0 R 3000\n", f);
  assert_int_equal(fclose(f), 0);
  char want[sizeof(bad_path) + 8];
  snprintf(want, sizeof(want), "%s:3:", bad_path);
  vmsim_sim *sim;
  vmsim_replay_result res;
  char err[1024];
  for (int m = 0; m <= NR_MODELS; m++) { /* NR_MODELS: the machine */
    enum vmsim_replay_engine engine = m < NR_MODELS ? VMSIM_REPLAY_FRAMES : VMSIM_REPLAY_MACHINE;
    const char *policy = model_names[m < NR_MODELS ? m : FIFO];
    int rc = replay_rc(policy, 4, engine, bad_path, &sim, &res, err, sizeof(err));
    if (rc != VMSIM_EPARSE || !strstr(err, want))
      fail_msg("%s (engine %d): %s, '%s'; want EPARSE and '%s'", policy, (int)engine,
               vmsim_err_name(rc), err, want);
    assert_null(sim);
  }

  char missing[sizeof(tmp_dir) + 16];
  snprintf(missing, sizeof(missing), "%s/not-there.txt", tmp_dir);
  for (int m = 0; m < NR_MODELS; m++) {
    int rc = replay_rc(model_names[m], 4, VMSIM_REPLAY_FRAMES, missing, &sim, &res, err,
                       sizeof(err));
    assert_true(rc < 0);
    assert_null(sim);
    assert_true(err[0] != 0);
  }
}

/* The same FRAMES replay twice gives the same result, field by field. */
static void test_deterministic(void **state) {
  (void)state;
  enum { N = 10000 };
  free(generate_trace(N, 31337));
  for (int m = 0; m < NR_MODELS; m++) {
    vmsim_replay_result r1, r2;
    replay_frames(model_names[m], 7, &r1);
    replay_frames(model_names[m], 7, &r2);
    assert_same_result(&r1, &r2);
    assert_int_equal(r1.accesses, N);
  }
}

/* The pacing both engines share: asked after every 16 accesses up to
 * 12,000 with a check every 500, it checks at the first count past each
 * due point and counts the next interval from there: at 512, 1024, ...,
 * 11,776 (23 multiples of 512; the next, 12,288, is past the end). */
static int count_check(void *ctx, char *msg, size_t len) {
  (void)msg, (void)len;
  ++*(unsigned *)ctx;
  return 0;
}

static void test_pace_checks(void **state) {
  (void)state;
  vmsim_run_options ro;
  vmsim_run_options_default(&ro);
  ro.check_interval = 500;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, &ro);
  unsigned checks = 0;
  char err[128];
  for (uint64_t done = 16; done <= 12000; done += 16)
    assert_ok(vmsim__pace_check(&pace, count_check, &checks, done, 12000, err, sizeof(err)));
  assert_int_equal(checks, 23);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_frames_vs_bruteforce, setup, teardown),
    cmocka_unit_test_setup_teardown(test_traces_tell_models_apart, setup, teardown),
    cmocka_unit_test_setup_teardown(test_machine_vs_bruteforce, setup, teardown),
    cmocka_unit_test_setup_teardown(test_frames_grow, setup, teardown),
    cmocka_unit_test(test_pace_checks),
    cmocka_unit_test_setup_teardown(test_belady_anomaly, setup, teardown),
    cmocka_unit_test_setup_teardown(test_everything_fits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_engine_selection, setup, teardown),
    cmocka_unit_test_setup_teardown(test_trace_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
