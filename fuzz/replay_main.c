/* SPDX-License-Identifier: MIT */
/*
 * The replay-only driver, for compilers without libFuzzer: run each file
 * named on the command line, or every file of each directory named, through
 * the target once, as libFuzzer does with file arguments. Options (-...)
 * are ignored, so the same command lines work with both drivers.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
    return 1;
  }
  uint8_t *buf = NULL;
  size_t size = 0, cap = 0;
  for (;;) {
    if (size == cap) {
      cap = cap ? 2 * cap : 4096;
      uint8_t *bigger = realloc(buf, cap);
      if (!bigger) {
        fprintf(stderr, "%s: out of memory\n", path);
        free(buf);
        fclose(f);
        return 1;
      }
      buf = bigger;
    }
    size_t n = fread(buf + size, 1, cap - size, f);
    if (n == 0)
      break;
    size += n;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "%s: read error\n", path);
    free(buf);
    return 1;
  }
  /* A copy of exactly `size` bytes, as libFuzzer gives: reads past the end
   * of the input are caught by AddressSanitizer. */
  uint8_t *input = malloc(size ? size : 1);
  if (!input) {
    free(buf);
    return 1;
  }
  if (size)
    memcpy(input, buf, size);
  free(buf);
  fprintf(stderr, "Running: %s (%zu bytes)\n", path, size);
  LLVMFuzzerTestOneInput(input, size);
  free(input);
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "%s: cannot open: %s\n", dir, strerror(errno));
    return 1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int bad = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **bigger = realloc(names, cap * sizeof(*names));
      if (!bigger) {
        bad = 1;
        break;
      }
      names = bigger;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!(names[n] = malloc(len))) {
      bad = 1;
      break;
    }
    size_t dirlen = strlen(dir);
    while (dirlen > 1 && dir[dirlen - 1] == '/')
      dirlen--;
    snprintf(names[n++], len, "%.*s/%s", (int)dirlen, dir, e->d_name);
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof(*names), compare_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (!bad && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
      bad |= run_file(names[i]);
    free(names[i]);
  }
  free(names);
  return bad;
}

int main(int argc, char **argv) {
  int bad = 0, files = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (argv[i][0] == '-')
      continue;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      bad = 1;
    } else {
      bad |= S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    }
    files++;
  }
  if (!files) {
    fprintf(stderr, "usage: %s FILE|DIR...  (replays inputs; this build has no libFuzzer)\n",
            argv[0]);
    return 2;
  }
  return bad;
}
