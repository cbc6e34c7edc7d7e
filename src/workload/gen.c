/* SPDX-License-Identifier: MIT */
/*
 * Synthetic workload generators: sequential scan, uniform, Zipf, loop over a
 * working set, and phases that switch between them.
 *
 * Reproducibility: results must not depend on the host, so the library has
 * its own PRNG (xoshiro256** by Blackman and Vigna, seeded through
 * splitmix64) and never calls rand(). Every generator draws its pages and its
 * read/write choices from two separate streams, so the page sequence of a
 * seed does not change with write_ratio. Uniform draws are exact integers
 * (rejection of the biased tail). Zipf uses libm's exp/log/expm1/log1p;
 * IEEE-754 makes those agree across machines except, rarely, in the last
 * bit, which changes a sample only if it falls within an ulp of a rank
 * boundary.
 *
 * Zipf: rejection-inversion sampling (W. Hörmann and G. Derflinger,
 * "Rejection-inversion to generate variates from monotone discrete
 * distributions", ACM TOMACS 6(3), 1996), as in Apache Commons RNG's
 * RejectionInversionZipfSampler. It is exact for every exponent theta > 0,
 * below, at and above 1. Gray et al.'s method ("Quickly generating
 * billion-record synthetic databases", SIGMOD 1994; used by YCSB) was not
 * chosen: its formula is written for theta < 1, it is exact only for ranks
 * 1 and 2, and its setup sums n terms. Here setup is O(1) with no table
 * (a region may hold 2^35 pages) and a draw takes O(1) expected time.
 */
#include "workload_int.h"

#include <math.h>

static const char *const kind_names[VMSIM_NR_GEN_KINDS] = {
  [VMSIM_GEN_SEQUENTIAL] = "sequential",
  [VMSIM_GEN_UNIFORM] = "uniform",
  [VMSIM_GEN_ZIPF] = "zipf",
  [VMSIM_GEN_LOOP] = "loop",
  [VMSIM_GEN_PHASES] = "phases",
};

/* ---- draws ------------------------------------------------------------- */

