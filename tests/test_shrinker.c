/* SPDX-License-Identifier: MIT */
/*
 * Slab shrinkers (src/core/shrinker.c) against values worked out by hand from
 * ../shared/docs/linux-reclaim.md rule 27 and Linux 6.x do_shrink_slab():
 *
 *   delta      = (freeable >> priority) * 4 / seeks
 *   total_scan = min((nr_deferred >> priority) + delta, 2 * freeable)
 *   scan in batches while total_scan >= batch || total_scan >= freeable
 *   deferred   = min(max(nr_deferred + delta - scanned, 0), 2 * freeable)
 *
 * The cache under test is a dentry-cache-like counter of objects per node:
 * count_objects() reports them, scan_objects() frees up to nr_to_scan.
 */
#include "vmsim_test.h"

#include "shrinker.h"

/* ---- a simulated object cache ------------------------------------------- */

#define MAX_SCAN_CALLS 512 /* recorded; later calls are only counted */

struct cache {
  uint64_t objects[2];   /* per node; an unaware cache keeps all in [0] */
  bool stop;             /* scan calls after the first `stop_after` return SHRINK_STOP */
  uint32_t stop_after;
  bool report_scanned;   /* set sc->nr_scanned to `scanned_report`, and free that many */
  uint64_t scanned_report;
  uint32_t nr_counts;    /* count_objects calls */
  uint32_t nr_scans;     /* scan_objects calls, SHRINK_STOP ones included */
  uint64_t to_scan[MAX_SCAN_CALLS];
  uint32_t scan_nid[MAX_SCAN_CALLS];
};

static uint64_t cache_count(void *ctx, vmsim_shrink_control *sc) {
  struct cache *c = ctx;
  assert_true(sc->nid < ARRAY_SIZE(c->objects));
  c->nr_counts++;
  return c->objects[sc->nid];
}

static uint64_t cache_scan(void *ctx, vmsim_shrink_control *sc) {
  struct cache *c = ctx;
  uint32_t call = c->nr_scans++;
  assert_int_equal(sc->nr_scanned, sc->nr_to_scan);
  if (call < MAX_SCAN_CALLS) {
    c->to_scan[call] = sc->nr_to_scan;
    c->scan_nid[call] = sc->nid;
  }
  if (c->stop && call >= c->stop_after)
    return VMSIM_SHRINK_STOP;
  if (c->report_scanned)
    sc->nr_scanned = c->scanned_report;
  uint64_t freed = MIN(sc->nr_scanned, c->objects[sc->nid]);
  c->objects[sc->nid] -= freed;
  return freed;
}

/* Forget the calls recorded so far. */
static void cache_reset_calls(struct cache *c) {
  c->nr_counts = c->nr_scans = 0;
}

static vmsim_shrinker cache_shrinker(struct cache *c) {
  return (vmsim_shrinker){.count_objects = cache_count, .scan_objects = cache_scan, .ctx = c};
}

static uint32_t register_shrinker(vmsim_sim *sim, const vmsim_shrinker *s) {
  uint32_t id = UINT32_MAX;
  assert_ok(vmsim_shrinker_register(sim, s, &id));
  return id;
}

static uint32_t register_cache(vmsim_sim *sim, struct cache *c) {
  vmsim_shrinker s = cache_shrinker(c);
  return register_shrinker(sim, &s);
}

static uint64_t deferred(const vmsim_sim *sim, uint32_t id, uint32_t nid) {
  uint64_t d = UINT64_MAX;
  assert_ok(vmsim_shrinker_get_deferred(sim, id, nid, &d));
  return d;
}

static uint64_t slabs_scanned(const vmsim_sim *sim) {
  return vmsim_vmstat(sim, VMSIM_VM_slabs_scanned);
}

/* Every scan call since the last reset asked for `n` objects. */
static void expect_all_to_scan(const struct cache *c, uint64_t n) {
  for (uint32_t i = 0; i < MIN(c->nr_scans, MAX_SCAN_CALLS); i++)
    if (c->to_scan[i] != n)
      fail_msg("scan call %u: nr_to_scan %" PRIu64 ", expected %" PRIu64, i, c->to_scan[i], n);
}

static vmsim_sim *create_sim(void) {
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, NULL));
  return sim;
}

