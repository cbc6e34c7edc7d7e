/* SPDX-License-Identifier: MIT */
/*
 * The classic reference policies (src/policies/fifo.c, lru.c, opt.c)
 * against textbook demand paging.
 *
 * The machine has exactly N frames and evicts on demand, so an eviction
 * happens only when all N are in use, and the faults (vmstat pgfault) of a
 * read-only reference string over the pages of an anon VMA are the
 * textbook miss count. The references are compared with:
 *   - Belady's anomaly for FIFO (Belady, Nelson, Shedler, CACM 1969):
 *     1,2,3,4,1,2,5,1,2,3,4,5 faults 9 times with 3 frames, 10 with 4;
 *   - brute-force FIFO, LRU and OPT simulations written here with plain
 *     arrays, O(refs * frames), on that string and on seeded random ones.
 */
#include "vmsim_test.h"

#define PAGE VMSIM_PAGE_SIZE
#define BASE (UINT64_C(1) << 30)
#define MAX_FRAMES 64

/* ---- the simulator side ------------------------------------------------ */

static vmsim_sim *demand_sim(const char *policy, uint64_t frames) {
  vmsim_config cfg;
  vmsim_config_default(&cfg);
  cfg.reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  cfg.nr_nodes = 1;
  cfg.nodes[0].pages = frames;
  memset(cfg.nodes[0].zone_pages, 0, sizeof(cfg.nodes[0].zone_pages));
  cfg.nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
  cfg.nodes[0].nr_cpus = 1;
  snprintf(cfg.policy, sizeof(cfg.policy), "%s", policy);
  vmsim_sim *sim = NULL;
  assert_ok(vmsim_sim_create(&sim, &cfg));
  return sim;
}

/* next[i]: the index of the next reference to refs[i]'s page, or
 * UINT64_MAX: a backward pass over the string. */
static void next_uses(const uint32_t *refs, size_t n, uint32_t nr_pages, uint64_t *next) {
  uint64_t *last = test_malloc(nr_pages * sizeof(*last));
  for (uint32_t p = 0; p < nr_pages; p++)
    last[p] = UINT64_MAX;
  for (size_t i = n; i-- > 0;) {
    next[i] = last[refs[i]];
    last[refs[i]] = i;
  }
  test_free(last);
}

/*
 * Replay the string as reads of page refs[i] of one anon VMA, telling the
 * policy each reference's next use, and return the faults. The sequence
 * numbers next_use speaks of count every access of the machine from 0, so
 * the string must be the machine's first accesses.
 */
static uint64_t sim_faults(const char *policy, uint64_t frames, const uint32_t *refs, size_t n,
                           uint32_t nr_pages, bool future) {
  uint64_t *next = test_malloc(n * sizeof(*next));
  next_uses(refs, n, nr_pages, next);
  vmsim_sim *sim = demand_sim(policy, frames);
  uint32_t pid = 0;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, BASE, nr_pages * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
  for (size_t i = 0; i < n; i++) {
    uint64_t vaddr = BASE + refs[i] * PAGE;
    int rc = future ? vmsim_access_future(sim, 0, pid, vaddr, false, next[i])
                    : vmsim_access(sim, 0, pid, vaddr, false);
    if (rc)
      fail_msg("%s, %" PRIu64 " frames, reference %zu: %s", policy, frames, i,
               vmsim_err_name(rc));
    if (vmsim_vmstat(sim, VMSIM_VM_pgfault) >= frames)
      assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), 0);
  }
  char msg[256];
  if (vmsim_check(sim, msg, sizeof(msg)))
    fail_msg("%s: vmsim_check: %s", policy, msg);
  assert_int_equal(vmsim_integrity_errors(sim), 0);
  uint64_t faults = vmsim_vmstat(sim, VMSIM_VM_pgfault);
  /* Demand paging: every fault beyond the frames evicted exactly one page. */
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct), faults > frames ? faults - frames : 0);
  vmsim_sim_destroy(sim);
  test_free(next);
  return faults;
}

/* ---- the brute-force side ---------------------------------------------- */

enum ref_policy { REF_FIFO, REF_LRU, REF_OPT };

/*
 * A textbook simulation with `frames` slots: stamp[] is the arrival time
 * (FIFO), the last use (LRU) or the next use (OPT) of each slot's page; the
 * victim is the slot with the lowest stamp (FIFO, LRU) or the highest (OPT).
 */
static uint64_t ref_faults(enum ref_policy pol, size_t frames, const uint32_t *refs, size_t n,
                           uint32_t nr_pages) {
  uint32_t page[MAX_FRAMES];
  uint64_t stamp[MAX_FRAMES];
  uint64_t *next = test_malloc(n * sizeof(*next));
  size_t used = 0;
  uint64_t faults = 0;
  assert_true(frames <= MAX_FRAMES);
  next_uses(refs, n, nr_pages, next);
  for (size_t i = 0; i < n; i++) {
    size_t slot = used;
    for (size_t f = 0; f < used; f++)
      if (page[f] == refs[i])
        slot = f;
    if (slot == used) {
      faults++;
      if (used < frames) {
        used++;
      } else {
        slot = 0;
        for (size_t f = 1; f < used; f++)
          if (pol == REF_OPT ? stamp[f] > stamp[slot] : stamp[f] < stamp[slot])
            slot = f;
      }
      page[slot] = refs[i];
      stamp[slot] = i;
    }
    if (pol == REF_LRU)
      stamp[slot] = i;
    else if (pol == REF_OPT)
      stamp[slot] = next[i];
  }
  test_free(next);
  return faults;
}

