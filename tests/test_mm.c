/* SPDX-License-Identifier: MIT */
/*
 * Processes and their address spaces: creation, VMAs (mmap and its argument
 * checks, munmap with splits), fork, exit, mlock, refused accesses
 * (simulated SIGSEGV) and bad arguments, and running out of host memory in
 * each of process creation, mmap and fork.
 */
#include "mm_test.h"

#define VS(item) vmstat_get(sim, VMSIM_VM_##item)
#define FILE_AT BASE2
#define GIB1 UINT64_C(0x40000000)

static struct vmsim_mm *mm_of(vmsim_sim *sim, uint32_t pid) {
  struct vmsim_mm *mm = vmsim__mm_get(sim, pid);
  assert_non_null(mm);
  return mm;
}

/* Assert the process's VMAs are exactly [start, end) with `pgoff` (ANY for
 * anonymous VMAs, whose pgoff means nothing), in order. */
#define ANY UINT64_MAX
struct vma_want {
  uint64_t start, end, pgoff;
};
static void assert_vmas(vmsim_sim *sim, uint32_t pid, const struct vma_want *want, uint32_t n) {
  struct vmsim_mm *mm = mm_of(sim, pid);
  if (mm->nr_vmas != n)
    fail_msg("pid %u has %u VMAs, expected %u", pid, mm->nr_vmas, n);
  for (uint32_t i = 0; i < n; i++) {
    const struct vmsim_vma *v = &mm->vmas[i];
    if (v->start != want[i].start || v->end != want[i].end ||
        (want[i].pgoff != ANY && v->pgoff != want[i].pgoff))
      fail_msg("VMA %u is [%#" PRIx64 ", %#" PRIx64 ") pgoff %" PRIu64 ", expected [%#" PRIx64
               ", %#" PRIx64 ") pgoff %" PRIu64,
               i, v->start, v->end, v->pgoff, want[i].start, want[i].end, want[i].pgoff);
  }
}

/* Touch pages [first, first + n) of `pid` at base with writes on CPU 0. */
static void touch(vmsim_sim *sim, uint32_t pid, uint64_t base, uint64_t first, uint64_t n,
                  bool write) {
  for (uint64_t i = first; i < first + n; i++)
    assert_ok(vmsim_access(sim, 0, pid, base + i * PAGE, write));
}

/* ---- processes -------------------------------------------------------- */

static void test_process_lifecycle_and_info(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t pid;
  assert_int_equal(vmsim_process_create(NULL, &pid), VMSIM_EINVAL);
  assert_int_equal(vmsim_process_create(sim, NULL), VMSIM_EINVAL);

  /* pids count from 1; the table grows past its first 16 slots. */
  for (uint32_t want = 1; want <= 40; want++)
    assert_int_equal(new_process(sim), want);
  vmsim_process_info pi = proc_info(sim, 40);
  assert_int_equal(pi.state, VMSIM_PROC_RUNNING);
  assert_int_equal(pi.pgtables, 1); /* the PGD */
  assert_int_equal(pi.rss_anon + pi.rss_file + pi.swapents + pi.accesses + pi.pgfault +
                       pi.pgmajfault + pi.segv + pi.time_ns,
                   0);
  assert_int_equal(VS(nr_page_table_pages), 40);

  vmsim_process_info out;
  assert_int_equal(vmsim_process_get_info(sim, 0, &out), VMSIM_ESRCH);
  assert_int_equal(vmsim_process_get_info(sim, 41, &out), VMSIM_ESRCH);
  assert_int_equal(vmsim_process_get_info(sim, 1, NULL), VMSIM_EINVAL);

  assert_ok(vmsim_process_set_oom_score_adj(sim, 1, 500));
  assert_int_equal(vmsim_process_set_oom_score_adj(sim, 1, 1001), VMSIM_ERANGE);
  assert_int_equal(vmsim_process_set_oom_score_adj(sim, 1, -1001), VMSIM_ERANGE);
  assert_int_equal(vmsim_process_set_oom_score_adj(sim, 41, 0), VMSIM_ESRCH);
  assert_int_equal(proc_info(sim, 1).oom_score_adj, 500);

  /* An exited process stays readable, and is gone for everything else. */
  assert_ok(vmsim_process_exit(sim, 1));
  assert_int_equal(vmsim_process_exit(sim, 1), VMSIM_ESRCH);
  assert_int_equal(proc_info(sim, 1).state, VMSIM_PROC_EXITED);
  assert_int_equal(proc_info(sim, 1).pgtables, 0);
  assert_int_equal(vmsim_process_set_oom_score_adj(sim, 1, 0), VMSIM_ESRCH);
  assert_int_equal(vmsim_process_exit(sim, 0), VMSIM_ESRCH);
  assert_int_equal(VS(nr_page_table_pages), 39);
  assert_int_equal(new_process(sim), 41); /* pids are not reused */
  check_and_destroy(sim);
}

/* ---- mmap ------------------------------------------------------------- */