/* Two nodes of 64 MiB, ZONE_NORMAL only. */
static vmsim_sim *create_two_node_sim(void) {
  vmsim_config cfg;
  vmsim_sim *sim = NULL;
  vmsim_config_default(&cfg);
  cfg.nr_nodes = 2;
  for (uint32_t i = 0; i < 2; i++)
    cfg.nodes[i] = (vmsim_node_config){
      .pages = 16384, .zone_pages = {0, 0, VMSIM_ZONE_REST, 0}, .nr_cpus = 1};
  assert_ok(vmsim_sim_create(&sim, &cfg));
  return sim;
}

/* ---- arithmetic ----------------------------------------------------------- */

/*
 * One cache of 100000 objects (seeks 2, batch 128) under reclaim at priority
 * 12 down to 0, one shrink_slab call each; f is freeable (what is left of
 * the cache), nr the deferred count taken at the start of the call.
 */
static void test_priority_sequence(void **state) {
  (void)state;
  static const struct {
    int priority;
    uint32_t calls;    /* scan_objects calls, each of 128 objects */
    uint64_t freed;    /* returned by shrink_slab */
    uint64_t deferred; /* nr_deferred afterwards */
    uint64_t slabs;    /* slabs_scanned afterwards */
  } steps[] = {
    /* p=12: f=100000, nr=0: delta=(100000>>12=24)*4/2=48; total=(0>>12=0)+48=48
     *   -> below a batch and below f: no call; deferred=0+48-0=48 */
    {12, 0, 0, 48, 0},
    /* p=11: f=100000, nr=48: delta=(100000>>11=48)*4/2=96; total=(48>>11=0)+96=96
     *   -> no call; deferred=48+96-0=144 */
    {11, 0, 0, 144, 0},
    /* p=10: f=100000, nr=144: delta=(100000>>10=97)*4/2=194; total=(144>>10=0)+194=194
     *   -> 1 x 128 = 128 scanned, 66 left; deferred=144+194-128=210 */
    {10, 1, 128, 210, 128},
    /* p=9: f=99872, nr=210: delta=(99872>>9=195)*4/2=390; total=(210>>9=0)+390=390
     *   -> 3 x 128 = 384 scanned, 6 left; deferred=210+390-384=216 */
    {9, 3, 384, 216, 512},
    /* p=8: f=99488, nr=216: delta=(99488>>8=388)*4/2=776; total=(216>>8=0)+776=776
     *   -> 6 x 128 = 768 scanned, 8 left; deferred=216+776-768=224 */
    {8, 6, 768, 224, 1280},
    /* p=7: f=98720, nr=224: delta=(98720>>7=771)*4/2=1542; total=(224>>7=1)+1542=1543
     *   -> 12 x 128 = 1536 scanned, 7 left; deferred=224+1542-1536=230 */
    {7, 12, 1536, 230, 2816},
    /* p=6: f=97184, nr=230: delta=(97184>>6=1518)*4/2=3036; total=(230>>6=3)+3036=3039
     *   -> 23 x 128 = 2944 scanned, 95 left; deferred=230+3036-2944=322 */
    {6, 23, 2944, 322, 5760},
    /* p=5: f=94240, nr=322: delta=(94240>>5=2945)*4/2=5890; total=(322>>5=10)+5890=5900
     *   -> 46 x 128 = 5888 scanned, 12 left; deferred=322+5890-5888=324 */
    {5, 46, 5888, 324, 11648},
    /* p=4: f=88352, nr=324: delta=(88352>>4=5522)*4/2=11044; total=(324>>4=20)+11044=11064
     *   -> 86 x 128 = 11008 scanned, 56 left; deferred=324+11044-11008=360 */
    {4, 86, 11008, 360, 22656},
    /* p=3: f=77344, nr=360: delta=(77344>>3=9668)*4/2=19336; total=(360>>3=45)+19336=19381
     *   -> 151 x 128 = 19328 scanned, 53 left; deferred=360+19336-19328=368 */
    {3, 151, 19328, 368, 41984},
    /* p=2: f=58016, nr=368: delta=(58016>>2=14504)*4/2=29008; total=(368>>2=92)+29008=29100
     *   -> 227 x 128 = 29056 scanned, 44 left; deferred=368+29008-29056=320 */
    {2, 227, 29056, 320, 71040},
    /* p=1: f=28960, nr=320: delta=(28960>>1=14480)*4/2=28960; total=(320>>1=160)+28960=29120
     *   (under 2f=57920) -> 227 x 128 = 29056 scanned, 64 left; only the 28960
     *   objects left are freed; deferred=320+28960-29056=224 */
    {1, 227, 28960, 224, 100096},
    /* p=0: count_objects() says 0: nothing scanned; deferred stays 224 */
    {0, 0, 0, 224, 100096},
  };
  struct cache c = {.objects = {100000}};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);

  for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
    cache_reset_calls(&c);
    uint64_t freed = vmsim__shrink_slab(sim, 0, steps[i].priority, false);
    assert_int_equal(c.nr_counts, 1);
    assert_int_equal(c.nr_scans, steps[i].calls);
    expect_all_to_scan(&c, VMSIM_SHRINK_BATCH);
    assert_int_equal(freed, steps[i].freed);
    assert_int_equal(deferred(sim, id, 0), steps[i].deferred);
    assert_int_equal(slabs_scanned(sim), steps[i].slabs);
  }
  assert_int_equal(c.objects[0], 0);
  vmsim_sim_destroy(sim);
}

