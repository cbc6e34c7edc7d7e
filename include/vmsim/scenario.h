/* SPDX-License-Identifier: MIT */
/*
 * Scenarios: a machine, its VM settings and a workload, loaded from YAML
 * (see docs/scenarios.md for the format) or built in C, and run.
 */
#ifndef VMSIM_SCENARIO_H
#define VMSIM_SCENARIO_H

#include <stdio.h>

#include "common.h"
#include "config.h"
#include "mm.h"
#include "sim.h"
#include "workload.h"

VMSIM_BEGIN_DECLS

/* A simulated file the workload maps or reads. */
typedef struct vmsim_scn_file {
  char name[64];
  uint64_t pages;
} vmsim_scn_file;

/* A VMA of a process. */
typedef struct vmsim_scn_vma {
  uint64_t start, len;  /* bytes, page aligned */
  unsigned prot;        /* VMSIM_PROT_* */
  unsigned flags;       /* VMSIM_MAP_* */
  int32_t file;         /* index into files[], or -1 for anonymous memory */
  uint64_t pgoff;       /* file page mapped at start */
} vmsim_scn_vma;

enum vmsim_scn_driver_kind {
  VMSIM_DRIVER_GENERATOR, /* a synthetic generator (gen) */
  VMSIM_DRIVER_TRACE,     /* a trace file */
};

/* What drives a process: a stream of page accesses. */
typedef struct vmsim_scn_driver {
  enum vmsim_scn_driver_kind kind;
  /* GENERATOR: gen.base/pages default to the VMA `region`; gen.phases
   * points into the scenario's own storage. */
  vmsim_gen_config gen;
  uint32_t region;                 /* index of the VMA a generator covers */
  /* TRACE */
  char trace_path[256];
  enum vmsim_trace_format trace_format;
  /* With read_file >= 0 the stream's pages are page indexes of that file,
   * accessed with read() (vmsim_file_read), not through a mapping. */
  int32_t read_file;
} vmsim_scn_driver;

typedef struct vmsim_scn_process {
  char name[32];
  vmsim_time_t start_ns;   /* does not run before this simulated time */
  int oom_score_adj;
  uint64_t accesses;       /* stop after this many (UINT64_MAX: when the stream ends) */
  vmsim_scn_vma *vmas;
  uint32_t nr_vmas;
  vmsim_scn_driver driver;
} vmsim_scn_process;

typedef struct vmsim_scenario {
  vmsim_config cfg;
  vmsim_scn_file *files;
  uint32_t nr_files;
  vmsim_scn_process *procs;
  uint32_t nr_procs;
  uint64_t quantum;        /* accesses per scheduling quantum (round robin), >= 1 */
  uint64_t seed;           /* workload seed: mixed into every generator's seed */
  char source[256];        /* where it came from, for messages */
  void *storage;           /* owned memory (phases, ...); internal */
} vmsim_scenario;

/*
 * Load a scenario from a YAML file / from text. On error: VMSIM_EPARSE or
 * VMSIM_ECONFIG with "FILE:LINE:COLUMN: error: WHAT (expected: ...)" in err,
 * or VMSIM_EIO / VMSIM_ENOMEM.
 */
VMSIM_EXPORT int vmsim_scenario_load(vmsim_scenario **out, const char *path, char *err,
                                     size_t len);
VMSIM_EXPORT int vmsim_scenario_parse(vmsim_scenario **out, const char *text, size_t n,
                                      const char *name, char *err, size_t len);
/* The built-in default scenario (a small machine where kswapd and swap work). */
VMSIM_EXPORT int vmsim_scenario_default(vmsim_scenario **out, char *err, size_t len);
VMSIM_EXPORT const char *vmsim_scenario_default_text(void);
VMSIM_EXPORT void vmsim_scenario_free(vmsim_scenario *scn);

/* ---- running ------------------------------------------------------------ */

typedef struct vmsim_run_options {
  FILE *timeline;                  /* CSV samples in simulated time, or NULL */
  vmsim_time_t timeline_interval;  /* ns between samples (default 10 ms) */
  /* Called now and then with accesses done and planned (planned may be
   * UINT64_MAX when unknown); for progress displays. */
  void (*progress)(void *ctx, uint64_t done, uint64_t planned);
  void *progress_ctx;
  /* Check every invariant (vmsim_check) every this many accesses; 0: never. */
  uint64_t check_interval;
} vmsim_run_options;

VMSIM_EXPORT void vmsim_run_options_default(vmsim_run_options *opt);

/* Per-process results of a run. */
typedef struct vmsim_run_process {
  char name[32];
  uint32_t pid;
  uint64_t accesses, misses, faults, major_faults, segv;
  enum vmsim_process_state state;
  vmsim_time_t time_ns;
} vmsim_run_process;

/*
 * Run a scenario to its end. On success *out_sim holds the machine (for
 * vmsim_vmstat() and friends; destroy it when done) and results[] (if not
 * NULL) gets one entry per process, up to max_results. Errors: VMSIM_ECONFIG,
 * VMSIM_EPARSE (a trace), VMSIM_ECORRUPT (an invariant failed), VMSIM_ENOMEM;
 * err says what.
 */
