/* SPDX-License-Identifier: MIT */
/*
 * kswapd: one reclaim thread per node (mm/vmscan.c kswapd(), balance_pgdat()).
 *
 * Each kswapd is a real POSIX thread, sleeping on its node's wait queue (a
 * mutex and a condition variable). Determinism comes from a hand-off in
 * simulated time, not from the host scheduler: kswapd has its own clock,
 * and it only runs when the simulation hands it the CPU at a defined point
 * (after an access, or in the allocator's slow path), and only until its
 * clock passes the time of the CPU that handed off. While it runs, the
 * simulation waits; so exactly one thread touches the machine at any
 * moment, in an order fixed by simulated time. kswapd's work is charged to
 * its own clock, never to a process.
 *
 * States, as kswapd_try_to_sleep() has them: SLEEPING until woken;
 * RUNNING balance_pgdat(); NAPPING for HZ/10 once balanced. A wake-up
 * during the nap counts kswapd_low_wmark_hit_quickly; a nap that ends with
 * the node unbalanced again counts kswapd_high_wmark_hit_quickly.
 */
#include "vmscan.h"

#include <pthread.h>

#define KSWAPD_NAP_NS (UINT64_C(100) * 1000 * 1000) /* HZ/10 */

enum kswapd_state { KSWAPD_SLEEPING, KSWAPD_RUNNING, KSWAPD_NAPPING };

struct vmsim_kswapd {
  vmsim_sim *sim;
  struct vmsim_node *node;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wait; /* the node's kswapd_wait */

  /* Hand-off, under lock. */
  bool go;        /* simulation -> kswapd: run until clock > deadline */
  bool parked;    /* kswapd -> simulation: stopped at a yield point */
  bool done;      /* kswapd -> simulation: balance_pgdat() returned */
  bool stop;      /* shut down */

