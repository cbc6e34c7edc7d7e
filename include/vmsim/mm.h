/* SPDX-License-Identifier: MIT */
/*
 * Processes, their address spaces and memory accesses.
 *
 * A process (identified by a pid, 1, 2, ...) owns an address space made of
 * VMAs: anonymous private memory, shared or private mappings of simulated
 * files, optionally mlocked. Simulated CPUs access it through
 * vmsim_access(), which runs the MMU (TLB, page-table walk, accessed and
 * dirty bits) and, on a fault, the kernel's fault handler.
 */
#ifndef VMSIM_MM_H
#define VMSIM_MM_H

#include "common.h"
#include "sim.h"

struct vmsim_memref; /* <vmsim/workload.h> */

VMSIM_BEGIN_DECLS

enum vmsim_prot {
  VMSIM_PROT_READ = 1u << 0,
  VMSIM_PROT_WRITE = 1u << 1,
  VMSIM_PROT_EXEC = 1u << 2,
};

enum vmsim_map_flags {
  VMSIM_MAP_PRIVATE = 1u << 0,   /* copy-on-write */
  VMSIM_MAP_SHARED = 1u << 1,    /* writes go to the file */
  VMSIM_MAP_ANONYMOUS = 1u << 2, /* no file: zero-filled, swap-backed */
  VMSIM_MAP_LOCKED = 1u << 3,    /* mlocked: pages are unevictable */
};

/* Highest user address + 1: a 47-bit user space, as on x86-64. */
#define VMSIM_TASK_SIZE (UINT64_C(1) << 47)

enum vmsim_process_state {
  VMSIM_PROC_RUNNING,
  VMSIM_PROC_EXITED,
  VMSIM_PROC_KILLED, /* by the OOM killer */
};

typedef struct vmsim_process_info {
  enum vmsim_process_state state;
  int oom_score_adj;
  uint64_t rss_anon;      /* resident anonymous pages mapped */
  uint64_t rss_file;      /* resident file pages mapped */
  uint64_t swapents;      /* PTEs holding swap entries */
  uint64_t pgtables;      /* page-table pages */
  uint64_t accesses;      /* completed accesses */
  uint64_t misses;        /* accesses that found the page not in memory
                             (first touch, swap-in, file read from disk) */
  uint64_t pgfault;       /* faults of any kind */
  uint64_t pgmajfault;    /* faults that waited for I/O */
  uint64_t segv;          /* accesses refused: outside a VMA, or not allowed */
  vmsim_time_t time_ns;   /* simulated time spent: accesses, faults, stalls */
} vmsim_process_info;

/* The largest simulated file: 2^36 pages (256 TiB). */
#define VMSIM_MAX_FILE_PAGES (UINT64_C(1) << 36)
/* Create a simulated file of `pages` pages, 1 to VMSIM_MAX_FILE_PAGES
 * (contents: distinct per page); VMSIM_EINVAL otherwise. */
VMSIM_EXPORT int vmsim_file_create(vmsim_sim *sim, uint64_t pages, uint32_t *file_id);

/* Create an empty process; its pid goes to *pid. */
VMSIM_EXPORT int vmsim_process_create(vmsim_sim *sim, uint32_t *pid);
/* oom_score_adj, -1000 (never kill) .. 1000. */
VMSIM_EXPORT int vmsim_process_set_oom_score_adj(vmsim_sim *sim, uint32_t pid, int adj);
/* Duplicate `pid` as fork() does (copy-on-write); the child's pid to *child. */
VMSIM_EXPORT int vmsim_process_fork(vmsim_sim *sim, uint32_t pid, uint32_t *child);
/* Tear the process down, freeing its memory and swap. */
VMSIM_EXPORT int vmsim_process_exit(vmsim_sim *sim, uint32_t pid);
VMSIM_EXPORT int vmsim_process_get_info(const vmsim_sim *sim, uint32_t pid,
                                        vmsim_process_info *out);

/*
 * Map [addr, addr + len) into `pid`. addr and len are page aligned, the range
 * lies below VMSIM_TASK_SIZE and overlaps no other VMA. flags holds exactly
 * one of PRIVATE and SHARED, plus ANONYMOUS (then `file` and `pgoff` are
 * ignored) and LOCKED as wanted. For a file mapping, `pgoff` is the file page
 * mapped at addr and the range must lie within the file.
 */
VMSIM_EXPORT int vmsim_mmap(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t len,
                            unsigned prot, unsigned flags, uint32_t file, uint64_t pgoff);
/* Unmap whole VMAs or parts of them in [addr, addr + len). */
VMSIM_EXPORT int vmsim_munmap(vmsim_sim *sim, uint32_t pid, uint64_t addr, uint64_t len);

/*
 * One memory access by `pid` running on `cpu`. Returns 0 on success;
 * VMSIM_EFAULT for an address outside every VMA and VMSIM_EACCES for an
 * access the VMA does not allow (the process gets a simulated SIGSEGV and
 * goes on); VMSIM_EKILLED if the process was killed by the OOM killer
 * (now or before); VMSIM_ESRCH for an unknown or exited pid; VMSIM_EINVAL
 * for a bad cpu; VMSIM_ENOMEM if the host ran out of memory.
 */
VMSIM_EXPORT int vmsim_access(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr,
                              bool write);

/*
 * vmsim_access() for a workload that knows its future: `next_use` is the
 * sequence number (counting every vmsim_access* call from 0) of the next
 * access to the same page, or UINT64_MAX if there is none. Only a policy
 * that models Belady's OPT uses it.
 */
VMSIM_EXPORT int vmsim_access_future(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint64_t vaddr,
                                     bool write, uint64_t next_use);

/*
 * The accesses refs[0..n) by `pid` on `cpu`, in order, each with its own
 * vaddr and write (their pid and next_access are ignored): exactly what n
 * calls of vmsim_access() would do, for less host time per access (the
 * process is looked up once). Stops at the first access that does not
 * return 0 and returns its error, as vmsim_access() would; *done (if not
 * NULL) is the number of accesses before it, or n when all returned 0. An
 * error that vmsim_access() reports without making the access (a bad cpu
 * or pid, a killed process) stops the batch at that access; a segv is
 * made (and counted) before the batch stops: to go on, call again from
 * refs + *done + 1. VMSIM_EINVAL also for refs NULL with n > 0.
 */
VMSIM_EXPORT int vmsim_access_batch(vmsim_sim *sim, uint32_t cpu, uint32_t pid,
                                    const struct vmsim_memref *refs, size_t n, size_t *done);

/*
 * A read() of file page `index` through the page cache, not through a
 * mapping: finds or reads the page and marks it accessed, as
 * filemap_read() -> folio_mark_accessed() does.
 */
VMSIM_EXPORT int vmsim_file_read(vmsim_sim *sim, uint32_t cpu, uint32_t pid, uint32_t file,
                                 uint64_t index);

/* Per-CPU TLB statistics; cpu == UINT32_MAX sums all CPUs. */
typedef struct vmsim_tlb_info {
  uint64_t l1_hits, l2_hits, misses;
  uint64_t flush_page, flush_asid, flush_all;
  uint64_t shootdowns; /* invalidations received from another CPU */
} vmsim_tlb_info;
VMSIM_EXPORT int vmsim_tlb_get_info(const vmsim_sim *sim, uint32_t cpu, vmsim_tlb_info *out);

/* Simulated time: the furthest any CPU's clock has run. */
VMSIM_EXPORT vmsim_time_t vmsim_time_now(const vmsim_sim *sim);

VMSIM_END_DECLS

#endif /* VMSIM_MM_H */
