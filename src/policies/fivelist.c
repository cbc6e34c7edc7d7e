/* SPDX-License-Identifier: MIT */
/*
 * fivelist: the active/inactive LRU of modern Linux (6.x, without MGLRU).
 *
 * Algorithm: per node, four evictable lists (inactive/active x anon/file)
 *   and an unevictable one. New pages start inactive (anon too, since Linux
 *   5.9); a second reference promotes them: through read() by the
 *   folio_mark_accessed() state machine, through the page tables when
 *   reclaim finds them referenced twice (folio_check_references()).
 *   Reclaim (shrink_lruvec) scans each list by get_scan_count(): anon
 *   against file by swappiness and the recorded cost of reclaiming each
 *   (lru_note_cost), only file when there is no swap, both equally at
 *   priority 0, only anon when file pages are nearly gone, only file while
 *   plenty of unthrashed inactive cache exists (cache_trim_mode). Active
 *   lists shrink into the inactive ones when those are low
 *   (inactive_is_low) or the workingset is changing (refaults activated).
 *   Evicted pages leave a shadow with the node's nonresident_age; a page
 *   that refaults within the workingset size is activated at once
 *   (workingset detection).
 * Era: Linux 2.6.28 (split anon/file LRU) to today; the details follow
 *   Linux 6.6 (LTS): rotations as a secondary cost (6.2), anon workingset
 *   detection (5.9), new anon pages inactive (5.9).
 * State: lists 0..4 = inactive_anon, active_anon, inactive_file,
 *   active_file, unevictable. Per page only kernel flags: PG_active
 *   (on an active list), PG_referenced (software reference), PG_workingset
 *   (was active before; stored in the shadow), PG_unevictable. Per node
 *   (struct fivelist_node): nonresident_age, anon_cost / file_cost, and the
 *   refault activations with their snapshot at the end of the last reclaim.
 * Invariants: a listed page is on an active list iff PG_active; on the
 *   unevictable list iff PG_unevictable, which it is iff PG_mlocked when it
 *   was listed; anon (swap-backed) pages only on anon lists. Mlocked pages
 *   are never evicted. nonresident_age only grows: +1 per eviction and per
 *   activation (mark_accessed, reclaim, refault, active-list rotation).
 * Cost: O(1) per page added, freed, accessed or refaulted. A reclaim pass
 *   is O(pages scanned): scan targets are list size >> priority, in batches
 *   of SWAP_CLUSTER_MAX, each page costing one rmap walk (plus one for
 *   mapped file pages to find an executable mapping). Getting the free
 *   pages and HIGH watermarks for file_is_tiny costs O(zones) per pass.
 * Source: Linux 6.6 mm/vmscan.c (get_scan_count, prepare_scan_count,
 *   shrink_lruvec, shrink_list, shrink_active_list, shrink_inactive_list,
 *   shrink_folio_list, folio_check_references, inactive_is_low,
 *   move_folios_to_lru, can_age_anon_pages), mm/swap.c (lru_note_cost,
 *   folio_mark_accessed, lru_add_fn), mm/workingset.c (workingset_eviction,
 *   workingset_refault, workingset_test_recent, workingset_activation);
 *   ../shared/docs/linux-reclaim.md rules 15 and 21-25.
 *
 * Where the simulator differs and what this file does about it:
 * - Scanning stops as soon as sc->nr_reclaimed reaches sc->nr_to_reclaim
 *   (after the page that reached it), as the plugin API asks; the kernel
 *   stops after a whole batch and, for kswapd, rescales the other type's
 *   scan target (the proportional nudge), which is not modelled.
 * - Scan targets use the node's list sizes, not only the zones up to
 *   sc->reclaim_idx (lruvec_lru_size); pages of higher zones are skipped
 *   to the head as isolate_lru_folios() does, and not counted as scanned.
 * - There is no per-page VM_EXEC: the policy finds it by walking the rmap
 *   for a young PTE in a VMA with VMSIM_PROT_EXEC, before
 *   vmsim_page_referenced() clears the bits (page_referenced_exec()).
 * - Refault activations are snapshotted (snapshot_refaults) when a direct
 *   or on-demand reclaim ends (target met or priority 0) and when kswapd
 *   finishes a run (the `age` callback), as do_try_to_free_pages() and
 *   balance_pgdat() do.
 * - On-demand reclaim (sc->on_demand) runs the priority loop of
 *   do_try_to_free_pages() itself, DEF_PRIORITY down to 0, then a few
 *   passes with force_deactivate, so that exactly nr_to_reclaim pages go
 *   whenever an evictable page exists.
 * - A shadow names its node; a refault on another node cannot read that
 *   node's age and counts as a refault that is not recent.
 */
