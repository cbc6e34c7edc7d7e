/* SPDX-License-Identifier: MIT */
/*
 * The host allocator shim: jemalloc by default, replaceable, with failure
 * injection for tests. Every host allocation of the library goes through
 * vmsim__malloc / vmsim__calloc / vmsim__realloc / vmsim__free.
 */
#include "internal.h"

#include <jemalloc/jemalloc.h>
#include <sys/mman.h>
#include <stdatomic.h>

static void *je_malloc_hook(void *ctx, size_t size) { (void)ctx; return malloc(size); }
static void *je_calloc_hook(void *ctx, size_t n, size_t size) { (void)ctx; return calloc(n, size); }
static void *je_realloc_hook(void *ctx, void *ptr, size_t size) { (void)ctx; return realloc(ptr, size); }
static void je_free_hook(void *ctx, void *ptr) { (void)ctx; free(ptr); }

static const vmsim_allocator default_allocator = {
  .malloc = je_malloc_hook,
  .calloc = je_calloc_hook,
  .realloc = je_realloc_hook,
  .free = je_free_hook,
  .ctx = NULL,
};

static vmsim_allocator allocator = {
  .malloc = je_malloc_hook,
  .calloc = je_calloc_hook,
  .realloc = je_realloc_hook,
  .free = je_free_hook,
  .ctx = NULL,
};

/* Machines may run on several host threads at once (one each): the
 * counters are atomic. */
static _Atomic uint64_t fail_countdown; /* 0: off */
static _Atomic bool fail_sticky;
static _Atomic uint64_t nr_allocs, nr_frees, nr_failed;

void vmsim_set_allocator(const vmsim_allocator *a) {
  allocator = a ? *a : default_allocator;
}

void vmsim_alloc_fail_after(uint64_t nth, bool sticky) {
  atomic_store(&fail_sticky, sticky);
  atomic_store(&fail_countdown, nth);
}

void vmsim_alloc_get_stats(vmsim_alloc_stats *out) {
  out->nr_allocs = atomic_load(&nr_allocs);
  out->nr_frees = atomic_load(&nr_frees);
  out->nr_failed = atomic_load(&nr_failed);
}

/* True if this allocation must fail by injection. */
static bool inject_failure(void) {
  uint64_t left = atomic_load(&fail_countdown);
  while (left != 0) {
    uint64_t next = left - 1;
    if (next == 0 && atomic_load(&fail_sticky))
      next = 1; /* stays armed: every later allocation fails too */
    if (atomic_compare_exchange_weak(&fail_countdown, &left, next))
      return left == 1;
  }
  return false;
}

static void *account(void *p) {
  atomic_fetch_add(p ? &nr_allocs : &nr_failed, 1);
  return p;
}

void *vmsim__malloc(size_t size) {
  if (unlikely(inject_failure()))
    return account(NULL);
  return account(allocator.malloc(allocator.ctx, size ? size : 1));
}

/*
 * Ask the host kernel for transparent huge pages under a large array
 * (mem_map, the swap slots): the simulator reads them at random, and on a
 * virtual machine every host TLB miss is a two-dimensional page walk. Only
 * the whole 2 MiB pages inside the array can be advised. A hint: THP may be
 * off, or the memory not the kind that can be advised; nothing changes then.
 */
#define HOST_HUGE_PAGE ((uintptr_t)2 << 20)
static void hint_hugepages(void *p, size_t bytes) {
  uintptr_t start = ((uintptr_t)p + HOST_HUGE_PAGE - 1) & ~(HOST_HUGE_PAGE - 1);
  uintptr_t end = ((uintptr_t)p + bytes) & ~(HOST_HUGE_PAGE - 1);
  if (end > start)
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void *vmsim__calloc(size_t nmemb, size_t size) {
  if (unlikely(inject_failure()))
    return account(NULL);
  void *p = allocator.calloc(allocator.ctx, nmemb ? nmemb : 1, size ? size : 1);
  if (p && nmemb * size >= 2 * HOST_HUGE_PAGE) /* no overflow: calloc checked */
    hint_hugepages(p, nmemb * size);
  return account(p);
}

void *vmsim__calloc_huge(size_t bytes, void **base) {
  if (bytes < HOST_HUGE_PAGE || bytes > SIZE_MAX - 2 * HOST_HUGE_PAGE)
    return *base = vmsim__calloc(1, bytes);
  /* Rounded up to whole huge pages, and one more to start the array on a
   * huge page boundary: vmsim__calloc() advises every whole huge page
   * inside what it gets, the array's last, partial one included. */
  size_t whole = (bytes + HOST_HUGE_PAGE - 1) & ~(size_t)(HOST_HUGE_PAGE - 1);
  *base = vmsim__calloc(1, whole + HOST_HUGE_PAGE);
  if (!*base)
    return NULL;
  return (void *)(((uintptr_t)*base + HOST_HUGE_PAGE - 1) & ~(HOST_HUGE_PAGE - 1));
}

void *vmsim__realloc(void *ptr, size_t size) {
  if (ptr == NULL)
    return vmsim__malloc(size);
  if (unlikely(inject_failure())) {
    atomic_fetch_add(&nr_failed, 1);
    return NULL;
  }
  void *p = allocator.realloc(allocator.ctx, ptr, size ? size : 1);
  if (!p)
    atomic_fetch_add(&nr_failed, 1);
  return p;
}

void vmsim__free(void *ptr) {
  if (!ptr)
    return;
  atomic_fetch_add(&nr_frees, 1);
  allocator.free(allocator.ctx, ptr);
}
