/* SPDX-License-Identifier: MIT */
/* Helpers shared by the benchmarks; see bench_util.h. */
#include "bench_util.h"

#include <vmsim/vmsim.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double bench_scale(void) {
  const char *s = getenv("VMSIM_BENCH_SCALE");
  if (!s || !*s)
    return 1.0;
  char *end;
  double v = strtod(s, &end);
  if (*end || !(v > 0.0) || !isfinite(v))
    bench_fail("VMSIM_BENCH_SCALE=%s: expected a number > 0", s);
  return v;
}

uint64_t bench_scaled(uint64_t n, uint64_t min) {
  double v = floor((double)n * bench_scale());
  return v < (double)min ? min : (uint64_t)v;
}

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now(void) { return clock_seconds(CLOCK_MONOTONIC); }
double bench_cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

void bench_fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "benchmark failed: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  bench_tmpdir_remove();
  exit(1);
}

/* ---- the temporary directory ------------------------------------------- */

static char tmpdir[4096];

const char *bench_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base)
    base = "/tmp";
  snprintf(tmpdir, sizeof(tmpdir), "%s/vmsim-bench-%s-XXXXXX", base, tag);
  if (!mkdtemp(tmpdir))
    bench_fail("mkdtemp %s: %s", tmpdir, strerror(errno));
  return tmpdir;
}

void bench_tmpdir_remove(void) {
  if (!tmpdir[0])
    return;
  const char *keep = getenv("VMSIM_BENCH_KEEP");
  if (keep && *keep && strcmp(keep, "0")) {
    fprintf(stderr, "VMSIM_BENCH_KEEP: inputs kept in %s\n", tmpdir);
    tmpdir[0] = 0;
    return;
  }
  DIR *d = opendir(tmpdir);
  if (d) {
    struct dirent *e;
    char p[8192];
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
        snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
        unlink(p);
      }
    closedir(d);
  }
  rmdir(tmpdir);
  tmpdir[0] = 0;
}

const char *bench_path(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", tmpdir, name);
  return buf;
}

/* ---- writing files -------------------------------------------------------- */

void bench_writer_open(bench_writer *w, const char *path) {
  memset(w, 0, sizeof(*w));
  w->path = path;
  w->cap = 1 << 20;
  w->buf = malloc(w->cap);
  w->f = fopen(path, "wb");
  if (!w->f || !w->buf)
    bench_fail("%s: cannot write: %s", path, strerror(errno));
}

static void writer_flush(bench_writer *w) {
  if (w->n && fwrite(w->buf, 1, w->n, w->f) != w->n)
    bench_fail("%s: write error: %s", w->path, strerror(errno));
  w->n = 0;
}

void bench_writer_put(bench_writer *w, const void *data, size_t n) {
  if (w->n + n > w->cap)
    writer_flush(w);
  memcpy(w->buf + w->n, data, n);
  w->n += n;
  w->bytes += n;
}

void bench_writer_close(bench_writer *w) {
  writer_flush(w);
  if (fclose(w->f) != 0)
    bench_fail("%s: write error: %s", w->path, strerror(errno));
  free(w->buf);
  w->f = NULL;
  w->buf = NULL;
}

void bench_write_text(const char *path, const char *text) {
  bench_writer w;
  bench_writer_open(&w, path);
  bench_writer_put(&w, text, strlen(text));
  bench_writer_close(&w);
}

static void put_le(unsigned char *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

uint64_t bench_write_oracle_zipf(const char *path, uint64_t records, uint64_t pages, double theta,
                                 uint64_t seed) {
  vmsim_gen_config gc;
  vmsim_gen_config_default(&gc);
  gc.kind = VMSIM_GEN_ZIPF;
  gc.pages = pages;
  gc.theta = theta;
  gc.seed = seed;
  gc.count = records;
  vmsim_gen *g;
  char msg[256];
  if (vmsim_gen_create(&g, &gc, msg, sizeof(msg)))
    bench_fail("zipf generator: %s", msg);
  /* rank -> page: k * a + c mod pages, a bijection when gcd(a, pages) = 1.
   * a < 2^28 and pages < 2^35 keep the product below 2^63. */
  uint64_t a = 1000003 % pages ? 1000003 : 1;
  while (gcd(a, pages) != 1)
    a += 2;
  uint64_t c = pages / 3;

  bench_writer w;
  bench_writer_open(&w, path);
  vmsim_memref ref;
  uint64_t i = 0;
  int rc;
  while ((rc = vmsim_gen_next(g, &ref)) == 1) {
    uint64_t rank = ref.vaddr >> VMSIM_PAGE_SHIFT;
    uint64_t id = (rank * a + c) % pages;
    unsigned char rec[24];
    put_le(rec, (uint32_t)i, 4);
    put_le(rec + 4, id, 8);
    put_le(rec + 12, VMSIM_PAGE_SIZE, 4);
    put_le(rec + 16, UINT64_MAX, 8); /* -1: no future given */
    bench_writer_put(&w, rec, sizeof(rec));
    i++;
  }
  vmsim_gen_destroy(g);
  if (rc < 0 || i != records)
    bench_fail("zipf generator stopped after %llu of %llu records", (unsigned long long)i,
               (unsigned long long)records);
  bench_writer_close(&w);
  return w.bytes;
}

/* ---- running vmsim ---------------------------------------------------------- */

void bench_spawn(const char *const argv[], bench_run *r) {
  memset(r, 0, sizeof(*r));
  int fds[2];
  if (pipe(fds))
    bench_fail("pipe: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);

  size_t cap = 1 << 16;
  r->out = malloc(cap);
  if (!r->out)
    bench_fail("out of memory");
  fflush(NULL);
  pid_t pid;
  double t0 = bench_now();
  int err = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (err)
    bench_fail("cannot run %s: %s", argv[0], strerror(err));
  for (;;) {
    if (r->out_len + 1 == cap) {
      cap *= 2;
      char *p = realloc(r->out, cap);
      if (!p)
        bench_fail("out of memory");
      r->out = p;
    }
    ssize_t n = read(fds[0], r->out + r->out_len, cap - 1 - r->out_len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    r->out_len += (size_t)n;
  }
  close(fds[0]);
  int st;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0)
    if (errno != EINTR)
      bench_fail("wait4: %s", strerror(errno));
  r->wall = bench_now() - t0;
  r->out[r->out_len] = 0;
  r->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  r->maxrss_kib = ru.ru_maxrss;
  r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void bench_expect_ok(const bench_run *r, const char *what) {
  if (r->status)
    bench_fail("%s: vmsim exited with status %d", what, r->status);
  if (!strstr(r->out, "\"check\": \"ok\""))
    bench_fail("%s: the invariant check did not pass:\n%s", what, r->out);
  /* The frames engine has no machine, hence no integrity count. */
  if (!strstr(r->out, "\"engine\": \"frames\"") &&
      bench_json_num(r->out, NULL, "\"integrity_errors\"") != 0)
    bench_fail("%s: integrity errors:\n%s", what, r->out);
}

void bench_run_free(bench_run *r) {
  free(r->out);
  r->out = NULL;
}

double bench_json_num(const char *json, const char *within, const char *key) {
  const char *p = json;
  if (within && !(p = strstr(p, within)))
    bench_fail("no %s in the output:\n%s", within, json);
  if (!(p = strstr(p, key)))
    bench_fail("no %s in the output:\n%s", key, json);
  p += strlen(key);
  while (*p == ' ' || *p == ':')
    p++;
  char *end;
  double v = strtod(p, &end);
  if (end == p)
    bench_fail("%s is not a number in the output", key);
  return v;
}
