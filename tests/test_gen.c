/* SPDX-License-Identifier: MIT */
/*
 * Synthetic workload generators (src/workload/gen.c): exact sequences for
 * the deterministic kinds, distributions for the random ones (bounds of at
 * least five standard deviations, on fixed seeds), reproducibility, batches
 * (vmsim_gen_fill) and configuration checks.
 */
#include "vmsim_test.h"
#include "workload_int.h"

#include <math.h>
#include <stdlib.h>

#define PAGE VMSIM_PAGE_SIZE

static vmsim_gen *create(const vmsim_gen_config *cfg) {
  vmsim_gen *g = NULL;
  char msg[256] = "";
  int rc = vmsim_gen_create(&g, cfg, msg, sizeof(msg));
  if (rc)
    fail_msg("vmsim_gen_create: %s (%s)", vmsim_err_name(rc), msg);
  return g;
}

static vmsim_gen_config config(enum vmsim_gen_kind kind, uint64_t base, uint64_t pages) {
  vmsim_gen_config cfg;
  vmsim_gen_config_default(&cfg);
  cfg.kind = kind;
  cfg.base = base;
  cfg.pages = pages;
  return cfg;
}

/* The next access's page index in [base, base + pages * 4 KiB); fails the
 * test if the access is outside the region or not page-aligned. */
static uint64_t next_index(vmsim_gen *g, uint64_t base, uint64_t pages, vmsim_memref *a) {
  assert_int_equal(vmsim_gen_next(g, a), 1);
  if (a->vaddr < base || (a->vaddr - base) / PAGE >= pages || (a->vaddr - base) % PAGE)
    fail_msg("access 0x%" PRIx64 " outside [0x%" PRIx64 ", +%" PRIu64 " pages)", a->vaddr, base,
             pages);
  assert_int_equal(a->next_access, VMSIM_NEXT_ACCESS_UNKNOWN);
  return (a->vaddr - base) / PAGE;
}

/* Expect exactly these page indices, then the end. */
static void expect_indices(vmsim_gen *g, uint64_t base, const uint64_t *want, size_t n) {
  vmsim_memref a;
  for (size_t i = 0; i < n; i++)
    if (next_index(g, base, UINT64_MAX / PAGE, &a) != want[i])
      fail_msg("access %zu: page %" PRIu64 ", want %" PRIu64, i, (a.vaddr - base) / PAGE,
               want[i]);
  assert_int_equal(vmsim_gen_next(g, &a), 0);
  assert_int_equal(vmsim_gen_next(g, &a), 0);
}

/* ---- the PRNG ---------------------------------------------------------- */

/*
 * Known answers: splitmix64 from counter 0 gives 0xe220a8397b1dcdaf,
 * 0x6e789e6aa1b965f4, 0x06c45d188009454f; xoshiro256** from state
 * {1, 2, 3, 4} gives 11520, 0, 1509978240, 1215971899390074240 (the
 * reference implementation's outputs; the first is rotl(2 * 5, 7) * 9).
 */
static void test_prng_known_answers(void **state) {
  (void)state;
  uint64_t x = 0;
  assert_int_equal(vmsim__splitmix64(&x), UINT64_C(0xe220a8397b1dcdaf));
  assert_int_equal(vmsim__splitmix64(&x), UINT64_C(0x6e789e6aa1b965f4));
  assert_int_equal(vmsim__splitmix64(&x), UINT64_C(0x06c45d188009454f));

  struct vmsim__rng r = {{1, 2, 3, 4}};
  assert_int_equal(vmsim__rng_next(&r), UINT64_C(11520));
  assert_int_equal(vmsim__rng_next(&r), UINT64_C(0));
  assert_int_equal(vmsim__rng_next(&r), UINT64_C(1509978240));
  assert_int_equal(vmsim__rng_next(&r), UINT64_C(1215971899390074240));
}

/* ---- deterministic kinds ----------------------------------------------- */

/* 4 pages, 10 accesses: 0 1 2 3 0 1 2 3 0 1, all with the configured pid. */
static void test_sequential_exact(void **state) {
  (void)state;
  static const uint64_t want[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
  vmsim_gen_config cfg = config(VMSIM_GEN_SEQUENTIAL, 0x10000000, 4);
  cfg.count = 10;
  cfg.pid = 5;
  vmsim_gen *g = create(&cfg);
  vmsim_memref a;
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    assert_int_equal(vmsim_gen_next(g, &a), 1);
    assert_int_equal(a.vaddr, 0x10000000 + want[i] * PAGE);
    assert_int_equal(a.pid, 5);
    assert_false(a.write);
  }
  assert_int_equal(vmsim_gen_next(g, &a), 0);
  vmsim_gen_destroy(g);
}

/* A working set of 3 of 10 pages: 0 1 2 0 1 2 0; working_set 0 means all
 * 10 pages (0..9 then 0). */