/* ---- the reference strings ---------------------------------------------- */

static const uint32_t belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
#define BELADY_PAGES 6

#define RANDOM_REFS 2000
#define RANDOM_PAGES 50

/* A seeded string with some locality: mostly a drifting window of 12
 * pages, sometimes any page. */
static void random_string(uint64_t seed, uint32_t *refs, size_t n) {
  uint64_t rng = seed;
  uint32_t window = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = test_rand(&rng);
    if (r % 100 < 3)
      window = (uint32_t)(test_rand(&rng) % RANDOM_PAGES);
    refs[i] = r % 10 < 8 ? (window + (uint32_t)((r >> 8) % 12)) % RANDOM_PAGES
                         : (uint32_t)((r >> 16) % RANDOM_PAGES);
  }
}

/* ---- tests ---------------------------------------------------------------- */

static void test_fifo_belady_anomaly(void **state) {
  (void)state;
  assert_int_equal(sim_faults("fifo", 3, belady, ARRAY_SIZE(belady), BELADY_PAGES, false), 9);
  assert_int_equal(sim_faults("fifo", 4, belady, ARRAY_SIZE(belady), BELADY_PAGES, false), 10);
  assert_int_equal(ref_faults(REF_FIFO, 3, belady, ARRAY_SIZE(belady), BELADY_PAGES), 9);
  assert_int_equal(ref_faults(REF_FIFO, 4, belady, ARRAY_SIZE(belady), BELADY_PAGES), 10);
}

/* LRU and OPT are stack algorithms: no anomaly. Textbook counts: LRU 10
 * and 8, OPT 7 and 6. */
static void test_lru_opt_belady_string(void **state) {
  (void)state;
  static const struct {
    const char *policy;
    enum ref_policy ref;
    uint64_t faults[2];
  } cases[] = {{"lru", REF_LRU, {10, 8}}, {"opt", REF_OPT, {7, 6}}};
  for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
    for (size_t frames = 3; frames <= 4; frames++) {
      uint64_t want = cases[c].faults[frames - 3];
      assert_int_equal(ref_faults(cases[c].ref, frames, belady, ARRAY_SIZE(belady), BELADY_PAGES),
                       want);
      assert_int_equal(
          sim_faults(cases[c].policy, frames, belady, ARRAY_SIZE(belady), BELADY_PAGES, true),
          want);
    }
}

/* Every policy against the brute force on random strings; OPT is a lower
 * bound for all of them, clock included. */
static void test_random_strings(void **state) {
  (void)state;
  uint32_t *refs = test_malloc(RANDOM_REFS * sizeof(*refs));
  for (uint64_t seed = 1; seed <= 3; seed++) {
    random_string(seed, refs, RANDOM_REFS);
    for (uint64_t frames = 8; frames <= 20; frames++) {
      uint64_t fifo = sim_faults("fifo", frames, refs, RANDOM_REFS, RANDOM_PAGES, false);
      uint64_t lru = sim_faults("lru", frames, refs, RANDOM_REFS, RANDOM_PAGES, false);
      uint64_t opt = sim_faults("opt", frames, refs, RANDOM_REFS, RANDOM_PAGES, true);
      uint64_t clock = sim_faults("clock", frames, refs, RANDOM_REFS, RANDOM_PAGES, false);
      assert_int_equal(fifo, ref_faults(REF_FIFO, frames, refs, RANDOM_REFS, RANDOM_PAGES));
      assert_int_equal(lru, ref_faults(REF_LRU, frames, refs, RANDOM_REFS, RANDOM_PAGES));
      assert_int_equal(opt, ref_faults(REF_OPT, frames, refs, RANDOM_REFS, RANDOM_PAGES));
      assert_true(opt <= fifo && opt <= lru && opt <= clock);
      assert_true(opt < lru); /* strictly better on strings like these */
    }
  }
  test_free(refs);
}

/* Without a future every page counts as never used again: OPT still
 * evicts exactly one page per fault beyond the frames (sim_faults checks),
 * and with all keys tied it takes the lowest pfn each time. */
static void test_opt_without_future(void **state) {
  (void)state;
  uint32_t *refs = test_malloc(RANDOM_REFS * sizeof(*refs));
  random_string(7, refs, RANDOM_REFS);
  uint64_t blind = sim_faults("opt", 12, refs, RANDOM_REFS, RANDOM_PAGES, false);
  uint64_t seer = sim_faults("opt", 12, refs, RANDOM_REFS, RANDOM_PAGES, true);
  assert_true(seer < blind);
  test_free(refs);
}

