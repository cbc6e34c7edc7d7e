/* SPDX-License-Identifier: MIT */
/* The built-in replacement policies: one file each in src/policies/. */
#ifndef VMSIM_POLICIES_BUILTIN_H
#define VMSIM_POLICIES_BUILTIN_H

#include <vmsim/policy.h>

extern const vmsim_policy_ops vmsim__policy_clock;
extern const vmsim_policy_ops vmsim__policy_fifo;
extern const vmsim_policy_ops vmsim__policy_lru;
extern const vmsim_policy_ops vmsim__policy_opt;
extern const vmsim_policy_ops vmsim__policy_fivelist;
extern const vmsim_policy_ops vmsim__policy_aging;
extern const vmsim_policy_ops vmsim__policy_twolist;

/* The registry's list, in the order `vmsim policies` shows them. */
#define VMSIM_BUILTIN_POLICIES &vmsim__policy_clock, &vmsim__policy_fifo, &vmsim__policy_lru, &vmsim__policy_opt, &vmsim__policy_fivelist, &vmsim__policy_aging, &vmsim__policy_twolist,

#endif