#include <vmsim/policy.h>

#include "fivelist.h"
#include "mm_types.h"

enum fivelist_lru {
  LRU_INACTIVE_ANON,
  LRU_ACTIVE_ANON,
  LRU_INACTIVE_FILE,
  LRU_ACTIVE_FILE,
  LRU_UNEVICTABLE,
  NR_LRU_LISTS
};
#define LRU_ACTIVE 1 /* inactive + LRU_ACTIVE = active of the same type */
#define LRU_FILE 2   /* anon list + LRU_FILE = file list of the same kind */
#define NR_EVICTABLE_LRU LRU_UNEVICTABLE

enum { WORKINGSET_ANON, WORKINGSET_FILE, ANON_AND_FILE }; /* fivelist_scan_fractions()'s order */
enum { DEACTIVATE_ANON = 1, DEACTIVATE_FILE = 2 };
enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

static const char *const fivelist_list_names[NR_LRU_LISTS] = {
  "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"};
static const enum vmsim_lru_kind fivelist_list_kinds[NR_LRU_LISTS] = {
  VMSIM_LRU_KIND_INACTIVE, VMSIM_LRU_KIND_ACTIVE, VMSIM_LRU_KIND_INACTIVE,
  VMSIM_LRU_KIND_ACTIVE, VMSIM_LRU_KIND_UNEVICTABLE};

/* Per node: what the kernel keeps in struct lruvec besides the lists. */
struct fivelist_node {
  uint64_t nonresident_age;            /* evictions + activations */
  uint64_t anon_cost, file_cost;       /* lru_note_cost(), decayed */
  uint64_t activations[ANON_AND_FILE]; /* workingset_activate_* here */
  uint64_t refaults[ANON_AND_FILE];    /* activations[] at the last snapshot */
};

/* One reclaim pass over the node (shrink_node): what prepare_scan_count()
 * puts in the kernel's scan_control. */
struct reclaim_pass {
  vmsim_lruvec *lv;
  struct fivelist_node *st;
  vmsim_scan_control *sc;
  int priority;
  unsigned may_deactivate; /* DEACTIVATE_* */
  bool cache_trim_mode;    /* plenty of unthrashed inactive cache */
  bool file_is_tiny;       /* file + free below the HIGH watermarks */
  uint64_t anon_cost, file_cost;
};

/* ---- shadow entries (workingset.c pack_shadow / unpack_shadow) ---------- */

/* Bit 0 marks a shadow (never 0), bit 1 is PG_workingset, bits 2..7 the
 * node, bits 8..61 the eviction age; bits 62..63 stay clear for the core. */
#define SHADOW_VALID UINT64_C(1)
#define SHADOW_WORKINGSET (UINT64_C(1) << 1)
#define SHADOW_NID_SHIFT 2
#define SHADOW_NID_BITS 6
#define SHADOW_AGE_SHIFT (SHADOW_NID_SHIFT + SHADOW_NID_BITS)
_Static_assert(SHADOW_AGE_SHIFT + FIVELIST_SHADOW_AGE_BITS == 62, "shadow bits");

_Static_assert(VMSIM_MAX_NODES <= (1 << SHADOW_NID_BITS), "shadow node bits");

static uint64_t pack_shadow(uint64_t age, uint32_t nid, bool workingset) {
  return SHADOW_VALID | (workingset ? SHADOW_WORKINGSET : 0) |
         (uint64_t)nid << SHADOW_NID_SHIFT | (age & FIVELIST_SHADOW_AGE_MASK) << SHADOW_AGE_SHIFT;
}

/* ---- small helpers ------------------------------------------------------ */

