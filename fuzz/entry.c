/* SPDX-License-Identifier: MIT */
/*
 * One fuzz target as a program: compiled once per target with
 * -DVMSIM_FUZZ_TARGET=vmsim_fuzz_<target>, linked either with libFuzzer
 * (-fsanitize=fuzzer) or with replay_main.c.
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef VMSIM_FUZZ_TARGET
#error "compile with -DVMSIM_FUZZ_TARGET=vmsim_fuzz_<target>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return VMSIM_FUZZ_TARGET(data, size);
}

void vmsim_fuzz_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: fuzz oracle failed: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}