/*
 * OPT's heap after pages leave it from anywhere (page_del at exit): a first
 * process fills memory twice over with made-up futures and exits; on the
 * emptied machine a second one must see exactly the brute-force OPT count.
 */
static void test_opt_after_exit(void **state) {
  (void)state;
  const uint64_t frames = 12, first = 2 * frames;
  uint32_t *refs = test_malloc(RANDOM_REFS * sizeof(*refs));
  uint64_t *next = test_malloc(RANDOM_REFS * sizeof(*next));
  random_string(11, refs, RANDOM_REFS);
  next_uses(refs, RANDOM_REFS, RANDOM_PAGES, next);

  vmsim_sim *sim = demand_sim("opt", frames);
  uint32_t gone = 0, pid = 0;
  uint64_t rng = 5;
  assert_ok(vmsim_process_create(sim, &gone));
  assert_ok(vmsim_mmap(sim, gone, BASE, first * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
  for (uint64_t i = 0; i < first; i++)
    assert_ok(vmsim_access_future(sim, 0, gone, BASE + i * PAGE, false,
                                  first + test_rand(&rng) % 1000));
  assert_ok(vmsim_process_exit(sim, gone));
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_free_pages), frames);

  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_mmap(sim, pid, BASE, RANDOM_PAGES * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
  uint64_t faults0 = vmsim_vmstat(sim, VMSIM_VM_pgfault);
  uint64_t steal0 = vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct);
  for (size_t i = 0; i < RANDOM_REFS; i++)
    assert_ok(vmsim_access_future(sim, 0, pid, BASE + refs[i] * PAGE, false,
                                  next[i] == UINT64_MAX ? UINT64_MAX : first + next[i]));
  uint64_t faults = vmsim_vmstat(sim, VMSIM_VM_pgfault) - faults0;
  assert_int_equal(faults, ref_faults(REF_OPT, frames, refs, RANDOM_REFS, RANDOM_PAGES));
  assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct) - steal0, faults - frames);
  char msg[256];
  if (vmsim_check(sim, msg, sizeof(msg)))
    fail_msg("vmsim_check: %s", msg);
  vmsim_sim_destroy(sim);
  test_free(next);
  test_free(refs);
}

/*
 * The reference policies under kswapd, with swap and a working set larger
 * than memory: the machine stays consistent, nothing is lost, kswapd did
 * evict, and the mlocked region stays resident.
 */
static void test_kswapd_mode(void **state) {
  (void)state;
  static const char *const policies[] = {"fifo", "lru", "opt"};
  for (size_t p = 0; p < ARRAY_SIZE(policies); p++) {
    vmsim_config cfg;
    vmsim_config_default(&cfg);
    cfg.nodes[0].pages = 2048;
    memset(cfg.nodes[0].zone_pages, 0, sizeof(cfg.nodes[0].zone_pages));
    cfg.nodes[0].zone_pages[VMSIM_ZONE_NORMAL] = VMSIM_ZONE_REST;
    snprintf(cfg.policy, sizeof(cfg.policy), "%s", policies[p]);
    vmsim_sim *sim = NULL;
    assert_ok(vmsim_sim_create(&sim, &cfg));
    uint32_t pid = 0;
    const uint64_t pages = 3000, locked = 64;
    assert_ok(vmsim_process_create(sim, &pid));
    assert_ok(vmsim_mmap(sim, pid, BASE, pages * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                         VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, 0, 0));
    assert_ok(vmsim_mmap(sim, pid, 2 * BASE, locked * PAGE, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
                         VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_LOCKED, 0, 0));
    for (uint64_t i = 0; i < locked; i++)
      assert_ok(vmsim_access(sim, 0, pid, 2 * BASE + i * PAGE, true));
    uint64_t rng = 42;
    for (uint64_t i = 0; i < 4 * pages; i++) {
      uint64_t pg = i < pages ? i : test_rand(&rng) % pages;
      assert_ok(vmsim_access(sim, 0, pid, BASE + pg * PAGE, (i & 3) == 0));
    }
    char msg[256];
    if (vmsim_check(sim, msg, sizeof(msg)))
      fail_msg("%s: vmsim_check: %s", policies[p], msg);
    assert_int_equal(vmsim_integrity_errors(sim), 0);
    assert_true(vmsim_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
    assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_nr_unevictable), locked);
    uint64_t faults = vmsim_vmstat(sim, VMSIM_VM_pgfault);
    for (uint64_t i = 0; i < locked; i++)
      assert_ok(vmsim_access(sim, 0, pid, 2 * BASE + i * PAGE, false));
    assert_int_equal(vmsim_vmstat(sim, VMSIM_VM_pgfault), faults);
    vmsim_sim_destroy(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fifo_belady_anomaly),
    cmocka_unit_test(test_lru_opt_belady_string),
    cmocka_unit_test(test_random_strings),
    cmocka_unit_test(test_opt_without_future),
    cmocka_unit_test(test_opt_after_exit),
    cmocka_unit_test(test_kswapd_mode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
