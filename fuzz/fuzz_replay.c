/* SPDX-License-Identifier: MIT */
/*
 * Target `replay`: vmsim_replay(), what `vmsim replay --frames N` does, on
 * a fuzzed trace.
 *
 * Input: byte 0 picks the format (byte % 3, in enum vmsim_trace_format
 * order) and the policy (byte / 3, modulo the built-ins); byte 1 the frames,
 * 1 + byte % 64; the rest is the trace. The trace is read once here first:
 * one of more than 20000 accesses is skipped (a lackey record of 2^64 bytes
 * is 2^52 accesses).
 *
 * Oracle: a trace the reader refuses is refused by the replay with the
 * reader's VMSIM_EPARSE and message; any other replays (VMSIM_ERANGE only
 * past 1024 pids) with one access per record, the distinct pages (in the
 * 47-bit address space) and pids the reader saw, and a machine that passes vmsim_check(); and Belady's
 * OPT, replayed on the same trace and frames, misses no more often than
 * the chosen policy. For a policy with a frames model, the frames engine
 * gives the machine's result (accesses, misses, major faults, segvs,
 * pages, pids) or its error; fivelist's also the machine's evictions and
 * swap writes (pgsteal_direct, pswpout).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_REPLAY_MAX_ACCESSES 20000

struct page_key {
  uint64_t vpn;
  uint32_t pid;
};

static int compare_keys(const void *a, const void *b) {
  const struct page_key *x = a, *y = b;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return x->vpn < y->vpn ? -1 : x->vpn > y->vpn;
}

/* What the reader alone makes of the trace. */
struct expected {
  uint64_t accesses, pages, pids;
  int rc;
  char msg[320];
};

static bool read_expected(int fd, enum vmsim_trace_format fmt, size_t size,
                          struct expected *ex) {
  static struct page_key keys[FUZZ_REPLAY_MAX_ACCESSES];
  vmsim_trace_options opts;
  vmsim_trace *t;
  vmsim_memref r;
  char msg[256];

  vmsim_trace_options_default(&opts);
  opts.buffer_size = MAX(size + 1, (size_t)VMSIM_TRACE_MIN_BUFFER);
  FUZZ_CHECK(vmsim_trace_open_fd(&t, fd, "fuzz", fmt, &opts, msg, sizeof(msg)) == 0, "%s", msg);
  memset(ex, 0, sizeof(*ex));
  while ((ex->rc = vmsim_trace_next(t, &r)) == 1) {
    if (ex->accesses == FUZZ_REPLAY_MAX_ACCESSES) {
      vmsim_trace_close(t);
      return false;
    }
    keys[ex->accesses++] = (struct page_key){r.vaddr >> VMSIM_PAGE_SHIFT, r.pid};
  }
  snprintf(ex->msg, sizeof(ex->msg), "%s", vmsim_trace_error(t));
  vmsim_trace_close(t);
  qsort(keys, ex->accesses, sizeof(keys[0]), compare_keys);
  /* Pages outside the 47-bit address space are segvs: not pages. */
  for (uint64_t i = 0; i < ex->accesses; i++) {
    bool new_pid = i == 0 || keys[i].pid != keys[i - 1].pid;
    ex->pids += new_pid;
    ex->pages += (new_pid || keys[i].vpn != keys[i - 1].vpn) &&
                 keys[i].vpn < VMSIM_TASK_SIZE >> VMSIM_PAGE_SHIFT;
  }
  return true;
}

/* The frames engine on what the machine engine replayed: the same status,
 * and on success the same counts. */
