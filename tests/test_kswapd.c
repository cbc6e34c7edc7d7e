/* SPDX-License-Identifier: MIT */
/*
 * kswapd (src/core/kswapd.c): one per node, woken when an allocation
 * fails the LOW watermark (linux-reclaim.md rule 18), balancing its node
 * toward HIGH (rules 19, 20); made and freed with the machine; and
 * deterministic, because it runs in lock-step with simulated time.
 */
#include "reclaim_test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Threads of this process, from /proc/self/task. */
static unsigned host_threads(void) {
  DIR *d = opendir("/proc/self/task");
  assert_non_null(d);
  unsigned n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Two nodes of 2048 pages, one CPU each (CPU 0 on node 0, CPU 1 on node 1),
 * `swap_pages` of zram swap. Each node's ZONE_NORMAL gets half of MIN 128
 * (rule 16: min_free_kbytes 512 over 4096 lowmem pages): MIN 64,
 * tmp = max(64 >> 2, 2048 * 10 / 10000) = 16, LOW 80, HIGH 96. */
static void two_node_config(vmsim_config *cfg, uint64_t swap_pages) {
  rt_config(cfg, 2048, swap_pages, "zram");
  cfg->nr_nodes = 2;
  cfg->nodes[1] = cfg->nodes[0];
}

/* One kswapd per node exists while the machine does (rule 19's kswapd per
 * pgdat), none in on-demand mode. They are simulated kernel threads run
 * on the simulating thread (src/core/kswapd.c): the library starts no
 * host thread, so a program that forks or handles signals has none of
 * ours to think of. */
static void test_one_kswapd_per_node(void **state) {
  (void)state;
  vmsim_config cfg;
  two_node_config(&cfg, 1024);
  unsigned base = host_threads();

  vmsim_sim *sim = rt_create(&cfg);
  assert_non_null(sim->kswapd);
  assert_non_null(sim->kswapd[0]);
  assert_non_null(sim->kswapd[1]);
  assert_true(sim->kswapd[0] != sim->kswapd[1]);
  assert_int_equal(sim->kswapd_pending, 0); /* all asleep */
  assert_int_equal(host_threads(), base);
  vmsim_sim_destroy(sim);

  cfg.reclaim_mode = VMSIM_RECLAIM_ON_DEMAND;
  sim = rt_create(&cfg);
  assert_null(sim->kswapd);
  vmsim_sim_destroy(sim);
}

/* Create and destroy 50 times, sometimes after kswapd was woken and left
 * running (parked between two passes of balance_pgdat()) or napping: the
 * machine goes with whatever kswapd was doing, and no host thread is ever
 * started (valgrind and the sanitizers see the memory). */
static void test_create_destroy_loop(void **state) {
  (void)state;
  unsigned base = host_threads();
  for (int round = 0; round < 50; round++) {
    vmsim_config cfg;
    two_node_config(&cfg, 1024);
    vmsim_sim *sim = rt_create(&cfg);
    if (round % 2) {
      /* Fill node 0 and part of node 1: kswapd wakes and is left mid-run. */
      uint32_t pid = rt_process(sim, 0, 4096);
      rt_touch(sim, 0, pid, RT_REGION(0), 0, 4096 - 100 + (uint64_t)round, true);
      assert_true(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups) > 0);
      assert_sim_consistent(sim);
    }
    assert_int_equal(host_threads(), base);
    vmsim_sim_destroy(sim);
  }
}

/*
 * The first pressure wakes kswapd, exactly when rule 18 says: one node of
 * 4096 pages (MIN 128, LOW 160, HIGH 192; see reclaim_test.h). Every first
 * touch takes one frame. The fast path allocates at LOW while free > LOW,
 * so after 4096 - 160 = 3936 touches free is 160 = LOW and kswapd has not
 * been woken. Touch 3937 fails LOW: wakeup_kswapd() starts a run
 * (kswapd_wakeups 1, pageoutrun 1) at the CPU's time T (the access's own
 * cost is added to the clock when it ends), and kswapd catches up to T
 * before the MIN retry. Its passes start at priority 12 (rule 20); the
 * clock policy's budget is (list >> priority) + 1 pages from the tail, all
 * written once and so young: scanned and rotated, none stolen, so each
 * pass lowers the priority and costs 50 ns (reclaim_scan) per page:
 *   priority 12: (3936 >> 12) + 1 = 1 page, kswapd at T + 50 > T: parks;
 *   the MIN retry (free 160 > 128) succeeds: 159 free. The access costs
 *   716 ns (TLB miss 108, minor fault 500, retry 108), and at its end
 *   kswapd catches up to T + 716:
 *   priority 11: (3937 >> 11) + 1 = 2 pages, T + 150;
 *   priority 10: (3937 >> 10) + 1 = 4 pages, T + 350;
 *   priority 9: (3937 >> 9) + 1 = 8 pages, T + 750 > T + 716: parks.
 * So pgscan_kswapd is 1 + 2 + 4 + 8 = 15 and pgsteal_kswapd 0.
 */
