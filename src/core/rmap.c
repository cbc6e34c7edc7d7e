/* SPDX-License-Identifier: MIT */
/*
 * The reverse map: from a frame to every (address space, address) whose PTE
 * maps it, so reclaim can test and clear accessed bits and unmap a page
 * from all its mappers. Each mapping is one item chained from page->rmap
 * (the 2.5-era pte_chain idea, by index into one growable pool).
 *
 * Most anon pages are mapped once, by the process that faulted them in, at
 * their own virtual page: that mapping is implicit, (page->mapping,
 * page->index), and costs no item (2.5's PageDirect did the same). An anon
 * page with rmap 0 and mapcount 1 is mapped that way; a second mapping
 * (fork) turns the implicit one into an item first, and the page keeps a
 * chain until its last mapping goes.
 */
#include "mm_types.h"

#include "mmu.h"

static bool rmap_implicit(const struct vmsim_page *page) {
  return page->rmap == 0 && page->mapcount > 0 && vmsim_page_test(page, VMSIM_PG_anon);
}

/* Take an item from the pool, growing it if need be; 0 if out of memory. */
static uint32_t rmap_item_alloc(vmsim_sim *sim) {
  if (sim->rmap_free == 0) {
    uint32_t old = sim->rmap_cap, cap = old ? old * 2 : 1024;
    if (cap <= old)
      return 0;
    struct vmsim_rmap_item *pool = vmsim__realloc(sim->rmap, (size_t)cap * sizeof(*pool));
    if (!pool)
      return 0;
    /* Chain the new items into the free list; item 0 stays unused. */
    for (uint32_t i = cap - 1; i >= (old ? old : 1); i--) {
      pool[i].next = sim->rmap_free;
      sim->rmap_free = i;
    }
    sim->rmap = pool;
    sim->rmap_cap = cap;
  }
  uint32_t idx = sim->rmap_free;
  sim->rmap_free = sim->rmap[idx].next;
  sim->rmap_used++;
  return idx;
}

static void rmap_push(vmsim_sim *sim, struct vmsim_page *page, uint32_t idx, uint32_t pid,
                      uint64_t vaddr) {
  struct vmsim_rmap_item *it = &sim->rmap[idx];
  it->next = page->rmap;
  it->pid = pid;
  it->vaddr = vaddr;
  page->rmap = idx;
}

/* Record that `pid` maps `page` at `vaddr`. Called before the caller counts
 * the mapping in page->mapcount. */
int vmsim__rmap_add(vmsim_sim *sim, struct vmsim_page *page, uint32_t pid, uint64_t vaddr) {
  if (vmsim_page_test(page, VMSIM_PG_anon) && page->mapcount == 0 && page->rmap == 0) {
    page->mapping = pid; /* the implicit mapping */
    page->index = vaddr >> VMSIM_PAGE_SHIFT;
    return 0;
  }
  bool implicit = rmap_implicit(page);
  uint32_t a = rmap_item_alloc(sim), b = implicit && a ? rmap_item_alloc(sim) : 0;
  if (!a || (implicit && !b)) {
    if (a) { /* give back the one we got */
      sim->rmap[a].next = sim->rmap_free;
      sim->rmap_free = a;
      sim->rmap_used--;
    }
    return VMSIM_ENOMEM;
  }
  if (implicit)
    rmap_push(sim, page, b, page->mapping, page->index << VMSIM_PAGE_SHIFT);
  rmap_push(sim, page, a, pid, vaddr);
  return 0;
}

void vmsim__rmap_del(vmsim_sim *sim, struct vmsim_page *page, uint32_t pid, uint64_t vaddr) {
  if (rmap_implicit(page)) {
    if (page->mapping != pid || page->index != vaddr >> VMSIM_PAGE_SHIFT)
      sim->integrity_errors++; /* not the page's one mapping */
    return;
  }
  for (uint32_t *link = &page->rmap; *link; link = &sim->rmap[*link].next) {
    uint32_t idx = *link;
    struct vmsim_rmap_item *it = &sim->rmap[idx];
    if (it->pid == pid && it->vaddr == vaddr) {
      *link = it->next;
      it->next = sim->rmap_free;
      sim->rmap_free = idx;
      sim->rmap_used--;
      return;
    }
  }
  sim->integrity_errors++; /* removing a mapping the map never had */
}

void vmsim__rmap_destroy(vmsim_sim *sim) {
  vmsim__free(sim->rmap);
  sim->rmap = NULL;
  sim->rmap_cap = sim->rmap_free = sim->rmap_used = 0;
}

