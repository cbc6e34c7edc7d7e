/* SPDX-License-Identifier: MIT */
/* What every test file includes: CMocka and the library's internals. */
#ifndef VMSIM_TEST_H
#define VMSIM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

/* Assert a library call returned 0, printing the error's name otherwise. */
#define assert_ok(expr)                                                            \
  do {                                                                             \
    int rc_ = (expr);                                                              \
    if (rc_ != 0)                                                                  \
      fail_msg("%s returned %d (%s)", #expr, rc_, vmsim_err_name(rc_));             \
  } while (0)

/* vmsim_check() passes (its message printed otherwise) and the simulator
 * saw no integrity error. */
#define assert_sim_consistent(sim)                                                 \
  do {                                                                             \
    char chk_msg_[512];                                                            \
    int chk_rc_ = vmsim_check((sim), chk_msg_, sizeof(chk_msg_));                   \
    if (chk_rc_ != 0)                                                              \
      fail_msg("vmsim_check: %s (%s)", chk_msg_, vmsim_err_name(chk_rc_));          \
    assert_int_equal(vmsim_integrity_errors(sim), 0);                              \
  } while (0)

/* A deterministic PRNG for tests (splitmix64), independent of the library. */
static inline uint64_t test_rand(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

#endif