/* A cache smaller than a batch is scanned whole once reclaim asks for at
 * least all of it (total_scan >= freeable), even in one short call. */
static void test_small_cache_below_batch(void **state) {
  (void)state;
  struct cache c = {.objects = {100}};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);

  /* p=2: delta=(100>>2=25)*4/2=50; total=50 < 100 and < 128: deferred 50. */
  assert_int_equal(vmsim__shrink_slab(sim, 0, 2, false), 0);
  assert_int_equal(c.nr_scans, 0);
  assert_int_equal(deferred(sim, id, 0), 50);

  /* p=1: nr=50, delta=(100>>1=50)*4/2=100; total=(50>>1=25)+100=125 >= 100:
   * one call of min(128, 125)=125, which frees all 100; total 0;
   * deferred=50+100-125=25. */
  assert_int_equal(vmsim__shrink_slab(sim, 0, 1, false), 100);
  assert_int_equal(c.nr_scans, 1);
  assert_int_equal(c.to_scan[0], 125);
  assert_int_equal(deferred(sim, id, 0), 25);
  assert_int_equal(slabs_scanned(sim), 125);
  vmsim_sim_destroy(sim);
}

/* Objects scanned by one shrink_slab call of a fresh `objects` cache (seeks
 * 2, batch 128) at `priority`; its deferred count goes to *def. */
static uint64_t scanned_once(uint64_t objects, int priority, uint64_t *def) {
  struct cache c = {.objects = {objects}};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);
  vmsim__shrink_slab(sim, 0, priority, false);
  uint64_t scanned = slabs_scanned(sim);
  *def = deferred(sim, id, 0);
  vmsim_sim_destroy(sim);
  return scanned;
}

static void test_proportional_to_size_and_priority(void **state) {
  (void)state;
  uint64_t def;

  /* Size, at p=4: 10000 -> delta=(625)*2=1250 -> 9 x 128 = 1152, deferred 98;
   * 40000 -> delta=(2500)*2=5000 -> 39 x 128 = 4992, deferred 8. */
  assert_int_equal(scanned_once(10000, 4, &def), 1152);
  assert_int_equal(def, 98);
  assert_int_equal(scanned_once(40000, 4, &def), 4992);
  assert_int_equal(def, 8);

  /* Priority, 40000 objects: p=6 -> delta=(625)*2=1250 -> 1152, deferred 98;
   * p=3 -> delta=(5000)*2=10000 -> 78 x 128 = 9984, deferred 16. */
  assert_int_equal(scanned_once(40000, 6, &def), 1152);
  assert_int_equal(def, 98);
  assert_int_equal(scanned_once(40000, 3, &def), 9984);
  assert_int_equal(def, 16);

  /* Pressure doubles the work per step, whatever the size. */
  for (int p = DEF_PRIORITY; p > 0; p--)
    assert_true(scanned_once(1000000, p - 1, &def) > scanned_once(1000000, p, &def));
}

