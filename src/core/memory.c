/* SPDX-License-Identifier: MIT */
/*
 * The access path and the page-fault handler (mm/memory.c): every simulated
 * access goes through the MMU (TLB, walk, accessed/dirty bits); a fault
 * leaves for handle_mm_fault(), which maps a zeroed anon page, a page-cache
 * page, a swapped page, or a private copy, and the access is retried.
 */
#include "mm_types.h"

#include <vmsim/workload.h>

#include "lru.h"
#include "mmu.h"
#include "swap.h"

/* ---- swap hooks before the reclaim engine installs its own ----------- */
static int noswap_swapin(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, struct vmsim_vma *vma,
                         uint64_t vaddr, vmsim_pte_t entry, bool write, vmsim_time_t *cost) {
  (void)cpu, (void)mm, (void)vma, (void)vaddr, (void)entry, (void)write, (void)cost;
  sim->integrity_errors++; /* no swap device: no PTE may hold a swap entry */
  return VMSIM_ECORRUPT;
}
static int noswap_dup(vmsim_sim *sim, vmsim_pte_t entry) {
  (void)entry;
  sim->integrity_errors++;
  return VMSIM_ECORRUPT;
}
static void noswap_free(vmsim_sim *sim, vmsim_pte_t entry) {
  (void)entry;
  sim->integrity_errors++;
}
static bool noswap_try_to_free_swap(vmsim_sim *sim, struct vmsim_page *page) {
  (void)sim, (void)page;
  return true;
}

static struct vmsim_swap_hooks noswap_hooks = {
  .swapin = noswap_swapin,
  .swap_dup = noswap_dup,
  .swap_free = noswap_free,
  .try_to_free_swap = noswap_try_to_free_swap,
};

int vmsim__mm_init(vmsim_sim *sim) {
  sim->swap = &noswap_hooks;
  sim->cpus = vmsim__calloc(sim->nr_cpus, sizeof(*sim->cpus));
  sim->cpu_clock = vmsim__calloc(sim->nr_cpus, sizeof(*sim->cpu_clock));
  if (!sim->cpus || !sim->cpu_clock)
    return VMSIM_ENOMEM;
  for (uint32_t c = 0; c < sim->nr_cpus; c++) {
    int err = vmsim__tlb_init(&sim->cpus[c].tlb, &sim->cfg.tlb);
    if (err)
      return err;
    sim->cpus[c].id = c;
    sim->cpus[c].nid = (uint32_t)vmsim_cpu_to_node(sim, c);
  }
  return 0;
}

/* ---- allocating and freeing user pages ------------------------------- */

/*
 * A frame for a user page, from the faulting CPU's node (GFP_HIGHUSER_MOVABLE).
 * NULL if the machine is out of memory, or if the OOM killer chose `mm`
 * itself while trying to make room (check mm->state).
 */
struct vmsim_page *vmsim__alloc_user_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm) {
  struct vmsim_node *node = &sim->nodes[sim->cpus[cpu].nid];
  struct vmsim_page *page = vmsim__alloc_pages(sim, node, VMSIM_GFP_HIGHUSER_MOVABLE, 0);
  if (page && mm && mm->state != VMSIM_PROC_RUNNING) {
    vmsim__free_pages(sim, page, 0);
    return NULL;
  }
  if (page) {
    page->flags |= UINT32_C(1) << VMSIM_PG_uptodate;
    page->mapping = 0;
    page->rmap = 0;
    page->mapcount = 0;
    page->swap = 0;
    page->policy = 0;
  }
  return page;
}

/* A user page nobody maps or caches any more: off the LRU, back to buddy. */
void vmsim__put_user_page(vmsim_sim *sim, struct vmsim_page *page) {
  if (vmsim_page_test(page, VMSIM_PG_lru) || vmsim_page_test(page, VMSIM_PG_unevictable))
    vmsim__lru_del(sim, page);
  if (vmsim_page_test(page, VMSIM_PG_anon))
    sim->vmstat[VMSIM_VM_nr_anon_pages]--;
  if (vmsim_page_test(page, VMSIM_PG_mlocked))
    sim->vmstat[VMSIM_VM_nr_mlock]--;
  vmsim__free_pages(sim, page, 0);
}