static void test_mmap_argument_errors(void **state) {
  (void)state;
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(1, 4, &pid); /* [BASE, BASE + 4P) */
  uint32_t file = new_file(sim, 8);
  const unsigned P = VMSIM_MAP_PRIVATE, S = VMSIM_MAP_SHARED, A = VMSIM_MAP_ANONYMOUS;
  const uint64_t top = VMSIM_TASK_SIZE;

  static const struct {
    uint64_t addr, len;
    unsigned prot, flags;
    int file_kind; /* 0: anon, 1: the file, 2: no such file, 3: file id 0 */
    uint64_t pgoff;
    int rc;
  } cases[] = {
    {BASE + 8 * PAGE + 1, PAGE, RW, ANON, 0, 0, VMSIM_EINVAL},      /* unaligned addr */
    {BASE + 8 * PAGE, PAGE + 1, RW, ANON, 0, 0, VMSIM_EINVAL},      /* unaligned len */
    {BASE + 8 * PAGE, 0, RW, ANON, 0, 0, VMSIM_EINVAL},             /* zero length */
    {UINT64_C(1) << 47, PAGE, RW, ANON, 0, 0, VMSIM_EINVAL},        /* at TASK_SIZE */
    {(UINT64_C(1) << 47) - PAGE, 2 * PAGE, RW, ANON, 0, 0, VMSIM_EINVAL}, /* crosses it */
    {PAGE, UINT64_MAX & ~(uint64_t)(PAGE - 1), RW, ANON, 0, 0, VMSIM_EINVAL}, /* wraps */
    {BASE + 8 * PAGE, PAGE, 1u << 3, ANON, 0, 0, VMSIM_EINVAL},     /* unknown prot */
    {BASE + 8 * PAGE, PAGE, RW, P | S | A, 0, 0, VMSIM_EINVAL},     /* private and shared */
    {BASE + 8 * PAGE, PAGE, RW, A, 0, 0, VMSIM_EINVAL},             /* neither */
    {BASE + 8 * PAGE, PAGE, RW, ANON | 1u << 4, 0, 0, VMSIM_EINVAL}, /* unknown flag */
    {BASE + 8 * PAGE, PAGE, RW, S | A, 0, 0, VMSIM_ENOTSUP},        /* shared anon */
    {BASE, 4 * PAGE, RW, ANON, 0, 0, VMSIM_EEXIST},                 /* the same range */
    {BASE + 2 * PAGE, 4 * PAGE, RW, ANON, 0, 0, VMSIM_EEXIST},      /* over the tail */
    {BASE - 2 * PAGE, 4 * PAGE, RW, ANON, 0, 0, VMSIM_EEXIST},      /* over the head */
    {BASE - PAGE, 6 * PAGE, RW, ANON, 0, 0, VMSIM_EEXIST},          /* around it */
    {BASE + PAGE, PAGE, RW, ANON, 0, 0, VMSIM_EEXIST},              /* inside it */
    {FILE_AT, PAGE, RW, S, 2, 0, VMSIM_ENOENT},                     /* no such file */
    {FILE_AT, PAGE, RW, S, 3, 0, VMSIM_ENOENT},                     /* file id 0 */
    {FILE_AT, 3 * PAGE, RW, S, 1, 6, VMSIM_EINVAL},                 /* pages 6..8 of 8 */
    {FILE_AT, PAGE, RW, P, 1, 8, VMSIM_EINVAL},                     /* page 8 of 8 */
    {FILE_AT, PAGE, RW, P, 1, UINT64_MAX, VMSIM_EINVAL},            /* pgoff wraps */
    {FILE_AT, 9 * PAGE, RW, S, 1, 0, VMSIM_EINVAL},                 /* longer than the file */
    {FILE_AT, PAGE, RW, P | S, 1, 0, VMSIM_EINVAL},                 /* private and shared */
    {FILE_AT, PAGE, RW, 0, 1, 0, VMSIM_EINVAL},                     /* neither */
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    static const uint32_t no_file = 99;
    uint32_t f = cases[i].file_kind == 1 ? file : cases[i].file_kind == 2 ? no_file : 0;
    int rc = vmsim_mmap(sim, pid, cases[i].addr, cases[i].len, cases[i].prot, cases[i].flags, f,
                        cases[i].pgoff);
    if (rc != cases[i].rc)
      fail_msg("case %zu: %s, expected %s", i, vmsim_err_name(rc), vmsim_err_name(cases[i].rc));
  }
  assert_int_equal(mm_of(sim, pid)->nr_vmas, 1);

  /* Adjacent on both sides is no overlap; a file range that just fits is
   * fine; the ANONYMOUS flag ignores file and pgoff. */
  map_anon(sim, pid, BASE - 2 * PAGE, 2, RW);
  map_anon(sim, pid, BASE + 4 * PAGE, 2, RW);
  map_file(sim, pid, FILE_AT, 3, RW, VMSIM_MAP_SHARED, file, 5);
  assert_ok(vmsim_mmap(sim, pid, top - PAGE, PAGE, RW, ANON, 12345, 77));
  const struct vma_want want[] = {
    {BASE - 2 * PAGE, BASE, 0}, {BASE, BASE + 4 * PAGE, 0}, {BASE + 4 * PAGE, BASE + 6 * PAGE, 0},
    {FILE_AT, FILE_AT + 3 * PAGE, 5}, {top - PAGE, top, 0},
  };
  assert_vmas(sim, pid, want, ARRAY_SIZE(want));
  assert_int_equal(mm_of(sim, pid)->vmas[4].file, 0);
  /* The last user page works. */
  assert_ok(vmsim_access(sim, 0, pid, top - 1, true));

  /* Unknown and exited processes. */
  assert_int_equal(vmsim_mmap(sim, 0, BASE, PAGE, RW, ANON, 0, 0), VMSIM_ESRCH);
  assert_int_equal(vmsim_mmap(sim, 7, BASE, PAGE, RW, ANON, 0, 0), VMSIM_ESRCH);
  uint32_t gone = new_process(sim);
  assert_ok(vmsim_process_exit(sim, gone));
  assert_int_equal(vmsim_mmap(sim, gone, BASE, PAGE, RW, ANON, 0, 0), VMSIM_ESRCH);
  check_and_destroy(sim);
}