/* Uniform in [0, 1), 53 random bits. */
static ALWAYS_INLINE double rng_double(struct vmsim__rng *r) {
  return (double)(vmsim__rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform in [0, n), unbiased: outputs below 2^64 mod n are redrawn. */
static ALWAYS_INLINE uint64_t rng_below(struct vmsim__rng *r, uint64_t n) {
  uint64_t threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = vmsim__rng_next(r);
    if (x >= threshold)
      return x % n;
  }
}

/* ---- Zipf by rejection-inversion --------------------------------------- */

/*
 * Ranks 1..n with P(k) proportional to h(k) = k^-theta. H is an integral of
 * h, H(x) = (x^(1-theta) - 1) / (1-theta) (log x at theta = 1), written with
 * expm1/log1p so that it stays accurate as theta approaches 1.
 */
struct zipf {
  double theta;
  double h_x1;  /* H(1.5) - h(1): the left end of the sampled range */
  double h_n;   /* H(n + 0.5): the right end */
  double s;     /* 2 - H^-1(H(2.5) - h(2)): k - x below it accepts at once */
  uint64_t n;
};

/* log1p(x) / x and expm1(x) / x, with their series near 0. */
static double log1p_div(double x) {
  return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
static double expm1_div(double x) {
  return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

static double zipf_h(const struct zipf *z, double x) { return exp(-z->theta * log(x)); }

static double zipf_H(const struct zipf *z, double x) {
  double log_x = log(x);
  return expm1_div((1.0 - z->theta) * log_x) * log_x;
}

static double zipf_H_inv(const struct zipf *z, double x) {
  double t = x * (1.0 - z->theta);
  if (t < -1.0)
    t = -1.0;
  return exp(log1p_div(t) * x);
}

static void zipf_init(struct zipf *z, uint64_t n, double theta) {
  z->theta = theta;
  z->n = n;
  z->h_x1 = zipf_H(z, 1.5) - 1.0;
  z->h_n = zipf_H(z, (double)n + 0.5);
  z->s = 2.0 - zipf_H_inv(z, zipf_H(z, 2.5) - zipf_h(z, 2.0));
}

/* A rank in 1..n. */
static uint64_t zipf_sample(const struct zipf *z, struct vmsim__rng *r) {
  for (;;) {
    /* u is uniform in (H(1.5) - 1, H(n + 0.5)]. */
    double u = z->h_n + rng_double(r) * (z->h_x1 - z->h_n);
    double x = zipf_H_inv(z, u);
    uint64_t k = x < 1.0 ? 1 : (uint64_t)(x + 0.5);
    if (k > z->n)
      k = z->n;
    if ((double)k - x <= z->s || u >= zipf_H(z, (double)k + 0.5) - zipf_h(z, (double)k))
      return k;
  }
}

/* ---- generators -------------------------------------------------------- */

enum write_mode { WRITE_NEVER, WRITE_ALWAYS, WRITE_RANDOM };

/* One generator of a single kind; PHASES holds several. */
struct gen_state {
  struct vmsim__rng page_rng, write_rng;
  enum vmsim_gen_kind kind;
  enum write_mode write_mode;
  uint64_t write_threshold; /* WRITE_RANDOM: write if a draw is below it */
  uint64_t base, pages;
  uint64_t cycle, pos;      /* SEQUENTIAL, LOOP: period and next page */
  uint64_t length;          /* accesses per turn (UINT64_MAX alone) */
  uint32_t pid;
  struct zipf zipf;
};

struct vmsim_gen {
  uint64_t left;       /* accesses still to make */
  uint64_t phase_left; /* accesses left in the current phase */
  uint32_t cur, nr_phases;
  struct gen_state phase[]; /* one unless PHASES */
};

void vmsim_gen_config_default(vmsim_gen_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->kind = VMSIM_GEN_SEQUENTIAL;
  cfg->base = 0;
  cfg->pages = 1;
  cfg->theta = 0.99;
  cfg->working_set = 0;
  cfg->write_ratio = 0.0;
  cfg->seed = 1;
  cfg->count = UINT64_MAX;
  cfg->pid = 0;
  cfg->phases = NULL;
  cfg->nr_phases = 0;
}

/* Check one single-kind configuration; `what` names it in messages. */
static int check_one(const vmsim_gen_config *c, const char *what, char *msg, size_t len) {
  const uint64_t va_pages = UINT64_C(1) << (VMSIM_WORKLOAD_VA_BITS - VMSIM_PAGE_SHIFT);

  if ((unsigned)c->kind >= VMSIM_NR_GEN_KINDS)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: unknown kind %d", what, (int)c->kind);
  if (c->kind == VMSIM_GEN_PHASES)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: phases may not nest", what);
  if (c->base & (VMSIM_PAGE_SIZE - 1))
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: base 0x%" PRIx64 " is not page-aligned",
                       what, c->base);
  if (c->pages == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: pages must be at least 1", what);
  if ((c->base >> VMSIM_PAGE_SHIFT) > va_pages || c->pages > va_pages - (c->base >> VMSIM_PAGE_SHIFT))
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "%s: %" PRIu64 " pages at 0x%" PRIx64 " end beyond the %d-bit address space",
                       what, c->pages, c->base, VMSIM_WORKLOAD_VA_BITS);
  if (c->kind == VMSIM_GEN_ZIPF && !(c->theta > 0.0 && isfinite(c->theta)))
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: theta must be a positive number, not %g",
                       what, c->theta);
  if (c->kind == VMSIM_GEN_LOOP && c->working_set > c->pages)
    return vmsim__errf(msg, len, VMSIM_ECONFIG,
                       "%s: working set of %" PRIu64 " pages exceeds the region's %" PRIu64, what,
                       c->working_set, c->pages);
  if (!(c->write_ratio >= 0.0 && c->write_ratio <= 1.0))
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "%s: write_ratio must be in [0, 1], not %g", what,
                       c->write_ratio);
  return 0;
}