/*
 * Install `page` at `vaddr`: the reverse map, the PTE and the counters.
 * The PTE starts old and clean; the MMU sets accessed (and dirty) when the
 * access is retried, exactly as hardware does after a fault. On failure
 * an empty slot is written back to 0, freeing tables left empty (ptep is
 * then invalid).
 */
int vmsim__map_page(vmsim_sim *sim, struct vmsim_mm *mm, struct vmsim_vma *vma, uint64_t vaddr,
                    vmsim_pte_t *ptep, struct vmsim_page *page, bool writable) {
  vmsim_pfn_t pfn = vmsim__page_to_pfn(sim, page);
  uint64_t flags = VMSIM_PTE_PRESENT | VMSIM_PTE_USER | (writable ? VMSIM_PTE_WRITE : 0);
  bool anon = vmsim_page_test(page, VMSIM_PG_anon);
  int err = vmsim__rmap_add(sim, page, mm->pid, vaddr);
  if (err) {
    /* Writing 0 frees the tables vmsim__pte_alloc() made for nothing. */
    if (vmsim_pte_none(*ptep))
      vmsim__pte_set(&mm->pgt, vaddr, ptep, 0);
    return err;
  }

  if (vmsim_pte_is_swap(*ptep))
    mm->rss[MM_SWAPENTS]--;
  vmsim__pte_set(&mm->pgt, vaddr, ptep, vmsim_pte_mk(pfn, flags));
  if (page->mapcount++ == 0 && !anon)
    sim->vmstat[VMSIM_VM_nr_mapped]++;
  mm->rss[anon ? MM_ANONPAGES : MM_FILEPAGES]++;
  if (vma_is_locked(vma) && !vmsim_page_test_and_set(page, VMSIM_PG_mlocked)) {
    sim->vmstat[VMSIM_VM_nr_mlock]++;
    /* mlock_folio(): move an already listed page to the unevictable list */
    if (vmsim_page_test(page, VMSIM_PG_lru)) {
      vmsim__lru_del(sim, page);
      vmsim__lru_add(sim, page);
    }
  }
  return 0;
}

/* rmap walk callback: is this mapping in a locked VMA? (stops the walk) */
static int mapped_locked(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                         uint64_t vaddr, vmsim_pte_t *ptep, void *arg) {
  (void)sim, (void)page, (void)ptep, (void)arg;
  struct vmsim_vma *vma = vmsim__find_vma(mm, vaddr);
  return vma && vma_is_locked(vma);
}

/*
 * page_remove_rmap() and what follows it: `mm` no longer maps `page` at
 * `vaddr` (the caller rewrites the PTE). An anon page whose last mapping
 * went away dies with it, unless the swap cache must keep it for other
 * swap PTEs. A page that stays is munlocked once no locked VMA maps it
 * (munlock_vma_page(): its other mappers may be unlocked, e.g. since fork).
 */
static void page_remove_mapping(vmsim_sim *sim, struct vmsim_mm *mm, uint64_t vaddr,
                                vmsim_pte_t pte, struct vmsim_page *page) {
  bool anon = vmsim_page_test(page, VMSIM_PG_anon);
  if (vmsim_pte_dirty(pte))
    vmsim__set_page_dirty(sim, page);
  vmsim__rmap_del(sim, page, mm->pid, vaddr);
  mm->rss[anon ? MM_ANONPAGES : MM_FILEPAGES]--;
  if (--page->mapcount == 0) {
    if (anon && (!vmsim_page_test(page, VMSIM_PG_swapcache) ||
                 sim->swap->try_to_free_swap(sim, page))) {
      sim->token_ledger -= token_seq(page->token); /* the contents die */
      vmsim__put_user_page(sim, page);
      return;
    }
    /* A file page stays in the page cache, dirty or not: reclaim writes
     * it back and drops it later. So does an anon page that swap entries
     * still reference, in the swap cache. */
    if (!anon)
      sim->vmstat[VMSIM_VM_nr_mapped]--;
  }
  if (vmsim_page_test(page, VMSIM_PG_mlocked) &&
      !vmsim__rmap_walk(sim, page, mapped_locked, NULL)) {
    vmsim_page_clear(page, VMSIM_PG_mlocked);
    sim->vmstat[VMSIM_VM_nr_mlock]--;
    if (vmsim_page_test(page, VMSIM_PG_lru)) { /* back to an evictable list */
      vmsim__lru_del(sim, page);
      vmsim__lru_add(sim, page);
    }
  }
}