static bool page_is_file(const struct vmsim_page *page) {
  return !vmsim_page_test(page, VMSIM_PG_swapbacked);
}

static uint64_t lru_size(const vmsim_lruvec *lv, unsigned lru) {
  return vmsim_lruvec_list(lv, lru)->nr;
}

/* workingset_age_nonresident(): in-memory pages aged, so do shadows. */
static void age_nonresident(struct fivelist_node *st, uint64_t nr) { st->nonresident_age += nr; }

/* Is the machine configured with swap at all (total_swap_pages > 0)? */
static bool swap_configured(vmsim_lruvec *lv) {
  return vmsim_sim_config(vmsim_lruvec_sim(lv))->nr_swap > 0;
}

/* can_reclaim_anon_pages(): a free slot, or anon pages whose swap copy
 * already exists (in the swap cache). */
static bool can_reclaim_anon(vmsim_lruvec *lv) {
  return vmsim_lruvec_swap_free(lv) > 0 ||
         vmsim_vmstat(vmsim_lruvec_sim(lv), VMSIM_VM_nr_swapcached) > 0;
}

/* inactive_is_low() of the type whose inactive list is inactive_lru. */
static bool inactive_is_low(const vmsim_lruvec *lv, unsigned inactive_lru) {
  return fivelist_inactive_is_low(lru_size(lv, inactive_lru),
                                  lru_size(lv, inactive_lru + LRU_ACTIVE));
}

/* lru_note_cost() (fivelist_note_cost()) over the node's evictable lists. */
static void lru_note_cost(vmsim_lruvec *lv, struct fivelist_node *st, bool file, uint64_t nr_io,
                          uint64_t nr_rotated) {
  uint64_t lrusize = 0;
  for (unsigned lru = 0; lru < NR_EVICTABLE_LRU; lru++)
    lrusize += lru_size(lv, lru);
  fivelist_note_cost(&st->anon_cost, &st->file_cost, file, nr_io, nr_rotated, lrusize);
}

/* snapshot_refaults(): the activations seen so far are "old". */
static void snapshot_refaults(struct fivelist_node *st) {
  memcpy(st->refaults, st->activations, sizeof(st->refaults));
}

struct exec_arg {
  bool exec;
};

static int young_exec_one(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                          uint64_t vaddr, vmsim_pte_t *ptep, void *arg) {
  struct exec_arg *ea = arg;
  (void)sim, (void)page;
  if (!vmsim_pte_young(*ptep))
    return 0;
  const struct vmsim_vma *vma = vmsim__find_vma(mm, vaddr);
  ea->exec = vma && (vma->prot & VMSIM_PROT_EXEC);
  return ea->exec; /* found one: stop */
}

/*
 * The VM_EXEC that folio_referenced() returns in vm_flags: is the page
 * young in some executable mapping? The plugin API has no such flag, so
 * look before vmsim_page_referenced() clears the young bits.
 */
static bool page_referenced_exec(vmsim_lruvec *lv, struct vmsim_page *page) {
  struct exec_arg ea = {false};
  if (page_is_file(page) && page->mapcount)
    vmsim__rmap_walk(vmsim_lruvec_sim(lv), page, young_exec_one, &ea);
  return ea.exec;
}

/* ---- putting pages on lists ---------------------------------------------- */

/* The inactive list of the page's type. */
static unsigned page_inactive_lru(const struct vmsim_page *page) {
  return page_is_file(page) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
}

/* An unevictable page (mlocked): off the active side, onto the
 * unevictable list (lru_add_fn / folio_putback_lru). */
static void add_unevictable(vmsim_lruvec *lv, struct vmsim_page *page) {
  vmsim_page_set(page, VMSIM_PG_unevictable);
  vmsim_lru_add(lv, LRU_UNEVICTABLE, page);
}

/* activate_locked in shrink_folio_list() and the putback of
 * move_folios_to_lru(): PG_active, the active head, pgactivate, and the
 * activation ages the non-resident pages. */
static void putback_active(vmsim_lruvec *lv, struct fivelist_node *st, struct vmsim_page *page) {
  vmsim_lru_add(lv, page_inactive_lru(page) + LRU_ACTIVE, page);
  vmsim_count_event(lv, VMSIM_VM_pgactivate, 1);
  age_nonresident(st, 1);
}