static void test_first_pressure_wakes_kswapd(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 4096, "zram");
  uint32_t pid = rt_process(sim, 0, 8192);
  for (uint64_t k = 1; k <= 3936; k++) {
    rt_touch(sim, 0, pid, RT_REGION(0), k - 1, 1, true);
    assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 4096 - k);
  }
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pageoutrun), 0);
  assert_int_equal(sim->kswapd_pending, 0);

  rt_touch(sim, 0, pid, RT_REGION(0), 3936, 1, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pageoutrun), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgscan_kswapd), 15);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgsteal_kswapd), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_allocstall), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 159);
  assert_int_equal(sim->kswapd_pending, 1);
  assert_sim_consistent(sim);

  /* Further pressure: kswapd now frees pages (by swapping). */
  rt_touch(sim, 0, pid, RT_REGION(0), 3937, 2000, true);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pswpout) > 0);
  rt_done(sim);
}

/*
 * kswapd woken with no CPU to hand off from (an allocation through the API
 * before any access: the slow path has no CPU time to catch up to) runs at
 * the next access's hand-off, as rule 18's wake-up promises. The node is
 * the one above (MIN 128, LOW 160, HIGH 192). 3936 order-0 allocations take
 * free to LOW; the next fails LOW, wakes kswapd (kswapd_wakeups 1) and is
 * served at MIN (free 159), but nothing runs kswapd yet: pageoutrun 0.
 * Freeing 20 frames (free 179) lets the next access allocate on the fast
 * path, above LOW, so only its hand-off at the end of the access can start
 * kswapd's run: pageoutrun 1, and free 178 < HIGH means the run scans. The
 * access-path hand-off is skipped before the time a kswapd has work
 * (sim->kswapd_due); a wake-up must bring that time forward.
 */
static void test_wake_without_cpu_runs_at_next_access(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 4096, "zram");
  uint32_t pid = rt_process(sim, 0, 16);
  vmsim_pfn_t pfn[3937];
  for (unsigned i = 0; i < 3937; i++)
    assert_ok(vmsim_alloc_pages(sim, 0, VMSIM_GFP_KSWAPD_RECLAIM, 0, &pfn[i]));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 159);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pageoutrun), 0);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pgscan_kswapd), 0);
  for (unsigned i = 0; i < 20; i++)
    assert_ok(vmsim_free_pages(sim, pfn[i], 0));
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_nr_free_pages), 179);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pageoutrun), 0); /* the frees hand nothing off */

  rt_touch(sim, 0, pid, RT_REGION(0), 0, 1, true);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups), 1);
  assert_int_equal(rt_vmstat(sim, VMSIM_VM_pageoutrun), 1);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgscan_kswapd) > 0);
  assert_sim_consistent(sim);
  for (unsigned i = 20; i < 3937; i++)
    assert_ok(vmsim_free_pages(sim, pfn[i], 0));
  rt_done(sim);
}

/* ---- steady anon pressure ------------------------------------------------ */

struct steady {
  uint64_t samples, below_low, min_free, max_free;
  uint64_t allocstall_after_warmup; /* direct reclaims after round 1 */
};

/* Round r writes page i unless (i + r) % 4 == 0, when it only reads it:
 * each page gets its own number of writes, counted in expect[]. */
static bool steady_write(uint64_t i, unsigned r) { return (i + r) % 4 != 0; }

static uint32_t expected_writes(const void *ctx, uint64_t i) { return ((const uint32_t *)ctx)[i]; }