/*
 * zap_pte_range() for one entry: drop what the PTE holds and clear it.
 * The caller flushes the TLBs of the address space afterwards.
 */
void vmsim__zap_pte(vmsim_sim *sim, struct vmsim_mm *mm, uint64_t vaddr, vmsim_pte_t *ptep) {
  vmsim_pte_t pte = *ptep;

  if (vmsim_pte_present(pte)) {
    page_remove_mapping(sim, mm, vaddr, pte, &sim->mem_map[vmsim_pte_pfn(pte)]);
  } else if (vmsim_pte_is_swap(pte)) {
    sim->swap->swap_free(sim, pte);
    mm->rss[MM_SWAPENTS]--;
  }
  vmsim__pte_set(&mm->pgt, vaddr, ptep, 0);
}

/* ---- the fault handlers ---------------------------------------------- */

/* A new anon page: zero-filled contents tagged with its virtual page. */
static struct vmsim_page *alloc_anon_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                                          uint64_t vaddr, uint32_t seq) {
  struct vmsim_page *page = vmsim__alloc_user_page(sim, cpu, mm);
  if (!page)
    return NULL;
  page->flags |= UINT32_C(1) << VMSIM_PG_anon | UINT32_C(1) << VMSIM_PG_swapbacked;
  page->mapping = mm->pid;
  page->index = vaddr >> VMSIM_PAGE_SHIFT;
  page->token = anon_token(page->index, seq);
  sim->vmstat[VMSIM_VM_nr_anon_pages]++;
  return page;
}

/* Map a freshly allocated page at vaddr and hand it to the LRU. */
static int map_new_page(vmsim_sim *sim, struct vmsim_mm *mm, struct vmsim_vma *vma,
                        uint64_t vaddr, struct vmsim_page *page, bool writable) {
  vmsim_pte_t *ptep = vmsim__pte_alloc(&mm->pgt, vaddr);
  int err = ptep ? vmsim__map_page(sim, mm, vma, vaddr, ptep, page, writable) : VMSIM_ENOMEM;
  if (err) {
    sim->token_ledger -= token_seq(page->token);
    vmsim__put_user_page(sim, page);
    return err;
  }
  vmsim__lru_add(sim, page);
  return 0;
}

/* do_anonymous_page(): first touch of anon memory. (Linux maps the shared
 * zero page on a read fault; the simulator gives every page its own frame.) */
static int do_anonymous_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                             struct vmsim_vma *vma, uint64_t vaddr) {
  struct vmsim_page *page = alloc_anon_page(sim, cpu, mm, vaddr, 0);
  if (!page)
    return vmsim__killed_or(mm, VMSIM_EOOM);
  mm->misses++;
  return map_new_page(sim, mm, vma, vaddr, page, vma->prot & VMSIM_PROT_WRITE);
}

/*
 * wp_page_copy(): give `mm` its own copy of `src` at vaddr. The copy keeps
 * src's contents (its write count; the tag becomes the anon page's), so the
 * ledger grows by what was copied.
 */
static int do_cow(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, struct vmsim_vma *vma,
                  uint64_t vaddr, struct vmsim_page *src) {
  uint32_t seq = token_seq(src->token);
  /* Hold src (PG_locked) so reclaim during the allocation leaves it be. */
  bool was_locked = vmsim_page_test_and_set(src, VMSIM_PG_locked);
  struct vmsim_page *page = alloc_anon_page(sim, cpu, mm, vaddr, seq);
  if (!was_locked)
    vmsim_page_clear(src, VMSIM_PG_locked);
  if (!page)
    return vmsim__killed_or(mm, VMSIM_EOOM);
  sim->token_ledger += seq;

  vmsim_pte_t *ptep = vmsim__pte_lookup(&mm->pgt, vaddr, NULL);
  vmsim_pte_t old = ptep ? *ptep : 0;
  if (vmsim_pte_present(old)) {
    /* ptep_clear_flush(): no CPU may keep using the old frame. */
    vmsim__flush_tlb_pte(sim->cpus, sim->nr_cpus, mm->cpumask, cpu, mm->pid, vaddr, old);
    page_remove_mapping(sim, mm, vaddr, old, &sim->mem_map[vmsim_pte_pfn(old)]);
  }
  return map_new_page(sim, mm, vma, vaddr, page, true);
}