/* keep_locked: back to the head of its inactive list. */
static void putback_inactive(vmsim_lruvec *lv, struct vmsim_page *page) {
  vmsim_lru_add(lv, page_inactive_lru(page), page);
}

/* ---- the table's simple members ------------------------------------------ */

static int fivelist_init(vmsim_lruvec *lv, void *state) {
  (void)lv, (void)state; /* zeroed by the core: age 0, no costs */
  return 0;
}

static void fivelist_fini(vmsim_lruvec *lv, void *state) { (void)lv, (void)state; }

/* folio_add_lru() -> lru_add_fn(): unevictable if mlocked, else the list
 * of its type, active only if PG_active was set (a refault activation). */
static void fivelist_page_add(vmsim_lruvec *lv, void *state, struct vmsim_page *page) {
  (void)state;
  if (vmsim_page_test(page, VMSIM_PG_mlocked)) {
    add_unevictable(lv, page);
    return;
  }
  vmsim_page_clear(page, VMSIM_PG_unevictable);
  unsigned lru = page_inactive_lru(page);
  if (vmsim_page_test(page, VMSIM_PG_active))
    lru += LRU_ACTIVE;
  vmsim_lru_add(lv, lru, page);
}

static void fivelist_page_del(vmsim_lruvec *lv, void *state, struct vmsim_page *page) {
  (void)state;
  vmsim_lru_del(lv, page);
  vmsim_page_clear(page, VMSIM_PG_unevictable);
}

/*
 * folio_mark_accessed():
 *   inactive,unreferenced -> inactive,referenced
 *   inactive,referenced   -> active,unreferenced  (pgactivate, ages shadows)
 *   active,unreferenced   -> active,referenced
 */
static void fivelist_mark_accessed(vmsim_lruvec *lv, void *state, struct vmsim_page *page) {
  struct fivelist_node *st = state;
  if (!vmsim_page_test(page, VMSIM_PG_referenced)) {
    vmsim_page_set(page, VMSIM_PG_referenced);
  } else if (vmsim_page_test(page, VMSIM_PG_unevictable)) {
    /* the unevictable list is never rotated: nothing to do */
  } else if (!vmsim_page_test(page, VMSIM_PG_active)) {
    if (vmsim_page_test(page, VMSIM_PG_lru)) {
      vmsim_lru_move(lv, page, page_inactive_lru(page) + LRU_ACTIVE, false);
      vmsim_count_event(lv, VMSIM_VM_pgactivate, 1);
    }
    vmsim_page_clear(page, VMSIM_PG_referenced);
    age_nonresident(st, 1); /* workingset_activation() */
  }
}

/* Count a workingset_*_{anon,file} event: the file item follows the anon
 * one, as WORKINGSET_REFAULT_BASE + file does in the kernel. */
_Static_assert(VMSIM_VM_workingset_refault_file == VMSIM_VM_workingset_refault_anon + 1 &&
                   VMSIM_VM_workingset_activate_file == VMSIM_VM_workingset_activate_anon + 1 &&
                   VMSIM_VM_workingset_restore_file == VMSIM_VM_workingset_restore_anon + 1,
               "workingset counters come in anon, file pairs");
static void count_workingset(vmsim_lruvec *lv, enum vmsim_vmstat_item anon_item, bool file) {
  vmsim_count_event(lv, (enum vmsim_vmstat_item)(anon_item + file), 1);
}

/* workingset_eviction(): remember the age at eviction, then age. */
static uint64_t fivelist_evict(vmsim_lruvec *lv, void *state, struct vmsim_page *page) {
  struct fivelist_node *st = state;
  uint64_t shadow = pack_shadow(st->nonresident_age, vmsim_lruvec_nid(lv),
                                vmsim_page_test(page, VMSIM_PG_workingset));
  age_nonresident(st, 1);
  return shadow;
}

/*
 * workingset_refault() / workingset_test_recent(): the refault distance is
 * the aging since the eviction; the page is activated if it would have
 * stayed resident had the workingset given up that many slots:
 *
 *   distance <= active_file + (anon: inactive_file)
 *               + (swap free: active_anon + (file: inactive_anon))
 */
