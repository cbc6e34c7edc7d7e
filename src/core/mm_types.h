/* SPDX-License-Identifier: MIT */
/*
 * Address spaces, VMAs, simulated files and the reverse map: the operating
 * system's side of the hardware model. Internal.
 */
#ifndef VMSIM_MM_TYPES_H
#define VMSIM_MM_TYPES_H

#include <vmsim/mm.h>

#include "internal.h"
#include "pgtable.h"
#include "tlb.h"

#define VMSIM_CPUMASK_WORDS (VMSIM_MAX_CPUS / 64)

struct vmsim_vma {
  uint64_t start, end; /* [start, end), page aligned */
  unsigned prot;       /* VMSIM_PROT_* */
  unsigned flags;      /* VMSIM_MAP_* */
  uint32_t file;       /* file id when not anonymous */
  uint64_t pgoff;      /* file page mapped at start */
};

static inline bool vma_is_anonymous(const struct vmsim_vma *vma) {
  return vma->flags & VMSIM_MAP_ANONYMOUS;
}
static inline bool vma_is_shared(const struct vmsim_vma *vma) {
  return vma->flags & VMSIM_MAP_SHARED;
}
static inline bool vma_is_locked(const struct vmsim_vma *vma) {
  return vma->flags & VMSIM_MAP_LOCKED;
}
static inline uint64_t vma_file_index(const struct vmsim_vma *vma, uint64_t vaddr) {
  return vma->pgoff + ((vaddr - vma->start) >> VMSIM_PAGE_SHIFT);
}

/* mm->rss[] indices, as the kernel's MM_*PAGES. */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, NR_MM_COUNTERS };

struct vmsim_mm {
  uint32_t pid; /* also the TLB's address-space id */
  enum vmsim_process_state state;
  int oom_score_adj;
  struct vmsim_pgtable pgt;
  struct vmsim_vma *vmas; /* sorted by start, non-overlapping */
  uint32_t nr_vmas, cap_vmas;
  uint32_t last_vma;      /* find_vma cache */
  uint32_t last_cpu;      /* the CPU it last ran on, where its own system calls
                             (munmap, fork, exit) run; UINT32_MAX before that */
  uint64_t cpumask[VMSIM_CPUMASK_WORDS]; /* CPUs that may cache its TLB entries */
  uint64_t rss[NR_MM_COUNTERS];
  uint64_t accesses, misses, pgfault, pgmajfault, segv;
  vmsim_time_t time;
};

/*
 * A simulated file: its page cache (one slot per page index) and its
 * backing store (the content token of each page as last written back).
 * A page-cache slot holds 0 (absent), pfn + 1 (resident), or a shadow entry
 * (VMSIM_SHADOW_BIT set) left by reclaim for refault detection.
 */
#define VMSIM_SHADOW_BIT (UINT64_C(1) << 63)
struct vmsim_file {
  uint32_t id;
  uint64_t nr_pages;
  uint64_t *cache;
  uint64_t *disk;
  uint64_t nr_cached;
};

static inline bool cache_entry_is_page(uint64_t e) { return e && !(e & VMSIM_SHADOW_BIT); }
static inline vmsim_pfn_t cache_entry_pfn(uint64_t e) { return (vmsim_pfn_t)(e - 1); }

/* One (address space, address) that maps a frame; chained from page->rmap. */
struct vmsim_rmap_item {
  uint32_t next; /* index of the next item, 0 at the end */
  uint32_t pid;
  uint64_t vaddr;
};

/*
 * Content tokens (the "nothing is lost" check). A token is a 32-bit identity
 * tag (of the anon virtual page, or of the file page) above a 32-bit count
 * of the writes the contents have received. Every simulated write bumps the
 * count and sim->token_ledger; vmsim_check() verifies that the counts of all
 * live contents add up to the ledger, and every swap-in and file read checks
 * the identity tag of what came back.
 */
static inline uint32_t token_tag(uint64_t a, uint64_t b) {
  uint64_t z = a * UINT64_C(0x9e3779b97f4a7c15) ^ (b + UINT64_C(0x632be59bd9b4e019));
  z = (z ^ (z >> 29)) * UINT64_C(0xbf58476d1ce4e5b9);
  return (uint32_t)(z >> 32) | 1u;
}
static inline uint64_t anon_token(uint64_t vpn, uint32_t seq) {
  return (uint64_t)token_tag(0, vpn) << 32 | seq;
}
static inline uint64_t file_token(uint32_t file, uint64_t index, uint32_t seq) {
  return (uint64_t)token_tag((uint64_t)file + 1, index) << 32 | seq;
}
static inline uint32_t token_seq(uint64_t token) { return (uint32_t)token; }
static inline uint64_t token_bump(uint64_t token) {
  return (token & ~UINT64_C(0xffffffff)) | (uint32_t)(token + 1);
}