void vmsim__rmap_prefetch(vmsim_sim *sim, const struct vmsim_page *page) {
  if (rmap_implicit(page)) {
    vmsim_pte_t *ptep = vmsim__mm_pte(sim, page->mapping, page->index << VMSIM_PAGE_SHIFT, NULL);
    if (ptep)
      __builtin_prefetch(ptep);
  } else if (page->rmap) {
    __builtin_prefetch(&sim->rmap[page->rmap]);
  }
}

typedef int (*rmap_fn)(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                       uint64_t vaddr, vmsim_pte_t *ptep, void *arg);

/* fn for the mapping of `page` (frame `pfn`) by `pid` at `vaddr`, whose PTE
 * must map the frame: if it does not, the map is corrupt (counted, skipped). */
static int rmap_visit(vmsim_sim *sim, struct vmsim_page *page, vmsim_pfn_t pfn, uint32_t pid,
                      uint64_t vaddr, rmap_fn fn, void *arg) {
  struct vmsim_mm *mm;
  vmsim_pte_t *ptep = vmsim__mm_pte(sim, pid, vaddr, &mm);
  if (!ptep || !vmsim_pte_present(*ptep) || vmsim_pte_pfn(*ptep) != pfn) {
    sim->integrity_errors++;
    return 0;
  }
  return fn(sim, page, mm, vaddr, ptep, arg);
}

int vmsim__rmap_walk(vmsim_sim *sim, struct vmsim_page *page, rmap_fn fn, void *arg) {
  vmsim_pfn_t pfn = vmsim__page_to_pfn(sim, page);
  if (rmap_implicit(page))
    return rmap_visit(sim, page, pfn, page->mapping, page->index << VMSIM_PAGE_SHIFT, fn, arg);
  for (uint32_t idx = page->rmap; idx;) {
    const struct vmsim_rmap_item *it = &sim->rmap[idx];
    idx = it->next; /* fn may remove this item */
    int r = rmap_visit(sim, page, pfn, it->pid, it->vaddr, fn, arg);
    if (r)
      return r;
  }
  return 0;
}

struct referenced_arg {
  uint32_t initiator;
  unsigned young;
};

static int referenced_one(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                          uint64_t vaddr, vmsim_pte_t *ptep, void *arg) {
  struct referenced_arg *ra = arg;
  (void)page;
  if (vmsim__ptep_test_and_clear_young(sim->cpus, sim->nr_cpus, mm->cpumask, ra->initiator,
                                       mm->pid, vaddr, ptep))
    ra->young++;
  return 0;
}

unsigned vmsim__page_referenced(vmsim_sim *sim, struct vmsim_page *page, uint32_t initiator) {
  struct referenced_arg ra = {initiator, 0};
  if (page->mapcount)
    vmsim__rmap_walk(sim, page, referenced_one, &ra);
  return ra.young;
}

static int unmap_one(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                     uint64_t vaddr, vmsim_pte_t *ptep, void *arg) {
  uint32_t initiator = *(uint32_t *)arg;
  bool anon = vmsim_page_test(page, VMSIM_PG_anon);
  vmsim_pte_t old = *ptep;

  /* The swap PTE will reference the slot (swap_duplicate). */
  if (anon && sim->swap->swap_dup(sim, page->swap))
    return 1; /* the slot cannot take another reference: stop unmapping */
  /* ptep_clear_flush(), then the swap entry or the file marker goes in. */
  *ptep = anon ? page->swap : VMSIM_PTE_FILE; /* non-zero to non-zero */
  vmsim__flush_tlb_pte(sim->cpus, sim->nr_cpus, mm->cpumask, initiator, mm->pid, vaddr, old);
  if (vmsim_pte_dirty(old))
    vmsim__set_page_dirty(sim, page);
  vmsim__rmap_del(sim, page, mm->pid, vaddr);
  if (anon) {
    mm->rss[MM_ANONPAGES]--;
    mm->rss[MM_SWAPENTS]++;
  } else {
    mm->rss[MM_FILEPAGES]--;
  }
  if (--page->mapcount == 0 && !anon)
    sim->vmstat[VMSIM_VM_nr_mapped]--;
  return 0;
}

void vmsim__try_to_unmap(vmsim_sim *sim, struct vmsim_page *page, uint32_t initiator) {
  if (page->mapcount)
    vmsim__rmap_walk(sim, page, unmap_one, &initiator);
}