/* total_scan and the deferred count are both capped at 2 * freeable. */
static void test_cap_twice_freeable(void **state) {
  (void)state;
  struct cache c = {.objects = {1000}, .stop = true, .stop_after = 1};
  vmsim_sim *sim = create_sim();
  vmsim_shrinker s = cache_shrinker(&c);
  s.seeks = 1;
  uint32_t id = register_shrinker(sim, &s);

  /* p=0, seeks 1: delta=1000*4/1=4000; total=min(4000, 2000)=2000. The
   * first call (128) frees 128, the second says STOP: scanned 128;
   * deferred=min(0+4000-128, 2000)=2000. */
  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 128);
  assert_int_equal(c.nr_scans, 2);
  assert_int_equal(slabs_scanned(sim), 128);
  assert_int_equal(deferred(sim, id, 0), 2000);

  /* Now f=872: nr=2000, delta=872*4=3488; total=min(2000+3488, 1744)=1744.
   * Scanning goes on to the end: 13 x 128 = 1664, then 80 left, which is
   * below a batch and below 872. All 872 objects go.
   * deferred=min(2000+3488-1664, 1744)=1744. */
  c.stop = false;
  cache_reset_calls(&c);
  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 872);
  assert_int_equal(c.nr_scans, 13);
  expect_all_to_scan(&c, 128);
  assert_int_equal(slabs_scanned(sim), 128 + 1664);
  assert_int_equal(deferred(sim, id, 0), 1744);
  vmsim_sim_destroy(sim);
}

/* SHRINK_STOP ends the round; the call that said it is not counted and the
 * work not done is deferred. */
static void test_shrink_stop_defers(void **state) {
  (void)state;
  struct cache c = {.objects = {10000}, .stop = true, .stop_after = 3};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);

  /* p=4: delta=(10000>>4=625)*2=1250, total 1250: calls 1-3 scan 128 each,
   * call 4 (asked for 128) says STOP. scanned 384; deferred=1250-384=866. */
  assert_int_equal(vmsim__shrink_slab(sim, 0, 4, false), 384);
  assert_int_equal(c.nr_scans, 4);
  expect_all_to_scan(&c, 128);
  assert_int_equal(slabs_scanned(sim), 384);
  assert_int_equal(deferred(sim, id, 0), 866);

  /* p=4 again, f=9616, nr=866: delta=(9616>>4=601)*2=1202;
   * total=(866>>4=54)+1202=1256 -> 9 x 128 = 1152, 104 left;
   * deferred=866+1202-1152=916. */
  c.stop = false;
  cache_reset_calls(&c);
  assert_int_equal(vmsim__shrink_slab(sim, 0, 4, false), 1152);
  assert_int_equal(c.nr_scans, 9);
  assert_int_equal(deferred(sim, id, 0), 916);

  /* A shrinker that stops at once defers all: p=4, f=10000-384-1152=8464,
   * nr=916: delta=(8464>>4=529)*2=1058; total=(916>>4=57)+1058=1115; the
   * first call says STOP; deferred=916+1058-0=1974 (under 2f=16928). */
  c.stop = true;
  c.stop_after = 0;
  cache_reset_calls(&c);
  assert_int_equal(vmsim__shrink_slab(sim, 0, 4, false), 0);
  assert_int_equal(c.nr_scans, 1);
  assert_int_equal(c.to_scan[0], 128);
  assert_int_equal(slabs_scanned(sim), 384 + 1152);
  assert_int_equal(deferred(sim, id, 0), 1974);
  vmsim_sim_destroy(sim);
}

/* A callback may report that it looked at fewer objects than asked
 * (sc->nr_scanned); the loop goes on until the work is done. */
static void test_nr_scanned_reported(void **state) {
  (void)state;
  struct cache c = {.objects = {10000}, .report_scanned = true, .scanned_report = 64};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);

  /* p=4: total 1250; each call takes 64 off: after 18 calls 98 are left,
   * below a batch. slabs_scanned 18*64=1152; deferred=1250-1152=98. Every
   * call asked for 128 (total_scan was >= 128 each time). */
  vmsim__shrink_slab(sim, 0, 4, false);
  assert_int_equal(c.nr_scans, 18);
  expect_all_to_scan(&c, 128);
  assert_int_equal(slabs_scanned(sim), 1152);
  assert_int_equal(deferred(sim, id, 0), 98);

  /* Reporting 0 scanned ends the round after that call (the kernel would
   * spin): f=8848 at p=4: nr=98, delta=(553)*2=1106, total=6+1106=1112;
   * deferred=98+1106-0=1204. */
  c.scanned_report = 0;
  cache_reset_calls(&c);
  vmsim__shrink_slab(sim, 0, 4, false);
  assert_int_equal(c.nr_scans, 1);
  assert_int_equal(slabs_scanned(sim), 1152);
  assert_int_equal(deferred(sim, id, 0), 1204);
  vmsim_sim_destroy(sim);
}

