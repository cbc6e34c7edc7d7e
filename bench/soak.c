/* SPDX-License-Identifier: MIT */
/*
 * Soak: a long run under memory pressure with every built-in policy, to
 * catch what only shows over hundreds of millions of accesses -- state
 * that drifts out of its invariants, contents lost in swap, host memory
 * that grows with time (a leak per fault, per swap-out, per OOM kill).
 *
 * The accesses (200 million, or VMSIM_SOAK_ACCESSES) are split evenly
 * among the built-in policies. Each gets the same machine and workload:
 * 32 MiB of RAM and 16 MiB of swap with kswapd, against
 *
 *   hog     writes a 40 MiB heap from end to end, oom_score_adj 500: with
 *           the others it wants more than RAM and swap together, so the
 *           OOM killer must act, and hog is its victim (once: without it
 *           the rest fit);
 *   db      a 20 MiB heap, Zipf-skewed, 30% writes (half the accesses);
 *   loop    loops over 6 MiB of an 8 MiB heap, half writes (a quarter);
 *   backup  read()s a 64 MiB file from start to end, over and over (a
 *           quarter): page cache that must be reclaimed behind it.
 *
 * What db and loop keep (28 MiB) does not fit in RAM, so they swap for the
 * whole run. vmsim_check() runs every million accesses (any violation
 * fails the run), and the process's resident set is read from
 * /proc/self/statm every 2^20 accesses.
 *
 * Host memory must not grow after warm-up: the warm-up ends at the first
 * checkpoint past a tenth of the policy's accesses (the OOM kill must have
 * happened by then, and every heap has been touched). From there to the
 * end of the policy's run, the resident set may grow by at most
 * RSS_GROWTH_BOUND_KIB. Why that bound: all of the simulator's state that
 * is proportional to the machine exists from warm-up on (the frame table,
 * 512 KiB; swap map, 72 KiB; page-cache and disk arrays of the 64 MiB
 * file, 256 KiB, which calloc hands out untouched and the first pass of
 * backup touches before warm-up); what may still grow is the reverse-map
 * pool doubling once (at most its current size, 24 bytes per mapped page:
 * under 200 KiB here) and the allocator's page-granular slack. A leak of
 * even 8 bytes per fault, with a million and more faults per policy, is
 * several MiB and trips it. The shim's live allocations (allocations minus
 * frees) are printed at the same two points: they may differ by the
 * reverse-map growth only.
 *
 * The bound is for builds without AddressSanitizer, whose quarantine holds
 * freed memory on purpose; under it, run with
 * ASAN_OPTIONS=quarantine_size_mb=0.
 *
 * One line per figure, "name: value unit". Exits 1 if a run fails, an
 * invariant check fails, the OOM killer does not act exactly once, or the
 * resident set grows by more than the bound.
 */
#include <vmsim/vmsim.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ACCESSES UINT64_C(200000000)
#define CHECK_INTERVAL UINT64_C(1000000)
#define RSS_GROWTH_BOUND_KIB 1024

static const char scenario_fmt[] =
  "machine:\n"
  "  nodes:\n"
  "    - memory: 32MiB\n"
  "      cpus: 2\n"
  "      zones: {DMA: 16MiB, DMA32: rest}\n"
  "  swap:\n"
  "    - {size: 16MiB, type: ssd}\n"
  "vm:\n"
  "  policy: %s\n"
  "  reclaim: kswapd\n"
  "files:\n"
  "  - {name: archive, size: 64MiB}\n"
  "workload:\n"
  "  seed: 1\n"
  "  quantum: 1000\n"
  "  processes:\n"
  "    - name: hog\n"
  "      oom_score_adj: 500\n"
  "      accesses: %" PRIu64 "\n"
  "      vmas: [{start: 0x10000000, size: 40MiB, type: anon, prot: rw}]\n"
  "      driver: {generator: sequential, write_ratio: 1}\n"
  "    - name: db\n"
  "      accesses: %" PRIu64 "\n"
  "      vmas: [{start: 0x10000000, size: 20MiB, type: anon, prot: rw}]\n"
  "      driver: {generator: zipf, theta: 0.9, write_ratio: 0.3}\n"
  "    - name: loop\n"
  "      accesses: %" PRIu64 "\n"
  "      vmas: [{start: 0x20000000, size: 8MiB, type: anon, prot: rw}]\n"
  "      driver: {generator: loop, working_set: 1536, write_ratio: 0.5}\n"
  "    - name: backup\n"
  "      accesses: %" PRIu64 "\n"
  "      driver: {generator: sequential, read: archive}\n";