/*
 * Swap hooks: the fault path and the teardown of address spaces call these
 * for swap entries. The reclaim engine installs them when swap exists;
 * without swap no PTE ever holds a swap entry.
 */
struct vmsim_swap_hooks {
  /* Fault on a swap PTE: bring the page in and map it (do_swap_page). */
  int (*swapin)(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, struct vmsim_vma *vma,
                uint64_t vaddr, vmsim_pte_t entry, bool write, vmsim_time_t *cost);
  /* A swap PTE is copied by fork (swap_duplicate) or dropped (swap_free). */
  int (*swap_dup)(vmsim_sim *sim, vmsim_pte_t entry);
  void (*swap_free)(vmsim_sim *sim, vmsim_pte_t entry);
  /* try_to_free_swap(): an anon page in the swap cache lost its last
   * mapping, or is about to be written in place. Drop its swap copy unless
   * other swap PTEs still reference the slot; true if the page has left the
   * swap cache (and may be freed or reused). */
  bool (*try_to_free_swap)(vmsim_sim *sim, struct vmsim_page *page);
};

/* PG_dirty, counted in nr_dirty for file pages (NR_FILE_DIRTY). */
static inline void vmsim__set_page_dirty(vmsim_sim *sim, struct vmsim_page *page) {
  if (!vmsim_page_test_and_set(page, VMSIM_PG_dirty) && !vmsim_page_test(page, VMSIM_PG_anon))
    sim->vmstat[VMSIM_VM_nr_dirty]++;
}
static inline bool vmsim__clear_page_dirty(vmsim_sim *sim, struct vmsim_page *page) {
  bool was = vmsim_page_test_and_clear(page, VMSIM_PG_dirty);
  if (was && !vmsim_page_test(page, VMSIM_PG_anon))
    sim->vmstat[VMSIM_VM_nr_dirty]--;
  return was;
}

/* mm.c */
static inline struct vmsim_mm *vmsim__mm_get(const vmsim_sim *sim, uint32_t pid) {
  return (pid != 0 && pid < sim->nr_mms) ? sim->mms[pid] : NULL;
}
/*
 * The PTE slot through which process `pid` maps `vaddr`, its mm in *mmp (if
 * mmp is not NULL); NULL if there is no such process, if it has no page
 * tables any more (it exited or was killed), or if no table covers vaddr.
 */
static inline vmsim_pte_t *vmsim__mm_pte(const vmsim_sim *sim, uint32_t pid, uint64_t vaddr,
                                         struct vmsim_mm **mmp) {
  struct vmsim_mm *mm = vmsim__mm_get(sim, pid);
  if (mmp)
    *mmp = mm;
  return mm && mm->pgt.pgd ? vmsim__pte_lookup(&mm->pgt, vaddr, NULL) : NULL;
}
/* VMSIM_EKILLED if the OOM killer took `mm` (may be NULL), else `otherwise`:
 * what a process sees when it cannot run (VMSIM_ESRCH) or a fault of it got
 * no page (VMSIM_EOOM). */
static inline int vmsim__killed_or(const struct vmsim_mm *mm, int otherwise) {
  return mm && mm->state == VMSIM_PROC_KILLED ? VMSIM_EKILLED : otherwise;
}
/* The running process `pid` (sim may be NULL), or NULL with *err:
 * VMSIM_EKILLED if the OOM killer took it, else VMSIM_ESRCH. */
static inline struct vmsim_mm *vmsim__mm_running(const vmsim_sim *sim, uint32_t pid, int *err) {
  struct vmsim_mm *mm = sim ? vmsim__mm_get(sim, pid) : NULL;
  if (likely(mm && mm->state == VMSIM_PROC_RUNNING))
    return mm;
  *err = vmsim__killed_or(mm, VMSIM_ESRCH);
  return NULL;
}
struct vmsim_vma *vmsim__find_vma(struct vmsim_mm *mm, uint64_t vaddr);
void vmsim__mm_teardown(vmsim_sim *sim, struct vmsim_mm *mm, enum vmsim_process_state why);
void vmsim__mms_destroy(vmsim_sim *sim);