static void fivelist_refault(vmsim_lruvec *lv, void *state, struct vmsim_page *page,
                             uint64_t shadow) {
  struct fivelist_node *st = state;
  bool file = page_is_file(page);

  count_workingset(lv, VMSIM_VM_workingset_refault_anon, file);
  uint32_t nid = (uint32_t)(shadow >> SHADOW_NID_SHIFT) & ((1u << SHADOW_NID_BITS) - 1);
  if (!(shadow & SHADOW_VALID) || nid != vmsim_lruvec_nid(lv))
    return;
  uint64_t eviction = (shadow >> SHADOW_AGE_SHIFT) & FIVELIST_SHADOW_AGE_MASK;
  uint64_t distance = (st->nonresident_age - eviction) & FIVELIST_SHADOW_AGE_MASK;

  uint64_t workingset_size = lru_size(lv, LRU_ACTIVE_FILE);
  if (!file)
    workingset_size += lru_size(lv, LRU_INACTIVE_FILE);
  if (vmsim_lruvec_swap_free(lv) > 0) {
    workingset_size += lru_size(lv, LRU_ACTIVE_ANON);
    if (file)
      workingset_size += lru_size(lv, LRU_INACTIVE_ANON);
  }
  if (distance > workingset_size)
    return;

  vmsim_page_set(page, VMSIM_PG_active); /* page_add puts it on the active list */
  age_nonresident(st, 1);
  st->activations[file]++;
  count_workingset(lv, VMSIM_VM_workingset_activate_anon, file);
  if (shadow & SHADOW_WORKINGSET) { /* it was active before its eviction */
    vmsim_page_set(page, VMSIM_PG_workingset);
    lru_note_cost(lv, st, file, 1, 0); /* lru_note_cost_refault() */
    count_workingset(lv, VMSIM_VM_workingset_restore_anon, file);
  }
}

/* kswapd finished a balancing run: balance_pgdat()'s snapshot_refaults(). */
static void fivelist_age(vmsim_lruvec *lv, void *state) {
  (void)lv;
  snapshot_refaults(state);
}

/* ---- reclaim ------------------------------------------------------------- */

/*
 * folio_check_references(), the mlock case aside (handled by the caller):
 * young PTEs set PG_referenced and keep the page for another trip around
 * the inactive list, activating it if it was referenced before, is mapped
 * young more than once, or is executable file memory. A page with no young
 * PTE goes, but a file page read() since the last look only if clean.
 */
static enum vmsim_pageref check_references(vmsim_lruvec *lv, struct vmsim_page *page) {
  bool exec = page_referenced_exec(lv, page);
  unsigned referenced_ptes = vmsim_page_referenced(lv, page);
  bool referenced_page = vmsim_page_test_and_clear(page, VMSIM_PG_referenced);

  if (referenced_ptes) {
    vmsim_page_set(page, VMSIM_PG_referenced);
    if (referenced_page || referenced_ptes > 1 || exec)
      return VMSIM_PAGEREF_ACTIVATE;
    return VMSIM_PAGEREF_KEEP;
  }
  if (referenced_page && page_is_file(page))
    return VMSIM_PAGEREF_RECLAIM_CLEAN;
  return VMSIM_PAGEREF_RECLAIM;
}

/* shrink_folio_list() for one isolated page; true if it was freed. */
static bool shrink_page(struct reclaim_pass *rp, struct vmsim_page *page) {
  vmsim_lruvec *lv = rp->lv;
  if (vmsim_page_test(page, VMSIM_PG_mlocked) || vmsim_page_test(page, VMSIM_PG_unevictable)) {
    add_unevictable(lv, page); /* !folio_evictable(): activate_locked, putback */
    return false;
  }
  if (!rp->sc->may_unmap && page->mapcount) {
    putback_inactive(lv, page);
    return false;
  }
  enum vmsim_pageref ref = check_references(lv, page);
  if (ref == VMSIM_PAGEREF_ACTIVATE) {
    putback_active(lv, rp->st, page);
    return false;
  }
  if (ref == VMSIM_PAGEREF_KEEP) {
    putback_inactive(lv, page);
    return false;
  }
  switch (vmsim_reclaim_page(lv, rp->sc, page, ref)) {
  case VMSIM_RECLAIM_FREED:
    return true;
  case VMSIM_RECLAIM_KEEP_MLOCKED:
    add_unevictable(lv, page);
    break;
  case VMSIM_RECLAIM_KEEP_NOSWAP: /* add_to_swap() failed: activate_locked_split */
    putback_active(lv, rp->st, page);
    break;
  case VMSIM_RECLAIM_KEEP_MAPPED: /* try_to_unmap() failed: activate_locked */
    if (rp->sc->may_unmap)
      putback_active(lv, rp->st, page);
    else
      putback_inactive(lv, page);
    break;
  default: /* locked, dirty with no writeback allowed: keep_locked */
    putback_inactive(lv, page);
    break;
  }
  return false;
}