enum { HOG, DB, LOOP, BACKUP, NR_PROCS };

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "soak: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The resident set of this process, in KiB (/proc/self/statm, field 2). */
static uint64_t rss_kib(void) {
  unsigned long long size, resident;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%llu %llu", &size, &resident) != 2)
    fail("cannot read /proc/self/statm");
  fclose(f);
  return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static uint64_t live_allocations(void) {
  vmsim_alloc_stats s;
  vmsim_alloc_get_stats(&s);
  return s.nr_allocs - s.nr_frees;
}

/* What the progress callback samples. */
struct soak {
  uint64_t warmup_at;   /* accesses after which the warm-up is over */
  bool warm;
  uint64_t warm_done;   /* accesses done at the warm-up checkpoint */
  uint64_t rss_warm, rss_peak, live_warm;
  uint64_t checkpoints;
};

static void progress(void *ctx, uint64_t done, uint64_t planned) {
  struct soak *s = ctx;
  (void)planned;
  s->checkpoints++;
  if (!s->warm) {
    if (done < s->warmup_at)
      return;
    s->warm = true;
    s->warm_done = done;
    s->rss_warm = s->rss_peak = rss_kib();
    s->live_warm = live_allocations();
    return;
  }
  uint64_t rss = rss_kib();
  if (rss > s->rss_peak)
    s->rss_peak = rss;
}

static uint64_t res_total(const vmsim_run_process *res) {
  uint64_t n = 0;
  for (int i = 0; i < NR_PROCS; i++)
    n += res[i].accesses;
  return n;
}

static void figure(const char *policy, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void figure(const char *policy, const char *name, const char *fmt, ...) {
  va_list ap;
  printf("soak_%s_%s: ", policy, name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

/* One policy's share of the soak; returns the accesses made. */
static uint64_t soak_policy(const char *policy, uint64_t budget) {
  char text[sizeof(scenario_fmt) + 128], err[512];
  uint64_t db = budget / 2, loop = budget / 4, backup = budget - db - loop;
  snprintf(text, sizeof(text), scenario_fmt, policy, budget, db, loop, backup);

  vmsim_scenario *scn;
  int rc = vmsim_scenario_parse(&scn, text, strlen(text), "soak.yaml", err, sizeof(err));
  if (rc)
    fail("%s: %s", policy, err);

  struct soak s = {.warmup_at = budget / 10};
  vmsim_run_options opt;
  vmsim_run_options_default(&opt);
  opt.check_interval = CHECK_INTERVAL;
  opt.progress = progress;
  opt.progress_ctx = &s;
  vmsim_sim *sim;
  vmsim_run_process res[NR_PROCS];
  double t0 = now();
  rc = vmsim_scenario_run(scn, &opt, &sim, res, NR_PROCS, err, sizeof(err));
  double secs = now() - t0;
  if (rc)
    fail("%s: %s: %s", policy, vmsim_err_name(rc), err);

  /* The end of the run, the machine still alive. */
  uint64_t rss_end = rss_kib(), live_end = live_allocations();
  if (!s.warm) { /* too short to have a checkpoint past the warm-up */
    s.warm_done = res_total(res);
    s.rss_warm = s.rss_peak = rss_end;
    s.live_warm = live_end;
  }
  s.rss_peak = rss_end > s.rss_peak ? rss_end : s.rss_peak;

  char msg[512];
  if ((rc = vmsim_check(sim, msg, sizeof(msg))))
    fail("%s: final check: %s", policy, msg);
  uint64_t accesses = res_total(res);
  uint64_t integrity = vmsim_integrity_errors(sim), kills = vmsim_vmstat(sim, VMSIM_VM_oom_kill);
  uint64_t growth = s.rss_peak - s.rss_warm;

  figure(policy, "accesses", "%" PRIu64, accesses);
  figure(policy, "wall_time", "%.2f s", secs);
  figure(policy, "throughput", "%.2f M accesses/s", (double)accesses / secs / 1e6);
  figure(policy, "invariant_checks", "%" PRIu64 " passed (every %" PRIu64 " accesses, and at the end)",
         accesses / CHECK_INTERVAL + 1, CHECK_INTERVAL);
  figure(policy, "integrity_errors", "%" PRIu64, integrity);
  figure(policy, "oom_kills", "%" PRIu64 " (victim %s after %" PRIu64 " accesses)", kills,
         res[HOG].state == VMSIM_PROC_KILLED ? "hog" : "not hog", res[HOG].accesses);
  figure(policy, "pswpout", "%" PRIu64 " pages", vmsim_vmstat(sim, VMSIM_VM_pswpout));
  figure(policy, "pswpin", "%" PRIu64 " pages", vmsim_vmstat(sim, VMSIM_VM_pswpin));
  figure(policy, "pgsteal", "%" PRIu64 " pages (kswapd %" PRIu64 ")",
         vmsim_vmstat(sim, VMSIM_VM_pgsteal_kswapd) + vmsim_vmstat(sim, VMSIM_VM_pgsteal_direct),
         vmsim_vmstat(sim, VMSIM_VM_pgsteal_kswapd));
  figure(policy, "rss_warmup", "%" PRIu64 " KiB (after %" PRIu64 " accesses)", s.rss_warm,
         s.warm_done);
  figure(policy, "rss_end", "%" PRIu64 " KiB", rss_end);
  figure(policy, "rss_growth", "%" PRIu64 " KiB (bound: %d KiB)", growth, RSS_GROWTH_BOUND_KIB);
  figure(policy, "live_allocations", "%" PRIu64 " at warm-up, %" PRIu64 " at the end", s.live_warm,
         live_end);

  if (integrity)
    fail("%s: %" PRIu64 " integrity errors", policy, integrity);
  if (kills != 1 || res[HOG].state != VMSIM_PROC_KILLED)
    fail("%s: the OOM killer acted %" PRIu64 " times, hog %s", policy, kills,
         res[HOG].state == VMSIM_PROC_KILLED ? "killed" : "not killed");
  if (s.warm && res[HOG].accesses >= s.warm_done)
    fail("%s: the OOM kill came after the warm-up", policy);
  if (vmsim_vmstat(sim, VMSIM_VM_pswpout) == 0 || vmsim_vmstat(sim, VMSIM_VM_pswpin) == 0)
    fail("%s: no swap traffic", policy);
  if (growth > RSS_GROWTH_BOUND_KIB)
    fail("%s: the resident set grew by %" PRIu64 " KiB after warm-up (bound %d KiB)", policy,
         growth, RSS_GROWTH_BOUND_KIB);
  vmsim_sim_destroy(sim);
  vmsim_scenario_free(scn);
  return accesses;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* figures as they come, in a long run */
  uint64_t total = DEFAULT_ACCESSES;
  const char *env = getenv("VMSIM_SOAK_ACCESSES");
  if (env && *env) {
    char *end;
    unsigned long long v = strtoull(env, &end, 0);
    if (*end || v == 0)
      fail("VMSIM_SOAK_ACCESSES: '%s' is not a positive number", env);
    total = v;
  }
  size_t n = 0;
  while (vmsim_policy_at(n))
    n++;
  if (n == 0)
    fail("no policies registered");
  uint64_t per = total / n, done = 0;
  if (per < 100000)
    fail("VMSIM_SOAK_ACCESSES: %" PRIu64 " is too few for %zu policies (100000 each at least)",
         total, n);
  printf("soak_policies: %zu\n", n);
  printf("soak_accesses_per_policy: %" PRIu64 "\n", per);
  double t0 = now();
  uint64_t rss_start = rss_kib();
  for (size_t i = 0; i < n; i++)
    done += soak_policy(vmsim_policy_at(i)->name, per);
  printf("soak_accesses: %" PRIu64 "\n", done);
  printf("soak_wall_time: %.1f s\n", now() - t0);
  printf("soak_rss_start: %" PRIu64 " KiB\n", rss_start);
  printf("soak_rss_final: %" PRIu64 " KiB (all machines destroyed)\n", rss_kib());
  printf("soak_live_allocations_final: %" PRIu64 "\n", live_allocations());
  if (live_allocations() != 0)
    fail("%" PRIu64 " host allocations outlive their machines", live_allocations());
  return 0;
}