/* ---- munmap ----------------------------------------------------------- */

static void test_munmap_splits_and_frees_exactly(void **state) {
  (void)state;
  uint32_t pid;
  vmsim_sim *sim = sim_with_anon(1, 8, &pid);
  touch(sim, pid, BASE, 0, 8, true);
  vmsim_pfn_t pfn[8];
  for (int i = 0; i < 8; i++)
    pfn[i] = pfn_at(sim, pid, BASE + (uint64_t)i * PAGE);
  uint64_t free0 = VS(nr_free_pages);

  /* Pages 2..4 of 8: the VMA splits in two, exactly 3 frames come back. */
  assert_ok(vmsim_munmap(sim, pid, BASE + 2 * PAGE, 3 * PAGE));
  assert_int_equal(VS(nr_free_pages), free0 + 3);
  assert_int_equal(VS(nr_anon_pages), 5);
  assert_int_equal(proc_info(sim, pid).rss_anon, 5);
  const struct vma_want split[] = {{BASE, BASE + 2 * PAGE, ANY},
                                   {BASE + 5 * PAGE, BASE + 8 * PAGE, ANY}};
  assert_vmas(sim, pid, split, 2);
  for (int i = 0; i < 8; i++) {
    uint64_t va = BASE + (uint64_t)i * PAGE;
    if (i >= 2 && i <= 4)
      assert_int_equal(pte_at(sim, pid, va), 0);
    else
      assert_int_equal(pfn_at(sim, pid, va), pfn[i]);
  }
  /* The hole faults; the rest is still mapped (no fault). */
  assert_int_equal(vmsim_access(sim, 0, pid, BASE + 3 * PAGE, false), VMSIM_EFAULT);
  assert_int_equal(proc_info(sim, pid).segv, 1);
  touch(sim, pid, BASE, 0, 2, false);
  touch(sim, pid, BASE, 5, 3, false);
  assert_int_equal(proc_info(sim, pid).pgfault, 8);

  /* The hole can be mapped again, and its page comes back zeroed. */
  map_anon(sim, pid, BASE + 2 * PAGE, 1, RW);
  touch(sim, pid, BASE, 2, 1, false);
  assert_int_equal(token_seq(page_at(sim, pid, BASE + 2 * PAGE)->token), 0);

  /* One range over three VMAs, a hole and parts of two: pages 1, 2, 5, 6
   * were mapped in it (4 frames); pages 0 and 7 stay. */
  free0 = VS(nr_free_pages);
  assert_ok(vmsim_munmap(sim, pid, BASE + PAGE, 6 * PAGE));
  assert_int_equal(VS(nr_free_pages), free0 + 4);
  const struct vma_want ends[] = {{BASE, BASE + PAGE, ANY},
                                  {BASE + 7 * PAGE, BASE + 8 * PAGE, ANY}};
  assert_vmas(sim, pid, ends, 2);
  assert_int_equal(proc_info(sim, pid).rss_anon, 2);

  /* Nothing mapped there: nothing to do, not an error. */
  assert_ok(vmsim_munmap(sim, pid, GIB1, 16 * PAGE));
  assert_vmas(sim, pid, ends, 2);

  /* Argument errors change nothing. */
  assert_int_equal(vmsim_munmap(sim, pid, BASE + 1, PAGE), VMSIM_EINVAL);
  assert_int_equal(vmsim_munmap(sim, pid, BASE, PAGE - 1), VMSIM_EINVAL);
  assert_int_equal(vmsim_munmap(sim, pid, BASE, 0), VMSIM_EINVAL);
  assert_int_equal(vmsim_munmap(sim, pid, VMSIM_TASK_SIZE, PAGE), VMSIM_EINVAL);
  assert_int_equal(vmsim_munmap(sim, pid, BASE, UINT64_MAX & ~(uint64_t)(PAGE - 1)),
                   VMSIM_EINVAL);
  assert_int_equal(vmsim_munmap(sim, 99, BASE, PAGE), VMSIM_ESRCH);
  assert_vmas(sim, pid, ends, 2);
  check_and_destroy(sim);
}

/* Splitting a file VMA keeps each piece's file offset: a later fault in a
 * piece maps the right file page. */
