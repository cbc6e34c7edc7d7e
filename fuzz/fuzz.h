/* SPDX-License-Identifier: MIT */
/*
 * Fuzz targets: every input libvmsim reads from outside (a YAML scenario,
 * the three trace formats, a plugin's ops table), and whole runs: of a
 * scenario, and of a trace replayed on a few frames. Each target takes arbitrary bytes and must neither crash nor
 * break its oracle: the input either works, or is refused with a negative
 * VMSIM_E* code and a message in the documented form.
 *
 * One function per target, vmsim_fuzz_<target>(). The same functions run
 * under three drivers: libFuzzer (fuzz/entry.c with -fsanitize=fuzzer), a
 * replay-only main() for compilers without libFuzzer (fuzz/replay_main.c),
 * and the unit test tests/test_fuzz_regress.c, which replays the seed
 * corpora and every crash input found so far. See fuzz/README.md.
 */
#ifndef VMSIM_FUZZ_H
#define VMSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int vmsim_fuzz_scenario(const uint8_t *data, size_t size);
int vmsim_fuzz_trace_lackey(const uint8_t *data, size_t size);
int vmsim_fuzz_trace_oracle(const uint8_t *data, size_t size);
int vmsim_fuzz_trace_text(const uint8_t *data, size_t size);
int vmsim_fuzz_policy(const uint8_t *data, size_t size);
int vmsim_fuzz_run(const uint8_t *data, size_t size);
int vmsim_fuzz_replay(const uint8_t *data, size_t size);

/* libFuzzer's entry point, defined by fuzz/entry.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken oracle: report where and what, then stop. Each driver defines
 * it: libFuzzer and the replay driver abort() (libFuzzer saves the input),
 * the regression test fails the CMocka test naming the input file.
 */
_Noreturn void vmsim_fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                                      \
  do {                                                                             \
    if (!(cond))                                                                   \
      vmsim_fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
  } while (0)

/* A message in err[] is terminated within its buffer and not empty. */
static inline int vmsim_fuzz_msg_ok(const char *err, size_t len) {
  return len > 0 && memchr(err, '\0', len) != NULL && err[0] != '\0';
}

/* FNV-1a of the input: a choice (a buffer size, an allocation to fail)
 * that varies with the input yet is the same on every replay. */
static inline uint64_t vmsim_fuzz_hash(const uint8_t *data, size_t size) {
  uint64_t hash = UINT64_C(14695981039346656037);
  for (size_t i = 0; i < size; i++)
    hash = (hash ^ data[i]) * UINT64_C(1099511628211);
  return hash;
}

/* A memory file holding the input, positioned at its start: for the
 * readers that take a descriptor or a path (/proc/self/fd/N). */
static inline int vmsim_fuzz_memfd(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0, "memfd_create failed");
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    FUZZ_CHECK(n > 0, "write to the memfd failed");
    done += (size_t)n;
  }
  FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek failed");
  return fd;
}

#endif /* VMSIM_FUZZ_H */
