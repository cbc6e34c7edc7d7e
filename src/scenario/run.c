/* SPDX-License-Identifier: MIT */
/*
 * Running a scenario: build the machine, its files and processes, then feed
 * each process's access stream to the simulated CPUs, round robin in fixed
 * quanta, until every stream ends. Everything is ordered by the scenario
 * alone, so a run is reproducible to the last counter.
 */
#include <vmsim/scenario.h>

#include <inttypes.h>
#include <stdio.h>

#include "mm_types.h"
#include "pace.h"
#include "swap.h"

void vmsim_run_options_default(vmsim_run_options *opt) {
  memset(opt, 0, sizeof(*opt));
  opt->timeline_interval = 10000000; /* 10 ms */
}

struct proc_run {
  const vmsim_scn_process *sp;
  uint32_t pid;
  vmsim_gen *gen;
  vmsim_trace *trace;
  uint32_t read_file; /* file id for read() streams, else 0 */
  uint64_t done;
  bool finished;
  bool hint; /* its last batch missed the TLB often: hint its accesses */
};

struct runner {
  const vmsim_scenario *scn;
  const vmsim_run_options *opt;
  vmsim_sim *sim;
  struct proc_run *procs;
  uint32_t *file_ids;
  uint64_t total;     /* accesses done */
  uint64_t planned;
  vmsim_time_t next_sample;
  uint64_t last[VMSIM_NR_VMSTAT];
  char *err;
  size_t len;
};

/* splitmix64 finaliser: decorrelates the per-process seeds. */
static uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + b * UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static int setup_process(struct runner *r, uint32_t i) {
  const vmsim_scn_process *sp = &r->scn->procs[i];
  struct proc_run *pr = &r->procs[i];
  vmsim_sim *sim = r->sim;
  int err;

  pr->sp = sp;
  if ((err = vmsim_process_create(sim, &pr->pid)) ||
      (err = vmsim_process_set_oom_score_adj(sim, pr->pid, sp->oom_score_adj)))
    return vmsim__errf(r->err, r->len, err, "process '%s': %s", sp->name, vmsim_strerror(err));
  for (uint32_t v = 0; v < sp->nr_vmas; v++) {
    const vmsim_scn_vma *vma = &sp->vmas[v];
    uint32_t file = vma->file >= 0 ? r->file_ids[vma->file] : 0;
    err = vmsim_mmap(sim, pr->pid, vma->start, vma->len, vma->prot, vma->flags, file, vma->pgoff);
    if (err)
      return vmsim__errf(r->err, r->len, err, "process '%s': vma %u: %s", sp->name, v,
                         vmsim_strerror(err));
  }

  const vmsim_scn_driver *d = &sp->driver;
  if (d->read_file >= 0)
    pr->read_file = r->file_ids[d->read_file];
  if (d->kind == VMSIM_DRIVER_TRACE) {
    char msg[512];
    err = vmsim_trace_open(&pr->trace, d->trace_path, d->trace_format, NULL, msg, sizeof(msg));
    if (err)
      return vmsim__errf(r->err, r->len, err, "process '%s': %s", sp->name, msg);
    return 0;
  }
  vmsim_gen_config gen = d->gen;
  if (gen.pages == 0) {
    if (d->read_file >= 0) {
      gen.base = 0;
      gen.pages = r->scn->files[d->read_file].pages;
    } else if (d->region < sp->nr_vmas) {
      gen.base = sp->vmas[d->region].start;
      gen.pages = sp->vmas[d->region].len >> VMSIM_PAGE_SHIFT;
    }
  }
  gen.seed = mix_seed(gen.seed, r->scn->seed + i);
  char msg[512];
  if ((err = vmsim_gen_create(&pr->gen, &gen, msg, sizeof(msg))))
    return vmsim__errf(r->err, r->len, err, "process '%s': generator: %s", sp->name, msg);
  if (sp->accesses != UINT64_MAX && r->planned != UINT64_MAX)
    r->planned += sp->accesses;
  else if (gen.count != UINT64_MAX && r->planned != UINT64_MAX)
    r->planned += gen.count;
  else
    r->planned = UINT64_MAX;
  return 0;
}