static void test_munmap_file_vma_keeps_offsets(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(1);
  uint32_t pid = new_process(sim), file = new_file(sim, 10);
  map_file(sim, pid, FILE_AT, 8, RW, VMSIM_MAP_SHARED, file, 2); /* file pages 2..9 */
  touch(sim, pid, FILE_AT, 0, 5, false);
  uint64_t free0 = VS(nr_free_pages);

  /* The middle: file pages 4..6 unmapped, still cached; no frame freed. */
  assert_ok(vmsim_munmap(sim, pid, FILE_AT + 2 * PAGE, 3 * PAGE));
  assert_int_equal(VS(nr_free_pages), free0);
  assert_int_equal(VS(nr_file_pages), 5);
  assert_int_equal(VS(nr_mapped), 2);
  assert_int_equal(proc_info(sim, pid).rss_file, 2);
  /* The head: file page 2 goes; the rest starts at file page 3. */
  assert_ok(vmsim_munmap(sim, pid, FILE_AT, PAGE));
  /* The tail's head: file page 7 goes; the rest starts at file page 8. */
  assert_ok(vmsim_munmap(sim, pid, FILE_AT + 5 * PAGE, PAGE));
  const struct vma_want want[] = {{FILE_AT + PAGE, FILE_AT + 2 * PAGE, 3},
                                  {FILE_AT + 6 * PAGE, FILE_AT + 8 * PAGE, 8}};
  assert_vmas(sim, pid, want, 2);

  touch(sim, pid, FILE_AT, 6, 2, false);
  assert_int_equal(page_at(sim, pid, FILE_AT + 6 * PAGE)->index, 8);
  assert_int_equal(page_at(sim, pid, FILE_AT + 7 * PAGE)->index, 9);
  assert_int_equal(page_at(sim, pid, FILE_AT + PAGE)->index, 3);
  assert_int_equal(VS(nr_mapped), 3);
  check_and_destroy(sim);
}

/* ---- exit ------------------------------------------------------------- */

static void test_exit_frees_pages_and_page_tables(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint64_t free0 = VS(nr_free_pages);
  uint32_t pid = new_process(sim), other = new_process(sim), file = new_file(sim, 2);
  map_anon(sim, pid, BASE, 16, RW);
  map_anon(sim, pid, GIB1, 1, RW);
  map_file(sim, pid, FILE_AT, 2, RW, VMSIM_MAP_SHARED, file, 0);
  touch(sim, pid, BASE, 0, 16, true);
  touch(sim, pid, GIB1, 0, 1, false);
  touch(sim, pid, FILE_AT, 0, 2, true);

  /* Tables: the PGD, one PUD, a PMD for each of GiB 0 and 1, and leaves
   * for BASE, FILE_AT (another 2 MiB of GiB 0) and GIB1: 7; the other
   * process has its PGD. */
  assert_int_equal(proc_info(sim, pid).pgtables, 7);
  assert_int_equal(VS(nr_page_table_pages), 8);
  assert_int_equal(VS(nr_free_pages), free0 - 19);

  assert_ok(vmsim_process_exit(sim, pid));
  /* Every anon frame is back; the two file pages stay in the page cache. */
  assert_int_equal(VS(nr_free_pages), free0 - 2);
  assert_int_equal(VS(nr_file_pages), 2);
  assert_int_equal(VS(nr_anon_pages), 0);
  assert_int_equal(VS(nr_mapped), 0);
  assert_int_equal(VS(nr_inactive_anon), 0);
  assert_int_equal(VS(nr_page_table_pages), 1);
  vmsim_process_info pi = proc_info(sim, pid);
  assert_int_equal(pi.state, VMSIM_PROC_EXITED);
  assert_int_equal(pi.pgtables, 0);
  assert_int_equal(pi.rss_anon + pi.rss_file, 0);
  assert_int_equal(pi.accesses, 19); /* the counters stay readable */
  /* The written file pages are dirty in the cache: the data survives. */
  assert_int_equal(VS(nr_dirty), 2);
  assert_int_equal(token_seq(cached_page(sim, file, 0)->token), 1);

  /* Everything else refuses the exited pid. */
  uint32_t child;
  assert_int_equal(vmsim_access(sim, 0, pid, BASE, false), VMSIM_ESRCH);
  assert_int_equal(vmsim_munmap(sim, pid, BASE, PAGE), VMSIM_ESRCH);
  assert_int_equal(vmsim_process_fork(sim, pid, &child), VMSIM_ESRCH);
  assert_int_equal(vmsim_file_read(sim, 0, pid, file, 0), VMSIM_ESRCH);

  assert_ok(vmsim_process_exit(sim, other));
  assert_int_equal(VS(nr_page_table_pages), 0);
  assert_int_equal(VS(nr_free_pages), free0 - 2);
  check_and_destroy(sim);
}

/* ---- refused accesses and bad arguments -------------------------------- */

