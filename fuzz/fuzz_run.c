/* SPDX-License-Identifier: MIT */
/*
 * Target `run`: a scenario that parses is run, with tight limits, and must
 * run to its end.
 *
 * The limits keep one input under a few milliseconds: a machine of at most
 * 64 MiB with at most 128 MiB of swap and small TLBs, at most 8 processes
 * of at most 32 VMAs, files of at most 256 MiB, and 4000 accesses in all
 * (each process's `accesses` is cut to its share). A scenario beyond them,
 * or one that reads a trace file, is skipped: the fuzzer must not read the
 * host's files.
 *
 * Oracle: vmsim_scenario_run() returns 0 (a host out of memory aside);
 * the invariant checker passes every 500 accesses and at the end, and the
 * simulator saw no integrity error; a second run gives the same counters
 * and simulated time (runs are reproducible). Then a third with one host
 * allocation failing (which one: a hash of the input): it ends in
 * VMSIM_ENOMEM, or recovers and passes the checker; and leaks nothing.
 */
#include "fuzz.h"

#define FUZZ_RUN_ACCESSES 4000
#define FUZZ_RUN_MAX_PAGES (UINT64_C(64) << (20 - VMSIM_PAGE_SHIFT))

static bool within_limits(const vmsim_scenario *scn) {
  const vmsim_config *cfg = &scn->cfg;
  uint64_t pages = 0, swap = 0;
  for (uint32_t i = 0; i < cfg->nr_nodes; i++)
    pages += cfg->nodes[i].pages;
  for (uint32_t i = 0; i < cfg->nr_swap; i++)
    swap += cfg->swap[i].pages;
  if (pages > FUZZ_RUN_MAX_PAGES || swap > 2 * FUZZ_RUN_MAX_PAGES)
    return false;
  if (cfg->tlb.l1_entries > 1024 || cfg->tlb.l2_entries > 4096)
    return false;
  if (scn->nr_procs > 8)
    return false;
  for (uint32_t i = 0; i < scn->nr_files; i++)
    if (scn->files[i].pages > 4 * FUZZ_RUN_MAX_PAGES)
      return false;
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    const vmsim_scn_process *p = &scn->procs[i];
    if (p->nr_vmas > 32 || p->driver.kind == VMSIM_DRIVER_TRACE || p->driver.gen.nr_phases > 64)
      return false;
  }
  return true;
}

int vmsim_fuzz_run(const uint8_t *data, size_t size) {
  vmsim_scenario *scn = NULL;
  vmsim_run_process results[8];
  vmsim_run_options opt;
  vmsim_sim *sim = NULL;
  char err[512];
  int rc;

  rc = vmsim_scenario_parse(&scn, (const char *)data, size, "fuzz.yaml", err, sizeof(err));
  if (rc)
    return 0; /* the `scenario` target checks refusals */
  if (!within_limits(scn)) {
    vmsim_scenario_free(scn);
    return 0;
  }
  uint64_t share = MAX(FUZZ_RUN_ACCESSES / scn->nr_procs, 1);
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    vmsim_scn_process *p = &scn->procs[i];
    p->accesses = MIN(p->accesses, share);
    p->driver.gen.count = MIN(p->driver.gen.count, share);
  }
  vmsim_run_options_default(&opt);
  opt.check_interval = 500;
  memset(err, 0x55, sizeof(err));
  vmsim_alloc_stats before, after;
  vmsim_alloc_get_stats(&before);
  rc = vmsim_scenario_run(scn, &opt, &sim, results, 8, err, sizeof(err));
  vmsim_alloc_get_stats(&after);
  if (rc == VMSIM_ENOMEM) {
    vmsim_scenario_free(scn);
    return 0;
  }
  FUZZ_CHECK(rc == 0, "a scenario that parses failed to run: %d (%s): %.*s", rc,
             vmsim_err_name(rc), (int)sizeof(err) - 1, err);
  FUZZ_CHECK(sim != NULL, "a run without a machine");
  rc = vmsim_check(sim, err, sizeof(err));
  FUZZ_CHECK(rc == 0, "vmsim_check after the run: %s", err);
  FUZZ_CHECK(vmsim_integrity_errors(sim) == 0, "%" PRIu64 " integrity errors",
             vmsim_integrity_errors(sim));
  uint64_t total = 0;
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    FUZZ_CHECK(results[i].accesses <= scn->procs[i].accesses,
               "process %u made %" PRIu64 " accesses of %" PRIu64, i, results[i].accesses,
               scn->procs[i].accesses);
    total += results[i].accesses;
  }
  FUZZ_CHECK(total <= FUZZ_RUN_ACCESSES + scn->nr_procs, "%" PRIu64 " accesses in all", total);

  /* Reproducible: the same scenario gives the same counters and clock. */
  static uint64_t stat[2][VMSIM_NR_VMSTAT];
  vmsim_time_t now = vmsim_time_now(sim);
  vmsim_vmstat_snapshot(sim, stat[0]);
  vmsim_sim_destroy(sim);
  rc = vmsim_scenario_run(scn, &opt, &sim, NULL, 0, err, sizeof(err));
  FUZZ_CHECK(rc == 0, "the second run failed: %d (%s): %.*s", rc, vmsim_err_name(rc),
             (int)sizeof(err) - 1, err);
  vmsim_vmstat_snapshot(sim, stat[1]);
  for (unsigned i = 0; i < VMSIM_NR_VMSTAT; i++)
    FUZZ_CHECK(stat[0][i] == stat[1][i], "not reproducible: %s %" PRIu64 ", then %" PRIu64,
               vmsim_vmstat_name((int)i), stat[0][i], stat[1][i]);
  FUZZ_CHECK(vmsim_time_now(sim) == now, "not reproducible: simulated time %" PRIu64
             " ns, then %" PRIu64, now, vmsim_time_now(sim));
  vmsim_sim_destroy(sim);

  /* Once more with one host allocation failing, chosen by the input's hash:
   * the run must fail with VMSIM_ENOMEM, or recover, and leak nothing. */
  uint64_t allocs = after.nr_allocs - before.nr_allocs;
  uint64_t nth = 1 + vmsim_fuzz_hash(data, size) % MAX(allocs, 1);
  vmsim_alloc_fail_after(nth, false);
  rc = vmsim_scenario_run(scn, &opt, &sim, NULL, 0, err, sizeof(err));
  vmsim_alloc_fail_after(0, false);
  FUZZ_CHECK(rc == 0 || rc == VMSIM_ENOMEM,
             "allocation %" PRIu64 " of %" PRIu64 " failed: %d (%s): %.*s", nth, allocs, rc,
             vmsim_err_name(rc), (int)sizeof(err) - 1, err);
  FUZZ_CHECK(rc != 0 || vmsim_check(sim, err, sizeof(err)) == 0,
             "allocation %" PRIu64 " failed, the run went on, and then vmsim_check: %s", nth, err);
  vmsim_sim_destroy(sim);
  vmsim_scenario_free(scn);
  return 0;
}