static void test_loop_exact(void **state) {
  (void)state;
  static const uint64_t want3[] = {0, 1, 2, 0, 1, 2, 0};
  static const uint64_t want10[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
  vmsim_gen_config cfg = config(VMSIM_GEN_LOOP, 0x400000, 10);
  cfg.working_set = 3;
  cfg.count = ARRAY_SIZE(want3);
  vmsim_gen *g = create(&cfg);
  expect_indices(g, 0x400000, want3, ARRAY_SIZE(want3));
  vmsim_gen_destroy(g);

  cfg.working_set = 0;
  cfg.count = ARRAY_SIZE(want10);
  g = create(&cfg);
  expect_indices(g, 0x400000, want10, ARRAY_SIZE(want10));
  vmsim_gen_destroy(g);
}

/* count 0 is an empty stream. */
static void test_count_zero(void **state) {
  (void)state;
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, 10);
  cfg.count = 0;
  vmsim_gen *g = create(&cfg);
  expect_indices(g, 0, NULL, 0);
  vmsim_gen_destroy(g);
}

/*
 * Phases A (sequential, 100 pages at 1 MiB, pid 1, K = 3) and B
 * (sequential, 100 pages at 16 MiB, pid 2, K = 2), 12 accesses in all:
 * A0 A1 A2 | B0 B1 | A3 A4 A5 | B2 B3 | A6 A7 -- switching after exactly K,
 * each phase resuming where it stopped.
 */
static void test_phases_exact(void **state) {
  (void)state;
  static const struct {
    uint64_t vaddr;
    uint32_t pid;
  } want[] = {
    {0x100000, 1}, {0x101000, 1}, {0x102000, 1}, {0x1000000, 2}, {0x1001000, 2},
    {0x103000, 1}, {0x104000, 1}, {0x105000, 1}, {0x1002000, 2}, {0x1003000, 2},
    {0x106000, 1}, {0x107000, 1},
  };
  vmsim_gen_config phases[2] = {
    config(VMSIM_GEN_SEQUENTIAL, 0x100000, 100),
    config(VMSIM_GEN_SEQUENTIAL, 0x1000000, 100),
  };
  phases[0].count = 3;
  phases[0].pid = 1;
  phases[1].count = 2;
  phases[1].pid = 2;
  vmsim_gen_config cfg;
  vmsim_gen_config_default(&cfg);
  cfg.kind = VMSIM_GEN_PHASES;
  cfg.phases = phases;
  cfg.nr_phases = 2;
  cfg.count = ARRAY_SIZE(want);
  vmsim_gen *g = create(&cfg);
  phases[0].base = 0x7000000; /* the phases were copied: no effect now */
  vmsim_memref a;
  for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
    assert_int_equal(vmsim_gen_next(g, &a), 1);
    assert_int_equal(a.vaddr, want[i].vaddr);
    assert_int_equal(a.pid, want[i].pid);
  }
  assert_int_equal(vmsim_gen_next(g, &a), 0);
  vmsim_gen_destroy(g);
}

/* Three random phases of 7, 1 and 5 accesses in separate regions: over 1300
 * accesses (100 cycles of 13), access i lies in the region of the phase
 * that i mod 13 falls in: [0, 7) -> 0, 7 -> 1, [8, 13) -> 2. */
static void test_phases_switch_at_k(void **state) {
  (void)state;
  static const uint64_t lengths[3] = {7, 1, 5};
  vmsim_gen_config phases[3] = {
    config(VMSIM_GEN_UNIFORM, 0x10000000, 50),
    config(VMSIM_GEN_ZIPF, 0x20000000, 50),
    config(VMSIM_GEN_LOOP, 0x30000000, 50),
  };
  for (int i = 0; i < 3; i++) {
    phases[i].count = lengths[i];
    phases[i].pid = (uint32_t)(10 + i);
  }
  vmsim_gen_config cfg;
  vmsim_gen_config_default(&cfg);
  cfg.kind = VMSIM_GEN_PHASES;
  cfg.phases = phases;
  cfg.nr_phases = 3;
  cfg.count = 1300;
  vmsim_gen *g = create(&cfg);
  vmsim_memref a;
  for (uint64_t i = 0; i < 1300; i++) {
    uint64_t r = i % 13;
    int want = r < 7 ? 0 : r == 7 ? 1 : 2;
    next_index(g, phases[want].base, 50, &a);
    assert_int_equal(a.pid, 10 + want);
  }
  assert_int_equal(vmsim_gen_next(g, &a), 0);
  vmsim_gen_destroy(g);
}

/* ---- reproducibility --------------------------------------------------- */

/* Record n accesses (vaddr, with the write bit in bit 0: vaddrs are
 * page-aligned) of a new generator from cfg. */
static uint64_t *record(const vmsim_gen_config *cfg, size_t n) {
  uint64_t *seq = malloc(n * sizeof(*seq));
  assert_non_null(seq);
  vmsim_gen *g = create(cfg);
  vmsim_memref a;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(vmsim_gen_next(g, &a), 1);
    seq[i] = a.vaddr | a.write;
  }
  vmsim_gen_destroy(g);
  return seq;
}

static size_t count_differences(const uint64_t *x, const uint64_t *y, size_t n) {
  size_t d = 0;
  for (size_t i = 0; i < n; i++)
    d += x[i] != y[i];
  return d;
}

