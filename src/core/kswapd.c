/* SPDX-License-Identifier: MIT */
/*
 * kswapd: one reclaim thread per node (mm/vmscan.c kswapd(), balance_pgdat()).
 *
 * Each kswapd is a simulated kernel thread with its own clock and state,
 * run on the simulating host thread. Determinism comes from a hand-off in
 * simulated time: kswapd only runs when the simulation hands it the CPU at
 * a defined point (after an access, or in the allocator's slow path), and
 * only until its clock passes the time of the CPU that handed off. A run
 * of balance_pgdat() that gets there parks between two of its passes and
 * goes on from the same place at the next hand-off: its loop state lives
 * here, not on a stack. So exactly one simulated thread touches the
 * machine at any moment, in an order fixed by simulated time, and no host
 * thread is started at all. kswapd's work is charged to its own clock,
 * never to a process.
 *
 * States, as kswapd_try_to_sleep() has them: SLEEPING until woken;
 * RUNNING balance_pgdat(); NAPPING for HZ/10 once balanced. A wake-up
 * during the nap counts kswapd_low_wmark_hit_quickly; a nap that ends with
 * the node unbalanced again counts kswapd_high_wmark_hit_quickly.
 */
#include "vmscan.h"

#define KSWAPD_NAP_NS (UINT64_C(100) * 1000 * 1000) /* HZ/10 */

enum kswapd_state { KSWAPD_SLEEPING, KSWAPD_RUNNING, KSWAPD_NAPPING };

struct vmsim_kswapd {
  vmsim_sim *sim;
  struct vmsim_node *node;
  enum kswapd_state state;
  vmsim_time_t clock;    /* kswapd's own simulated time */
  vmsim_time_t nap_end;
  unsigned order;                    /* pgdat->kswapd_order */
  enum vmsim_zone_type highest_zone; /* pgdat->kswapd_highest_zoneidx */
  unsigned reclaim_order;
  enum vmsim_zone_type reclaim_zone;

  /* balance_pgdat() between two passes of a run, while it is parked. */
  bool in_run;
  bool on_cpu; /* in a hand-off now: a hand-off point reached from inside
                * kswapd's own reclaim does not hand off to kswapd again */
  vmsim_scan_control sc;
  uint64_t reclaimed; /* by the run so far */
};

/* pgdat_balanced(): some eligible zone meets its HIGH watermark. */
bool vmsim__pgdat_balanced(const vmsim_sim *sim, const struct vmsim_node *node, unsigned order,
                           enum vmsim_zone_type highest_zone) {
  bool any = false;
  for (int z = 0; z <= (int)highest_zone; z++) {
    const struct vmsim_zone *zone = &node->zones[z];
    if (!vmsim__zone_populated(zone))
      continue;
    any = true;
    if (vmsim__zone_watermark_ok(sim, zone, order, zone->watermark[VMSIM_WMARK_HIGH],
                                 highest_zone, 0))
      return true;
  }
  return !any; /* no eligible zone: nothing to balance */
}

/*
 * balance_pgdat(): priority DEF_PRIORITY down to 1, each pass aiming at
 * sum(max(high_wmark, SWAP_CLUSTER_MAX)) over the eligible zones, until
 * the node is balanced. The priority drops when a pass scanned less than
 * its target or reclaimed nothing. A run that reclaims nothing at all
 * counts a kswapd failure.
 *
 * After each pass, a run whose clock has passed `deadline` parks
 * (kswapd_try_to_sleep()'s yield, here a return of false) and the next call
 * goes on from there: the priority test, then the next pass. Returns true
 * when the run is over.
 */
static bool balance_pgdat(struct vmsim_kswapd *ks, vmsim_time_t deadline) {
  vmsim_sim *sim = ks->sim;
  struct vmsim_node *node = ks->node;
  vmsim_scan_control *sc = &ks->sc;
  bool resumed = ks->in_run;

  if (!resumed) {
    vmsim__scan_control_init(sim, sc, ks->reclaim_order, ks->reclaim_zone, true, UINT32_MAX);
    sim->vmstat[VMSIM_VM_pageoutrun]++;
    ks->reclaimed = 0;
    ks->in_run = true;
  }
  for (;; resumed = true) {
    if (resumed) { /* after a pass */
      if (ks->clock > deadline)
        return false; /* park; in_run stays set */
      if (sc->priority < 1)
        break;
    }
    if (vmsim__pgdat_balanced(sim, node, sc->order, sc->reclaim_idx)) {
      ks->in_run = false;
      return true;
    }
    sc->nr_to_reclaim = 0;
    for (int z = 0; z <= (int)sc->reclaim_idx; z++)
      if (vmsim__zone_populated(&node->zones[z]))
        sc->nr_to_reclaim += MAX(node->zones[z].watermark[VMSIM_WMARK_HIGH], SWAP_CLUSTER_MAX);
    sc->nr_scanned = 0;
    sc->nr_reclaimed = 0;
    sc->cost = 0;
    sc->may_swap = vmsim__can_swap(sim); /* slots come and go between passes */
    uint64_t reclaimed = vmsim__shrink_node(sim, node, sc);
    ks->reclaimed += reclaimed;
    ks->clock += sc->cost;
    bool raise_priority = sc->nr_scanned < sc->nr_to_reclaim;
    if (raise_priority || !reclaimed)
      sc->priority--;
  }
  if (!ks->reclaimed)
    node->kswapd_failures++;
  ks->in_run = false;
  return true;
}

/*
 * Hand kswapd the CPU until `now`: run balance_pgdat() until it parks or
 * the run is over, then (over) let the policy age its lists, as kswapd()
 * does after a run. Returns whether the run is over.
 */