static void check_frames_engine(vmsim_replay_options opt, int machine_rc,
                                const vmsim_replay_result *m, const vmsim_sim *msim) {
  vmsim_replay_result f;
  vmsim_sim *sim = (vmsim_sim *)&f; /* must come back NULL */
  char err[512];
  opt.engine = VMSIM_REPLAY_FRAMES;
  int rc = vmsim_replay(&opt, &sim, &f, err, sizeof(err));
  FUZZ_CHECK(rc == machine_rc && sim == NULL, "%s, %" PRIu64 " frames: the machine gave %d, "
             "the frames engine %d (%s)", opt.policy, opt.frames, machine_rc, rc,
             rc ? err : "");
  if (rc)
    return;
  FUZZ_CHECK(f.engine == VMSIM_REPLAY_FRAMES && f.accesses == m->accesses &&
                 f.misses == m->misses && f.major_faults == m->major_faults &&
                 f.segv == m->segv && f.distinct_pages == m->distinct_pages &&
                 f.nr_procs == m->nr_procs,
             "%s, %" PRIu64 " frames: the machine missed %" PRIu64 " (%" PRIu64 " major, %" PRIu64
             " segv) of %" PRIu64 ", the frames engine %" PRIu64 " (%" PRIu64 ", %" PRIu64
             ") of %" PRIu64,
             opt.policy, opt.frames, m->misses, m->major_faults, m->segv, m->accesses, f.misses,
             f.major_faults, f.segv, f.accesses);
  if (strcmp(opt.policy, "fivelist") == 0) {
    uint64_t steals = vmsim_vmstat(msim, VMSIM_VM_pgsteal_direct);
    uint64_t writes = vmsim_vmstat(msim, VMSIM_VM_pswpout);
    FUZZ_CHECK(f.evictions == steals && f.swap_writes == writes,
               "fivelist, %" PRIu64 " frames: the machine stole %" PRIu64 " and wrote %" PRIu64
               ", the frames engine evicted %" PRIu64 " and wrote %" PRIu64,
               opt.frames, steals, writes, f.evictions, f.swap_writes);
  }
}

int vmsim_fuzz_replay(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  enum vmsim_trace_format fmt = (enum vmsim_trace_format)(data[0] % VMSIM_NR_TRACE_FORMATS);
  size_t nr_policies = 0;
  while (vmsim_policy_at(nr_policies))
    nr_policies++;
  const vmsim_policy_ops *policy = vmsim_policy_at((size_t)(data[0] / 3) % nr_policies);
  uint64_t frames = 1 + data[1] % 64;
  data += 2;
  size -= 2;

  int fd = vmsim_fuzz_memfd(data, size);
  struct expected ex;
  bool small = read_expected(fd, fmt, size, &ex);
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  if (!small) {
    close(fd);
    return 0;
  }

  vmsim_run_options run;
  vmsim_run_options_default(&run);
  run.check_interval = 1000;
  vmsim_replay_options opt = {
    .path = path, .format = fmt, .frames = frames, .policy = policy->name, .run = &run};
  vmsim_replay_result res;
  vmsim_sim *sim = NULL;
  char err[512];
  int rc = vmsim_replay(&opt, &sim, &res, err, sizeof(err));
  if (vmsim_replay_frames_model(policy->name))
    check_frames_engine(opt, rc, &res, sim);
  if (ex.rc < 0) {
    const char *where = strchr(ex.msg, ':');
    FUZZ_CHECK(rc == ex.rc && where && strstr(err, where + 1),
               "the reader stopped with %d '%s', the replay with %d '%s'", ex.rc, ex.msg, rc,
               rc ? err : "");
    close(fd);
    return 0;
  }
  if (rc == VMSIM_ERANGE && ex.pids > 1024) {
    close(fd);
    return 0;
  }
  FUZZ_CHECK(rc == 0, "%s, %" PRIu64 " frames: %d (%s): %s", policy->name, frames, rc,
             vmsim_err_name(rc), err);
  FUZZ_CHECK(res.accesses == ex.accesses && res.distinct_pages == ex.pages &&
                 res.nr_procs == ex.pids,
             "replayed %" PRIu64 " accesses of %" PRIu64 " pages of %u pids; the trace has %" PRIu64
             ", %" PRIu64 ", %" PRIu64,
             res.accesses, res.distinct_pages, res.nr_procs, ex.accesses, ex.pages, ex.pids);
  FUZZ_CHECK(res.misses + res.segv <= res.accesses, "%" PRIu64 " misses and %" PRIu64
             " faults in %" PRIu64 " accesses", res.misses, res.segv, res.accesses);
  FUZZ_CHECK(vmsim_check(sim, err, sizeof(err)) == 0, "vmsim_check after the replay: %s", err);
  vmsim_sim_destroy(sim);

  if (strcmp(policy->name, "opt") != 0) {
    vmsim_replay_result best;
    opt.policy = "opt";
    rc = vmsim_replay(&opt, &sim, &best, err, sizeof(err));
    FUZZ_CHECK(rc == 0, "opt, %" PRIu64 " frames: %d (%s): %s", frames, rc, vmsim_err_name(rc),
               err);
    FUZZ_CHECK(best.misses <= res.misses,
               "%" PRIu64 " frames: opt misses %" PRIu64 " times, %s only %" PRIu64, frames,
               best.misses, policy->name, res.misses);
    vmsim_sim_destroy(sim);
  }
  close(fd);
  return 0;
}