static void test_segv_and_bad_access_arguments(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t pid = new_process(sim), file = new_file(sim, 1);
  map_anon(sim, pid, BASE, 1, RW);
  map_anon(sim, pid, BASE + PAGE, 1, VMSIM_PROT_READ);
  map_anon(sim, pid, BASE + 2 * PAGE, 1, 0); /* PROT_NONE */

  static const struct {
    uint32_t cpu;
    uint64_t vaddr;
    bool write;
    int rc;
    uint64_t segv, pgfault; /* the process's counters afterwards */
  } script[] = {
    {0, PAGE, false, VMSIM_EFAULT, 1, 0},                    /* below every VMA */
    {0, BASE + 3 * PAGE, true, VMSIM_EFAULT, 2, 0},          /* just past the last */
    {0, BASE + PAGE, true, VMSIM_EACCES, 3, 0},              /* write, read-only VMA */
    {1, BASE + PAGE, false, 0, 3, 1},                        /* the read is fine */
    {1, BASE + PAGE, true, VMSIM_EACCES, 4, 1},              /* PTE present, still refused */
    {0, BASE + 2 * PAGE, false, VMSIM_EACCES, 5, 1},         /* PROT_NONE */
    {0, BASE, true, 0, 5, 2},                                /* the process goes on */
    {0, VMSIM_TASK_SIZE, false, VMSIM_EFAULT, 6, 2},         /* 2^47 */
    {0, VMSIM_TASK_SIZE - 1, true, VMSIM_EFAULT, 7, 2},      /* top user byte, unmapped */
    {1, UINT64_MAX, true, VMSIM_EFAULT, 8, 2},
    {2, BASE, false, VMSIM_EINVAL, 8, 2},                    /* no CPU 2 */
    {UINT32_MAX, BASE, false, VMSIM_EINVAL, 8, 2},
    {0, BASE, false, 0, 8, 2},
  };
  for (size_t i = 0; i < ARRAY_SIZE(script); i++) {
    int rc = vmsim_access(sim, script[i].cpu, pid, script[i].vaddr, script[i].write);
    vmsim_process_info pi = proc_info(sim, pid);
    if (rc != script[i].rc || pi.segv != script[i].segv || pi.pgfault != script[i].pgfault)
      fail_msg("step %zu: %s segv %" PRIu64 " pgfault %" PRIu64 ", expected %s %" PRIu64
               " %" PRIu64,
               i, vmsim_err_name(rc), pi.segv, pi.pgfault, vmsim_err_name(script[i].rc),
               script[i].segv, script[i].pgfault);
  }
  vmsim_process_info pi = proc_info(sim, pid);
  assert_int_equal(pi.accesses, 3);
  assert_int_equal(VS(pgfault), 2);
  /* The refused write did not touch the read-only page. */
  assert_int_equal(token_seq(page_at(sim, pid, BASE + PAGE)->token), 0);
  assert_false(vmsim_pte_write(pte_at(sim, pid, BASE + PAGE)));
  /* The future-aware entry point refuses the same way. */
  assert_int_equal(vmsim_access_future(sim, 0, pid, PAGE, false, 5), VMSIM_EFAULT);
  assert_int_equal(proc_info(sim, pid).segv, 9);

  /* Unknown, exited and killed processes; no machine. */
  assert_int_equal(vmsim_access(sim, 0, 0, BASE, false), VMSIM_ESRCH);
  assert_int_equal(vmsim_access(sim, 0, 99, BASE, false), VMSIM_ESRCH);
  assert_int_equal(vmsim_access(NULL, 0, pid, BASE, false), VMSIM_EINVAL);
  uint32_t child, victim;
  assert_ok(vmsim_process_fork(sim, pid, &child));
  assert_ok(vmsim_process_exit(sim, child));
  assert_int_equal(vmsim_access(sim, 0, child, BASE, false), VMSIM_ESRCH);
  assert_ok(vmsim_process_fork(sim, pid, &victim));
  vmsim__mm_teardown(sim, mm_of(sim, victim), VMSIM_PROC_KILLED); /* as the OOM killer does */
  assert_int_equal(vmsim_access(sim, 0, victim, BASE, false), VMSIM_EKILLED);
  assert_int_equal(vmsim_mmap(sim, victim, GIB1, PAGE, RW, ANON, 0, 0), VMSIM_EKILLED);
  assert_int_equal(vmsim_file_read(sim, 0, victim, file, 0), VMSIM_EKILLED);

  /* A batch refuses the same, before its first access (*done 0), and
   * stops at a segv after making it (counted). */
  const vmsim_memref refs[3] = {{.vaddr = BASE, .write = true}, {.vaddr = PAGE}, {.vaddr = BASE}};
  static const struct {
    uint32_t cpu, which; /* which: 0 pid, 1 child (exited), 2 victim, 3 none */
    bool null_sim, null_refs;
    int rc;
    size_t done;
  } batch[] = {
    {2, 0, false, false, VMSIM_EINVAL, 0}, {0, 1, false, false, VMSIM_ESRCH, 0},
    {0, 2, false, false, VMSIM_EKILLED, 0}, {0, 3, false, false, VMSIM_ESRCH, 0},
    {0, 0, true, false, VMSIM_EINVAL, 0},   {0, 0, false, true, VMSIM_EINVAL, 0},
    {0, 0, false, false, VMSIM_EFAULT, 1},
  };
  const uint32_t pids[4] = {pid, child, victim, 99};
  for (size_t i = 0; i < ARRAY_SIZE(batch); i++) {
    size_t done = SIZE_MAX;
    uint64_t segv0 = proc_info(sim, pid).segv, acc0 = proc_info(sim, pid).accesses;
    int rc = vmsim_access_batch(batch[i].null_sim ? NULL : sim, batch[i].cpu, pids[batch[i].which],
                                batch[i].null_refs ? NULL : refs, 3, &done);
    assert_int_equal(rc, batch[i].rc);
    assert_int_equal(done, batch[i].done);
    assert_int_equal(proc_info(sim, pid).accesses, acc0 + done);
    assert_int_equal(proc_info(sim, pid).segv, segv0 + (rc == VMSIM_EFAULT));
  }
  size_t done = SIZE_MAX;
  assert_ok(vmsim_access_batch(sim, 0, pid, refs + 2, 1, &done));
  assert_int_equal(done, 1);
  assert_ok(vmsim_access_batch(sim, 0, pid, NULL, 0, &done)); /* nothing to do */
  assert_int_equal(done, 0);
  assert_ok(vmsim_access_batch(sim, 1, pid, refs, 1, NULL)); /* *done is optional */

  /* read() through the page cache: its own argument checks. */
  assert_int_equal(vmsim_file_read(sim, 2, pid, file, 0), VMSIM_EINVAL);
  assert_int_equal(vmsim_file_read(sim, 0, pid, file + 1, 0), VMSIM_ENOENT);
  assert_int_equal(vmsim_file_read(sim, 0, pid, file, 1), VMSIM_ERANGE);
  assert_ok(vmsim_file_read(sim, 0, pid, file, 0));
  assert_int_equal(proc_info(sim, pid).accesses, 7); /* 3 single, 3 batched, 1 read() */
  check_and_destroy(sim);
}

