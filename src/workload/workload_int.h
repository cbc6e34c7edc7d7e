/* SPDX-License-Identifier: MIT */
/* Helpers shared by the trace readers and the generators. Not installed. */
#ifndef VMSIM_WORKLOAD_INT_H
#define VMSIM_WORKLOAD_INT_H

#include "internal.h"

#include <strings.h>

/* The index of `name` (case-insensitive) in names[0..n), or -1. */
static inline int vmsim__name_index(const char *const *names, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (strcasecmp(names[i], name) == 0)
      return (int)i;
  return -1;
}

/*
 * The generators' PRNG: xoshiro256** 1.0 (D. Blackman and S. Vigna,
 * "Scrambled linear pseudorandom number generators", 2018), seeded from
 * splitmix64. Integer-only, so every host produces the same stream.
 */
struct vmsim__rng {
  uint64_t s[4];
};

/* The next output of the splitmix64 generator whose counter is *x. */
static inline uint64_t vmsim__splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Seed from the next four outputs of splitmix64 counter *x. The output
 * function is a bijection of the counter, so at most one of the four is
 * zero and the state is never all-zero. */
static inline void vmsim__rng_seed(struct vmsim__rng *r, uint64_t *x) {
  for (int i = 0; i < 4; i++)
    r->s[i] = vmsim__splitmix64(x);
}

static inline uint64_t vmsim__rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static ALWAYS_INLINE uint64_t vmsim__rng_next(struct vmsim__rng *r) {
  uint64_t *s = r->s;
  uint64_t result = vmsim__rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = vmsim__rotl64(s[3], 45);
  return result;
}

#endif /* VMSIM_WORKLOAD_INT_H */