/*
 * The same configuration gives the same stream; another seed gives another
 * one. Uniform over 1000 pages matches by chance with probability 1/1000
 * per access, Zipf(0.99) over 1000 pages with sum p_k^2 ~ 0.04, so at
 * least 9000 of 10000 accesses differ (pages and write bits both random).
 */
static void test_determinism(void **state) {
  (void)state;
  enum { N = 10000 };
  static const enum vmsim_gen_kind kinds[] = {VMSIM_GEN_UNIFORM, VMSIM_GEN_ZIPF};
  for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
    vmsim_gen_config cfg = config(kinds[k], 0x40000000, 1000);
    cfg.write_ratio = 0.5;
    cfg.seed = 1234;
    uint64_t *a = record(&cfg, N), *b = record(&cfg, N);
    assert_memory_equal(a, b, N * sizeof(*a));
    cfg.seed = 1235;
    uint64_t *c = record(&cfg, N);
    size_t d = count_differences(a, c, N);
    if (d < 9000)
      fail_msg("%s: seeds 1234 and 1235 differ in only %zu of %d accesses",
               vmsim_gen_kind_name(kinds[k]), d, N);
    free(a);
    free(b);
    free(c);
  }
}

/*
 * The uniform generator as gen.c's comments specify it, written out from the
 * published algorithms rather than taken from the library: splitmix64
 * outputs 1-4 of counter `seed` seed the page stream and outputs 5-8 the
 * write stream, both xoshiro256**; a page is the first page draw x with
 * x >= 2^64 mod n, taken mod n; an access writes if its write draw is below
 * write_ratio * 2^64. out[i] is vaddr | write, as record() gives it.
 */
static uint64_t spec_splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t spec_xoshiro(uint64_t s[4]) {
  uint64_t r = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
  s[3] = s[3] << 45 | s[3] >> 19;
  return r;
}

/* A generator's two streams: splitmix64 outputs 1-4 of counter `seed` seed
 * the page stream, outputs 5-8 the write stream. */
static void spec_streams(uint64_t seed, uint64_t pages[4], uint64_t writes[4]) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    pages[i] = spec_splitmix(&x);
  for (int i = 0; i < 4; i++)
    writes[i] = spec_splitmix(&x);
}

/* Whether an access writes: its write draw is below write_ratio * 2^64. */
static uint64_t spec_write(uint64_t writes[4], double write_ratio) {
  return spec_xoshiro(writes) < (uint64_t)(write_ratio * 18446744073709551616.0);
}

static void spec_uniform(uint64_t seed, uint64_t base, uint64_t n, double write_ratio,
                         uint64_t *out, size_t count) {
  uint64_t pages[4], writes[4];
  spec_streams(seed, pages, writes);
  const uint64_t reject_below = (UINT64_MAX % n + 1) % n; /* 2^64 mod n */
  for (size_t i = 0; i < count; i++) {
    uint64_t d;
    do
      d = spec_xoshiro(pages);
    while (d < reject_below);
    out[i] = (base + (d % n) * PAGE) | spec_write(writes, write_ratio);
  }
}

/*
 * Zipf(theta) over n pages as gen.c specifies it: Hörmann and Derflinger's
 * rejection-inversion, written here from the paper's formulas with pow()
 * (the library uses expm1/log1p forms of the same functions):
 *   h(x) = x^-theta, H(x) = (x^(1-theta) - 1) / (1 - theta) (log x at 1),
 *   u uniform between H(n + 1/2) and H(3/2) - 1 (a 53-bit draw d / 2^53
 *   going from the first to the second), x = H^-1(u), k = x rounded (at
 *   least 1, at most n), accepted if k - x <= s = 2 - H^-1(H(5/2) - h(2))
 *   or u >= H(k + 1/2) - h(k). Rank k is page k - 1.
 */
static double spec_H(double x, double theta) {
  return theta == 1.0 ? log(x) : (pow(x, 1.0 - theta) - 1.0) / (1.0 - theta);
}
static double spec_H_inv(double y, double theta) {
  return theta == 1.0 ? exp(y) : pow(fmax(1.0 + y * (1.0 - theta), 0.0), 1.0 / (1.0 - theta));
}

static void spec_zipf(uint64_t seed, uint64_t base, uint64_t n, double theta, double write_ratio,
                      uint64_t *out, size_t count) {
  uint64_t pages[4], writes[4];
  spec_streams(seed, pages, writes);
  const double lo = spec_H(1.5, theta) - 1.0, hi = spec_H((double)n + 0.5, theta);
  const double s = 2.0 - spec_H_inv(spec_H(2.5, theta) - pow(2.0, -theta), theta);
  for (size_t i = 0; i < count; i++) {
    uint64_t k;
    for (;;) {
      double u = hi + (double)(spec_xoshiro(pages) >> 11) * 0x1p-53 * (lo - hi);
      double x = spec_H_inv(u, theta);
      k = x < 1.0 ? 1 : (uint64_t)(x + 0.5);
      k = k > n ? n : k;
      if ((double)k - x <= s || u >= spec_H((double)k + 0.5, theta) - pow((double)k, -theta))
        break;
    }
    out[i] = (base + (k - 1) * PAGE) | spec_write(writes, write_ratio);
  }
}

