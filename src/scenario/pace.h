/* SPDX-License-Identifier: MIT */
/*
 * The chores a long run does now and then, shared by the scenario runner
 * and trace replay: report progress every 2^20 accesses and check every
 * invariant (the machine's, or the frames engine's) every
 * opt->check_interval accesses. Internal.
 */
#ifndef VMSIM_PACE_H
#define VMSIM_PACE_H

#include <vmsim/scenario.h>

#include <inttypes.h>

#include "internal.h"

#define VMSIM_PROGRESS_EVERY (UINT64_C(1) << 20)

struct vmsim__pace {
  const vmsim_run_options *opt; /* may be NULL: nothing to do */
  uint64_t next_progress, next_check;
  uint64_t checks; /* checks run, all passed */
};

static inline void vmsim__pace_init(struct vmsim__pace *p, const vmsim_run_options *opt) {
  p->opt = opt;
  p->next_progress = 0;
  p->next_check = opt ? opt->check_interval : 0;
  p->checks = 0;
}

/* After `done` accesses (of `planned`, UINT64_MAX if unknown): progress
 * and, when due, check(ctx, ...). Returns 0, or check's error with err set. */
static inline int vmsim__pace_check(struct vmsim__pace *p, int (*check)(void *, char *, size_t),
                                    void *ctx, uint64_t done, uint64_t planned, char *err,
                                    size_t len) {
  const vmsim_run_options *opt = p->opt;
  if (!opt)
    return 0;
  if (opt->progress && done >= p->next_progress) {
    opt->progress(opt->progress_ctx, done, planned);
    p->next_progress = done + VMSIM_PROGRESS_EVERY;
  }
  if (p->next_check && done >= p->next_check) {
    char msg[512];
    int rc = check(ctx, msg, sizeof(msg));
    if (rc)
      return vmsim__errf(err, len, rc, "after %" PRIu64 " accesses: %s", done, msg);
    p->next_check = done + opt->check_interval;
    p->checks++;
  }
  return 0;
}

static inline int vmsim__pace_check_sim(void *sim, char *msg, size_t len) {
  return vmsim_check(sim, msg, len);
}

/* The same for a machine: vmsim_check() when due. */
static inline int vmsim__pace(struct vmsim__pace *p, vmsim_sim *sim, uint64_t done,
                              uint64_t planned, char *err, size_t len) {
  return vmsim__pace_check(p, vmsim__pace_check_sim, sim, done, planned, err, len);
}

#endif
