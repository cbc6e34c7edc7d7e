/* SPDX-License-Identifier: MIT */
/*
 * Processes and their address spaces: creation, VMAs (mmap / munmap),
 * fork with copy-on-write, and teardown (exit, or the OOM killer).
 */
#include "mm_types.h"

int vmsim_process_create(vmsim_sim *sim, uint32_t *pid) {
  if (!sim || !pid)
    return VMSIM_EINVAL;
  if (sim->nr_mms == sim->cap_mms) {
    uint32_t cap = sim->cap_mms ? sim->cap_mms * 2 : 16;
    struct vmsim_mm **mms = vmsim__realloc(sim->mms, cap * sizeof(*mms));
    if (!mms)
      return VMSIM_ENOMEM;
    if (sim->cap_mms == 0)
      mms[0] = NULL, sim->nr_mms = 1; /* pid 0 is never used */
    sim->mms = mms;
    sim->cap_mms = cap;
  }
  struct vmsim_mm *mm = vmsim__calloc(1, sizeof(*mm));
  if (!mm)
    return VMSIM_ENOMEM;
  int err = vmsim__pgtable_init(&mm->pgt);
  if (err) {
    vmsim__free(mm);
    return err;
  }
  mm->pid = sim->nr_mms;
  mm->state = VMSIM_PROC_RUNNING;
  mm->last_cpu = UINT32_MAX;
  sim->mms[sim->nr_mms++] = mm;
  *pid = mm->pid;
  return 0;
}

int vmsim_process_set_oom_score_adj(vmsim_sim *sim, uint32_t pid, int adj) {
  int err;
  struct vmsim_mm *mm = vmsim__mm_running(sim, pid, &err);
  if (!mm)
    return err;
  if (adj < -1000 || adj > 1000)
    return VMSIM_ERANGE;
  mm->oom_score_adj = adj;
  return 0;
}

int vmsim_process_get_info(const vmsim_sim *sim, uint32_t pid, vmsim_process_info *out) {
  const struct vmsim_mm *mm = sim ? vmsim__mm_get(sim, pid) : NULL;
  if (!mm || !out)
    return mm ? VMSIM_EINVAL : VMSIM_ESRCH;
  memset(out, 0, sizeof(*out));
  out->state = mm->state;
  out->oom_score_adj = mm->oom_score_adj;
  out->rss_anon = mm->rss[MM_ANONPAGES];
  out->rss_file = mm->rss[MM_FILEPAGES];
  out->swapents = mm->rss[MM_SWAPENTS];
  out->pgtables = mm->pgt.nr_tables;
  out->accesses = mm->accesses;
  out->misses = mm->misses;
  out->pgfault = mm->pgfault;
  out->pgmajfault = mm->pgmajfault;
  out->segv = mm->segv;
  out->time_ns = mm->time;
  return 0;
}

/* ---- VMAs ------------------------------------------------------------ */