/* ---- timeline ----------------------------------------------------------- */

static const int timeline_items[] = {
  VMSIM_VM_nr_free_pages, VMSIM_VM_nr_inactive_anon, VMSIM_VM_nr_active_anon,
  VMSIM_VM_nr_inactive_file, VMSIM_VM_nr_active_file, VMSIM_VM_nr_unevictable,
  VMSIM_VM_nr_swapcached,
};
static const int timeline_rates[] = {
  VMSIM_VM_pgfault, VMSIM_VM_pgmajfault, VMSIM_VM_pgscan_kswapd, VMSIM_VM_pgscan_direct,
  VMSIM_VM_pgsteal_kswapd, VMSIM_VM_pgsteal_direct, VMSIM_VM_pswpin, VMSIM_VM_pswpout,
};

static void timeline_header(struct runner *r) {
  FILE *f = r->opt->timeline;
  vmsim_sim *sim = r->sim;
  fprintf(f, "time_ns");
  for_each_zone(sim, z)
    if (vmsim__zone_populated(z))
      fprintf(f, ",free_%u_%s,min_%u_%s,low_%u_%s,high_%u_%s", z->node->id,
              vmsim__zone_name(z->type), z->node->id, vmsim__zone_name(z->type), z->node->id,
              vmsim__zone_name(z->type), z->node->id, vmsim__zone_name(z->type));
  for (size_t i = 0; i < ARRAY_SIZE(timeline_items); i++)
    fprintf(f, ",%s", vmsim_vmstat_name(timeline_items[i]));
  fprintf(f, ",swap_used");
  for (size_t i = 0; i < ARRAY_SIZE(timeline_rates); i++)
    fprintf(f, ",%s_per_s", vmsim_vmstat_name(timeline_rates[i]));
  fprintf(f, "\n");
}

static void timeline_sample(struct runner *r, vmsim_time_t now) {
  FILE *f = r->opt->timeline;
  vmsim_sim *sim = r->sim;
  uint64_t v[VMSIM_NR_VMSTAT];
  vmsim_vmstat_snapshot(sim, v);
  fprintf(f, "%" PRIu64, now);
  for_each_zone(sim, z)
    if (vmsim__zone_populated(z))
      fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, z->nr_free,
              z->watermark[VMSIM_WMARK_MIN], z->watermark[VMSIM_WMARK_LOW],
              z->watermark[VMSIM_WMARK_HIGH]);
  for (size_t i = 0; i < ARRAY_SIZE(timeline_items); i++)
    fprintf(f, ",%" PRIu64, v[timeline_items[i]]);
  uint64_t used = 0;
  for (uint32_t d = 0; d < sim->cfg.nr_swap; d++)
    used += sim->cfg.swap[d].pages;
  used -= vmsim__swap_free_slots(sim);
  fprintf(f, ",%" PRIu64, used);
  /* Rates over the interval just ended, per simulated second. */
  double secs = (double)r->opt->timeline_interval / 1e9;
  for (size_t i = 0; i < ARRAY_SIZE(timeline_rates); i++)
    fprintf(f, ",%.0f", (double)(v[timeline_rates[i]] - r->last[timeline_rates[i]]) / secs);
  fprintf(f, "\n");
  memcpy(r->last, v, sizeof(v));
}

/* Write the samples whose time has come (the state is the same for all of
 * them: nothing happened in between). */
static void timeline_tick(struct runner *r) {
  vmsim_time_t now = vmsim_time_now(r->sim);
  while (now >= r->next_sample) {
    timeline_sample(r, r->next_sample);
    r->next_sample += r->opt->timeline_interval;
  }
}

/* ---- the scheduler ----------------------------------------------------------- */

