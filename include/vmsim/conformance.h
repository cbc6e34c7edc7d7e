/* SPDX-License-Identifier: MIT */
/*
 * The policy conformance suite: run it on your own policy before trusting
 * its numbers.
 *
 * vmsim_policy_conformance() replays a fixed set of small scenarios with
 * the named policy (built in, registered with vmsim_policy_register(), or
 * loaded with vmsim_policy_load()):
 *
 *   on-demand    demand paging with 16 frames: a read-only reference
 *                string, then writes, over an anon region, with a small
 *                mlocked region;
 *   kswapd-anon  kswapd reclaim of an anon working set larger than memory,
 *                with swap;
 *   file         read() scans of a file larger than memory, and writes
 *                through a shared mapping (dirty pages written back);
 *   mlock        mlocked anon and file regions under anon pressure, part of
 *                them unmapped on the way;
 *   fork-exit    copy-on-write after fork(), pressure, the child exiting;
 *   two-nodes    two NUMA nodes, a process on each.
 *
 * After each phase it checks: vmsim_check() passes and no integrity error
 * was seen; every access succeeded (no OOM kill); mlocked pages sit on an
 * unevictable list (if the policy has one) and no other page does; mlocked
 * pages are all still resident; the counters agree (pgsteal <= pgscan per
 * reclaimer, the anon/file split adds up, no page left isolated, the LRU
 * lists and free pages account for every frame). In on-demand mode it
 * checks after every access that nothing is evicted while a frame is free
 * and that each fault beyond the frames evicts exactly one page. Every
 * scenario is run twice and must give identical counters and simulated
 * time (determinism).
 *
 * A scenario takes well under a second on a current machine.
 */
#ifndef VMSIM_CONFORMANCE_H
#define VMSIM_CONFORMANCE_H

#include "common.h"

VMSIM_BEGIN_DECLS

/*
 * Run the suite on the registered policy `policy_name`. Returns 0 if it
 * conforms; VMSIM_ECORRUPT with "policy 'NAME', scenario 'SCENARIO':
 * PROPERTY: DETAIL" in msg (at most `len` bytes, if msg is not NULL) for
 * the first property that failed; VMSIM_ENOENT if no such policy is
 * registered; VMSIM_ECONFIG if a scenario's machine could not be created
 * with it (the policy's init failed); VMSIM_ENOMEM.
 */
VMSIM_EXPORT int vmsim_policy_conformance(const char *policy_name, char *msg, size_t len);

VMSIM_END_DECLS

#endif /* VMSIM_CONFORMANCE_H */
