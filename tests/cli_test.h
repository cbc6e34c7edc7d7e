/* SPDX-License-Identifier: MIT */
/*
 * Running the `vmsim` command from a test: a scratch directory, files in
 * it, and a run capturing status, stdout and stderr. The binary's path
 * comes from VMSIM_BIN (set by meson for the `cli` suite).
 */
#ifndef VMSIM_CLI_TEST_H
#define VMSIM_CLI_TEST_H

#include "vmsim_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static inline int cli_setup(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmsim-test-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int cli_teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Write `text` to `name` in the scratch directory. */
static inline void write_file(const char *name, const char *text) {
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Read `name` of the scratch directory into buf (empty if absent). */
static inline void slurp(const char *name, char *buf, size_t len) {
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, len - 1, f) : 0;
  buf[n] = 0;
  if (f)
    fclose(f);
}

struct result {
  int status;
  char out[1 << 16];
  char err[4096];
};

/* Run `vmsim ARGS` (a shell fragment) in the scratch directory. */
static inline void vmsim(struct result *r, const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "cd %s && '%s' %s > stdout 2> stderr < /dev/null", tmpdir,
           getenv("VMSIM_BIN"), args);
  int st = system(cmd);
  assert_true(WIFEXITED(st));
  r->status = WEXITSTATUS(st);
  slurp("stdout", r->out, sizeof(r->out));
  slurp("stderr", r->err, sizeof(r->err));
}

/* `vmsim ARGS` exits with `status` and says `needle` on stderr. */
static inline void expect_error(const char *args, int status, const char *needle) {
  static struct result r;
  vmsim(&r, args);
  if (r.status != status || !strstr(r.err, needle))
    fail_msg("vmsim %s: status %d (want %d), stderr:\n%s\n(want it to contain '%s')", args,
             r.status, status, r.err, needle);
}

#endif