static int check_config(const vmsim_gen_config *cfg, char *msg, size_t len) {
  if (cfg->kind != VMSIM_GEN_PHASES)
    return check_one(cfg, "gen", msg, len);
  if (!cfg->phases || cfg->nr_phases == 0)
    return vmsim__errf(msg, len, VMSIM_ECONFIG, "gen: phases needs at least one phase");
  for (uint32_t i = 0; i < cfg->nr_phases; i++) {
    char what[32];
    int rc;
    snprintf(what, sizeof(what), "gen: phases[%" PRIu32 "]", i);
    rc = check_one(&cfg->phases[i], what, msg, len);
    if (rc)
      return rc;
    if (cfg->phases[i].count == 0)
      return vmsim__errf(msg, len, VMSIM_ECONFIG,
                         "%s: count (the phase's length) must be at least 1", what);
  }
  return 0;
}

/* Set up one generator; its streams come from the splitmix64 state seed. */
static void state_init(struct gen_state *g, const vmsim_gen_config *c, uint64_t seed,
                       uint64_t length) {
  memset(g, 0, sizeof(*g));
  vmsim__rng_seed(&g->page_rng, &seed);
  vmsim__rng_seed(&g->write_rng, &seed);
  g->kind = c->kind;
  g->base = c->base;
  g->pages = c->pages;
  g->cycle = c->kind == VMSIM_GEN_LOOP && c->working_set ? c->working_set : c->pages;
  g->length = length;
  g->pid = c->pid;
  if (c->write_ratio <= 0.0) {
    g->write_mode = WRITE_NEVER;
  } else if (c->write_ratio >= 1.0) {
    g->write_mode = WRITE_ALWAYS;
  } else {
    g->write_mode = WRITE_RANDOM;
    g->write_threshold = (uint64_t)ldexp(c->write_ratio, 64); /* exact: a power of two */
  }
  if (c->kind == VMSIM_GEN_ZIPF)
    zipf_init(&g->zipf, c->pages, c->theta);
}

int vmsim_gen_create(vmsim_gen **out, const vmsim_gen_config *cfg, char *errmsg, size_t errlen) {
  uint32_t n;
  vmsim_gen *g;
  int rc;

  if (!cfg)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL, "gen: no configuration given");
  rc = check_config(cfg, errmsg, errlen);
  if (rc)
    return rc;
  n = cfg->kind == VMSIM_GEN_PHASES ? cfg->nr_phases : 1;
  if ((uint64_t)n * sizeof(g->phase[0]) > SIZE_MAX - sizeof(*g)) /* 32-bit hosts */
    return vmsim__errf(errmsg, errlen, VMSIM_ENOMEM, "gen: out of host memory");
  g = vmsim__malloc(sizeof(*g) + n * sizeof(g->phase[0]));
  if (!g)
    return vmsim__errf(errmsg, errlen, VMSIM_ENOMEM, "gen: out of host memory");
  g->left = cfg->count;
  g->cur = 0;
  g->nr_phases = n;
  if (cfg->kind == VMSIM_GEN_PHASES) {
    /* Phase i's seed mixes its own with the i-th output of this one's. */
    uint64_t x = cfg->seed;
    for (uint32_t i = 0; i < n; i++)
      state_init(&g->phase[i], &cfg->phases[i], cfg->phases[i].seed ^ vmsim__splitmix64(&x),
                 cfg->phases[i].count);
  } else {
    state_init(&g->phase[0], cfg, cfg->seed, UINT64_MAX);
  }
  g->phase_left = g->phase[0].length;
  *out = g;
  return 0;
}

/* The next page index of `g`, whose kind is `kind` (a constant where the
 * caller specialises a loop for one kind). */
static ALWAYS_INLINE uint64_t next_page(struct gen_state *g, enum vmsim_gen_kind kind) {
  uint64_t page;

  switch (kind) {
  case VMSIM_GEN_UNIFORM:
    return rng_below(&g->page_rng, g->pages);
  case VMSIM_GEN_ZIPF:
    return zipf_sample(&g->zipf, &g->page_rng) - 1;
  default: /* SEQUENTIAL, LOOP */
    page = g->pos;
    g->pos = page + 1 == g->cycle ? 0 : page + 1;
    return page;
  }
}

/* Whether the next access of `g`, whose write mode is `mode`, writes. */
static ALWAYS_INLINE bool next_write(struct gen_state *g, enum write_mode mode) {
  switch (mode) {
  case WRITE_NEVER: return false;
  case WRITE_ALWAYS: return true;
  default: return vmsim__rng_next(&g->write_rng) < g->write_threshold;
  }
}