/* Index of the first VMA with end > vaddr (nr_vmas if none). */
static uint32_t vma_search(const struct vmsim_mm *mm, uint64_t vaddr) {
  uint32_t lo = 0, hi = mm->nr_vmas;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (mm->vmas[mid].end <= vaddr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

struct vmsim_vma *vmsim__find_vma(struct vmsim_mm *mm, uint64_t vaddr) {
  if (mm->last_vma < mm->nr_vmas) {
    struct vmsim_vma *v = &mm->vmas[mm->last_vma];
    if (vaddr >= v->start && vaddr < v->end)
      return v;
  }
  uint32_t i = vma_search(mm, vaddr);
  if (i == mm->nr_vmas || vaddr < mm->vmas[i].start)
    return NULL;
  mm->last_vma = i;
  return &mm->vmas[i];
}

static int vma_insert(struct vmsim_mm *mm, uint32_t at, const struct vmsim_vma *vma) {
  if (mm->nr_vmas == mm->cap_vmas) {
    uint32_t cap = mm->cap_vmas ? mm->cap_vmas * 2 : 8;
    struct vmsim_vma *v = vmsim__realloc(mm->vmas, cap * sizeof(*v));
    if (!v)
      return VMSIM_ENOMEM;
    mm->vmas = v;
    mm->cap_vmas = cap;
  }
  memmove(&mm->vmas[at + 1], &mm->vmas[at], (mm->nr_vmas - at) * sizeof(*vma));
  mm->vmas[at] = *vma;
  mm->nr_vmas++;
  return 0;
}

/* A non-empty, page-aligned range of user addresses. */
static bool valid_range(uint64_t addr, uint64_t len) {
  uint64_t mask = VMSIM_PAGE_SIZE - 1;
  return len && !(addr & mask) && !(len & mask) && addr < VMSIM_TASK_SIZE &&
         len <= VMSIM_TASK_SIZE - addr;
}

int vmsim_mmap(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t len, unsigned prot,
               unsigned flags, uint32_t file, uint64_t pgoff) {
  int err;
  struct vmsim_mm *mm = vmsim__mm_running(sim, pid, &err);
  if (!mm)
    return err;
  if (!valid_range(addr, len))
    return VMSIM_EINVAL;
  if (prot & ~(unsigned)(VMSIM_PROT_READ | VMSIM_PROT_WRITE | VMSIM_PROT_EXEC))
    return VMSIM_EINVAL;
  unsigned known = VMSIM_MAP_PRIVATE | VMSIM_MAP_SHARED | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_LOCKED;
  bool priv = flags & VMSIM_MAP_PRIVATE, shared = flags & VMSIM_MAP_SHARED;
  if ((flags & ~known) || priv == shared)
    return VMSIM_EINVAL;
  if (flags & VMSIM_MAP_ANONYMOUS) {
    if (shared)
      return VMSIM_ENOTSUP; /* shared anonymous memory (shmem) is not modelled */
    file = 0, pgoff = 0;
  } else {
    struct vmsim_file *f = vmsim__file_get(sim, file);
    if (!f)
      return VMSIM_ENOENT;
    uint64_t npages = len >> VMSIM_PAGE_SHIFT;
    if (pgoff > f->nr_pages || npages > f->nr_pages - pgoff)
      return VMSIM_EINVAL;
  }
  uint32_t at = vma_search(mm, addr);
  if (at < mm->nr_vmas && mm->vmas[at].start < addr + len)
    return VMSIM_EEXIST;
  struct vmsim_vma vma = {
    .start = addr, .end = addr + len, .prot = prot, .flags = flags, .file = file, .pgoff = pgoff,
  };
  return vma_insert(mm, at, &vma);
}

/* ---- tearing down mappings ----------------------------------------- */

struct zap_arg {
  vmsim_sim *sim;
  struct vmsim_mm *mm;
};

static int zap_one(void *arg, uint64_t vaddr, vmsim_pte_t *ptep) {
  struct zap_arg *z = arg;
  vmsim__zap_pte(z->sim, z->mm, vaddr, ptep);
  return 0;
}

/* zap_page_range: drop every PTE in [start, end), freeing what they held. */
static void zap_range(vmsim_sim *sim, struct vmsim_mm *mm, uint64_t start, uint64_t end) {
  struct zap_arg z = {sim, mm};
  vmsim__pgtable_walk(&mm->pgt, start, end, zap_one, &z);
}

int vmsim_munmap(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t len) {
  int err;
  struct vmsim_mm *mm = vmsim__mm_running(sim, pid, &err);
  if (!mm)
    return err;
  if (!valid_range(addr, len))
    return VMSIM_EINVAL;
  uint64_t end = addr + len;

  /* Split a VMA that straddles the range on both sides first: the only
   * case that adds a VMA, so the only one that can fail. */
  uint32_t i = vma_search(mm, addr);
  if (i < mm->nr_vmas && mm->vmas[i].start < addr && mm->vmas[i].end > end) {
    struct vmsim_vma tail = mm->vmas[i];
    tail.pgoff += (end - tail.start) >> VMSIM_PAGE_SHIFT;
    tail.start = end;
    if ((err = vma_insert(mm, i + 1, &tail)))
      return err;
    mm->vmas[i].end = end;
  }
  zap_range(sim, mm, addr, end);
  vmsim__tlb_shootdown_range(sim->cpus, sim->nr_cpus, mm->cpumask, mm->last_cpu, mm->pid, addr,
                             end);

  /* Trim or remove the VMAs that intersect [addr, end). */
  uint32_t w = 0;
  for (uint32_t r = 0; r < mm->nr_vmas; r++) {
    struct vmsim_vma v = mm->vmas[r];
    if (v.end <= addr || v.start >= end) {
      mm->vmas[w++] = v;
      continue;
    }
    if (v.start < addr) { /* keep the head */
      v.end = addr;
      mm->vmas[w++] = v;
    } else if (v.end > end) { /* keep the tail */
      v.pgoff += (end - v.start) >> VMSIM_PAGE_SHIFT;
      v.start = end;
      mm->vmas[w++] = v;
    }
  }
  mm->nr_vmas = w;
  mm->last_vma = 0;
  return 0;
}

/*
 * exit_mmap(): unmap everything, free the page tables and the VMAs. The
 * process stays in the table (its counters remain readable) in state `why`.
 */
void vmsim__mm_teardown(vmsim_sim *sim, struct vmsim_mm *mm, enum vmsim_process_state why) {
  if (mm->state != VMSIM_PROC_RUNNING)
    return;
  zap_range(sim, mm, 0, VMSIM_TASK_SIZE);
  /* exit() runs on the process's CPU; the OOM killer on the allocating one. */
  uint32_t initiator = why == VMSIM_PROC_KILLED ? sim->current_cpu : mm->last_cpu;
  vmsim__tlb_shootdown_asid(sim->cpus, sim->nr_cpus, mm->cpumask, initiator, mm->pid);
  vmsim__pgtable_destroy(&mm->pgt);
  vmsim__free(mm->vmas);
  mm->vmas = NULL;
  mm->nr_vmas = mm->cap_vmas = 0;
  mm->state = why;
}

int vmsim_process_exit(vmsim_sim *sim, uint32_t pid) {
  int err;
  struct vmsim_mm *mm = vmsim__mm_running(sim, pid, &err);
  if (!mm)
    return err;
  vmsim__mm_teardown(sim, mm, VMSIM_PROC_EXITED);
  return 0;
}

/* At destruction the whole machine goes: free the address spaces' own
 * memory without tearing down page by page. */
void vmsim__mms_destroy(vmsim_sim *sim) {
  for (uint32_t pid = 1; pid < sim->nr_mms; pid++) {
    struct vmsim_mm *mm = sim->mms[pid];
    if (mm->state == VMSIM_PROC_RUNNING)
      vmsim__pgtable_destroy(&mm->pgt);
    vmsim__free(mm->vmas);
    vmsim__free(mm);
  }
  vmsim__free(sim->mms);
  sim->mms = NULL;
  sim->nr_mms = sim->cap_mms = 0;
}

/* ---- fork ------------------------------------------------------------ */

struct fork_arg {
  vmsim_sim *sim;
  struct vmsim_mm *parent, *child;
  struct vmsim_vma *vma;
  int err;
  bool wrprotected;
};

/*
 * copy_pte_range(): the child gets the parent's entries. Present pages of a
 * private writable mapping become read-only in both (copy-on-write); the
 * child's PTE starts old, and clean for shared mappings. Swap entries gain a
 * reference.
 */
static int fork_one(void *arg, uint64_t vaddr, vmsim_pte_t *ptep) {
  struct fork_arg *f = arg;
  vmsim_sim *sim = f->sim;
  vmsim_pte_t pte = *ptep;
  vmsim_pte_t *cptep = vmsim__pte_alloc(&f->child->pgt, vaddr);
  if (!cptep)
    return f->err = VMSIM_ENOMEM;

  if (vmsim_pte_present(pte)) {
    struct vmsim_page *page = &sim->mem_map[vmsim_pte_pfn(pte)];
    int err = vmsim__rmap_add(sim, page, f->child->pid, vaddr);
    if (err)
      return f->err = err;
    if (!vma_is_shared(f->vma) && vmsim_pte_write(pte)) {
      pte = vmsim__pte_wrprotect(pte);
      *ptep = pte; /* non-zero to non-zero: a plain store */
      f->wrprotected = true; /* flushed once, at the end of the fork */
    }
    pte = vmsim__pte_mkold(pte);
    if (vma_is_shared(f->vma))
      pte = vmsim__pte_mkclean(pte);
    page->mapcount++;
    f->child->rss[vmsim_page_test(page, VMSIM_PG_anon) ? MM_ANONPAGES : MM_FILEPAGES]++;
  } else if (vmsim_pte_is_swap(pte)) {
    int err = sim->swap->swap_dup(sim, pte);
    if (err)
      return f->err = err;
    f->child->rss[MM_SWAPENTS]++;
  }
  vmsim__pte_set(&f->child->pgt, vaddr, cptep, pte);
  return 0;
}

int vmsim_process_fork(vmsim_sim *sim, uint32_t pid, uint32_t *child_pid) {
  int err;
  struct vmsim_mm *parent = vmsim__mm_running(sim, pid, &err);
  if (!parent)
    return err;
  if (!child_pid)
    return VMSIM_EINVAL;
  uint32_t cpid;
  if ((err = vmsim_process_create(sim, &cpid)))
    return err;
  parent = sim->mms[pid]; /* the table may have moved */
  struct vmsim_mm *child = sim->mms[cpid];
  child->oom_score_adj = parent->oom_score_adj;
  if (parent->nr_vmas) {
    child->vmas = vmsim__malloc(parent->nr_vmas * sizeof(*child->vmas));
    if (!child->vmas) {
      err = VMSIM_ENOMEM;
      goto fail;
    }
    child->cap_vmas = parent->nr_vmas;
  }
  bool wrprotected = false;
  for (uint32_t i = 0; i < parent->nr_vmas && !err; i++) {
    struct fork_arg f = {sim, parent, child, &parent->vmas[i], 0, false};
    /* mlock is not inherited across fork (VM_LOCKED is cleared). */
    child->vmas[child->nr_vmas] = parent->vmas[i];
    child->vmas[child->nr_vmas++].flags &= ~(unsigned)VMSIM_MAP_LOCKED;
    vmsim__pgtable_walk(&parent->pgt, parent->vmas[i].start, parent->vmas[i].end, fork_one, &f);
    wrprotected |= f.wrprotected;
    err = f.err;
  }
  /* dup_mmap() ends with flush_tlb_mm(): the parent's CPUs drop the
   * writable translations of every page now shared copy-on-write. */
  if (wrprotected)
    vmsim__tlb_shootdown_asid(sim->cpus, sim->nr_cpus, parent->cpumask, parent->last_cpu,
                              parent->pid);
  if (err)
    goto fail;
  *child_pid = cpid;
  return 0;

fail:
  vmsim__mm_teardown(sim, child, VMSIM_PROC_EXITED);
  return err;
}