/* The uniform generator draws what its specification says, for regions of
 * 1 page, 1000, a prime number and the largest (2^35 - 1), each with its
 * own seed and write ratio. */
static void test_uniform_follows_spec(void **state) {
  (void)state;
  enum { N = 20000 };
  static const struct {
    uint64_t seed, pages;
    double ratio;
  } runs[] = {{42, 1000, 0.5}, {7, 1, 0.25}, {123456789, 3000017, 0.3},
              {5, (UINT64_C(1) << 35) - 1, 0.75}};
  for (size_t r = 0; r < ARRAY_SIZE(runs); r++) {
    vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, runs[r].pages);
    cfg.seed = runs[r].seed;
    cfg.write_ratio = runs[r].ratio;
    uint64_t *got = record(&cfg, N), *want = malloc(N * sizeof(*want));
    assert_non_null(want);
    spec_uniform(runs[r].seed, 0, runs[r].pages, runs[r].ratio, want, N);
    assert_memory_equal(got, want, N * sizeof(*want));
    free(got);
    free(want);
  }
}

/* The Zipf generator draws what its specification says, for exponents
 * below, at and above 1, over 1 page, 1000 and the largest region. */
static void test_zipf_follows_spec(void **state) {
  (void)state;
  enum { N = 20000 };
  static const struct {
    uint64_t seed, pages;
    double theta, ratio;
  } runs[] = {{42, 1000, 0.99, 0.5}, {3, 1000, 0.5, 0.2}, {9, 1000, 1.0, 0.8},
              {11, 1000, 1.5, 0.3}, {7, 1, 0.99, 0.25}, {5, (UINT64_C(1) << 35) - 1, 0.9, 0.75}};
  for (size_t r = 0; r < ARRAY_SIZE(runs); r++) {
    vmsim_gen_config cfg = config(VMSIM_GEN_ZIPF, 0, runs[r].pages);
    cfg.seed = runs[r].seed;
    cfg.theta = runs[r].theta;
    cfg.write_ratio = runs[r].ratio;
    uint64_t *got = record(&cfg, N), *want = malloc(N * sizeof(*want));
    assert_non_null(want);
    spec_zipf(runs[r].seed, 0, runs[r].pages, runs[r].theta, runs[r].ratio, want, N);
    for (size_t i = 0; i < N; i++)
      if (got[i] != want[i])
        fail_msg("run %zu access %zu: %#" PRIx64 ", the specification %#" PRIx64, r, i, got[i],
                 want[i]);
    free(got);
    free(want);
  }
}

/*
 * The streams of a given seed never change, on any host: these values are
 * kept as a regression guard for published runs. A change here breaks the
 * reproducibility of every earlier experiment. They are what spec_uniform()
 * and spec_zipf() give (checked below).
 */
static void test_golden_streams(void **state) {
  (void)state;
  /* Seed 42, 1000 pages at 0, write_ratio 0.5; vaddr | write.
   * uniform: 742 R, 102 W, 9 R, 193 R, 476 W, 584 W, 754 W, 407 W
   * zipf(0.99): 544 R, 61 W, 5 R, 0 R, 0 W, 2 W, 4 W, 1 W
   * (the write stream is the same: it depends on the seed only) */
  static const uint64_t uniform_want[8] = {0x2e6000, 0x66001,  0x9000,   0xc1000,
                                           0x1dc001, 0x248001, 0x2f2001, 0x197001};
  static const uint64_t zipf_want[8] = {0x220000, 0x3d001, 0x5000, 0x0,
                                        0x1,      0x2001,  0x4001, 0x1001};
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, 1000);
  cfg.seed = 42;
  cfg.write_ratio = 0.5;
  uint64_t *u = record(&cfg, 8);
  cfg.kind = VMSIM_GEN_ZIPF;
  uint64_t *z = record(&cfg, 8);
  assert_memory_equal(u, uniform_want, sizeof(uniform_want));
  assert_memory_equal(z, zipf_want, sizeof(zipf_want));
  uint64_t spec[8];
  spec_uniform(42, 0, 1000, 0.5, spec, 8);
  assert_memory_equal(spec, uniform_want, sizeof(uniform_want));
  spec_zipf(42, 0, 1000, 0.99, 0.5, spec, 8);
  assert_memory_equal(spec, zipf_want, sizeof(zipf_want));
  free(u);
  free(z);
}

/* The same streams, drawn in batches. */
static void test_golden_streams_fill(void **state) {
  (void)state;
  static const uint64_t uniform_want[8] = {0x2e6000, 0x66001,  0x9000,   0xc1000,
                                           0x1dc001, 0x248001, 0x2f2001, 0x197001};
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, 1000);
  cfg.seed = 42;
  cfg.write_ratio = 0.5;
  vmsim_gen *g = create(&cfg);
  vmsim_memref refs[8];
  assert_int_equal(vmsim_gen_fill(g, refs, 3), 3);
  assert_int_equal(vmsim_gen_fill(g, refs + 3, 5), 5);
  for (int i = 0; i < 8; i++)
    assert_int_equal(refs[i].vaddr | refs[i].write, uniform_want[i]);
  vmsim_gen_destroy(g);
}