/* Move to the next phase (the only one, again, unless PHASES). */
static void next_phase(vmsim_gen *g) {
  g->cur = g->cur + 1 == g->nr_phases ? 0 : g->cur + 1;
  g->phase_left = g->phase[g->cur].length;
}

int vmsim_gen_next(vmsim_gen *g, vmsim_memref *out) {
  struct gen_state *s;

  if (g->left == 0)
    return 0;
  g->left--;
  if (g->phase_left == 0)
    next_phase(g);
  g->phase_left--;
  s = &g->phase[g->cur];
  out->vaddr = s->base + (next_page(s, s->kind) << VMSIM_PAGE_SHIFT);
  out->next_access = VMSIM_NEXT_ACCESS_UNKNOWN;
  out->pid = s->pid;
  out->write = next_write(s, s->write_mode);
  return 1;
}

/* ---- batches ------------------------------------------------------------ */

/* refs[0..n): the next n accesses of `g`, drawn as vmsim_gen_next() draws
 * them, in a loop of its own for each kind and write mode. */
static ALWAYS_INLINE void fill_loop(struct gen_state *g, vmsim_memref *refs, size_t n,
                                    enum vmsim_gen_kind kind, enum write_mode mode) {
  for (size_t i = 0; i < n; i++) {
    refs[i].vaddr = g->base + (next_page(g, kind) << VMSIM_PAGE_SHIFT);
    refs[i].next_access = VMSIM_NEXT_ACCESS_UNKNOWN;
    refs[i].pid = g->pid;
    refs[i].write = next_write(g, mode);
  }
}

/* The loop for `kind` and the write mode of `g`. */
static ALWAYS_INLINE void fill_kind(struct gen_state *g, vmsim_memref *refs, size_t n,
                                    enum vmsim_gen_kind kind) {
  switch (g->write_mode) {
  case WRITE_NEVER: fill_loop(g, refs, n, kind, WRITE_NEVER); break;
  case WRITE_ALWAYS: fill_loop(g, refs, n, kind, WRITE_ALWAYS); break;
  default: fill_loop(g, refs, n, kind, WRITE_RANDOM); break;
  }
}

/*
 * The next n accesses of one generator, all within its current phase. The
 * state is copied to a local for the loop, so that it can stay in
 * registers: stores to refs could otherwise alias its fields.
 */
static void state_fill(struct gen_state *s, vmsim_memref *refs, size_t n) {
  struct gen_state g = *s;

  switch (g.kind) {
  case VMSIM_GEN_UNIFORM: fill_kind(&g, refs, n, VMSIM_GEN_UNIFORM); break;
  case VMSIM_GEN_ZIPF: fill_kind(&g, refs, n, VMSIM_GEN_ZIPF); break;
  default: fill_kind(&g, refs, n, VMSIM_GEN_LOOP); break; /* SEQUENTIAL, LOOP */
  }
  *s = g;
}

size_t vmsim_gen_fill(vmsim_gen *g, vmsim_memref *refs, size_t n) {
  if (n > g->left)
    n = (size_t)g->left;
  for (size_t done = 0; done < n;) {
    if (g->phase_left == 0)
      next_phase(g);
    size_t run = (size_t)MIN(n - done, g->phase_left);
    state_fill(&g->phase[g->cur], refs + done, run);
    g->phase_left -= run;
    done += run;
  }
  g->left -= n;
  return n;
}

void vmsim_gen_destroy(vmsim_gen *g) { vmsim__free(g); }

int vmsim_gen_kind_parse(const char *name, enum vmsim_gen_kind *out) {
  int i = vmsim__name_index(kind_names, ARRAY_SIZE(kind_names), name);
  if (i < 0)
    return VMSIM_EINVAL;
  *out = (enum vmsim_gen_kind)i;
  return 0;
}

const char *vmsim_gen_kind_name(enum vmsim_gen_kind kind) {
  return (unsigned)kind < VMSIM_NR_GEN_KINDS ? kind_names[kind] : "?";
}