/*
 * shrink_inactive_list(): isolate up to nr_to_scan pages of the list's
 * eligible zones from the tail and reclaim them; the cost of the pass is
 * its writes (IO) and the pages it put back (rotations).
 */
static void shrink_inactive_list(struct reclaim_pass *rp, unsigned lru, uint64_t nr_to_scan) {
  vmsim_lruvec *lv = rp->lv;
  vmsim_scan_control *sc = rp->sc;
  vmsim_sim *sim = vmsim_lruvec_sim(lv);
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lv);
  const vmsim_list *list = vmsim_lruvec_list(lv, lru);
  uint64_t pgpgout = vmsim_vmstat(sim, VMSIM_VM_pgpgout);
  uint64_t scanned = 0, reclaimed = 0, visits = list->nr;

  while (scanned < nr_to_scan && visits-- && list->nr && sc->nr_reclaimed < sc->nr_to_reclaim) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_lru_isolate(lv, sc, page) != 0) {
      vmsim_lru_move(lv, page, lru, false); /* a zone above reclaim_idx: skip */
      continue;
    }
    scanned++;
    reclaimed += shrink_page(rp, page);
  }
  /* Every write adds VMSIM_PAGE_SIZE >> 10 KiB to pgpgout (pageout()). */
  uint64_t nr_pageout = (vmsim_vmstat(sim, VMSIM_VM_pgpgout) - pgpgout) / (VMSIM_PAGE_SIZE >> 10);
  lru_note_cost(lv, rp->st, lru >= LRU_FILE, nr_pageout, scanned - reclaimed);
}

/*
 * shrink_active_list(): look at up to nr_to_scan pages from the tail of an
 * active list (pgrefill). Referenced executable file pages get another
 * trip around the active list; every other page loses PG_active, gains
 * PG_workingset and goes to the head of the inactive list (pgdeactivate).
 * PG_referenced is left alone. The pages are not isolated: they are only
 * moved, so they count as refilled, not as scanned for reclaim.
 */
static void shrink_active_list(struct reclaim_pass *rp, unsigned lru, uint64_t nr_to_scan) {
  vmsim_lruvec *lv = rp->lv;
  struct vmsim_page *mem_map = vmsim_lruvec_mem_map(lv);
  const vmsim_list *list = vmsim_lruvec_list(lv, lru);
  uint64_t scanned = 0, rotated = 0, deactivated = 0, visits = list->nr;

  while (scanned < nr_to_scan && visits-- && list->nr) {
    struct vmsim_page *page = &mem_map[list->tail];
    if (vmsim_page_zonenum(page) > rp->sc->reclaim_idx) {
      vmsim_lru_move(lv, page, lru, false);
      continue;
    }
    scanned++;
    if (vmsim_page_test(page, VMSIM_PG_mlocked)) {
      vmsim_lru_del(lv, page);
      add_unevictable(lv, page);
      continue;
    }
    bool exec = page_referenced_exec(lv, page);
    if (vmsim_page_referenced(lv, page) && exec) {
      vmsim_lru_move(lv, page, lru, false);
      age_nonresident(rp->st, 1); /* move_folios_to_lru() of an active page */
      rotated++;
      continue;
    }
    vmsim_page_set(page, VMSIM_PG_workingset);
    vmsim_lru_move(lv, page, lru - LRU_ACTIVE, false);
    deactivated++;
  }
  vmsim_count_event(lv, VMSIM_VM_pgrefill, scanned);
  vmsim_count_event(lv, VMSIM_VM_pgdeactivate, deactivated);
  if (rotated)
    lru_note_cost(lv, rp->st, lru >= LRU_FILE, 0, rotated);
}