/* ---- mlock ------------------------------------------------------------ */

static void assert_mlocked(vmsim_sim *sim, const struct vmsim_page *page, bool locked) {
  assert_int_equal(vmsim_page_test(page, VMSIM_PG_mlocked), locked);
  assert_int_equal(lru_kind(sim, page) == VMSIM_LRU_KIND_UNEVICTABLE, locked);
}

static void test_mlocked_vma(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(1);
  uint32_t pid = new_process(sim), other = new_process(sim), file = new_file(sim, 2);
  assert_ok(vmsim_mmap(sim, pid, BASE, 3 * PAGE, RW, ANON | VMSIM_MAP_LOCKED, 0, 0));
  map_file(sim, pid, FILE_AT, 2, RW, VMSIM_MAP_SHARED | VMSIM_MAP_LOCKED, file, 0);
  map_file(sim, other, FILE_AT, 1, RW, VMSIM_MAP_SHARED, file, 0);

  /* Anon pages of a locked VMA go straight to the unevictable list. */
  touch(sim, pid, BASE, 0, 3, true);
  for (int i = 0; i < 3; i++)
    assert_mlocked(sim, page_at(sim, pid, BASE + (uint64_t)i * PAGE), true);
  assert_int_equal(VS(nr_mlock), 3);
  assert_int_equal(VS(nr_unevictable), 3);
  assert_int_equal(VS(nr_inactive_anon), 0);

  /* A file page the other process mapped first is evictable until the
   * locked VMA maps it too; then it moves to the unevictable list. */
  assert_ok(vmsim_access(sim, 0, other, FILE_AT, false));
  struct vmsim_page *fp0 = cached_page(sim, file, 0);
  assert_mlocked(sim, fp0, false);
  assert_int_equal(VS(nr_inactive_file), 1);
  touch(sim, pid, FILE_AT, 0, 2, false);
  struct vmsim_page *fp1 = cached_page(sim, file, 1);
  assert_mlocked(sim, fp0, true);
  assert_mlocked(sim, fp1, true);
  assert_int_equal(VS(nr_mlock), 5);
  assert_int_equal(VS(nr_unevictable), 5);
  assert_int_equal(VS(nr_inactive_file), 0);

  /* Unmapping a locked anon page frees it and its mlock count. */
  uint64_t free0 = VS(nr_free_pages);
  assert_ok(vmsim_munmap(sim, pid, BASE + PAGE, PAGE));
  assert_int_equal(VS(nr_free_pages), free0 + 1);
  assert_int_equal(VS(nr_mlock), 4);
  assert_int_equal(VS(nr_unevictable), 4);

  /* The locked file VMA goes: both file pages are munlocked, page 0 too
   * although the other process still maps it (its VMA is not locked). */
  assert_ok(vmsim_munmap(sim, pid, FILE_AT, 2 * PAGE));
  assert_mlocked(sim, fp0, false);
  assert_mlocked(sim, fp1, false);
  assert_int_equal(fp0->mapcount, 1);
  assert_int_equal(VS(nr_mlock), 2);
  assert_int_equal(VS(nr_unevictable), 2);
  assert_int_equal(VS(nr_inactive_file), 2);

  /* mlock is not inherited: the child's VMA is unlocked, and once the
   * parent is gone nothing keeps the shared anon pages locked. */
  uint32_t child;
  assert_ok(vmsim_process_fork(sim, pid, &child));
  assert_false(vma_is_locked(&mm_of(sim, child)->vmas[0]));
  assert_true(vma_is_locked(&mm_of(sim, pid)->vmas[0]));
  struct vmsim_page *anon0 = page_at(sim, child, BASE);
  assert_mlocked(sim, anon0, true); /* the parent's locked VMA still maps it */
  assert_ok(vmsim_process_exit(sim, pid));
  assert_mlocked(sim, anon0, false);
  assert_mlocked(sim, page_at(sim, child, BASE + 2 * PAGE), false);
  assert_int_equal(VS(nr_mlock), 0);
  assert_int_equal(VS(nr_unevictable), 0);
  assert_int_equal(VS(nr_inactive_anon), 2);
  assert_ok(vmsim_process_exit(sim, child));
  assert_int_equal(VS(nr_inactive_anon), 0);
  check_and_destroy(sim);
}

/* ---- fork ------------------------------------------------------------- */