/*
 * A process whose accesses miss the simulated TLB often is bound by host
 * cache misses (the leaf PTE, then the frame or swap slot it names), so
 * each access of a batch is hinted to the simulator HINT_AHEAD accesses
 * ahead, as replay does (vmsim__access_prefetch: no simulated effect). The
 * hints cost more than they save on TLB hits, so a process gets them only
 * while more than 1 access in HINT_MISS_SHARE of its last batch missed.
 */
#define HINT_AHEAD 16
#define HINT_MISS_SHARE 8

/* Accesses read from a stream at a time: enough to make reading cheap,
 * few enough (24 bytes each) to stay in the host's L1 cache. */
#define RUN_BATCH 256

/*
 * Read up to `n` accesses of the stream of `pr` into refs[]; *got says how
 * many. Returns 1 if the stream may go on, 0 if it ended after them, or the
 * error a trace failed with after them.
 */
static int read_refs(struct proc_run *pr, vmsim_memref *refs, size_t n, size_t *got) {
  if (pr->gen) {
    *got = vmsim_gen_fill(pr->gen, refs, n);
    return *got == n;
  }
  int rc = 1;
  size_t i = 0;
  while (i < n && (rc = vmsim_trace_next(pr->trace, &refs[i])) == 1)
    i++;
  *got = i;
  return rc;
}

/*
 * What an access's error means for its process, whose access number `nr`
 * (from 0) it was: 1 it goes on, 0 it is done, < 0 the run fails.
 */
static int access_outcome(struct runner *r, const struct proc_run *pr, int err, uint64_t nr) {
  switch (err) {
  case VMSIM_EFAULT:   /* a simulated SIGSEGV: counted, the process goes on */
  case VMSIM_EACCES:
  case VMSIM_ERANGE:   /* a read() past the end of its file */
    return 1;
  case VMSIM_EKILLED:  /* the OOM killer chose it */
    return 0;
  default:
    return vmsim__errf(r->err, r->len, err, "process '%s' at access %" PRIu64 ": %s",
                       pr->sp->name, nr, vmsim_strerror(err));
  }
}

/*
 * Make the accesses refs[0..n) of process `pr` on `cpu` and return how
 * many were made; *rc is 1 if the process goes on, 0 if the OOM killer
 * chose it, < 0 an error (either way, the rest are not made). One batch,
 * when nothing is to be done between two accesses, resumed after an access
 * that lets the process go on (a segv).
 */
static size_t run_batch(struct runner *r, struct proc_run *pr, uint32_t cpu,
                        const vmsim_memref *refs, size_t n, int *rc) {
  size_t i;
  for (i = 0; i < n; i++) {
    size_t made;
    int err = vmsim_access_batch(r->sim, cpu, pr->pid, refs + i, n - i, &made);
    i += made;
    if (!err || (*rc = access_outcome(r, pr, err, pr->done + i)) <= 0)
      break;
  }
  return i;
}

/* run_batch, one access at a time: for reads through a file, a timeline
 * sampled between accesses, or prefetch hints (`hint`) issued ahead. */
static size_t run_each(struct runner *r, struct proc_run *pr, uint32_t cpu,
                       const vmsim_memref *refs, size_t n, bool hint, int *rc) {
  vmsim_sim *sim = r->sim;
  const uint32_t pid = pr->pid, file = pr->read_file;
  size_t i;

  for (i = 0; hint && i < MIN(n, HINT_AHEAD); i++)
    vmsim__access_prefetch(sim, pid, refs[i].vaddr, VMSIM_PREFETCH_PTE);
  for (i = 0; i < n; i++) {
    if (hint) {
      if (i + HINT_AHEAD < n)
        vmsim__access_prefetch(sim, pid, refs[i + HINT_AHEAD].vaddr, VMSIM_PREFETCH_PTE);
      if (i + HINT_AHEAD / 2 < n)
        vmsim__access_prefetch(sim, pid, refs[i + HINT_AHEAD / 2].vaddr, VMSIM_PREFETCH_TARGET);
    }
    int err = file ? vmsim_file_read(sim, cpu, pid, file, refs[i].vaddr >> VMSIM_PAGE_SHIFT)
                   : vmsim_access(sim, cpu, pid, refs[i].vaddr, refs[i].write);
    if (unlikely(err) && (*rc = access_outcome(r, pr, err, pr->done + i)) < 0)
      break;
    if (unlikely(r->opt->timeline))
      timeline_tick(r);
    if (unlikely(*rc == 0))
      break;
  }
  return i;
}