/* do_wp_page(): a write hit a present, read-only PTE of a writable VMA. */
static int do_wp_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, struct vmsim_vma *vma,
                      uint64_t vaddr, vmsim_pte_t *ptep) {
  vmsim_pte_t pte = *ptep;
  struct vmsim_page *page = &sim->mem_map[vmsim_pte_pfn(pte)];

  if (!vmsim_pte_write(pte)) {
    bool reuse = vmsim_page_test(page, VMSIM_PG_anon) && page->mapcount == 1 &&
                 (!vmsim_page_test(page, VMSIM_PG_swapcache) ||
                  sim->swap->try_to_free_swap(sim, page));
    if (!reuse)
      return do_cow(sim, cpu, mm, vma, vaddr, page);
    *ptep = vmsim__pte_mkwrite(pte); /* wp_page_reuse() */
  }
  /* The faulting CPU holds a read-only translation: drop it
   * (flush_tlb_fix_spurious_fault); other CPUs refault harmlessly. */
  vmsim__tlb_flush_page(&sim->cpus[cpu].tlb, mm->pid, vaddr);
  return 0;
}

/* do_read_fault / do_shared_fault / do_cow_fault for file mappings. */
static int do_file_fault(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, struct vmsim_vma *vma,
                         uint64_t vaddr, bool write, vmsim_time_t *cost) {
  struct vmsim_file *file = vmsim__file_get(sim, vma->file);
  struct vmsim_page *page;
  bool major = false;
  int err = vmsim__filemap_get_page(sim, cpu, mm, file, vma_file_index(vma, vaddr), &page, cost,
                                    &major);
  if (err)
    return err;
  if (major) {
    *cost += sim->cfg.cost.major_fault;
    mm->pgmajfault++;
    sim->vmstat[VMSIM_VM_pgmajfault]++;
  }
  if (write && !vma_is_shared(vma))
    return do_cow(sim, cpu, mm, vma, vaddr, page);
  vmsim_pte_t *ptep = vmsim__pte_alloc(&mm->pgt, vaddr);
  if (!ptep)
    return VMSIM_ENOMEM;
  return vmsim__map_page(sim, mm, vma, vaddr, ptep, page,
                         vma_is_shared(vma) && (vma->prot & VMSIM_PROT_WRITE));
}

/*
 * handle_mm_fault(): the MMU could not complete an access. Returns 0 when the
 * access can be retried, or the error the process sees.
 */
NOINLINE int vmsim__handle_mm_fault(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                                    uint64_t vaddr, bool write, vmsim_time_t *cost) {
  /* The page's address (vmf->address): the reverse map and every helper
   * below name a mapping by it, as the teardown and vmsim_check() do. */
  vaddr &= ~(uint64_t)(VMSIM_PAGE_SIZE - 1);
  struct vmsim_vma *vma = vmsim__find_vma(mm, vaddr);
  if (!vma) {
    mm->segv++;
    return VMSIM_EFAULT;
  }
  if (!(vma->prot & (write ? VMSIM_PROT_WRITE : VMSIM_PROT_READ))) {
    mm->segv++;
    return VMSIM_EACCES;
  }
  mm->pgfault++;
  sim->vmstat[VMSIM_VM_pgfault]++;
  *cost += sim->cfg.cost.minor_fault;

  vmsim_pte_t *ptep = vmsim__pte_lookup(&mm->pgt, vaddr, NULL);
  vmsim_pte_t pte = ptep ? *ptep : 0;
  if (vmsim_pte_present(pte))
    return do_wp_page(sim, cpu, mm, vma, vaddr, ptep);
  if (vmsim_pte_is_swap(pte))
    return sim->swap->swapin(sim, cpu, mm, vma, vaddr, pte, write, cost);
  if (vma_is_anonymous(vma))
    return do_anonymous_page(sim, cpu, mm, vma, vaddr);
  return do_file_fault(sim, cpu, mm, vma, vaddr, write, cost);
}

/* ---- the access path ------------------------------------------------- */

/* The per-access notification, for reference policies that ask for it. */
static NOINLINE void notify_access(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr,
                                   bool write, vmsim_pfn_t pfn, uint64_t next_use) {
  struct vmsim_page *page = &sim->mem_map[pfn];
  vmsim_lruvec *lv = sim->nodes[vmsim_page_nid(page)].lruvec;
  vmsim_access_info info = {cpu, pid, vaddr, write, sim->access_seq, next_use};
  lv->ops->access(lv, lv->state, page, &info);
}