/* An empty cache (0 or SHRINK_EMPTY) is not scanned and keeps its
 * deferred work for when it fills again. */
static void test_empty_cache(void **state) {
  (void)state;
  struct cache c = {.objects = {100000}};
  vmsim_sim *sim = create_sim();
  uint32_t id = register_cache(sim, &c);

  vmsim__shrink_slab(sim, 0, 12, false); /* deferred 48, as in the sequence */
  c.objects[0] = 0;
  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 0);
  c.objects[0] = VMSIM_SHRINK_EMPTY;
  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 0);
  assert_int_equal(c.nr_scans, 0);
  assert_int_equal(c.nr_counts, 3);
  assert_int_equal(deferred(sim, id, 0), 48);
  vmsim_sim_destroy(sim);
}

/* ---- options ---------------------------------------------------------------- */

/* Objects scanned by one shrink_slab call at p=6 of a fresh cache `c` of
 * 100000 objects with these seeks and batch; c records the calls. */
static uint64_t scanned_with(uint32_t seeks, uint64_t batch, struct cache *c) {
  vmsim_sim *sim = create_sim();
  vmsim_shrinker s = cache_shrinker(c);
  s.seeks = seeks;
  s.batch = batch;
  c->objects[0] = 100000;
  cache_reset_calls(c);
  register_shrinker(sim, &s);
  vmsim__shrink_slab(sim, 0, 6, false);
  uint64_t scanned = slabs_scanned(sim);
  vmsim_sim_destroy(sim);
  return scanned;
}

static void test_seeks_and_batch(void **state) {
  (void)state;
  struct cache c = {.objects = {0}};

  /* p=6: 100000>>6 = 1562.
   * seeks 2: delta=1562*4/2=3124 -> 24 x 128 = 3072.
   * seeks 0 means DEFAULT_SEEKS (2): the same.
   * seeks 1: delta=6248 -> 48 x 128 = 6144.
   * seeks 8: delta=1562*4/8=781 -> 6 x 128 = 768. */
  assert_int_equal(scanned_with(2, 0, &c), 3072);
  assert_int_equal(scanned_with(1, 0, &c), 6144);
  assert_int_equal(scanned_with(8, 0, &c), 768);
  assert_int_equal(scanned_with(0, 0, &c), 3072);

  /* Batch 0 means SHRINK_BATCH (128), as just seen: 24 calls of 128.
   * Batch 1000 with seeks 2: total 3124 -> 3 x 1000, 124 left. */
  assert_int_equal(c.nr_scans, 24);
  expect_all_to_scan(&c, 128);
  assert_int_equal(scanned_with(2, 1000, &c), 3000);
  assert_int_equal(c.nr_scans, 3);
  expect_all_to_scan(&c, 1000);
}

/* A NUMA-aware cache is counted, scanned and deferred per node; an unaware
 * one runs on every node's reclaim as node 0, with one deferred count. */
static void test_numa_aware(void **state) {
  (void)state;
  struct cache aware = {.objects = {1000, 3000}};
  struct cache unaware = {.objects = {2000}};
  vmsim_sim *sim = create_two_node_sim();
  vmsim_shrinker s = cache_shrinker(&aware);
  s.numa_aware = true;
  uint32_t ida = register_shrinker(sim, &s);
  uint32_t idu = register_cache(sim, &unaware);

  /* Node 1 at p=4.
   * aware, node 1: f=3000, delta=(187)*2=374 -> 2 x 128 = 256; deferred 118.
   * unaware, as node 0: f=2000, delta=(125)*2=250 -> 1 x 128; deferred 122. */
  assert_int_equal(vmsim__shrink_slab(sim, 1, 4, false), 256 + 128);
  assert_int_equal(aware.nr_scans, 2);
  assert_int_equal(aware.scan_nid[0], 1);
  assert_int_equal(aware.scan_nid[1], 1);
  assert_int_equal(unaware.nr_scans, 1);
  assert_int_equal(unaware.scan_nid[0], 0);
  assert_int_equal(aware.objects[0], 1000);
  assert_int_equal(aware.objects[1], 3000 - 256);
  assert_int_equal(unaware.objects[0], 2000 - 128);
  assert_int_equal(deferred(sim, ida, 0), 0);
  assert_int_equal(deferred(sim, ida, 1), 118);
  assert_int_equal(deferred(sim, idu, 0), 122);
  assert_int_equal(deferred(sim, idu, 1), 0);

  /* Node 0 at p=4.
   * aware, node 0: f=1000, delta=(62)*2=124 -> no call; deferred 124.
   * unaware: f=1872, nr=122, delta=(117)*2=234; total=(122>>4=7)+234=241
   * -> 1 x 128; deferred=122+234-128=228. */
  cache_reset_calls(&aware);
  cache_reset_calls(&unaware);
  assert_int_equal(vmsim__shrink_slab(sim, 0, 4, false), 128);
  assert_int_equal(aware.nr_scans, 0);
  assert_int_equal(unaware.nr_scans, 1);
  assert_int_equal(deferred(sim, ida, 0), 124);
  assert_int_equal(deferred(sim, ida, 1), 118);
  assert_int_equal(deferred(sim, idu, 0), 228);
  assert_int_equal(slabs_scanned(sim), 256 + 128 + 128);
  vmsim_sim_destroy(sim);
}