/*
 * Make the accesses refs[0..n) of process `pr` on `cpu` and count those
 * made. Returns 1 if the process goes on, 0 if the OOM killer chose it,
 * < 0 an error; either way, the rest are not made.
 */
static int run_refs(struct runner *r, struct proc_run *pr, uint32_t cpu, const vmsim_memref *refs,
                    size_t n) {
  const struct vmsim_tlb_stats *tlb = &r->sim->cpus[cpu].tlb.stats;
  const uint64_t misses = tlb->misses;
  const bool hint = pr->hint && !pr->read_file;
  int rc = 1;
  size_t i = hint || pr->read_file || r->opt->timeline ? run_each(r, pr, cpu, refs, n, hint, &rc)
                                                       : run_batch(r, pr, cpu, refs, n, &rc);
  pr->hint = (tlb->misses - misses) * HINT_MISS_SHARE > i;
  pr->done += i;
  r->total += i;
  return rc;
}

/*
 * The next quantum of process `pr` on `cpu`: 1 if it may go on, 0 if it is
 * done (its stream ended, it made its `accesses`, or the OOM killer chose
 * it), < 0 an error. The stream is read a batch at a time, never past the
 * process's end.
 */
static int run_quantum(struct runner *r, struct proc_run *pr, uint32_t cpu) {
  vmsim_memref refs[RUN_BATCH];
  const uint64_t quantum = r->scn->quantum, accesses = pr->sp->accesses;

  for (uint64_t q = 0; q < quantum;) {
    /* The process stops when `done` reaches `accesses`; 0 (which no YAML
     * scenario has) is reached only after 2^64 accesses: no limit. */
    uint64_t left = accesses - pr->done ? accesses - pr->done : UINT64_MAX;
    size_t got, want = (size_t)MIN(MIN(quantum - q, RUN_BATCH), left);
    int more = read_refs(pr, refs, want, &got);
    int rc = run_refs(r, pr, cpu, refs, got);
    if (rc <= 0)
      return rc;
    if (more < 0)
      return vmsim__errf(r->err, r->len, more, "%s", vmsim_trace_error(pr->trace));
    if (pr->done == accesses)
      return 0;
    if (!more) {
      /* Samples due by now show the machine before the process exits
       * and gives its memory back. */
      if (unlikely(r->opt->timeline))
        timeline_tick(r);
      return 0;
    }
    q += got;
  }
  return 1;
}

static void finish(struct runner *r, struct proc_run *pr) {
  pr->finished = true;
  /* A workload that is done exits and gives its memory back. */
  (void)vmsim_process_exit(r->sim, pr->pid);
}

static int schedule(struct runner *r) {
  const vmsim_scenario *scn = r->scn;
  vmsim_sim *sim = r->sim;
  uint32_t cpu = 0, live = scn->nr_procs;
  struct vmsim__pace pace;
  vmsim__pace_init(&pace, r->opt);

  while (live) {
    bool ran = false;
    vmsim_time_t earliest = UINT64_MAX;
    for (uint32_t i = 0; i < scn->nr_procs; i++) {
      struct proc_run *pr = &r->procs[i];
      if (pr->finished)
        continue;
      if (pr->sp->start_ns > vmsim_time_now(sim)) {
        earliest = MIN(earliest, pr->sp->start_ns);
        continue;
      }
      ran = true;
      int rc = run_quantum(r, pr, cpu);
      if (rc < 0)
        return rc;
      if (rc == 0) {
        finish(r, pr);
        live--;
      }
      cpu = (cpu + 1) % sim->nr_cpus;

      int err = vmsim__pace(&pace, sim, r->total, r->planned, r->err, r->len);
      if (err)
        return err;
    }
    if (!ran && live) {
      /* Everyone left waits for its start time: the CPUs idle until then. */
      for (uint32_t c = 0; c < sim->nr_cpus; c++)
        sim->cpu_clock[c] = MAX(sim->cpu_clock[c], earliest);
    }
  }
  return 0;
}