/* The page stream of a seed does not depend on write_ratio. */
static void test_pages_independent_of_writes(void **state) {
  (void)state;
  enum { N = 5000 };
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, 777);
  cfg.write_ratio = 0.2;
  uint64_t *a = record(&cfg, N);
  cfg.write_ratio = 0.9;
  uint64_t *b = record(&cfg, N);
  for (size_t i = 0; i < N; i++)
    assert_int_equal(a[i] & ~UINT64_C(1), b[i] & ~UINT64_C(1));
  free(a);
  free(b);
}

/* ---- ranges and distributions ----------------------------------------- */

/* Every kind stays inside a region that ends exactly at 2^47, and uniform
 * and Zipf (theta 0.5 over 100 pages: p_100 ~ 0.005) reach every page. */
static void test_range(void **state) {
  (void)state;
  const uint64_t pages = 100, base = (UINT64_C(1) << 47) - pages * PAGE;
  for (int k = 0; k < VMSIM_GEN_PHASES; k++) {
    vmsim_gen_config cfg = config((enum vmsim_gen_kind)k, base, pages);
    cfg.theta = 0.5;
    cfg.working_set = 30;
    vmsim_gen *g = create(&cfg);
    bool seen[100] = {false};
    uint64_t nr_seen = 0;
    vmsim_memref a;
    for (int i = 0; i < 100000; i++) {
      uint64_t p = next_index(g, base, pages, &a);
      nr_seen += !seen[p];
      seen[p] = true;
    }
    assert_int_equal(nr_seen, k == VMSIM_GEN_LOOP ? 30 : 100);
    vmsim_gen_destroy(g);
  }
}

/*
 * Uniform over 64 pages, 128000 draws: 2000 expected per page, standard
 * deviation sqrt(128000 * 1/64 * 63/64) ~ 44.4. Each count within 250 (5.6
 * sd), and chi-square (63 degrees of freedom: mean 63, sd 11.2) below 120.
 */
static void test_uniform_counts(void **state) {
  (void)state;
  enum { PAGES = 64, N = 128000 };
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0x1000, PAGES);
  cfg.seed = 7;
  vmsim_gen *g = create(&cfg);
  uint64_t count[PAGES] = {0};
  vmsim_memref a;
  for (int i = 0; i < N; i++)
    count[next_index(g, 0x1000, PAGES, &a)]++;
  double chi2 = 0;
  for (int p = 0; p < PAGES; p++) {
    double d = (double)count[p] - N / PAGES;
    if (fabs(d) > 250)
      fail_msg("page %d drawn %" PRIu64 " times, expected 2000 +- 250", p, count[p]);
    chi2 += d * d / (N / PAGES);
  }
  if (chi2 >= 120)
    fail_msg("chi-square %.1f over 63 degrees of freedom", chi2);
  vmsim_gen_destroy(g);
}

/*
 * Zipf over `pages` with exponent theta, `n` draws. P(rank k) = k^-theta / H
 * with H = sum over k of k^-theta, and rank k is page k - 1. Checks:
 *  - count(rank 1) / count(rank 2) within 3% of 2^theta;
 *  - counts strictly decreasing over the top 10 ranks;
 *  - if pages <= 1000, each of the top 20 ranks, and the mass of ranks
 *    beyond 20, within 5 standard deviations of n * P.
 */
static void check_zipf(double theta, uint64_t pages, uint64_t n, uint64_t seed) {
  vmsim_gen_config cfg = config(VMSIM_GEN_ZIPF, 0, pages);
  cfg.theta = theta;
  cfg.seed = seed;
  vmsim_gen *g = create(&cfg);
  uint64_t top[21] = {0}; /* top[k-1] for k <= 20, top[20]: all beyond */
  vmsim_memref a;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t p = next_index(g, 0, pages, &a);
    top[p < 20 ? p : 20]++;
  }
  vmsim_gen_destroy(g);

  double ratio = (double)top[0] / (double)top[1], want = pow(2.0, theta);
  if (fabs(ratio / want - 1) > 0.03)
    fail_msg("theta %g: rank 1 / rank 2 = %.4f, want %.4f", theta, ratio, want);
  for (int k = 1; k < 10; k++)
    if (top[k] >= top[k - 1])
      fail_msg("theta %g: rank %d drawn %" PRIu64 " times, rank %d %" PRIu64, theta, k + 1,
               top[k], k, top[k - 1]);
  if (pages > 1000)
    return;
  double h = 0, tail = 0;
  for (uint64_t k = 1; k <= pages; k++)
    h += pow((double)k, -theta);
  for (uint64_t k = 21; k <= pages; k++)
    tail += pow((double)k, -theta) / h;
  for (int k = 0; k <= 20; k++) {
    double p = k < 20 ? pow(k + 1.0, -theta) / h : tail;
    double mean = (double)n * p, sd = sqrt((double)n * p * (1 - p));
    if (fabs((double)top[k] - mean) > 5 * sd)
      fail_msg("theta %g: %s %d drawn %" PRIu64 " times, expected %.0f +- %.0f", theta,
               k < 20 ? "rank" : "ranks beyond", k < 20 ? k + 1 : 20, top[k], mean, 5 * sd);
  }
}