VMSIM_EXPORT int vmsim_scenario_run(const vmsim_scenario *scn, const vmsim_run_options *opt,
                                    vmsim_sim **out_sim, vmsim_run_process *results,
                                    uint32_t max_results, char *err, size_t len);

/* ---- replaying a trace ------------------------------------------------- */

/*
 * What a replay simulates.
 *
 * MACHINE: the whole memory manager. Every pid becomes a process, every
 *   access goes through the MMU, the TLBs and the page tables, a miss is a
 *   page fault that reclaims through the reverse map and swaps; vmstat,
 *   TLB and invariant checks are all there. Any policy, plugins included.
 * FRAMES: `frames` page frames and a policy, nothing else: an access hits
 *   if its page is in a frame, else it misses and, with every frame in
 *   use, the policy's victim leaves. The miss count (and its split into
 *   first touches and refaults) is the same as the MACHINE engine's with
 *   the same frames and policy -- tests/test_replay_frames.c and
 *   test_replay_fivelist.c check it -- at some five to ten times the
 *   speed. fivelist's model keeps what the machine's fivelist decides by
 *   (its two anon lists, page flags, nonresident age, reclaim costs and
 *   swap slots), so its evictions and swap writes are the machine's too.
 *   Only policies with a frames model (vmsim_replay_frames_model()), and
 *   at most 2^27 frames (VMSIM_ERANGE past that).
 * AUTO: FRAMES when `frames` > 0 and the policy has a frames model, else
 *   MACHINE; vmsim_replay_result.engine says which ran. What `vmsim replay`
 *   uses unless told otherwise.
 */
enum vmsim_replay_engine {
  VMSIM_REPLAY_MACHINE,
  VMSIM_REPLAY_FRAMES,
  VMSIM_REPLAY_AUTO,
};

typedef struct vmsim_replay_options {
  const char *path;                  /* the trace */
  enum vmsim_trace_format format;
  /* > 0: the trace's pages get exactly this many frames, reclaim is on
   * demand (one page evicted when no frame is free; no watermarks, no
   * kswapd): the textbook demand-paging count. 0: the default machine
   * (MACHINE engine only). */
  uint64_t frames;
  const char *policy;                /* NULL: the default, "clock" */
  const vmsim_run_options *run;      /* progress, checks; NULL: defaults */
  enum vmsim_replay_engine engine;   /* 0: MACHINE */
} vmsim_replay_options;

typedef struct vmsim_replay_result {
  enum vmsim_replay_engine engine;   /* the one that ran: MACHINE or FRAMES */
  uint64_t accesses;     /* accesses replayed */
  uint64_t misses;       /* accesses that found their page not in memory */
  uint64_t major_faults; /* misses on a page that had been in memory before (swap-ins) */
  uint64_t segv;         /* accesses outside the simulated address space */
  uint64_t distinct_pages;
  uint32_t nr_procs;     /* distinct pids in the trace */
  /* FRAMES engine only (the machine's own counts are in its vmstat):
   * pages evicted, and those of them written since they were brought in. */
  uint64_t evictions, dirty_evictions;
  /* FRAMES engine, fivelist only: pages written to swap (the machine's
   * pswpout: a page's first eviction, and any eviction of a page changed
   * since its swap copy). 0 for the textbook models, which have no swap. */
  uint64_t swap_writes;
  /* Invariant checks run while replaying, one per check_interval accesses
   * of vmsim_run_options (not the frames engine's final one), every one
   * passed: the machine's vmsim_check(), or the frames engine's own check
   * of its tables. */
  uint64_t checks;
} vmsim_replay_result;

/* Does the policy `name` have a model in the FRAMES engine? (fifo, clock,
 * lru, opt and fivelist do: their results there equal the machine's.)
 * NULL names vmsim_replay()'s default policy, clock: true. */
VMSIM_EXPORT bool vmsim_replay_frames_model(const char *name);

/*
 * Replay a trace. MACHINE: every pid of the trace becomes a process with
 * the whole address space mapped as anonymous memory, and the accesses run
 * in trace order on CPU 0; on success *out_sim holds the machine. FRAMES:
 * *out_sim is set to NULL. The trace is read twice by MACHINE, by opt and
 * by fivelist (once to validate it, size the swap and number its pages,
 * and to compute each access's next use when the policy asks for its
 * future; once to replay it), once by the other FRAMES models, which stop
 * at the first bad record with the error and no result. Errors:
 * VMSIM_EINVAL (a missing argument, an engine not in the enum),
 * VMSIM_ECONFIG (an unknown policy; FRAMES without frames or a frames
 * model), VMSIM_EPARSE or VMSIM_EIO (the trace), VMSIM_ERANGE (more than
 * 1024 pids, or more pages than the host can hold), VMSIM_ENOMEM; err
 * says what.
 */
VMSIM_EXPORT int vmsim_replay(const vmsim_replay_options *opt, vmsim_sim **out_sim,
                              vmsim_replay_result *res, char *err, size_t len);

VMSIM_END_DECLS

#endif /* VMSIM_SCENARIO_H */
