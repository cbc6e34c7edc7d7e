/* SPDX-License-Identifier: MIT */
/*
 * libvmsim: a user-space simulator of an operating system's memory manager.
 * The umbrella header: include this one.
 */
#ifndef VMSIM_H
#define VMSIM_H

#include <vmsim/version.h>
#include "common.h"
#include "error.h"
#include "alloc.h"
#include "config.h"
#include "vmstat.h"
#include "page.h"
#include "sim.h"
#include "mm.h"
#include "policy.h"
#include "conformance.h"
#include "shrinker.h"
#include "workload.h"
#include "scenario.h"

VMSIM_BEGIN_DECLS

/* The library's version at run time, as VMSIM_VERSION_HEX / _STRING. */
VMSIM_EXPORT unsigned vmsim_version(void);
VMSIM_EXPORT const char *vmsim_version_string(void);

VMSIM_END_DECLS

#endif /* VMSIM_H */