/*
 * Below, at and above 1, with 2M draws over 100 pages: for theta 0.5 the
 * two top ranks get ~108k and ~76k draws, so the ratio's relative sd is
 * sqrt(1/108k + 1/76k) ~ 0.5% and 3% is 6 sd; larger theta is tighter.
 */
static void test_zipf_distribution(void **state) {
  (void)state;
  static const double thetas[] = {0.5, 0.99, 1.0, 1.01, 1.5, 2.5};
  for (size_t i = 0; i < ARRAY_SIZE(thetas); i++)
    check_zipf(thetas[i], 100, 2000000, 11 + i);
}

/* A huge region needs no table: 2^30 pages (4 TiB), theta 0.99. Rank 1
 * gets p ~ 0.044 of 2M draws: ~88k and ~44k for rank 2, sd of the ratio
 * ~0.6%. */
static void test_zipf_huge_region(void **state) {
  (void)state;
  check_zipf(0.99, UINT64_C(1) << 30, 2000000, 3);
}

/* One page: always page 0. */
static void test_zipf_one_page(void **state) {
  (void)state;
  vmsim_gen_config cfg = config(VMSIM_GEN_ZIPF, 0x5000, 1);
  cfg.count = 1000;
  vmsim_gen *g = create(&cfg);
  vmsim_memref a;
  for (int i = 0; i < 1000; i++)
    assert_int_equal(next_index(g, 0x5000, 1, &a), 0);
  vmsim_gen_destroy(g);
}

/*
 * write_ratio 0: no writes; 1: all writes; 0.3 over 100000 accesses:
 * 30000 expected, sd sqrt(100000 * 0.3 * 0.7) ~ 145, so within 1000 (6.9 sd).
 */
static void test_write_ratio(void **state) {
  (void)state;
  static const struct {
    double ratio;
    uint64_t lo, hi;
  } cases[] = {{0.0, 0, 0}, {1.0, 100000, 100000}, {0.3, 29000, 31000}, {0.999, 99700, 100000}};
  for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
    vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0, 10);
    cfg.write_ratio = cases[c].ratio;
    cfg.count = 100000;
    vmsim_gen *g = create(&cfg);
    vmsim_memref a;
    uint64_t writes = 0;
    while (vmsim_gen_next(g, &a) == 1)
      writes += a.write;
    if (writes < cases[c].lo || writes > cases[c].hi)
      fail_msg("write_ratio %g: %" PRIu64 " writes in 100000", cases[c].ratio, writes);
    vmsim_gen_destroy(g);
  }
}

/* ---- batches ----------------------------------------------------------- */

static void expect_same_ref(const vmsim_memref *got, const vmsim_memref *want, uint64_t nr) {
  if (got->vaddr != want->vaddr || got->write != want->write || got->pid != want->pid ||
      got->next_access != want->next_access)
    fail_msg("access %" PRIu64 ": 0x%" PRIx64 " %c pid %" PRIu32 ", vmsim_gen_next() gave 0x%" PRIx64
             " %c pid %" PRIu32, nr, got->vaddr, got->write ? 'W' : 'R', got->pid, want->vaddr,
             want->write ? 'W' : 'R', want->pid);
}

/*
 * Draw the stream of `cfg`, which makes `total` accesses, with
 * vmsim_gen_next() on one generator and, on another, with vmsim_gen_fill()
 * in batches of the sizes below in turn, each followed by one call of
 * vmsim_gen_next() that must continue the same stream. Every access and
 * the end must agree.
 */
static void expect_fill_matches_next(const vmsim_gen_config *cfg, uint64_t total) {
  static const size_t sizes[] = {1, 2, 3, 7, 0, 64, 255, 1000, 5};
  vmsim_gen *ref = create(cfg), *g = create(cfg);
  vmsim_memref batch[1000], want, one;
  uint64_t n = 0;
  for (size_t k = 0;; k++) {
    size_t size = sizes[k % ARRAY_SIZE(sizes)];
    size_t got = vmsim_gen_fill(g, batch, size);
    for (size_t i = 0; i < got; i++, n++) {
      assert_int_equal(vmsim_gen_next(ref, &want), 1);
      expect_same_ref(&batch[i], &want, n);
    }
    if (got < size)
      break; /* the end */
    int rc = vmsim_gen_next(g, &one);
    assert_int_equal(vmsim_gen_next(ref, &want), rc);
    if (rc == 0)
      break;
    expect_same_ref(&one, &want, n++);
  }
  assert_int_equal(n, total);
  assert_int_equal(vmsim_gen_next(ref, &want), 0);
  assert_int_equal(vmsim_gen_fill(g, batch, 10), 0);
  assert_int_equal(vmsim_gen_next(g, &one), 0);
  vmsim_gen_destroy(ref);
  vmsim_gen_destroy(g);
}