/*
 * One process cycles over `ws` pages for `rounds` rounds on a 4096-page
 * node with 8192 slots of the given swap device; nr_free_pages is sampled
 * after every access. Rounds 0 and 1 are the warm-up and are not sampled:
 * in round 0 the first touches (716 ns each) outrun kswapd, whose clock
 * ends up ahead of the process's while free sits at MIN, so early in round
 * 1 the process still reclaims directly until its clock passes kswapd's.
 */
static struct steady run_steady(const vmsim_swap_config *dev, uint64_t ws, unsigned rounds) {
  vmsim_config cfg;
  rt_config(&cfg, 4096, 0, NULL);
  cfg.nr_swap = 1;
  cfg.swap[0] = *dev;
  cfg.swap[0].pages = 8192;
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t pid = rt_process(sim, 0, ws);
  uint32_t *expect = calloc(ws, sizeof(*expect));
  assert_non_null(expect);
  struct steady st = {.min_free = UINT64_MAX};
  uint64_t stall0 = 0;
  bool full = false;

  for (unsigned r = 0; r < rounds; r++) {
    if (r == 2)
      stall0 = rt_vmstat(sim, VMSIM_VM_allocstall);
    for (uint64_t i = 0; i < ws; i++) {
      bool w = steady_write(i, r);
      assert_ok(vmsim_access(sim, 0, pid, RT_REGION(0) + i * RT_PAGE, w));
      expect[i] += w;
      uint64_t f = rt_vmstat(sim, VMSIM_VM_nr_free_pages);
      /* Hard bounds, from the first time free came down to LOW on: the
       * allocator never takes the last MIN pages (an order-0 request
       * passes MIN only with free > MIN); a kswapd pass starts only when
       * free <= HIGH and reclaims at most nr_to_reclaim = max(HIGH, 32) =
       * 192, direct reclaim starts at MIN and takes 32: free <= 2 x HIGH. */
      full |= f <= 160;
      if (full && (f < 128 || f > 384))
        fail_msg("%s round %u page %" PRIu64 ": nr_free_pages %" PRIu64 " outside [128, 384]",
                 dev->name, r, i, f);
      if (r < 2)
        continue;
      st.samples++;
      st.below_low += f < 160;
      st.min_free = MIN(st.min_free, f);
      st.max_free = MAX(st.max_free, f);
    }
  }
  st.allocstall_after_warmup = rt_vmstat(sim, VMSIM_VM_allocstall) - stall0;

  /* kswapd ran and swapped out; the working set came back from swap. */
  assert_true(rt_vmstat(sim, VMSIM_VM_kswapd_wakeups) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pageoutrun) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgscan_kswapd) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pswpout) > 0);
  assert_true(rt_vmstat(sim, VMSIM_VM_pswpin) > 0);
  /* Every page holds exactly the writes made to it. */
  rt_expect_counts(sim, pid, RT_REGION(0), ws, expected_writes, expect);
  assert_sim_consistent(sim);
  free(expect);
  vmsim_sim_destroy(sim);
  print_message("%s: %" PRIu64 " samples, %" PRIu64 " below LOW, free %" PRIu64 "..%" PRIu64
                ", %" PRIu64 " direct reclaims after warm-up\n", dev->name, st.samples,
                st.below_low, st.min_free, st.max_free, st.allocstall_after_warmup);
  return st;
}

/*
 * Steady anon pressure: a working set of 6144 pages, 1.5 x memory, written
 * round after round, on each swap preset (rules 18-20).
 *
 * After the warm-up every access is a swap-in (the clock policy evicts the
 * oldest, which a cyclic pattern needs next): TLB miss 108 + minor fault
 * 500 + major fault 2000 + the device's read latency R + retry 108, so the
 * process takes one frame per c = 2716 + R ns. kswapd pays per frame it
 * frees the write latency W (for a page read but not written since, none:
 * it is still in the swap cache, clean) plus 50 ns per page scanned (about
 * one or two). When W + 100 < c kswapd frees faster than the process
 * allocates and keeps up. With the presets of vmsim_swap_preset() (zram
 * R 2 us, W 4 us; nvme 20, 5; ssd 100, 20; hdd 8000, 2000) it always does.
 *
 * What follows for the samples: a full pass begins with free >= MIN 128
 * and frees up to 192 pages in at most 192 x (W + 100) ns, in which the
 * process takes at most 192 x (W + 100) / c + 1 pages before the next
 * hand-off (168 for zram, the tightest): free stays above MIN, so there is
 * no direct reclaim after the warm-up, and free dips below LOW (160) only
 * in the last <= 8 of those accesses: at least 95% of samples are >= LOW.
 * Free is above HIGH much of the time, because a pass overshoots HIGH by
 * design: it aims at nr_to_reclaim = HIGH pages (rule 20), as the
 * kernel's balance_pgdat() does.
 */