int vmsim_scenario_run(const vmsim_scenario *scn, const vmsim_run_options *opt,
                       vmsim_sim **out_sim, vmsim_run_process *results, uint32_t max_results,
                       char *err, size_t len) {
  vmsim_run_options defopt;
  if (!scn || !out_sim)
    return vmsim__errf(err, len, VMSIM_EINVAL, "run: no scenario");
  if (!opt) {
    vmsim_run_options_default(&defopt);
    opt = &defopt;
  }
  *out_sim = NULL;
  struct runner r = {.scn = scn, .opt = opt, .err = err, .len = len};
  char msg[512];
  int rc = vmsim_config_validate(&scn->cfg, msg, sizeof(msg));
  if (rc)
    return vmsim__errf(err, len, rc, "%s: %s", scn->source, msg);
  if ((rc = vmsim_sim_create(&r.sim, &scn->cfg)))
    return vmsim__errf(err, len, rc, "creating the machine: %s", vmsim_strerror(rc));
  r.procs = vmsim__calloc(scn->nr_procs ? scn->nr_procs : 1, sizeof(*r.procs));
  r.file_ids = vmsim__calloc(scn->nr_files ? scn->nr_files : 1, sizeof(*r.file_ids));
  if (!r.procs || !r.file_ids) {
    rc = vmsim__errf(err, len, VMSIM_ENOMEM, "run: out of host memory");
    goto out;
  }
  for (uint32_t i = 0; i < scn->nr_files; i++)
    if ((rc = vmsim_file_create(r.sim, scn->files[i].pages, &r.file_ids[i]))) {
      vmsim__errf(err, len, rc, "file '%s': %s", scn->files[i].name, vmsim_strerror(rc));
      goto out;
    }
  for (uint32_t i = 0; i < scn->nr_procs; i++)
    if ((rc = setup_process(&r, i)))
      goto out;
  if (opt->timeline) {
    timeline_header(&r);
    r.next_sample = 0;
  }
  rc = schedule(&r);
  if (!rc && opt->timeline)
    timeline_sample(&r, vmsim_time_now(r.sim));
  for (uint32_t i = 0; results && i < scn->nr_procs && i < max_results; i++) {
    vmsim_process_info pi;
    vmsim_run_process *res = &results[i];
    memset(res, 0, sizeof(*res));
    snprintf(res->name, sizeof(res->name), "%s", scn->procs[i].name);
    res->pid = r.procs[i].pid;
    if (res->pid && vmsim_process_get_info(r.sim, res->pid, &pi) == 0) {
      res->accesses = pi.accesses;
      res->misses = pi.misses;
      res->faults = pi.pgfault;
      res->major_faults = pi.pgmajfault;
      res->segv = pi.segv;
      res->state = pi.state;
      res->time_ns = pi.time_ns;
    }
  }
out:
  for (uint32_t i = 0; r.procs && i < scn->nr_procs; i++) {
    vmsim_gen_destroy(r.procs[i].gen);
    vmsim_trace_close(r.procs[i].trace);
  }
  vmsim__free(r.procs);
  vmsim__free(r.file_ids);
  if (rc) {
    vmsim_sim_destroy(r.sim);
    return rc;
  }
  *out_sim = r.sim;
  return 0;
}
