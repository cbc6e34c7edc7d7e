/* SPDX-License-Identifier: MIT */
/* The built-in replacement policies: one file each in src/policies/. */
#ifndef VMSIM_POLICIES_BUILTIN_H
#define VMSIM_POLICIES_BUILTIN_H

#include <vmsim/policy.h>

extern const vmsim_policy_ops vmsim__policy_clock;

/* The registry's list, in the order `vmsim policies` shows them. */
#define VMSIM_BUILTIN_POLICIES &vmsim__policy_clock,

#endif