/* The MMU could not translate: handle faults until it can (or the process
 * gets an error). Out of line: most accesses never come here. */
static NOINLINE int access_slow(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                                uint64_t vaddr, bool write, vmsim_pfn_t *pfn,
                                vmsim_time_t *cost) {
  sim->current_cpu = cpu; /* `current`, for reclaim and the OOM killer */
  sim->current_mm = mm;
  for (unsigned tries = 0; tries < 3; tries++) {
    int err = vmsim__handle_mm_fault(sim, cpu, mm, vaddr, write, cost);
    if (err)
      return err;
    if (vmsim__mmu_translate_retry(&sim->cpus[cpu], &mm->pgt, mm->pid, vaddr, write, pfn, cost,
                                   &sim->cfg.cost) == VMSIM_MMU_OK)
      return 0;
  }
  sim->integrity_errors++; /* a fault handler that makes no progress */
  return VMSIM_ECORRUPT;
}

/* The running process `pid` about to act on `cpu`, or NULL with *err. */
static ALWAYS_INLINE struct vmsim_mm *running_on(vmsim_sim *sim, uint32_t cpu, uint32_t pid,
                                                 int *err) {
  if (unlikely(!sim || cpu >= sim->nr_cpus)) {
    *err = VMSIM_EINVAL;
    return NULL;
  }
  return vmsim__mm_running(sim, pid, err);
}

/* Charge `cost` to the process and the CPU; then kswapd, if it has work
 * by now, runs up to the CPU's new time (a hand-off point). */
static ALWAYS_INLINE void charge(vmsim_sim *sim, struct vmsim_mm *mm, uint32_t cpu,
                                 vmsim_time_t cost) {
  mm->time += cost;
  sim->cpu_clock[cpu] += cost;
  vmsim__kswapd_hand_off(sim, sim->cpu_clock[cpu]);
}

/* switch_mm(): `cpu` runs `mm`, whose translations it may cache from now. */
static ALWAYS_INLINE void enter_mm(struct vmsim_mm *mm, uint32_t cpu) {
  uint64_t bit = UINT64_C(1) << (cpu % 64);
  if (unlikely(!(mm->cpumask[cpu / 64] & bit)))
    mm->cpumask[cpu / 64] |= bit;
  mm->last_cpu = cpu;
}

/* One access by the running process `mm` (pid `pid`), entered on `cpu`. */
static ALWAYS_INLINE int access_mm(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, uint32_t pid,
                                   uint64_t vaddr, bool write, uint64_t next_use) {
  int err = 0;
  vmsim_time_t cost = 0;
  vmsim_pfn_t pfn;
  if (unlikely(vmsim__mmu_translate(&sim->cpus[cpu], &mm->pgt, pid, vaddr, write, &pfn, &cost,
                                    &sim->cfg.cost) != VMSIM_MMU_OK)) {
    if ((err = access_slow(sim, cpu, mm, vaddr, write, &pfn, &cost)))
      goto out;
  }
  if (write) {
    struct vmsim_page *page = &sim->mem_map[pfn];
    page->token = token_bump(page->token);
    sim->token_ledger++;
  }
  if (unlikely(sim->access_notify))
    notify_access(sim, cpu, pid, vaddr, write, pfn, next_use);
  mm->accesses++;
out:
  sim->access_seq++;
  charge(sim, mm, cpu, cost);
  return err;
}

static ALWAYS_INLINE int do_access(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr,
                                   bool write, uint64_t next_use) {
  int err = 0;
  struct vmsim_mm *mm = running_on(sim, cpu, pid, &err);
  if (unlikely(!mm))
    return err;
  enter_mm(mm, cpu);
  return access_mm(sim, cpu, mm, pid, vaddr, write, next_use);
}

