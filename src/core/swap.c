/* SPDX-License-Identifier: MIT */
/*
 * Swap devices: a slot allocator per device with priorities, the swap
 * cache (a page being written out or just read in stays findable by its
 * slot), swap-in on a fault (do_swap_page) and the bookkeeping of swap PTEs
 * as processes fork and exit.
 */
#include "swap.h"

#include "lru.h"

static bool swap_hook_try_to_free_swap(vmsim_sim *sim, struct vmsim_page *page);
static int swap_hook_swapin(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                            struct vmsim_vma *vma, uint64_t vaddr, vmsim_pte_t entry, bool write,
                            vmsim_time_t *cost);
static int swap_hook_dup(vmsim_sim *sim, vmsim_pte_t entry);
static void swap_hook_free(vmsim_sim *sim, vmsim_pte_t entry);

static struct vmsim_swap_hooks swap_hooks = {
  .swapin = swap_hook_swapin,
  .swap_dup = swap_hook_dup,
  .swap_free = swap_hook_free,
  .try_to_free_swap = swap_hook_try_to_free_swap,
};

int vmsim__swap_init(vmsim_sim *sim) {
  if (sim->cfg.nr_swap == 0)
    return 0; /* the no-swap hooks stay */
  struct vmsim_swap_info *si = vmsim__calloc(1, sizeof(*si));
  if (!si)
    return VMSIM_ENOMEM;
  sim->swapinfo = si;
  for (uint32_t i = 0; i < sim->cfg.nr_swap; i++) {
    const vmsim_swap_config *c = &sim->cfg.swap[i];
    struct vmsim_swap_device *d = &si->dev[i];
    d->pages = c->pages;
    d->prio = c->priority;
    d->read_latency = c->read_latency;
    d->write_latency = c->write_latency;
    d->slots = vmsim__calloc_huge(c->pages * sizeof(*d->slots), &d->slots_base);
    si->nr++;
    si->pages += c->pages;
    if (!d->slots)
      return VMSIM_ENOMEM;
  }
  sim->swap = &swap_hooks;
  return 0;
}

void vmsim__swap_fini(vmsim_sim *sim) {
  struct vmsim_swap_info *si = sim->swapinfo;
  if (!si)
    return;
  for (uint32_t i = 0; i < si->nr; i++) {
    vmsim__free(si->dev[i].slots_base);
  }
  vmsim__free(si);
  sim->swapinfo = NULL;
}

/*
 * get_swap_page(): the device of highest priority with a free slot; among
 * devices of the same priority, the one after the last used (round robin).
 * Within a device, the first free slot from a moving cursor.
 */
static int get_swap_slot(struct vmsim_swap_info *si, unsigned *type, uint64_t *slot) {
  int best = -1;
  for (uint32_t k = 0; k < si->nr; k++) {
    uint32_t i = (si->rr + k) % si->nr;
    struct vmsim_swap_device *d = &si->dev[i];
    if (d->inuse < d->pages && (best < 0 || d->prio > si->dev[best].prio))
      best = (int)i;
  }
  if (best < 0)
    return VMSIM_ENOSPC;
  struct vmsim_swap_device *d = &si->dev[best];
  uint64_t s = d->cursor;
  while (d->slots[s].map) /* inuse < pages: terminates */
    s = s + 1 == d->pages ? 0 : s + 1;
  d->cursor = s + 1 == d->pages ? 0 : s + 1;
  si->rr = (uint32_t)best + 1;
  *type = (unsigned)best;
  *slot = s;
  return 0;
}

/* The slot's last reference is gone: it is free again, shadow and all. */
static void release_slot(struct vmsim_swap_info *si, struct vmsim_swap_device *d, uint64_t slot) {
  d->slots[slot].map = 0;
  d->slots[slot].cache = 0;
  d->inuse--;
  si->inuse--;
}