/* ---- registration -------------------------------------------------------- */

static void test_unregister(void **state) {
  (void)state;
  struct cache a = {.objects = {100000}}, b = {.objects = {100000}};
  vmsim_sim *sim = create_sim();
  uint32_t ida = register_cache(sim, &a);
  uint32_t idb = register_cache(sim, &b);
  assert_int_not_equal(ida, idb);

  vmsim__shrink_slab(sim, 0, 12, false); /* both defer 48 */
  assert_int_equal(deferred(sim, ida, 0), 48);
  assert_ok(vmsim_shrinker_unregister(sim, ida));
  assert_int_equal(vmsim_shrinker_unregister(sim, ida), VMSIM_ENOENT);
  uint64_t d;
  assert_int_equal(vmsim_shrinker_get_deferred(sim, ida, 0, &d), VMSIM_ENOENT);

  /* Only b is called now. */
  cache_reset_calls(&a);
  cache_reset_calls(&b);
  vmsim__shrink_slab(sim, 0, 12, false);
  assert_int_equal(a.nr_counts, 0);
  assert_int_equal(b.nr_counts, 1);
  assert_int_equal(deferred(sim, idb, 0), 96); /* nr=48, delta=48, total=(48>>12)+48 */

  /* The freed id is reused, with no deferred work. */
  assert_int_equal(register_cache(sim, &a), ida);
  assert_int_equal(deferred(sim, ida, 0), 0);
  vmsim_sim_destroy(sim);
}

static void test_bad_input(void **state) {
  (void)state;
  struct cache c = {.objects = {1000}};
  vmsim_sim *sim = create_sim();
  vmsim_shrinker s = cache_shrinker(&c);
  uint32_t id;
  uint64_t d;

  /* Nothing registered yet. */
  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 0);
  assert_int_equal(vmsim_shrinker_unregister(sim, 0), VMSIM_ENOENT);
  assert_int_equal(vmsim_shrinker_get_deferred(sim, 0, 0, &d), VMSIM_ENOENT);

  assert_int_equal(vmsim_shrinker_register(NULL, &s, &id), VMSIM_EINVAL);
  assert_int_equal(vmsim_shrinker_register(sim, NULL, &id), VMSIM_EINVAL);
  assert_int_equal(vmsim_shrinker_register(sim, &s, NULL), VMSIM_EINVAL);
  s.count_objects = NULL;
  assert_int_equal(vmsim_shrinker_register(sim, &s, &id), VMSIM_EINVAL);
  s = cache_shrinker(&c);
  s.scan_objects = NULL;
  assert_int_equal(vmsim_shrinker_register(sim, &s, &id), VMSIM_EINVAL);

  id = register_cache(sim, &c);
  assert_int_equal(vmsim_shrinker_unregister(sim, id + 1), VMSIM_ENOENT);
  assert_int_equal(vmsim_shrinker_unregister(sim, UINT32_MAX), VMSIM_ENOENT);
  assert_int_equal(vmsim_shrinker_get_deferred(sim, id, 1, &d), VMSIM_EINVAL);
  assert_int_equal(vmsim_shrinker_get_deferred(sim, id, 0, NULL), VMSIM_EINVAL);
  assert_int_equal(vmsim__shrink_slab(sim, 1, 0, false), 0); /* no node 1 */
  assert_int_equal(c.nr_counts, 0);
  vmsim_sim_destroy(sim);
}