static bool kswapd_hand_off(struct vmsim_kswapd *ks, vmsim_time_t now) {
  vmsim_lruvec *lv = ks->node->lruvec;
  ks->on_cpu = true;
  bool over = balance_pgdat(ks, now);
  if (over && vmsim__ops_has(lv->ops, age))
    lv->ops->age(lv, lv->state);
  ks->on_cpu = false;
  return over;
}

static void set_state(vmsim_sim *sim, struct vmsim_kswapd *ks, enum kswapd_state st) {
  if ((ks->state == KSWAPD_SLEEPING) != (st == KSWAPD_SLEEPING))
    sim->kswapd_pending += st == KSWAPD_SLEEPING ? (uint32_t)-1 : 1u;
  ks->state = st;
  sim->kswapd_due = 0; /* worked out again at the end of the next catch-up */
}

vmsim_time_t vmsim__kswapd_due(const vmsim_sim *sim) {
  vmsim_time_t due = UINT64_MAX;
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    const struct vmsim_kswapd *ks = sim->kswapd[nid];
    if (ks->state == KSWAPD_NAPPING)
      due = MIN(due, ks->nap_end);
    else if (ks->state == KSWAPD_RUNNING)
      due = MIN(due, ks->on_cpu ? 0 : ks->clock);
  }
  return due;
}

/* Start a run: take the recorded request (kswapd reads and resets it). */
static void kswapd_start_run(vmsim_sim *sim, struct vmsim_kswapd *ks, vmsim_time_t at) {
  ks->clock = MAX(ks->clock, at);
  ks->reclaim_order = ks->order;
  ks->reclaim_zone = ks->highest_zone;
  ks->order = 0;
  ks->highest_zone = VMSIM_ZONE_DMA;
  set_state(sim, ks, KSWAPD_RUNNING);
}

void vmsim__kswapd_catch_up(vmsim_sim *sim, vmsim_time_t now) {
  for (uint32_t nid = 0; nid < sim->nr_nodes && sim->kswapd_pending; nid++) {
    struct vmsim_kswapd *ks = sim->kswapd[nid];
    for (;;) {
      if (ks->state == KSWAPD_NAPPING) {
        if (now < ks->nap_end)
          break;
        /* The nap ran out: balanced still? Then sleep until woken. */
        if (vmsim__pgdat_balanced(sim, ks->node, ks->reclaim_order, ks->reclaim_zone)) {
          set_state(sim, ks, KSWAPD_SLEEPING);
          break;
        }
        sim->vmstat[VMSIM_VM_kswapd_high_wmark_hit_quickly]++;
        kswapd_start_run(sim, ks, ks->nap_end);
      }
      if (ks->state != KSWAPD_RUNNING || ks->clock > now || ks->on_cpu)
        break;
      if (!kswapd_hand_off(ks, now))
        break; /* parked: its clock passed `now` */
      ks->nap_end = ks->clock + KSWAPD_NAP_NS;
      set_state(sim, ks, KSWAPD_NAPPING);
    }
  }
  sim->kswapd_due = vmsim__kswapd_due(sim);
}

/*
 * wakeup_kswapd(): record the request's order and highest zone; wake
 * kswapd unless the node is hopeless (kswapd_failures >= 16, until a page
 * is freed there) or already balanced for the request.
 */
static void wakeup_kswapd(vmsim_sim *sim, struct vmsim_node *node, unsigned order,
                          enum vmsim_zone_type highest_zone) {
  struct vmsim_kswapd *ks = sim->kswapd[node->id];
  ks->order = MAX(ks->order, order);
  ks->highest_zone = MAX(ks->highest_zone, highest_zone);
  if (ks->state == KSWAPD_RUNNING)
    return; /* not on the wait queue: it will see the new request */
  if (node->kswapd_failures >= MAX_RECLAIM_RETRIES ||
      vmsim__pgdat_balanced(sim, node, order, highest_zone))
    return;
  vmsim_time_t now = sim->current_cpu < sim->nr_cpus ? sim->cpu_clock[sim->current_cpu] : 0;
  if (ks->state == KSWAPD_NAPPING && now < ks->nap_end)
    sim->vmstat[VMSIM_VM_kswapd_low_wmark_hit_quickly]++;
  else
    sim->vmstat[VMSIM_VM_kswapd_wakeups]++;
  kswapd_start_run(sim, ks, now);
}

int vmsim__kswapd_init(vmsim_sim *sim) {
  sim->kswapd_due = UINT64_MAX; /* no kswapd, or all asleep: no hand-off until one wakes */
  if (sim->cfg.reclaim_mode != VMSIM_RECLAIM_KSWAPD)
    return 0;
  sim->kswapd = vmsim__calloc(sim->nr_nodes, sizeof(*sim->kswapd));
  if (!sim->kswapd)
    return VMSIM_ENOMEM;
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    struct vmsim_kswapd *ks = vmsim__calloc(1, sizeof(*ks));
    if (!ks)
      return VMSIM_ENOMEM;
    ks->sim = sim;
    ks->node = &sim->nodes[nid];
    ks->state = KSWAPD_SLEEPING;
    sim->kswapd[nid] = ks;
  }
  sim->hooks.wakeup_kswapd = wakeup_kswapd;
  return 0;
}

void vmsim__kswapd_fini(vmsim_sim *sim) {
  if (!sim->kswapd)
    return;
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++)
    vmsim__free(sim->kswapd[nid]); /* a parked run just ends here */
  vmsim__free(sim->kswapd);
  sim->kswapd = NULL;
}
