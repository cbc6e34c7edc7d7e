/* SPDX-License-Identifier: MIT */
#include "internal.h"

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

uint64_t vmsim_vmstat(const vmsim_sim *sim, int item) {
  if (item < 0 || item >= VMSIM_NR_VMSTAT)
    return 0;
  return sim->vmstat[item];
}

void vmsim_vmstat_snapshot(const vmsim_sim *sim, uint64_t *out) {
  memcpy(out, sim->vmstat, sizeof(sim->vmstat));
}