/* memory.c */
int vmsim__mm_init(vmsim_sim *sim);
int vmsim__handle_mm_fault(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm, uint64_t vaddr,
                           bool write, vmsim_time_t *cost);
struct vmsim_page *vmsim__alloc_user_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm);
void vmsim__put_user_page(vmsim_sim *sim, struct vmsim_page *page);
void vmsim__zap_pte(vmsim_sim *sim, struct vmsim_mm *mm, uint64_t vaddr, vmsim_pte_t *ptep);
int vmsim__map_page(vmsim_sim *sim, struct vmsim_mm *mm, struct vmsim_vma *vma, uint64_t vaddr,
                    vmsim_pte_t *ptep, struct vmsim_page *page, bool writable);
/*
 * A hint that process `pid` will soon access `vaddr`: start loading into the
 * host's cache what that access will read, so that a caller who knows its
 * next accesses (replay reads its trace ahead) overlaps their cache misses.
 * VMSIM_PREFETCH_PTE fetches the leaf PTE; VMSIM_PREFETCH_TARGET, given a
 * few accesses later when the PTE has arrived, fetches what it names: the
 * frame's struct vmsim_page, or the swap slot; VMSIM_PREFETCH_LRU, later
 * still and only for a policy that sees every access (exact LRU moves the
 * page to its list's head), the page's neighbours on its list. No
 * simulated effect at all:
 * nothing is counted, charged or changed.
 */
enum vmsim__prefetch_stage { VMSIM_PREFETCH_PTE, VMSIM_PREFETCH_TARGET, VMSIM_PREFETCH_LRU };
void vmsim__access_prefetch(vmsim_sim *sim, uint32_t pid, uint64_t vaddr,
                            enum vmsim__prefetch_stage stage);

/* filemap.c */
void vmsim__files_destroy(vmsim_sim *sim);
struct vmsim_file *vmsim__file_get(const vmsim_sim *sim, uint32_t id);
int vmsim__filemap_get_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                            struct vmsim_file *file, uint64_t index, struct vmsim_page **out,
                            vmsim_time_t *cost, bool *major);

/* rmap.c */
int vmsim__rmap_add(vmsim_sim *sim, struct vmsim_page *page, uint32_t pid, uint64_t vaddr);
void vmsim__rmap_del(vmsim_sim *sim, struct vmsim_page *page, uint32_t pid, uint64_t vaddr);
void vmsim__rmap_destroy(vmsim_sim *sim);
/* Warm the host cache with what a walk of page's reverse map reads first:
 * its one PTE if the mapping is implicit, else its first item. */
void vmsim__rmap_prefetch(vmsim_sim *sim, const struct vmsim_page *page);
/* Call fn for each (mm, vaddr, ptep) mapping `page`; fn may remove the
 * mapping it is given. A non-zero return stops the walk. */
int vmsim__rmap_walk(vmsim_sim *sim, struct vmsim_page *page,
                     int (*fn)(vmsim_sim *sim, struct vmsim_page *page, struct vmsim_mm *mm,
                               uint64_t vaddr, vmsim_pte_t *ptep, void *arg),
                     void *arg);
/* page_referenced(): test and clear the young bit of every PTE mapping the
 * page (flushing the TLBs that hold it); returns how many were young. */
unsigned vmsim__page_referenced(vmsim_sim *sim, struct vmsim_page *page, uint32_t initiator);
/* try_to_unmap(): replace every PTE mapping the page by a swap entry (anon
 * in the swap cache) or the file marker, moving PTE dirty bits to PG_dirty. */
void vmsim__try_to_unmap(vmsim_sim *sim, struct vmsim_page *page, uint32_t initiator);

/* lru.c: the reclaim domain, as seen by the fault path. */
void vmsim__lru_add(vmsim_sim *sim, struct vmsim_page *page);
void vmsim__lru_del(vmsim_sim *sim, struct vmsim_page *page);
void vmsim__mark_page_accessed(vmsim_sim *sim, struct vmsim_page *page);
/* A page was read back where reclaim had left a shadow value. */
void vmsim__lru_refault(vmsim_sim *sim, struct vmsim_page *page, uint64_t shadow);

#endif /* VMSIM_MM_TYPES_H */