void vmsim__access_prefetch(vmsim_sim *sim, uint32_t pid, uint64_t vaddr,
                            enum vmsim__prefetch_stage stage) {
  /* The upper tables are few and stay cached; the leaf is the miss. */
  vmsim_pte_t *ptep = vmsim__mm_pte(sim, pid, vaddr, NULL);
  if (!ptep)
    return;
  if (stage == VMSIM_PREFETCH_PTE) {
    __builtin_prefetch(ptep);
    return;
  }
  vmsim_pte_t pte = *ptep;
  if (stage == VMSIM_PREFETCH_LRU) {
    const struct vmsim_page *page =
        vmsim_pte_present(pte) ? &sim->mem_map[vmsim_pte_pfn(pte)] : NULL;
    if (page && vmsim_page_test(page, VMSIM_PG_lru)) {
      if (page->lru_prev != VMSIM_PFN_NONE)
        __builtin_prefetch(&sim->mem_map[page->lru_prev]);
      if (page->lru_next != VMSIM_PFN_NONE)
        __builtin_prefetch(&sim->mem_map[page->lru_next]);
    }
  } else if (vmsim_pte_present(pte)) {
    __builtin_prefetch(&sim->mem_map[vmsim_pte_pfn(pte)]);
  } else if (vmsim_pte_is_swap(pte)) {
    vmsim__swap_prefetch(sim, pte);
  }
}

int vmsim_access(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr, bool write) {
  return do_access(sim, cpu, pid, vaddr, write, UINT64_MAX);
}

int vmsim_access_future(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr, bool write,
                        uint64_t next_use) {
  return do_access(sim, cpu, pid, vaddr, write, next_use);
}

/*
 * The process is looked up and entered once; between two accesses only its
 * state can change (the OOM killer, in a fault), and it is checked where
 * vmsim_access() would find it.
 */
int vmsim_access_batch(vmsim_sim *sim, uint32_t cpu, uint32_t pid, const vmsim_memref *refs,
                       size_t n, size_t *done) {
  int err = 0;
  size_t i = 0;
  struct vmsim_mm *mm = running_on(sim, cpu, pid, &err);
  if (mm && !refs && n) {
    err = VMSIM_EINVAL;
    mm = NULL;
  }
  if (likely(mm)) {
    enter_mm(mm, cpu);
    for (; i < n; i++) {
      if (unlikely(mm->state != VMSIM_PROC_RUNNING)) {
        err = vmsim__killed_or(mm, VMSIM_ESRCH);
        break;
      }
      if (unlikely(err = access_mm(sim, cpu, mm, pid, refs[i].vaddr, refs[i].write, UINT64_MAX)))
        break;
    }
  }
  if (done)
    *done = i;
  return err;
}

int vmsim_file_read(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint32_t file_id,
                    uint64_t index) {
  int err;
  struct vmsim_mm *mm = running_on(sim, cpu, pid, &err);
  if (!mm)
    return err;
  struct vmsim_file *file = vmsim__file_get(sim, file_id);
  if (!file)
    return VMSIM_ENOENT;
  if (index >= file->nr_pages)
    return VMSIM_ERANGE;
  vmsim_time_t cost = sim->cfg.cost.l1_tlb_hit;
  struct vmsim_page *page;
  bool major;
  sim->current_cpu = cpu;
  sim->current_mm = mm;
  mm->last_cpu = cpu;
  err = vmsim__filemap_get_page(sim, cpu, mm, file, index, &page, &cost, &major);
  if (!err) {
    vmsim__mark_page_accessed(sim, page);
    mm->accesses++;
  }
  charge(sim, mm, cpu, cost);
  return err;
}

int vmsim_tlb_get_info(const vmsim_sim *sim, uint32_t cpu, vmsim_tlb_info *out) {
  if (!sim || !out || (cpu != UINT32_MAX && cpu >= sim->nr_cpus))
    return VMSIM_EINVAL;
  memset(out, 0, sizeof(*out));
  for (uint32_t c = 0; c < sim->nr_cpus; c++) {
    if (cpu != UINT32_MAX && c != cpu)
      continue;
    const struct vmsim_tlb_stats *st = &sim->cpus[c].tlb.stats;
    out->l1_hits += st->l1_hits;
    out->l2_hits += st->l2_hits;
    out->misses += st->misses;
    out->flush_page += st->flush_page;
    out->flush_asid += st->flush_asid;
    out->flush_all += st->flush_all;
    out->shootdowns += st->shootdowns;
  }
  return 0;
}

vmsim_time_t vmsim_time_now(const vmsim_sim *sim) {
  vmsim_time_t now = 0;
  for (uint32_t c = 0; c < sim->nr_cpus; c++)
    now = MAX(now, sim->cpu_clock[c]);
  return now;
}
