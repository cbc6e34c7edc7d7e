/* SPDX-License-Identifier: MIT */
/* Swap devices, slots and the swap cache (mm/swapfile.c, mm/swap_state.c). Internal. */
#ifndef VMSIM_SWAP_H
#define VMSIM_SWAP_H

#include "mm_types.h"

/* A slot's `map`: the number of swap PTEs that reference it, plus
 * SWAP_HAS_CACHE while a page for it is in the swap cache. 0 = free. */
#define SWAP_HAS_CACHE 0x8000u
#define SWAP_MAP_MAX 0x7fffu

/* One swap slot: all a swap-in needs, in one record of 24 bytes (one host
 * cache line, or two for the quarter of slots that straddle a boundary). */
struct vmsim_swap_slot {
  uint64_t token; /* the contents as last written */
  uint64_t cache; /* swap cache: 0, pfn + 1, or a shadow (VMSIM_SHADOW_BIT) */
  uint16_t map;   /* references | SWAP_HAS_CACHE (the kernel's swap_map[]) */
};

struct vmsim_swap_device {
  uint64_t pages;
  int prio;
  vmsim_time_t read_latency, write_latency;
  struct vmsim_swap_slot *slots; /* on host huge pages: read at random */
  void *slots_base;               /* what to free */
  uint64_t inuse;    /* slots with map != 0 */
  uint64_t cursor;   /* where the next slot search starts */
};

struct vmsim_swap_info {
  uint32_t nr;
  uint32_t rr;    /* round-robin among devices of equal priority */
  uint64_t pages; /* slots of all devices */
  uint64_t inuse; /* of which in use: the sum of the devices' inuse */
  struct vmsim_swap_device dev[VMSIM_MAX_SWAP_DEVICES];
};

int vmsim__swap_init(vmsim_sim *sim);
void vmsim__swap_fini(vmsim_sim *sim);
/* Free slots on all devices; reclaim asks on every pass. */
static inline uint64_t vmsim__swap_free_slots(const vmsim_sim *sim) {
  const struct vmsim_swap_info *si = sim->swapinfo;
  return si ? si->pages - si->inuse : 0;
}
/* add_to_swap(): give an anon page a slot and put it in the swap cache
 * (dirty: it must be written). VMSIM_ENOSPC when swap is full. */
int vmsim__add_to_swap(vmsim_sim *sim, struct vmsim_page *page);
/* swap_writepage(): write the page's contents to its slot. */
void vmsim__swap_writepage(vmsim_sim *sim, struct vmsim_page *page, vmsim_time_t *cost);
/* __delete_from_swap_cache(): the page leaves the swap cache, leaving
 * `shadow` (0: none) in its place; the slot lives on while PTEs use it. */
void vmsim__delete_from_swap_cache(vmsim_sim *sim, struct vmsim_page *page, uint64_t shadow);
/* The swap device of an entry, or NULL if the entry is not valid. Inline:
 * the fault path and reclaim look up several entries per fault. */
static inline struct vmsim_swap_device *vmsim__swap_dev(const vmsim_sim *sim, vmsim_pte_t entry) {
  struct vmsim_swap_info *si = sim->swapinfo;
  unsigned type = vmsim_swp_type(entry);
  if (!si || !vmsim_pte_is_swap(entry) || type >= si->nr ||
      vmsim_swp_offset(entry) >= si->dev[type].pages)
    return NULL;
  return &si->dev[type];
}

/* The device and the slot of an entry known to be valid: the `swap` of a
 * page in the swap cache, which add_to_swap() or a swap-in checked when it
 * gave it. */
static inline struct vmsim_swap_device *vmsim__swap_dev_of(const vmsim_sim *sim,
                                                           vmsim_pte_t entry) {
  return &sim->swapinfo->dev[vmsim_swp_type(entry)];
}
static inline struct vmsim_swap_slot *vmsim__swap_slot(const vmsim_sim *sim, vmsim_pte_t entry) {
  return &vmsim__swap_dev_of(sim, entry)->slots[vmsim_swp_offset(entry)];
}

/* Warm the host cache with the slot of a swap entry (no simulated effect).
 * Always inline: GCC takes a function that only prefetches for one without
 * side effects and deletes the calls to it before it would inline them. */
static ALWAYS_INLINE void vmsim__swap_prefetch(const vmsim_sim *sim, vmsim_pte_t entry) {
  const struct vmsim_swap_device *d = vmsim__swap_dev(sim, entry);
  if (d)
    __builtin_prefetch(&d->slots[vmsim_swp_offset(entry)]);
}

#endif