int vmsim__add_to_swap(vmsim_sim *sim, struct vmsim_page *page) {
  unsigned type;
  uint64_t slot;
  if (!sim->swapinfo || get_swap_slot(sim->swapinfo, &type, &slot))
    return VMSIM_ENOSPC;
  struct vmsim_swap_device *d = &sim->swapinfo->dev[type];
  d->slots[slot].map = SWAP_HAS_CACHE;
  d->inuse++;
  sim->swapinfo->inuse++;
  d->slots[slot].cache = (uint64_t)vmsim__page_to_pfn(sim, page) + 1;
  page->swap = vmsim_swp_entry(type, slot);
  vmsim_page_set(page, VMSIM_PG_swapcache);
  vmsim_page_set(page, VMSIM_PG_dirty); /* the slot holds nothing yet */
  sim->vmstat[VMSIM_VM_nr_swapcached]++;
  return 0;
}

void vmsim__swap_writepage(vmsim_sim *sim, struct vmsim_page *page, vmsim_time_t *cost) {
  vmsim__swap_slot(sim, page->swap)->token = page->token;
  vmsim_page_clear(page, VMSIM_PG_dirty);
  sim->vmstat[VMSIM_VM_pswpout]++;
  sim->vmstat[VMSIM_VM_pgpgout] += VMSIM_PAGE_SIZE >> 10;
  *cost += vmsim__swap_dev_of(sim, page->swap)->write_latency;
}

void vmsim__delete_from_swap_cache(vmsim_sim *sim, struct vmsim_page *page, uint64_t shadow) {
  struct vmsim_swap_device *d = vmsim__swap_dev_of(sim, page->swap);
  uint64_t slot = vmsim_swp_offset(page->swap);
  d->slots[slot].cache = shadow ? (shadow | VMSIM_SHADOW_BIT) : 0;
  d->slots[slot].map &= (uint16_t)~SWAP_HAS_CACHE;
  if (d->slots[slot].map == 0)
    release_slot(sim->swapinfo, d, slot);
  vmsim_page_clear(page, VMSIM_PG_swapcache);
  page->swap = 0;
  sim->vmstat[VMSIM_VM_nr_swapcached]--;
}

/* ---- hooks of the fault path ------------------------------------------ */

static bool swap_hook_try_to_free_swap(vmsim_sim *sim, struct vmsim_page *page) {
  if ((vmsim__swap_slot(sim, page->swap)->map & SWAP_MAP_MAX) != 0)
    return false; /* swap PTEs still need the slot */
  vmsim__delete_from_swap_cache(sim, page, 0);
  vmsim__set_page_dirty(sim, page); /* the page is now the only copy */
  return true;
}

static int swap_hook_dup(vmsim_sim *sim, vmsim_pte_t entry) {
  struct vmsim_swap_device *d = vmsim__swap_dev(sim, entry);
  uint64_t slot = vmsim_swp_offset(entry);
  if (!d || d->slots[slot].map == 0) {
    sim->integrity_errors++;
    return VMSIM_ECORRUPT;
  }
  if ((d->slots[slot].map & SWAP_MAP_MAX) == SWAP_MAP_MAX)
    return VMSIM_ENOSPC;
  d->slots[slot].map++;
  return 0;
}

static void swap_hook_free(vmsim_sim *sim, vmsim_pte_t entry) {
  struct vmsim_swap_device *d = vmsim__swap_dev(sim, entry);
  uint64_t slot = vmsim_swp_offset(entry);
  if (!d || (d->slots[slot].map & SWAP_MAP_MAX) == 0) {
    sim->integrity_errors++;
    return;
  }
  if (--d->slots[slot].map != SWAP_HAS_CACHE) {
    if (d->slots[slot].map == 0) { /* the last reference: the contents die */
      sim->token_ledger -= token_seq(d->slots[slot].token);
      release_slot(sim->swapinfo, d, slot);
    }
    return;
  }
  /* free_swap_and_cache(): only the swap cache holds the slot now. If its
   * page is mapped nowhere, nothing can reach the contents any more. */
  struct vmsim_page *page = &sim->mem_map[cache_entry_pfn(d->slots[slot].cache)];
  if (page->mapcount == 0 && !vmsim_page_test(page, VMSIM_PG_isolated)) {
    vmsim__delete_from_swap_cache(sim, page, 0);
    sim->token_ledger -= token_seq(page->token);
    vmsim__put_user_page(sim, page);
  }
}