static void test_fork_copies_the_address_space(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(2);
  uint32_t parent = new_process(sim), child, file = new_file(sim, 2);
  assert_ok(vmsim_process_set_oom_score_adj(sim, parent, -300));
  map_anon(sim, parent, BASE, 4, RW);
  map_file(sim, parent, FILE_AT, 2, RW, VMSIM_MAP_SHARED, file, 0);
  map_anon(sim, parent, GIB1, 1, VMSIM_PROT_READ);
  touch(sim, parent, BASE, 0, 2, true);
  touch(sim, parent, FILE_AT, 0, 1, true);
  touch(sim, parent, GIB1, 0, 1, false);
  vmsim_pte_t shared_pte = pte_at(sim, parent, FILE_AT);
  uint64_t free0 = VS(nr_free_pages);

  assert_int_equal(vmsim_process_fork(sim, parent, NULL), VMSIM_EINVAL);
  assert_ok(vmsim_process_fork(sim, parent, &child));
  assert_int_equal(child, parent + 1);
  assert_int_equal(VS(nr_free_pages), free0);

  /* The same VMAs. */
  struct vmsim_mm *pm = mm_of(sim, parent), *cm = mm_of(sim, child);
  assert_int_equal(cm->nr_vmas, pm->nr_vmas);
  for (uint32_t i = 0; i < pm->nr_vmas; i++) { /* field by field: no padding */
    const struct vmsim_vma *a = &cm->vmas[i], *b = &pm->vmas[i];
    assert_int_equal(a->start, b->start);
    assert_int_equal(a->end, b->end);
    assert_int_equal(a->prot, b->prot);
    assert_int_equal(a->flags, b->flags & ~(unsigned)VMSIM_MAP_LOCKED); /* not inherited */
    assert_int_equal(a->file, b->file);
    assert_int_equal(a->pgoff, b->pgoff);
  }

  /* The same frames where the parent had any; nothing where it had none. */
  vmsim_process_info pi = proc_info(sim, parent), ci = proc_info(sim, child);
  assert_int_equal(ci.rss_anon, 3);
  assert_int_equal(ci.rss_file, 1);
  assert_int_equal(ci.pgtables, pi.pgtables);
  assert_int_equal(ci.oom_score_adj, -300);
  assert_int_equal(ci.pgfault + ci.accesses + ci.time_ns, 0);
  static const uint64_t touched[] = {BASE, BASE + PAGE, FILE_AT, GIB1};
  for (size_t i = 0; i < ARRAY_SIZE(touched); i++) {
    assert_int_equal(pfn_at(sim, child, touched[i]), pfn_at(sim, parent, touched[i]));
    assert_int_equal(page_at(sim, child, touched[i])->mapcount, 2);
  }
  assert_int_equal(pte_at(sim, child, BASE + 2 * PAGE), 0);
  assert_int_equal(pte_at(sim, child, FILE_AT + PAGE), 0);

  /* A shared mapping stays writable on both sides (the child's PTE clean
   * and old); the writes of either reach the one page. */
  assert_int_equal(pte_at(sim, parent, FILE_AT), shared_pte);
  vmsim_pte_t cpte = pte_at(sim, child, FILE_AT);
  assert_true(vmsim_pte_write(cpte));
  assert_false(vmsim_pte_dirty(cpte) || vmsim_pte_young(cpte));
  assert_ok(vmsim_access(sim, 1, child, FILE_AT, true));
  assert_int_equal(proc_info(sim, child).pgfault, 0);
  assert_int_equal(token_seq(cached_page(sim, file, 0)->token), 2);

  /* The child's view of the read-only VMA is read-only too. */
  assert_int_equal(vmsim_access(sim, 1, child, GIB1, true), VMSIM_EACCES);
  /* A page the parent never touched is a fresh zeroed page in the child. */
  assert_ok(vmsim_access(sim, 1, child, BASE + 3 * PAGE, false));
  assert_int_equal(pte_at(sim, parent, BASE + 3 * PAGE), 0);
  check_and_destroy(sim);
}

/* ---- host memory exhaustion -------------------------------------------- */

/* Each call of the library that allocates host memory, failing each of its
 * allocations in turn (fail_each_allocation). */
struct alloc_case {
  uint32_t pid, child;
  uint64_t pages, free0, pgtables, all_pgtables;
};

static int call_create(vmsim_sim *sim, void *arg) {
  return vmsim_process_create(sim, &((struct alloc_case *)arg)->pid);
}
static int call_mmap(vmsim_sim *sim, void *arg) {
  struct alloc_case *c = arg;
  return vmsim_mmap(sim, c->pid, BASE, c->pages * PAGE, RW, ANON, 0, 0);
}
static int call_fork(vmsim_sim *sim, void *arg) {
  struct alloc_case *c = arg;
  return vmsim_process_fork(sim, c->pid, &c->child);
}

static void after_mmap_failure(vmsim_sim *sim, void *arg) {
  assert_int_equal(mm_of(sim, ((struct alloc_case *)arg)->pid)->nr_vmas, 0);
}

/* A failed fork leaves the parent as it was (its PTEs may have become
 * read-only: copy-on-write is harmless with one mapper). */
static void after_fork_failure(vmsim_sim *sim, void *arg) {
  struct alloc_case *c = arg;
  vmsim_process_info pi = proc_info(sim, c->pid);
  assert_int_equal(pi.rss_anon, c->pages);
  assert_int_equal(pi.pgtables, c->pgtables);
  assert_int_equal(VS(nr_free_pages), c->free0);
  assert_int_equal(VS(nr_page_table_pages), c->all_pgtables); /* the child's are gone */
  assert_int_equal(page_at(sim, c->pid, BASE)->mapcount, 1);
}