/* shrink_list(): active lists only shrink when deactivation is wanted. */
static void shrink_list(struct reclaim_pass *rp, unsigned lru, uint64_t nr_to_scan) {
  if (lru & LRU_ACTIVE) {
    if (rp->may_deactivate & (lru >= LRU_FILE ? DEACTIVATE_FILE : DEACTIVATE_ANON))
      shrink_active_list(rp, lru, nr_to_scan);
    return;
  }
  shrink_inactive_list(rp, lru, nr_to_scan);
}

/*
 * prepare_scan_count(): deactivate a type whose inactive list is low, or
 * whose workingset is changing (refaults activated since the last
 * snapshot); trim the cache alone while its inactive list is big and not
 * thrashing; call file "tiny" when file + free pages fit under the HIGH
 * watermarks and anon is not being deactivated itself.
 */
static void prepare_scan_count(struct reclaim_pass *rp, bool force_deactivate) {
  vmsim_lruvec *lv = rp->lv;
  struct fivelist_node *st = rp->st;

  rp->anon_cost = st->anon_cost;
  rp->file_cost = st->file_cost;
  rp->may_deactivate = 0;
  if (force_deactivate || st->activations[WORKINGSET_ANON] != st->refaults[WORKINGSET_ANON] ||
      inactive_is_low(lv, LRU_INACTIVE_ANON))
    rp->may_deactivate |= DEACTIVATE_ANON;
  if (force_deactivate || st->activations[WORKINGSET_FILE] != st->refaults[WORKINGSET_FILE] ||
      inactive_is_low(lv, LRU_INACTIVE_FILE))
    rp->may_deactivate |= DEACTIVATE_FILE;

  rp->cache_trim_mode =
      (lru_size(lv, LRU_INACTIVE_FILE) >> rp->priority) && !(rp->may_deactivate & DEACTIVATE_FILE);

  uint64_t free = vmsim_lruvec_free_pages(lv), high = vmsim_lruvec_high_wmark(lv);
  uint64_t file = lru_size(lv, LRU_ACTIVE_FILE) + lru_size(lv, LRU_INACTIVE_FILE);
  rp->file_is_tiny = file + free <= high && !(rp->may_deactivate & DEACTIVATE_ANON) &&
                     (lru_size(lv, LRU_INACTIVE_ANON) >> rp->priority);
}

/*
 * get_scan_count(): how many pages of each evictable list to scan: of
 * (size >> priority), all, none, or the type's share by recorded costs and
 * swappiness (fivelist_scan_fractions()).
 */
static void get_scan_count(const struct reclaim_pass *rp, uint64_t nr[NR_EVICTABLE_LRU]) {
  vmsim_lruvec *lv = rp->lv;
  const vmsim_scan_control *sc = rp->sc;
  uint64_t swappiness = sc->swappiness, fraction[ANON_AND_FILE] = {0, 0}, denominator = 1;
  enum scan_balance balance;

  if (!sc->may_swap || !can_reclaim_anon(lv))
    balance = SCAN_FILE; /* no swap: anon cannot go anywhere */
  else if (!rp->priority && swappiness)
    balance = SCAN_EQUAL; /* close to OOM: no cleverness */
  else if (rp->file_is_tiny)
    balance = SCAN_ANON;
  else if (rp->cache_trim_mode)
    balance = SCAN_FILE;
  else {
    balance = SCAN_FRACT;
    fivelist_scan_fractions(swappiness, rp->anon_cost, rp->file_cost, fraction, &denominator);
  }

  for (unsigned lru = 0; lru < NR_EVICTABLE_LRU; lru++) {
    bool file = lru >= LRU_FILE;
    uint64_t scan = lru_size(lv, lru) >> rp->priority;
    switch (balance) {
    case SCAN_EQUAL:
      break;
    case SCAN_FRACT:
      scan = denominator ? scan * fraction[file] / denominator : 0;
      break;
    case SCAN_FILE:
    case SCAN_ANON:
      if ((balance == SCAN_FILE) != file)
        scan = 0;
      break;
    }
    nr[lru] = scan;
  }
}

