/* SPDX-License-Identifier: MIT */
/*
 * mrc: a miss-ratio curve -- the misses of a policy on a trace at every
 * memory size from 1 to MAX frames (or at STEPS sizes spread evenly
 * between) -- from the frames engine of vmsim_replay(), which runs a trace
 * through N frames and a policy with no machine around it.
 *
 *   mrc TRACE lackey|oracleGeneral|text POLICY MAX [STEPS]
 *
 * prints "frames,misses,miss_ratio" lines. For a stack algorithm (lru,
 * opt) a larger memory never misses more (Mattson et al., 1970): mrc
 * checks that, and exits 1 if a curve ever rises. A policy without a
 * frames model (aging, twolist, plugins) runs on the whole simulated
 * machine instead, much slower.
 *
 * Build against an installed libvmsim:
 *   cc -O2 -o mrc mrc.c $(pkg-config --cflags --libs vmsim)
 */
#include <vmsim/vmsim.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: mrc TRACE lackey|oracleGeneral|text POLICY MAX [STEPS]\n");
    return 2;
  }
  vmsim_replay_options opt = {.path = argv[1], .policy = argv[3],
                              .engine = VMSIM_REPLAY_AUTO};
  if (vmsim_trace_format_parse(argv[2], &opt.format)) {
    fprintf(stderr, "mrc: unknown trace format '%s'\n", argv[2]);
    return 2;
  }
  char *end, *steps_end = NULL;
  uint64_t max = strtoull(argv[4], &end, 10), steps = max;
  if (argc == 6)
    steps = strtoull(argv[5], &steps_end, 10);
  if (*end || (steps_end && *steps_end) || max == 0 || steps == 0 || steps > max) {
    fprintf(stderr, "mrc: MAX must be a positive number of frames, STEPS in 1..MAX\n");
    return 2;
  }
  bool stack = !strcmp(opt.policy, "lru") || !strcmp(opt.policy, "opt");
  uint64_t prev = UINT64_MAX;
  printf("frames,misses,miss_ratio\n");
  for (uint64_t i = 1; i <= steps; i++) {
    opt.frames = max * i / steps;
    vmsim_sim *sim;
    vmsim_replay_result res;
    char err[512];
    int rc = vmsim_replay(&opt, &sim, &res, err, sizeof(err));
    if (rc) {
      fprintf(stderr, "mrc: %s\n", err);
      return 2;
    }
    vmsim_sim_destroy(sim); /* NULL from the frames engine */
    printf("%" PRIu64 ",%" PRIu64 ",%.6f\n", opt.frames, res.misses,
           res.accesses ? (double)res.misses / (double)res.accesses : 0.0);
    if (stack && res.misses > prev) {
      fprintf(stderr, "mrc: %s missed more with %" PRIu64 " frames than with fewer\n",
              opt.policy, opt.frames);
      return 1;
    }
    prev = res.misses;
  }
  return 0;
}