static void test_steady_pressure(void **state) {
  (void)state;
  static const char *const presets[] = {"zram", "nvme", "ssd", "hdd"};
  for (size_t k = 0; k < ARRAY_SIZE(presets); k++) {
    vmsim_swap_config dev;
    assert_ok(vmsim_swap_preset(presets[k], 8192, &dev));
    assert_true(dev.write_latency + 100 < 2716 + dev.read_latency);
    struct steady st = run_steady(&dev, 6144, 6);
    assert_int_equal(st.allocstall_after_warmup, 0);
    assert_true(st.min_free > 128);
    assert_true(st.below_low * 100 <= st.samples * 5);
  }
}

/*
 * The other side of the condition above: a device that writes slower than
 * the process faults (read 100 us, write 200 us: W > c = 102.7 us). Writes
 * are synchronous in simulated time and charged to the reclaimer
 * (vmscan.c), so kswapd frees one frame per >= 200 us while the process
 * takes one per 102.7 us: kswapd cannot keep up, and the process reclaims
 * directly in steady state too. The hard bounds and the contents hold.
 */
static void test_steady_pressure_slow_writes(void **state) {
  (void)state;
  vmsim_swap_config dev = {.read_latency = 100000, .write_latency = 200000, .name = "slow"};
  struct steady st = run_steady(&dev, 6144, 4);
  assert_true(st.allocstall_after_warmup > 0);
}

/* ---- determinism -------------------------------------------------------- */

struct outcome {
  uint64_t vmstat[VMSIM_NR_VMSTAT];
  vmsim_time_t now;
  vmsim_time_t proc_time[2];
};

/* Two processes on two nodes, interleaved, over more than memory: both
 * kswapds run, direct reclaim happens, pages go to swap and back. */
static struct outcome run_two_node_scenario(void) {
  vmsim_config cfg;
  two_node_config(&cfg, 8192);
  vmsim_sim *sim = rt_create(&cfg);
  uint32_t pid[2] = {rt_process(sim, 0, 3000), rt_process(sim, 1, 3000)};
  uint64_t seed = 42;
  for (unsigned r = 0; r < 3; r++)
    for (uint64_t i = 0; i < 3000; i++)
      for (uint32_t p = 0; p < 2; p++) {
        bool w = test_rand(&seed) & 1;
        assert_ok(vmsim_access(sim, p, pid[p], RT_REGION(p) + i * RT_PAGE, w));
      }
  struct outcome o;
  memset(&o, 0, sizeof(o));
  vmsim_vmstat_snapshot(sim, o.vmstat);
  o.now = vmsim_time_now(sim);
  for (uint32_t p = 0; p < 2; p++)
    o.proc_time[p] = rt_info(sim, pid[p]).time_ns;
  assert_true(o.vmstat[VMSIM_VM_pgsteal_kswapd] > 0 && o.vmstat[VMSIM_VM_pswpin] > 0);
  rt_done(sim);
  return o;
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b) {
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
    if (a->vmstat[i] != b->vmstat[i])
      fail_msg("%s: %" PRIu64 " then %" PRIu64, vmsim_vmstat_name(i), a->vmstat[i], b->vmstat[i]);
  assert_int_equal(a->now, b->now);
  assert_int_equal(a->proc_time[0], b->proc_time[0]);
  assert_int_equal(a->proc_time[1], b->proc_time[1]);
}

static atomic_bool burn_stop;

static void *burn_cpu(void *arg) {
  (void)arg;
  volatile uint64_t x = 0;
  while (!atomic_load_explicit(&burn_stop, memory_order_relaxed))
    x = x * 6364136223846793005u + 1;
  return NULL;
}

/* The same scenario gives the same counters and times every time:
 * kswapd's work is placed by simulated time (docs/architecture.md,
 * "Reclaim"; rules 18-20 decide what runs, lock-step decides when). */
static void test_deterministic(void **state) {
  (void)state;
  struct outcome a = run_two_node_scenario();
  struct outcome b = run_two_node_scenario();
  assert_same_outcome(&a, &b);
}

