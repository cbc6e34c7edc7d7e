/* SPDX-License-Identifier: MIT */
/*
 * The host allocator shim. Every host allocation the library makes goes
 * through it; by default it is jemalloc. A test may replace it, or ask it to
 * fail the Nth allocation from now, to check that the library reports
 * VMSIM_ENOMEM and leaks nothing.
 *
 * The shim is process-global: change it only while no simulation runs.
 */
#ifndef VMSIM_ALLOC_H
#define VMSIM_ALLOC_H

#include "common.h"

VMSIM_BEGIN_DECLS

typedef struct vmsim_allocator {
  void *(*malloc)(void *ctx, size_t size);
  void *(*calloc)(void *ctx, size_t nmemb, size_t size);
  void *(*realloc)(void *ctx, void *ptr, size_t size);
  void (*free)(void *ctx, void *ptr);
  void *ctx;
} vmsim_allocator;

/* Replace the allocator; NULL restores the default (jemalloc). */
VMSIM_EXPORT void vmsim_set_allocator(const vmsim_allocator *a);

/*
 * Failure injection: the nth allocation counted from this call (1 = the next
 * one) returns NULL; so do all later ones if `sticky`. 0 turns it off.
 */
VMSIM_EXPORT void vmsim_alloc_fail_after(uint64_t nth, bool sticky);

/* Statistics of the shim since start: allocations made and live bytes are
 * counted only for calls that went through it. */
typedef struct vmsim_alloc_stats {
  uint64_t nr_allocs;     /* successful malloc/calloc/realloc(NULL,..) calls */
  uint64_t nr_frees;      /* free calls on non-NULL pointers */
  uint64_t nr_failed;     /* allocations refused (real or injected) */
} vmsim_alloc_stats;

VMSIM_EXPORT void vmsim_alloc_get_stats(vmsim_alloc_stats *out);

VMSIM_END_DECLS

#endif /* VMSIM_ALLOC_H */