/*
 * do_swap_page(): the PTE holds a swap entry. Find the page in the swap
 * cache, or read it from the device (a major fault), map it, and drop the
 * PTE's reference to the slot. The page is mapped writable only when this
 * PTE was the last user of the slot and of the page; otherwise a write goes
 * through do_wp_page.
 */
static int swap_hook_swapin(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                            struct vmsim_vma *vma, uint64_t vaddr, vmsim_pte_t entry, bool write,
                            vmsim_time_t *cost) {
  struct vmsim_swap_device *d = vmsim__swap_dev(sim, entry);
  uint64_t slot = vmsim_swp_offset(entry);
  if (!d || (d->slots[slot].map & SWAP_MAP_MAX) == 0) {
    sim->integrity_errors++;
    return VMSIM_ECORRUPT;
  }
  struct vmsim_page *page;
  uint64_t e = d->slots[slot].cache;
  if (cache_entry_is_page(e)) {
    page = &sim->mem_map[cache_entry_pfn(e)];
  } else {
    page = vmsim__alloc_user_page(sim, cpu, mm);
    if (!page)
      return vmsim__killed_or(mm, VMSIM_EOOM);
    /* The allocation may have reclaimed, even killed, but devices stay:
     * `d` is still this entry's. */
    page->flags |= UINT32_C(1) << VMSIM_PG_anon | UINT32_C(1) << VMSIM_PG_swapbacked;
    page->mapping = mm->pid;
    page->index = vaddr >> VMSIM_PAGE_SHIFT;
    page->token = d->slots[slot].token;
    if (page->token >> 32 != anon_token(page->index, 0) >> 32)
      sim->integrity_errors++; /* the slot held another page's contents */
    sim->vmstat[VMSIM_VM_nr_anon_pages]++;
    d->slots[slot].map |= SWAP_HAS_CACHE;
    e = d->slots[slot].cache;
    d->slots[slot].cache = (uint64_t)vmsim__page_to_pfn(sim, page) + 1;
    page->swap = entry;
    vmsim_page_set(page, VMSIM_PG_swapcache);
    sim->vmstat[VMSIM_VM_nr_swapcached]++;
    if (e & VMSIM_SHADOW_BIT)
      vmsim__lru_refault(sim, page, e & ~VMSIM_SHADOW_BIT);
    vmsim__lru_add(sim, page);
    mm->pgmajfault++;
    mm->misses++;
    sim->vmstat[VMSIM_VM_pgmajfault]++;
    sim->vmstat[VMSIM_VM_pswpin]++;
    sim->vmstat[VMSIM_VM_pgpgin] += VMSIM_PAGE_SIZE >> 10;
    *cost += sim->cfg.cost.major_fault + d->read_latency;
  }
  vmsim_pte_t *ptep = vmsim__pte_lookup(&mm->pgt, vaddr, NULL);
  if (!ptep || *ptep != entry)
    return 0; /* the PTE changed while we slept: just retry the access */
  /* reuse_swap_page(): exclusive when this PTE is the only user, of the
   * slot and of the page (another process may map it from the swap cache). */
  bool exclusive = page->mapcount == 0 && (d->slots[slot].map & SWAP_MAP_MAX) == 1;
  int err = vmsim__map_page(sim, mm, vma, vaddr, ptep, page,
                            exclusive && (vma->prot & VMSIM_PROT_WRITE));
  if (err)
    return err;
  d->slots[slot].map--; /* the PTE maps the page now, not the slot */
  /* should_try_to_free_swap(): a write will make the swap copy stale, and
   * a swap device more than half full needs its slots back. */
  if (exclusive && (write || 2 * vmsim__swap_free_slots(sim) < sim->swapinfo->pages))
    swap_hook_try_to_free_swap(sim, page);
  return 0;
}
