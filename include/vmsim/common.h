/* SPDX-License-Identifier: MIT */
/*
 * Definitions every public header shares: the export macro, the basic
 * simulated-memory types and the page geometry.
 */
#ifndef VMSIM_COMMON_H
#define VMSIM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(VMSIM_BUILDING_LIBRARY) && defined(__GNUC__)
#define VMSIM_EXPORT __attribute__((visibility("default")))
#else
#define VMSIM_EXPORT
#endif

#ifdef __cplusplus
#define VMSIM_BEGIN_DECLS extern "C" {
#define VMSIM_END_DECLS }
#else
#define VMSIM_BEGIN_DECLS
#define VMSIM_END_DECLS
#endif

/* Simulated pages are 4 KiB, as on x86-64. */
#define VMSIM_PAGE_SHIFT 12
#define VMSIM_PAGE_SIZE (UINT64_C(1) << VMSIM_PAGE_SHIFT)

/* Buddy orders 0..VMSIM_MAX_ORDER-1 (Linux MAX_ORDER 11: blocks up to 4 MiB). */
#define VMSIM_MAX_ORDER 11

/* Limits of the simulated machine. */
#define VMSIM_MAX_NODES 64
#define VMSIM_MAX_CPUS 256

/* A page frame number: the simulated physical address >> VMSIM_PAGE_SHIFT.
 * 32 bits address 16 TiB of simulated memory. */
typedef uint32_t vmsim_pfn_t;
#define VMSIM_PFN_NONE UINT32_MAX

/* Simulated time, in nanoseconds. */
typedef uint64_t vmsim_time_t;

/* Zone types, in address order, as in include/linux/mmzone.h. */
enum vmsim_zone_type {
  VMSIM_ZONE_DMA,
  VMSIM_ZONE_DMA32,
  VMSIM_ZONE_NORMAL,
  VMSIM_ZONE_MOVABLE,
  VMSIM_NR_ZONES
};

#endif /* VMSIM_COMMON_H */
