/* SPDX-License-Identifier: MIT */
#include "mm_types.h"

static const char *const vmstat_names[VMSIM_NR_VMSTAT] = {
#define VMSIM_VMSTAT_NAME_(name) #name,
  VMSIM_VMSTAT_MAP(VMSIM_VMSTAT_NAME_)
#undef VMSIM_VMSTAT_NAME_
};

const char *vmsim_vmstat_name(int item) {
  if (item < 0 || item >= VMSIM_NR_VMSTAT)
    return NULL;
  return vmstat_names[item];
}

int vmsim_vmstat_lookup(const char *name) {
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
    if (strcmp(vmstat_names[i], name) == 0)
      return i;
  return VMSIM_ENOENT;
}

/* State counted from the objects themselves when it is read. */
static uint64_t nr_page_table_pages(const vmsim_sim *sim) {
  uint64_t n = 0;
  for (uint32_t pid = 1; pid < sim->nr_mms; pid++)
    if (sim->mms[pid]->state == VMSIM_PROC_RUNNING)
      n += sim->mms[pid]->pgt.nr_tables;
  return n;
}

uint64_t vmsim_vmstat(const vmsim_sim *sim, int item) {
  if (item < 0 || item >= VMSIM_NR_VMSTAT)
    return 0;
  if (item == VMSIM_VM_nr_page_table_pages)
    return nr_page_table_pages(sim);
  return sim->vmstat[item];
}

void vmsim_vmstat_snapshot(const vmsim_sim *sim, uint64_t *out) {
  memcpy(out, sim->vmstat, sizeof(sim->vmstat));
  out[VMSIM_VM_nr_page_table_pages] = nr_page_table_pages(sim);
}

uint64_t vmsim_rmap_walks(const vmsim_sim *sim) { return sim->rmap_walks; }
