/* SPDX-License-Identifier: MIT */
/*
 * The OOM killer (mm/oom_kill.c): when reclaim can free nothing more, kill
 * the process whose death frees the most, as oom_badness() scores it, and
 * let the simulation go on with the others.
 */
#include "vmscan.h"

#include "swap.h"

/*
 * oom_badness(): rss + swap entries + page-table pages, plus oom_score_adj
 * in units of totalpages / 1000. The kernel normalises with
 * `adj *= totalpages / 1000` (integer division first), and so does this.
 * oom_score_adj -1000 (OOM_SCORE_ADJ_MIN) means never.
 */
int64_t vmsim__oom_badness(const vmsim_sim *sim, const struct vmsim_mm *mm, uint64_t totalpages) {
  (void)sim;
  if (mm->state != VMSIM_PROC_RUNNING || mm->oom_score_adj == -1000)
    return INT64_MIN;
  int64_t points = (int64_t)(mm->rss[MM_ANONPAGES] + mm->rss[MM_FILEPAGES] +
                             mm->rss[MM_SWAPENTS] + mm->pgt.nr_tables);
  int64_t adj = mm->oom_score_adj;
  adj *= (int64_t)(totalpages / 1000);
  return points + adj;
}

/*
 * out_of_memory(): select_bad_process() scans the processes in pid order
 * and keeps the last with the highest score (the kernel replaces its choice
 * on a tie), then oom_kill_process() tears it down, freeing its memory and
 * its swap. Returns false when nothing can be killed.
 */
static bool out_of_memory(vmsim_sim *sim, const struct vmsim_alloc_context *ac) {
  (void)ac;
  uint64_t totalpages = sim->nr_pages;
  const struct vmsim_swap_info *si = sim->swapinfo;
  for (uint32_t i = 0; si && i < si->nr; i++)
    totalpages += si->dev[i].pages;

  struct vmsim_mm *chosen = NULL;
  int64_t chosen_points = INT64_MIN;
  for (uint32_t pid = 1; pid < sim->nr_mms; pid++) {
    struct vmsim_mm *mm = sim->mms[pid];
    int64_t points = vmsim__oom_badness(sim, mm, totalpages);
    if (points == INT64_MIN || points < chosen_points)
      continue;
    chosen = mm;
    chosen_points = points;
  }
  if (!chosen)
    return false;
  vmsim__mm_teardown(sim, chosen, VMSIM_PROC_KILLED);
  sim->vmstat[VMSIM_VM_oom_kill]++;
  return true;
}

void vmsim__oom_init(vmsim_sim *sim) { sim->hooks.out_of_memory = out_of_memory; }