/* vmsim_gen_fill() draws exactly what vmsim_gen_next() does: every kind
 * with every write mode, and phases of all kinds, write modes and pids
 * whose lengths (7, 1, 300, 2) fall anywhere in a batch. */
static void test_fill_matches_next(void **state) {
  (void)state;
  static const double ratios[] = {0.0, 1.0, 0.3};
  for (int k = 0; k < VMSIM_GEN_PHASES; k++)
    for (size_t r = 0; r < ARRAY_SIZE(ratios); r++) {
      vmsim_gen_config cfg = config((enum vmsim_gen_kind)k, 0x40000000, 777);
      cfg.working_set = 30;
      cfg.write_ratio = ratios[r];
      cfg.seed = 100 + (uint64_t)k;
      cfg.pid = 9;
      cfg.count = 5000;
      expect_fill_matches_next(&cfg, 5000);
    }

  static const uint64_t lengths[4] = {7, 1, 300, 2};
  vmsim_gen_config phases[4] = {
    config(VMSIM_GEN_UNIFORM, 0x10000000, 50), config(VMSIM_GEN_ZIPF, 0x20000000, 50),
    config(VMSIM_GEN_LOOP, 0x30000000, 50), config(VMSIM_GEN_SEQUENTIAL, 0x40000000, 5),
  };
  for (int i = 0; i < 4; i++) {
    phases[i].count = lengths[i];
    phases[i].pid = (uint32_t)(10 + i);
    phases[i].write_ratio = ratios[i % ARRAY_SIZE(ratios)];
  }
  vmsim_gen_config cfg;
  vmsim_gen_config_default(&cfg);
  cfg.kind = VMSIM_GEN_PHASES;
  cfg.phases = phases;
  cfg.nr_phases = 4;
  cfg.count = 6000;
  expect_fill_matches_next(&cfg, 6000);
  cfg.count = 0;
  expect_fill_matches_next(&cfg, 0);
}

/* Without a count, a batch is always full. */
static void test_fill_endless(void **state) {
  (void)state;
  vmsim_gen_config cfg = config(VMSIM_GEN_ZIPF, 0, 100);
  vmsim_gen *g = create(&cfg);
  vmsim_memref batch[1000];
  for (int i = 0; i < 10; i++)
    assert_int_equal(vmsim_gen_fill(g, batch, ARRAY_SIZE(batch)), ARRAY_SIZE(batch));
  vmsim_gen_destroy(g);
}

/* ---- configuration ----------------------------------------------------- */

static void expect_config_error(const vmsim_gen_config *cfg, const char *want) {
  vmsim_gen *g = NULL;
  char msg[256] = "";
  assert_int_equal(vmsim_gen_create(&g, cfg, msg, sizeof(msg)), VMSIM_ECONFIG);
  assert_null(g);
  assert_string_equal(msg, want);
}

static void test_config_errors(void **state) {
  (void)state;
  vmsim_gen_config cfg = config(VMSIM_GEN_UNIFORM, 0x1800, 10);
  expect_config_error(&cfg, "gen: base 0x1800 is not page-aligned");
  cfg = config(VMSIM_GEN_UNIFORM, 0, 0);
  expect_config_error(&cfg, "gen: pages must be at least 1");
  /* 2^47 - 4 KiB plus 2 pages ends one page beyond 2^47. */
  cfg = config(VMSIM_GEN_UNIFORM, (UINT64_C(1) << 47) - PAGE, 2);
  expect_config_error(&cfg, "gen: 2 pages at 0x7ffffffff000 end beyond the 47-bit address space");
  cfg = config(VMSIM_GEN_UNIFORM, UINT64_C(0xfffffffffffff000), UINT64_C(1) << 40);
  expect_config_error(&cfg, "gen: 1099511627776 pages at 0xfffffffffffff000 end beyond the "
                            "47-bit address space");
  cfg = config(VMSIM_GEN_ZIPF, 0, 10);
  cfg.theta = 0;
  expect_config_error(&cfg, "gen: theta must be a positive number, not 0");
  cfg.theta = NAN;
  expect_config_error(&cfg, "gen: theta must be a positive number, not nan");
  cfg.theta = INFINITY;
  expect_config_error(&cfg, "gen: theta must be a positive number, not inf");
  cfg = config(VMSIM_GEN_LOOP, 0, 10);
  cfg.working_set = 11;
  expect_config_error(&cfg, "gen: working set of 11 pages exceeds the region's 10");
  cfg = config(VMSIM_GEN_SEQUENTIAL, 0, 10);
  cfg.write_ratio = 1.5;
  expect_config_error(&cfg, "gen: write_ratio must be in [0, 1], not 1.5");
  cfg.write_ratio = -0.1;
  expect_config_error(&cfg, "gen: write_ratio must be in [0, 1], not -0.1");
  cfg.write_ratio = NAN;
  expect_config_error(&cfg, "gen: write_ratio must be in [0, 1], not nan");
  cfg.kind = (enum vmsim_gen_kind)99;
  expect_config_error(&cfg, "gen: unknown kind 99");

  vmsim_gen_config phases[2] = {config(VMSIM_GEN_LOOP, 0, 10), config(VMSIM_GEN_UNIFORM, 0, 10)};
  phases[0].count = 3;
  phases[1].count = 0;
  cfg = config(VMSIM_GEN_PHASES, 0, 1);
  expect_config_error(&cfg, "gen: phases needs at least one phase");
  cfg.phases = phases;
  expect_config_error(&cfg, "gen: phases needs at least one phase"); /* nr_phases 0 */
  cfg.nr_phases = 2;
  expect_config_error(&cfg, "gen: phases[1]: count (the phase's length) must be at least 1");
  phases[1].count = 1;
  phases[1].kind = VMSIM_GEN_PHASES;
  expect_config_error(&cfg, "gen: phases[1]: phases may not nest");
  phases[1].kind = VMSIM_GEN_UNIFORM;
  phases[1].pages = 0;
  expect_config_error(&cfg, "gen: phases[1]: pages must be at least 1");
  phases[1].pages = 10;
  vmsim_gen_destroy(create(&cfg)); /* now valid */

  /* A region ending exactly at 2^47 is valid (test_range uses one). */
  assert_int_equal(vmsim_gen_create(NULL, NULL, NULL, 0), VMSIM_EINVAL);
  vmsim_gen_destroy(NULL);
}