/* A shrinker that, whenever kswapd calls it, allocates pages (waking
 * kswapd, no direct reclaim) until one fails or it has 64 more, and keeps
 * them to free them later. Its allocations go below LOW, into the
 * allocator's slow path. */
struct allocating_cache {
  vmsim_sim *sim;
  unsigned calls, got, failed;
  unsigned nested; /* allocations during which kswapd scanned pages */
  vmsim_pfn_t pfn[4096];
};

static uint64_t allocating_count(void *ctx, vmsim_shrink_control *sc) {
  (void)ctx, (void)sc;
  return 1000;
}

static uint64_t allocating_scan(void *ctx, vmsim_shrink_control *sc) {
  struct allocating_cache *c = ctx;
  if (!sc->kswapd)
    return 0;
  c->calls++;
  for (unsigned n = 0; n < 64 && c->got < ARRAY_SIZE(c->pfn); n++) {
    uint64_t scanned = rt_vmstat(c->sim, VMSIM_VM_pgscan_kswapd);
    int rc = vmsim_alloc_pages(c->sim, (int)sc->nid, VMSIM_GFP_KSWAPD_RECLAIM, 0, &c->pfn[c->got]);
    c->nested += rt_vmstat(c->sim, VMSIM_VM_pgscan_kswapd) != scanned;
    if (rc) {
      c->failed++;
      break;
    }
    c->got++;
  }
  return 0; /* frees nothing: kswapd keeps calling */
}

/* That allocation reaches a hand-off point (the slow path lets kswapd
 * catch up) from inside kswapd's own run: kswapd is on the CPU already
 * and is not handed it again, which would run its passes inside its own
 * pass (kswapd would scan pages during the allocation). The machine stays
 * consistent, and every page can be given back. */
static void test_allocation_inside_kswapd(void **state) {
  (void)state;
  vmsim_sim *sim = rt_sim(4096, 8192, "zram");
  static struct allocating_cache cache;
  cache = (struct allocating_cache){.sim = sim};
  uint32_t id;
  assert_ok(vmsim_shrinker_register(
      sim, &(vmsim_shrinker){.count_objects = allocating_count, .scan_objects = allocating_scan,
                             .ctx = &cache},
      &id));
  uint32_t pid = rt_process(sim, 0, 6000);
  rt_touch(sim, 0, pid, RT_REGION(0), 0, 6000, true);
  assert_true(rt_vmstat(sim, VMSIM_VM_pgsteal_kswapd) > 0);
  assert_true(cache.calls > 0 && cache.failed > 0); /* the slow path was reached */
  assert_int_equal(cache.nested, 0);
  assert_sim_consistent(sim);
  for (unsigned i = 0; i < cache.got; i++)
    assert_ok(vmsim_free_pages(sim, cache.pfn[i], 0));
  assert_sim_consistent(sim);
  rt_done(sim);
}

/* Three machines on host threads of their own, at once, while two more
 * threads burn the CPUs: the library's process-wide state (the policy
 * registry, the allocator shim's counters) is shared safely, and each
 * machine's results are its own, the same as on the main thread alone,
 * however the host schedules them. scripts/ci-tsan.sh runs this under
 * ThreadSanitizer. */
static void *run_on_thread(void *arg) {
  *(struct outcome *)arg = run_two_node_scenario();
  return NULL;
}

static void test_machines_on_threads(void **state) {
  (void)state;
  struct outcome want = run_two_node_scenario();
  static struct outcome got[3];
  pthread_t thread[3], burner[2];
  atomic_store(&burn_stop, false);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&burner[i], NULL, burn_cpu, NULL), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(pthread_create(&thread[i], NULL, run_on_thread, &got[i]), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(pthread_join(thread[i], NULL), 0);
  atomic_store(&burn_stop, true);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(burner[i], NULL), 0);
  for (int i = 0; i < 3; i++)
    assert_same_outcome(&want, &got[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_one_kswapd_per_node),
    cmocka_unit_test(test_create_destroy_loop),
    cmocka_unit_test(test_first_pressure_wakes_kswapd),
    cmocka_unit_test(test_wake_without_cpu_runs_at_next_access),
    cmocka_unit_test(test_steady_pressure),
    cmocka_unit_test(test_steady_pressure_slow_writes),
    cmocka_unit_test(test_deterministic),
    cmocka_unit_test(test_machines_on_threads),
    cmocka_unit_test(test_allocation_inside_kswapd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