  /* Owned by whoever runs (only one side at a time). */
  enum kswapd_state state;
  vmsim_time_t clock;    /* kswapd's own simulated time */
  vmsim_time_t deadline;
  vmsim_time_t nap_end;
  unsigned order;                    /* pgdat->kswapd_order */
  enum vmsim_zone_type highest_zone; /* pgdat->kswapd_highest_zoneidx */
  unsigned reclaim_order;
  enum vmsim_zone_type reclaim_zone;
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

/* Park at a yield point if kswapd's clock has passed the deadline; false
 * when asked to stop. Called on the kswapd thread. */
static bool kswapd_yield(struct vmsim_kswapd *ks) {
  if (ks->clock <= ks->deadline)
    return true;
  pthread_mutex_lock(&ks->lock);
  ks->go = false;
  ks->parked = true;
  pthread_cond_broadcast(&ks->wait);
  while (!ks->go && !ks->stop)
    pthread_cond_wait(&ks->wait, &ks->lock);
  bool stop = ks->stop;
  pthread_mutex_unlock(&ks->lock);
  return !stop;
}

/*
 * balance_pgdat(): priority DEF_PRIORITY down to 1, each pass aiming at
 * sum(max(high_wmark, SWAP_CLUSTER_MAX)) over the eligible zones, until
 * the node is balanced. The priority drops when a pass scanned less than
 * its target or reclaimed nothing. A run that reclaims nothing at all
 * counts a kswapd failure.
 */
static bool balance_pgdat(struct vmsim_kswapd *ks) {
  vmsim_sim *sim = ks->sim;
  struct vmsim_node *node = ks->node;
  vmsim_scan_control sc;
  uint64_t total = 0;

  vmsim__scan_control_init(sim, &sc, ks->reclaim_order, ks->reclaim_zone, true, UINT32_MAX);
  sim->vmstat[VMSIM_VM_pageoutrun]++;
  do {
    if (vmsim__pgdat_balanced(sim, node, sc.order, sc.reclaim_idx))
      return true;
    sc.nr_to_reclaim = 0;
    for (int z = 0; z <= (int)sc.reclaim_idx; z++)
      if (vmsim__zone_populated(&node->zones[z]))
        sc.nr_to_reclaim += MAX(node->zones[z].watermark[VMSIM_WMARK_HIGH], SWAP_CLUSTER_MAX);
    sc.nr_scanned = 0;
    sc.nr_reclaimed = 0;
    sc.cost = 0;
    sc.may_swap = vmsim__can_swap(sim); /* slots come and go between passes */
    uint64_t reclaimed = vmsim__shrink_node(sim, node, &sc);
    total += reclaimed;
    ks->clock += sc.cost;
    bool raise_priority = sc.nr_scanned < sc.nr_to_reclaim;
    if (raise_priority || !reclaimed)
      sc.priority--;
    if (!kswapd_yield(ks))
      return false;
  } while (sc.priority >= 1);
  if (!total)
    node->kswapd_failures++;
  return true;
}

static void *kswapd_thread(void *arg) {
  struct vmsim_kswapd *ks = arg;
  pthread_mutex_lock(&ks->lock);
  for (;;) {
    while (!ks->go && !ks->stop)
      pthread_cond_wait(&ks->wait, &ks->lock);
    if (ks->stop)
      break;
    pthread_mutex_unlock(&ks->lock);

    if (balance_pgdat(ks) && vmsim__ops_has(ks->node->lruvec->ops, age))
      ks->node->lruvec->ops->age(ks->node->lruvec, ks->node->lruvec->state);

    pthread_mutex_lock(&ks->lock);
    ks->go = false;
    ks->done = true;
    pthread_cond_broadcast(&ks->wait);
  }
  pthread_mutex_unlock(&ks->lock);
  return NULL;
}

/* Run kswapd on its thread until it parks or finishes; the caller waits. */
static void kswapd_hand_off(struct vmsim_kswapd *ks, vmsim_time_t now) {
  pthread_mutex_lock(&ks->lock);
  ks->deadline = now;
  ks->parked = false;
  ks->done = false;
  ks->go = true;
  pthread_cond_broadcast(&ks->wait);
  while (!ks->parked && !ks->done)
    pthread_cond_wait(&ks->wait, &ks->lock);
  pthread_mutex_unlock(&ks->lock);
}

static void set_state(vmsim_sim *sim, struct vmsim_kswapd *ks, enum kswapd_state st) {
  if ((ks->state == KSWAPD_SLEEPING) != (st == KSWAPD_SLEEPING))
    sim->kswapd_pending += st == KSWAPD_SLEEPING ? (uint32_t)-1 : 1u;
  ks->state = st;
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
      /* Safe to read without the lock: the thread is parked or idle. */
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
      if (ks->state != KSWAPD_RUNNING || ks->clock > now)
        break;
      kswapd_hand_off(ks, now);
      if (!ks->done)
        break; /* parked: its clock passed `now` */
      ks->nap_end = ks->clock + KSWAPD_NAP_NS;
      set_state(sim, ks, KSWAPD_NAPPING);
    }
  }
}

/*
 * wakeup_kswapd(): record the request's order and highest zone; wake the
 * thread unless the node is hopeless (kswapd_failures >= 16, until a page
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
    if (pthread_mutex_init(&ks->lock, NULL)) {
      vmsim__free(ks);
      return VMSIM_ENOMEM;
    }
    if (pthread_cond_init(&ks->wait, NULL)) {
      pthread_mutex_destroy(&ks->lock);
      vmsim__free(ks);
      return VMSIM_ENOMEM;
    }
    if (pthread_create(&ks->thread, NULL, kswapd_thread, ks)) {
      pthread_cond_destroy(&ks->wait);
      pthread_mutex_destroy(&ks->lock);
      vmsim__free(ks);
      return VMSIM_ENOMEM;
    }
    sim->kswapd[nid] = ks;
  }
  sim->hooks.wakeup_kswapd = wakeup_kswapd;
  return 0;
}

void vmsim__kswapd_fini(vmsim_sim *sim) {
  if (!sim->kswapd)
    return;
  for (uint32_t nid = 0; nid < sim->nr_nodes; nid++) {
    struct vmsim_kswapd *ks = sim->kswapd[nid];
    if (!ks)
      continue;
    pthread_mutex_lock(&ks->lock);
    ks->stop = true;
    pthread_cond_broadcast(&ks->wait);
    pthread_mutex_unlock(&ks->lock);
    pthread_join(ks->thread, NULL);
    pthread_cond_destroy(&ks->wait);
    pthread_mutex_destroy(&ks->lock);
    vmsim__free(ks);
  }
  vmsim__free(sim->kswapd);
  sim->kswapd = NULL;
}