/* Creation fails cleanly when its one allocation fails. */
static void test_alloc_failure(void **state) {
  (void)state;
  vmsim_gen_config phases[2] = {config(VMSIM_GEN_LOOP, 0, 10), config(VMSIM_GEN_ZIPF, 0, 10)};
  phases[0].count = phases[1].count = 1;
  vmsim_gen_config cfgs[2] = {config(VMSIM_GEN_ZIPF, 0, 100), config(VMSIM_GEN_PHASES, 0, 1)};
  cfgs[1].phases = phases;
  cfgs[1].nr_phases = 2;
  for (int i = 0; i < 2; i++) {
    vmsim_alloc_stats before, after;
    vmsim_gen *g = NULL;
    char msg[64] = "";
    vmsim_alloc_get_stats(&before);
    vmsim_alloc_fail_after(1, false);
    assert_int_equal(vmsim_gen_create(&g, &cfgs[i], msg, sizeof(msg)), VMSIM_ENOMEM);
    vmsim_alloc_fail_after(0, false);
    assert_null(g);
    assert_string_equal(msg, "gen: out of host memory");
    vmsim_alloc_get_stats(&after);
    assert_int_equal(after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
    assert_int_equal(after.nr_failed - before.nr_failed, 1);

    vmsim_gen_destroy(create(&cfgs[i])); /* and succeeds without failure */
    vmsim_alloc_get_stats(&after);
    assert_int_equal(after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
  }
}

static void test_kind_names(void **state) {
  (void)state;
  static const char *const names[] = {"sequential", "uniform", "zipf", "loop", "phases"};
  enum vmsim_gen_kind k;
  for (int i = 0; i < VMSIM_NR_GEN_KINDS; i++) {
    assert_string_equal(vmsim_gen_kind_name((enum vmsim_gen_kind)i), names[i]);
    assert_ok(vmsim_gen_kind_parse(names[i], &k));
    assert_int_equal(k, i);
  }
  assert_ok(vmsim_gen_kind_parse("Zipf", &k));
  assert_int_equal(k, VMSIM_GEN_ZIPF);
  assert_int_equal(vmsim_gen_kind_parse("zipfian", &k), VMSIM_EINVAL);
  assert_int_equal(vmsim_gen_kind_parse(NULL, &k), VMSIM_EINVAL);
  assert_string_equal(vmsim_gen_kind_name(VMSIM_NR_GEN_KINDS), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_prng_known_answers),
    cmocka_unit_test(test_sequential_exact),
    cmocka_unit_test(test_loop_exact),
    cmocka_unit_test(test_count_zero),
    cmocka_unit_test(test_phases_exact),
    cmocka_unit_test(test_phases_switch_at_k),
    cmocka_unit_test(test_determinism),
    cmocka_unit_test(test_uniform_follows_spec),
    cmocka_unit_test(test_zipf_follows_spec),
    cmocka_unit_test(test_golden_streams),
    cmocka_unit_test(test_golden_streams_fill),
    cmocka_unit_test(test_pages_independent_of_writes),
    cmocka_unit_test(test_range),
    cmocka_unit_test(test_uniform_counts),
    cmocka_unit_test(test_zipf_distribution),
    cmocka_unit_test(test_zipf_huge_region),
    cmocka_unit_test(test_zipf_one_page),
    cmocka_unit_test(test_write_ratio),
    cmocka_unit_test(test_fill_matches_next),
    cmocka_unit_test(test_fill_endless),
    cmocka_unit_test(test_config_errors),
    cmocka_unit_test(test_alloc_failure),
    cmocka_unit_test(test_kind_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