static void test_out_of_host_memory(void **state) {
  (void)state;
  uint64_t live0 = live_allocs();
  vmsim_sim *sim = small_sim(1);
  struct alloc_case c = {0};

  /* The first process: n = 1 fails the process table; n = 2 the mm (the
   * grown table stays); n = 3 succeeds with the mm and PGD. A second one:
   * the mm, then its PGD. The failures use no pid. */
  assert_int_equal(fail_each_allocation(sim, call_create, &c, NULL), 3);
  assert_int_equal(c.pid, 1);
  assert_int_equal(fail_each_allocation(sim, call_create, &c, NULL), 3);
  assert_int_equal(c.pid, 2);

  /* The VMA array. */
  c.pages = 1023;
  assert_int_equal(fail_each_allocation(sim, call_mmap, &c, after_mmap_failure), 2);

  /* 1023 mapped pages fill the first reverse-map pool (1024 items, item 0
   * unused), so the child's first mapping must grow it. fork allocates:
   * the child's mm and PGD (the process table has room), its VMA array,
   * its PUD, PMD and first leaf, the larger reverse-map pool, and the
   * second leaf (pages 512..1022): 8 allocations, success at the 9th. */
  touch(sim, c.pid, BASE, 0, c.pages, true);
  assert_int_equal(sim->rmap_free, 0);
  c.free0 = VS(nr_free_pages);
  c.pgtables = proc_info(sim, c.pid).pgtables;
  assert_int_equal(c.pgtables, 5);
  c.all_pgtables = VS(nr_page_table_pages);
  assert_int_equal(fail_each_allocation(sim, call_fork, &c, after_fork_failure), 9);
  assert_int_equal(proc_info(sim, c.child).rss_anon, c.pages);
  assert_int_equal(page_at(sim, c.pid, BASE)->mapcount, 2);

  /* Both sides still work: the child's write copies, the parent's reuses. */
  assert_ok(vmsim_access(sim, 0, c.child, BASE, true));
  assert_ok(vmsim_access(sim, 0, c.pid, BASE, true));
  assert_int_equal(VS(nr_free_pages), c.free0 - 1);
  check_and_destroy(sim);
  assert_int_equal(live_allocs(), live0);
}

/*
 * vmsim__access_prefetch() is a hint to the host's cache: on a mapped page,
 * a swapped-out or never-touched one, an address past the user range, a
 * pid that does not exist and a process that has exited (whose page tables
 * are gone), every stage must return without counting, charging or
 * changing anything a caller can see.
 */
static void test_prefetch_hints_change_nothing(void **state) {
  (void)state;
  vmsim_sim *sim = small_sim(1);
  uint32_t pid, gone;
  assert_ok(vmsim_process_create(sim, &pid));
  assert_ok(vmsim_process_create(sim, &gone));
  assert_ok(vmsim_mmap(sim, pid, BASE, 16 * PAGE, RW, ANON, 0, 0));
  assert_ok(vmsim_mmap(sim, gone, BASE, 16 * PAGE, RW, ANON, 0, 0));
  for (uint64_t i = 0; i < 8; i++) {
    assert_ok(vmsim_access(sim, 0, pid, BASE + i * PAGE, i & 1));
    assert_ok(vmsim_access(sim, 0, gone, BASE + i * PAGE, true));
  }
  assert_ok(vmsim_process_exit(sim, gone));

  uint64_t before[VMSIM_NR_VMSTAT], after[VMSIM_NR_VMSTAT];
  vmsim_process_info pb, pa;
  vmsim_tlb_info tb, ta;
  vmsim_time_t now = vmsim_time_now(sim);
  vmsim_vmstat_snapshot(sim, before);
  assert_ok(vmsim_process_get_info(sim, pid, &pb));
  assert_ok(vmsim_tlb_get_info(sim, UINT32_MAX, &tb));
  const uint64_t addrs[] = {BASE, BASE + 7 * PAGE, BASE + 12 * PAGE, BASE2, VMSIM_VA_LIMIT,
                            UINT64_MAX};
  const uint32_t pids[] = {pid, gone, 0, 999};
  for (size_t p = 0; p < ARRAY_SIZE(pids); p++)
    for (size_t a = 0; a < ARRAY_SIZE(addrs); a++)
      for (int st = VMSIM_PREFETCH_PTE; st <= VMSIM_PREFETCH_LRU; st++)
        vmsim__access_prefetch(sim, pids[p], addrs[a], (enum vmsim__prefetch_stage)st);
  vmsim_vmstat_snapshot(sim, after);
  assert_ok(vmsim_process_get_info(sim, pid, &pa));
  assert_ok(vmsim_tlb_get_info(sim, UINT32_MAX, &ta));
  assert_memory_equal(before, after, sizeof(before));
  assert_memory_equal(&pb, &pa, sizeof(pb));
  assert_memory_equal(&tb, &ta, sizeof(tb));
  assert_int_equal(vmsim_time_now(sim), now);
  check_and_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_process_lifecycle_and_info),
    cmocka_unit_test(test_prefetch_hints_change_nothing),
    cmocka_unit_test(test_mmap_argument_errors),
    cmocka_unit_test(test_munmap_splits_and_frees_exactly),
    cmocka_unit_test(test_munmap_file_vma_keeps_offsets),
    cmocka_unit_test(test_exit_frees_pages_and_page_tables),
    cmocka_unit_test(test_segv_and_bad_access_arguments),
    cmocka_unit_test(test_mlocked_vma),
    cmocka_unit_test(test_fork_copies_the_address_space),
    cmocka_unit_test(test_out_of_host_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
