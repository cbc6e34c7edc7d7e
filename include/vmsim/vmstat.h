/* SPDX-License-Identifier: MIT */
/*
 * Event and state counters, named exactly as /proc/vmstat names them.
 */
#ifndef VMSIM_VMSTAT_H
#define VMSIM_VMSTAT_H

#include "common.h"

VMSIM_BEGIN_DECLS

/* X(name): item VMSIM_VM_<NAME> reported as "<name>". State items (nr_*)
 * are current values; the others are event counts since creation. */
#define VMSIM_VMSTAT_MAP(X)                                                 \
  X(nr_free_pages)                                                          \
  X(nr_inactive_anon)                                                       \
  X(nr_active_anon)                                                         \
  X(nr_inactive_file)                                                       \
  X(nr_active_file)                                                         \
  X(nr_unevictable)                                                         \
  X(nr_isolated_anon)                                                       \
  X(nr_isolated_file)                                                       \
  X(nr_anon_pages)                                                          \
  X(nr_mapped)                                                              \
  X(nr_file_pages)                                                          \
  X(nr_dirty)                                                               \
  X(nr_writeback)                                                           \
  X(nr_swapcached)                                                          \
  X(nr_page_table_pages)                                                    \
  X(nr_mlock)                                                               \
  X(pgpgin)                                                                 \
  X(pgpgout)                                                                \
  X(pswpin)                                                                 \
  X(pswpout)                                                                \
  X(pgalloc)                                                                \
  X(pgfree)                                                                 \
  X(pgactivate)                                                             \
  X(pgdeactivate)                                                           \
  X(pgfault)                                                                \
  X(pgmajfault)                                                             \
  X(pgrefill)                                                               \
  X(pgrotated)                                                              \
  X(pgscan_kswapd)                                                          \
  X(pgscan_direct)                                                          \
  X(pgsteal_kswapd)                                                         \
  X(pgsteal_direct)                                                         \
  X(pgscan_anon)                                                            \
  X(pgscan_file)                                                            \
  X(pgsteal_anon)                                                           \
  X(pgsteal_file)                                                           \
  X(slabs_scanned)                                                          \
  X(allocstall)                                                             \
  X(pageoutrun)                                                             \
  X(kswapd_low_wmark_hit_quickly)                                           \
  X(kswapd_high_wmark_hit_quickly)                                          \
  X(kswapd_wakeups)                                                         \
  X(workingset_refault_anon)                                                \
  X(workingset_refault_file)                                                \
  X(workingset_activate_anon)                                               \
  X(workingset_activate_file)                                               \
  X(workingset_restore_anon)                                                \
  X(workingset_restore_file)                                                \
  X(oom_kill)

enum vmsim_vmstat_item {
#define VMSIM_VMSTAT_ENUM_(name) VMSIM_VM_##name,
  VMSIM_VMSTAT_MAP(VMSIM_VMSTAT_ENUM_)
#undef VMSIM_VMSTAT_ENUM_
  VMSIM_NR_VMSTAT
};

/* The /proc/vmstat name of an item, or NULL if out of range. */
VMSIM_EXPORT const char *vmsim_vmstat_name(int item);
/* The item whose name is `name`, or VMSIM_ENOENT. */
VMSIM_EXPORT int vmsim_vmstat_lookup(const char *name);

VMSIM_END_DECLS

#endif /* VMSIM_VMSTAT_H */