/* Callbacks may not change the set of shrinkers, nor shrink recursively. */
struct meddler {
  vmsim_sim *sim;
  uint32_t self;
  int register_rc, unregister_rc;
  uint64_t nested_freed;
};

static uint64_t meddler_count(void *ctx, vmsim_shrink_control *sc) {
  struct meddler *m = ctx;
  vmsim_shrinker s = {.count_objects = meddler_count, .scan_objects = meddler_count, .ctx = m};
  uint32_t id;
  m->register_rc = vmsim_shrinker_register(m->sim, &s, &id);
  m->unregister_rc = vmsim_shrinker_unregister(m->sim, m->self);
  m->nested_freed = vmsim__shrink_slab(m->sim, sc->nid, 0, false);
  return 0;
}

static void test_callbacks_cannot_reenter(void **state) {
  (void)state;
  vmsim_sim *sim = create_sim();
  struct meddler m = {.sim = sim, .nested_freed = UINT64_MAX};
  struct cache c = {.objects = {100}};
  vmsim_shrinker s = {.count_objects = meddler_count, .scan_objects = meddler_count, .ctx = &m};
  m.self = register_shrinker(sim, &s);
  register_cache(sim, &c);

  assert_int_equal(vmsim__shrink_slab(sim, 0, 0, false), 100);
  assert_int_equal(m.register_rc, VMSIM_EBUSY);
  assert_int_equal(m.unregister_rc, VMSIM_EBUSY);
  assert_int_equal(m.nested_freed, 0);
  assert_int_equal(c.nr_counts, 1); /* not called again by the nested call */
  assert_ok(vmsim_shrinker_unregister(sim, m.self));
  vmsim_sim_destroy(sim);
}

/* Host allocations made minus those freed. */
static int64_t alloc_balance(void) {
  vmsim_alloc_stats st;
  vmsim_alloc_get_stats(&st);
  return (int64_t)(st.nr_allocs - st.nr_frees);
}

/* Register `before` shrinkers, then fail each allocation of one more
 * registration in turn: it must fail cleanly (nothing registered, nothing
 * leaked once the machine is destroyed) until it succeeds. */
static void check_register_failures(uint32_t before) {
  for (uint64_t nth = 1;; nth++) {
    int64_t balance = alloc_balance();
    struct cache c = {.objects = {100000}};
    vmsim_sim *sim = create_sim();
    for (uint32_t i = 0; i < before; i++)
      register_cache(sim, &c);
    vmsim_shrinker s = cache_shrinker(&c);
    uint32_t id = UINT32_MAX;

    vmsim_alloc_fail_after(nth, false);
    int rc = vmsim_shrinker_register(sim, &s, &id);
    vmsim_alloc_fail_after(0, false);
    if (rc == 0) {
      assert_int_equal(id, before);
      assert_true(nth > 1);
      vmsim_sim_destroy(sim);
      assert_int_equal(alloc_balance(), balance);
      return;
    }
    assert_int_equal(rc, VMSIM_ENOMEM);
    assert_int_equal(id, UINT32_MAX);
    uint64_t d;
    assert_int_equal(vmsim_shrinker_get_deferred(sim, before, 0, &d), VMSIM_ENOENT);
    /* Only the `before` shrinkers run: one count each at p=12. */
    vmsim__shrink_slab(sim, 0, 12, false);
    assert_int_equal(c.nr_counts, before);
    vmsim_sim_destroy(sim);
    assert_int_equal(alloc_balance(), balance);
  }
}

static void test_register_alloc_failure(void **state) {
  (void)state;
  check_register_failures(0); /* the set, its id table, the shrinker */
  check_register_failures(8); /* growing a full id table */
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_priority_sequence),
    cmocka_unit_test(test_small_cache_below_batch),
    cmocka_unit_test(test_proportional_to_size_and_priority),
    cmocka_unit_test(test_cap_twice_freeable),
    cmocka_unit_test(test_shrink_stop_defers),
    cmocka_unit_test(test_nr_scanned_reported),
    cmocka_unit_test(test_empty_cache),
    cmocka_unit_test(test_seeks_and_batch),
    cmocka_unit_test(test_numa_aware),
    cmocka_unit_test(test_unregister),
    cmocka_unit_test(test_bad_input),
    cmocka_unit_test(test_callbacks_cannot_reenter),
    cmocka_unit_test(test_register_alloc_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