/*
 * shrink_lruvec(): scan the lists in rounds of at most SWAP_CLUSTER_MAX
 * each until the targets are spent (active anon alone does not keep the
 * loop going) or enough was reclaimed; then, if anon can be aged at all,
 * rebalance its active/inactive ratio even if anon was not scanned.
 */
static void shrink_lruvec(struct reclaim_pass *rp) {
  vmsim_scan_control *sc = rp->sc;
  uint64_t nr[NR_EVICTABLE_LRU];

  get_scan_count(rp, nr);
  while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
    for (unsigned lru = 0; lru < NR_EVICTABLE_LRU; lru++) {
      if (!nr[lru])
        continue;
      uint64_t batch = MIN(nr[lru], (uint64_t)SWAP_CLUSTER_MAX);
      nr[lru] -= batch;
      shrink_list(rp, lru, batch);
      if (sc->nr_reclaimed >= sc->nr_to_reclaim)
        goto done;
    }
  }
done:
  if (swap_configured(rp->lv) && inactive_is_low(rp->lv, LRU_INACTIVE_ANON))
    shrink_active_list(rp, LRU_ACTIVE_ANON, SWAP_CLUSTER_MAX);
}

/* One shrink_node() pass at `priority`. */
static void shrink_node_pass(vmsim_lruvec *lv, struct fivelist_node *st, vmsim_scan_control *sc,
                             int priority, bool force_deactivate) {
  struct reclaim_pass rp = {.lv = lv, .st = st, .sc = sc, .priority = priority};
  prepare_scan_count(&rp, force_deactivate);
  shrink_lruvec(&rp);
}

static void fivelist_shrink(vmsim_lruvec *lv, void *state, vmsim_scan_control *sc) {
  struct fivelist_node *st = state;

  if (sc->on_demand) {
    /* do_try_to_free_pages()'s priority loop, then its forced retry. */
    for (int p = DEF_PRIORITY; p >= 0 && sc->nr_reclaimed < sc->nr_to_reclaim; p--)
      shrink_node_pass(lv, st, sc, p, false);
    for (int i = 0;
         i < FIVELIST_ON_DEMAND_FORCE_PASSES && sc->nr_reclaimed < sc->nr_to_reclaim; i++)
      shrink_node_pass(lv, st, sc, 0, true);
    snapshot_refaults(st);
    return;
  }
  shrink_node_pass(lv, st, sc, sc->priority, false);
  /* A direct reclaim ends when it has its pages or has tried priority 0;
   * kswapd's run ends in fivelist_age(). */
  if (!sc->kswapd && (sc->nr_reclaimed >= sc->nr_to_reclaim || sc->priority == 0))
    snapshot_refaults(st);
}

const vmsim_policy_ops vmsim__policy_fivelist = {
  .abi_version = VMSIM_POLICY_ABI_VERSION,       /* built against this ABI */
  .struct_size = sizeof(vmsim_policy_ops),       /* and this table size */
  .name = "fivelist",                            /* registry name */
  .description = "Linux 6.x active/inactive anon/file LRU with workingset refault detection",
  .node_state_size = sizeof(struct fivelist_node), /* ages, costs, refault snapshot */
  .page_state_size = 0,                          /* PG_active/referenced/workingset only */
  .nr_lists = NR_LRU_LISTS,                      /* the kernel's five lists */
  .list_names = fivelist_list_names,
  .list_kinds = fivelist_list_kinds,
  .init = fivelist_init,                         /* zeroed state is the start */
  .fini = fivelist_fini,
  .page_add = fivelist_page_add,                 /* lru_add_fn: new pages inactive */
  .page_del = fivelist_page_del,
  .shrink = fivelist_shrink,                     /* shrink_node -> shrink_lruvec */
  .mark_accessed = fivelist_mark_accessed,       /* folio_mark_accessed */
  .age = fivelist_age,                           /* kswapd run over: snapshot refaults */
  .evict = fivelist_evict,                       /* workingset_eviction shadow */
  .refault = fivelist_refault,                   /* workingset_refault */
};
