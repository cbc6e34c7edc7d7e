/* SPDX-License-Identifier: MIT */
/*
 * Trace readers (src/workload/trace.c): lackey, oracleGeneral and plain text.
 * Every fixture is written by the test into a fresh temporary directory; the
 * expected accesses are worked out by hand in the comments.
 */
#include "vmsim_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEVER VMSIM_NEXT_ACCESS_NEVER
#define UNKNOWN VMSIM_NEXT_ACCESS_UNKNOWN

/* ---- fixtures ---------------------------------------------------------- */

#define MAX_FIXTURES 64

static char tmp_dir[256];
static char fixtures[MAX_FIXTURES][320];
static int nr_fixtures;

static int make_tmp_dir(void **state) {
  (void)state;
  const char *base = getenv("TMPDIR");
  snprintf(tmp_dir, sizeof(tmp_dir), "%s/vmsim-trace-XXXXXX", base && *base ? base : "/tmp");
  return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp_dir(void **state) {
  (void)state;
  for (int i = 0; i < nr_fixtures; i++)
    unlink(fixtures[i]);
  return rmdir(tmp_dir);
}

/* Write `len` bytes to a new file named after `name` in the temporary
 * directory (mkstemp adds a unique suffix); returns its path. */
static const char *fixture(const char *name, const void *data, size_t len) {
  assert_true(nr_fixtures < MAX_FIXTURES);
  char *path = fixtures[nr_fixtures];
  snprintf(path, sizeof(fixtures[0]), "%s/%s.XXXXXX", tmp_dir, name);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  nr_fixtures++;
  FILE *fp = fdopen(fd, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(data, 1, len, fp), len);
  assert_int_equal(fclose(fp), 0);
  return path;
}

static const char *text_fixture(const char *name, const char *text) {
  return fixture(name, text, strlen(text));
}

static vmsim_trace *open_trace(const char *path, enum vmsim_trace_format fmt,
                               const vmsim_trace_options *opts) {
  vmsim_trace *t = NULL;
  char msg[256] = "";
  int rc = vmsim_trace_open(&t, path, fmt, opts, msg, sizeof(msg));
  if (rc)
    fail_msg("open %s: %s (%s)", path, vmsim_err_name(rc), msg);
  return t;
}

/* What a test expects of one access; pos is vmsim_trace_position() after it. */
struct want {
  uint64_t vaddr;
  bool write;
  uint32_t pid;
  int64_t next;
  uint64_t pos;
};

/* Read `n` accesses, each equal to want[i], then expect `end` (0 or an error). */
static void expect_accesses(vmsim_trace *t, const struct want *want, size_t n, int end) {
  vmsim_memref a;
  for (size_t i = 0; i < n; i++) {
    int rc = vmsim_trace_next(t, &a);
    if (rc != 1)
      fail_msg("access %zu: next returned %d: %s", i, rc, vmsim_trace_error(t));
    if (a.vaddr != want[i].vaddr || a.write != want[i].write || a.pid != want[i].pid ||
        a.next_access != want[i].next || vmsim_trace_position(t) != want[i].pos)
      fail_msg("access %zu: got %s 0x%" PRIx64 " pid %u next %" PRId64 " pos %" PRIu64
               ", want %s 0x%" PRIx64 " pid %u next %" PRId64 " pos %" PRIu64,
               i, a.write ? "W" : "R", a.vaddr, a.pid, a.next_access, vmsim_trace_position(t),
               want[i].write ? "W" : "R", want[i].vaddr, want[i].pid, want[i].next, want[i].pos);
  }
  assert_int_equal(vmsim_trace_next(t, &a), end);
  assert_int_equal(vmsim_trace_next(t, &a), end); /* the end, or the error, stays */
}

/* The whole trace at `path`, read with the given pid, is exactly want[]. */
static void expect_trace(const char *path, enum vmsim_trace_format fmt, uint32_t pid,
                         const struct want *want, size_t n) {
  vmsim_trace_options opts;
  vmsim_trace_options_default(&opts);
  opts.pid = pid;
  vmsim_trace *t = open_trace(path, fmt, &opts);
  expect_accesses(t, want, n, 0);
  vmsim_trace_close(t);
}

/* The error message is exactly "PATH" followed by `rest`. */
static void expect_message(const vmsim_trace *t, const char *path, const char *rest) {
  char want[512];
  snprintf(want, sizeof(want), "%s%s", path, rest);
  assert_string_equal(vmsim_trace_error(t), want);
}

/* ---- lackey ------------------------------------------------------------ */

/* Line by line:                        accesses (position = line)
 *  1-2  "==" messages                  none
 *  3    blank                          none
 *  4    I 04001234,3                   R 0x4001234
 *  5    L 00000ffe,4: 0xffe..0x1001    R 0xffe (page 0), R 0x1000 (page 1)
 *  6    S 7ff000010,8                  W 0x7ff000010
 *  7    M 00003ffc,8: 0x3ffc..0x4003   R 0x3ffc, W 0x3ffc, R 0x4000, W 0x4000
 *  8    blanks and a tab               none
 *  9    I 00001000,4096, CRLF          R 0x1000 (exactly one page)
 * 10    L 1ffefffd48,8                 R 0x1ffefffd48
 * 11    M 0000ffff,1                   R 0xffff, W 0xffff
 * 12    S 00005fff,4098: ..0x7000      W 0x5fff, W 0x6000, W 0x7000
 * 13    "==" message                   none
 * 14    L 0,1 without final newline    R 0
 */
static const char lackey_fixture[] =
    "==4242== Lackey, an example Valgrind tool\n"
    "==4242== Command: ./a.out\n"
    "\n"
    "I  04001234,3\n"
    " L 00000ffe,4\n"
    " S 7ff000010,8\n"
    " M 00003ffc,8\n"
    "   \t\n"
    "I  00001000,4096\r\n"
    " L 1ffefffd48,8\n"
    " M 0000ffff,1\n"
    " S 00005fff,4098\n"
    "==4242== \n"
    " L 0,1";

static const struct want lackey_want[] = {
  {0x4001234, false, 0, UNKNOWN, 4},
  {0xffe, false, 0, UNKNOWN, 5},
  {0x1000, false, 0, UNKNOWN, 5},
  {0x7ff000010, true, 0, UNKNOWN, 6},
  {0x3ffc, false, 0, UNKNOWN, 7},
  {0x3ffc, true, 0, UNKNOWN, 7},
  {0x4000, false, 0, UNKNOWN, 7},
  {0x4000, true, 0, UNKNOWN, 7},
  {0x1000, false, 0, UNKNOWN, 9},
  {0x1ffefffd48, false, 0, UNKNOWN, 10},
  {0xffff, false, 0, UNKNOWN, 11},
  {0xffff, true, 0, UNKNOWN, 11},
  {0x5fff, true, 0, UNKNOWN, 12},
  {0x6000, true, 0, UNKNOWN, 12},
  {0x7000, true, 0, UNKNOWN, 12},
  {0, false, 0, UNKNOWN, 14},
};
#define NR_LACKEY_WANT ARRAY_SIZE(lackey_want)

static void test_lackey_records(void **state) {
  (void)state;
  const char *path = text_fixture("trace.lackey", lackey_fixture);
  vmsim_trace *t = open_trace(path, VMSIM_TRACE_LACKEY, NULL);
  assert_int_equal(vmsim_trace_position(t), 0);
  expect_accesses(t, lackey_want, NR_LACKEY_WANT, 0);
  assert_string_equal(vmsim_trace_error(t), "");
  vmsim_trace_close(t);
}

/* The configured pid is given to every access. */
static void test_lackey_pid(void **state) {
  (void)state;
  const char *path = text_fixture("trace.lackey", lackey_fixture);
  struct want want[NR_LACKEY_WANT];
  memcpy(want, lackey_want, sizeof(want));
  for (size_t i = 0; i < NR_LACKEY_WANT; i++)
    want[i].pid = 7;
  expect_trace(path, VMSIM_TRACE_LACKEY, 7, want, NR_LACKEY_WANT);
}

/*
 * The buffer refills at every possible offset: the fixture read with each
 * buffer size from the minimum (64) up to beyond its length gives the same
 * accesses, so no line is split wrongly at a refill.
 */
static void test_lackey_every_buffer_size(void **state) {
  (void)state;
  const char *path = text_fixture("trace.lackey", lackey_fixture);
  vmsim_trace_options opts;
  vmsim_trace_options_default(&opts);
  for (size_t size = VMSIM_TRACE_MIN_BUFFER; size <= sizeof(lackey_fixture) + 8; size++) {
    opts.buffer_size = size;
    vmsim_trace *t = open_trace(path, VMSIM_TRACE_LACKEY, &opts);
    expect_accesses(t, lackey_want, NR_LACKEY_WANT, 0);
    vmsim_trace_close(t);
  }
}

/*
 * A long generated trace, line i being " L <hex 0x1000 * i + i>,8" (one page
 * each: the offset i < 0x1000 - 8) or, for every seventh, " S ...": each
 * access is at 0x1000 * i + i, written for i % 7 == 0. Read with a 64-byte
 * buffer (many refills) and with the default one.
 */
static void test_lackey_long(void **state) {
  (void)state;
  enum { N = 3000 };
  char *text = malloc(N * 40);
  size_t len = 0;
  assert_non_null(text);
  for (uint64_t i = 0; i < N; i++)
    len += (size_t)sprintf(text + len, " %c %" PRIx64 ",8\n", i % 7 ? 'L' : 'S',
                           UINT64_C(0x1000) * i + i);
  const char *path = fixture("long.lackey", text, len);
  free(text);

  vmsim_trace_options opts;
  vmsim_trace_options_default(&opts);
  for (int pass = 0; pass < 2; pass++) {
    opts.buffer_size = pass ? (size_t)1 << 20 : VMSIM_TRACE_MIN_BUFFER;
    vmsim_trace *t = open_trace(path, VMSIM_TRACE_LACKEY, &opts);
    vmsim_memref a;
    for (uint64_t i = 0; i < N; i++) {
      assert_int_equal(vmsim_trace_next(t, &a), 1);
      assert_int_equal(a.vaddr, UINT64_C(0x1000) * i + i);
      assert_int_equal(a.write, i % 7 == 0);
      assert_int_equal(vmsim_trace_position(t), i + 1);
    }
    assert_int_equal(vmsim_trace_next(t, &a), 0);
    vmsim_trace_close(t);
  }
}

/* Long runs of leading zeros are fine: only significant digits count. */
static void test_lackey_leading_zeros(void **state) {
  (void)state;
  const char *path = text_fixture("zeros.lackey", " S 00000000000000000000ffffffffffffffff,1\n"
                                                  " L 0000000000000000000000001000,00000004\n");
  static const struct want want[] = {
    {UINT64_C(0xffffffffffffffff), true, 0, UNKNOWN, 1},
    {0x1000, false, 0, UNKNOWN, 2},
  };
  expect_trace(path, VMSIM_TRACE_LACKEY, 0, want, ARRAY_SIZE(want));
}

struct bad_case {
  const char *text;
  size_t nr_good;   /* accesses before the error */
  const char *rest; /* the message after the file name */
};

/* The trace at `path` yields `nr_good` accesses, then VMSIM_EPARSE with the
 * message PATH + rest, and the error stays. */
static void expect_error_after(const char *path, enum vmsim_trace_format fmt, size_t nr_good,
                               const char *rest) {
  vmsim_trace *t = open_trace(path, fmt, NULL);
  vmsim_memref a;
  for (size_t k = 0; k < nr_good; k++)
    assert_int_equal(vmsim_trace_next(t, &a), 1);
  for (int again = 0; again < 2; again++) {
    assert_int_equal(vmsim_trace_next(t, &a), VMSIM_EPARSE);
    expect_message(t, path, rest);
  }
  vmsim_trace_close(t);
}

static void run_bad_cases(const char *name, enum vmsim_trace_format fmt,
                          const struct bad_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++)
    expect_error_after(text_fixture(name, cases[i].text), fmt, cases[i].nr_good, cases[i].rest);
}

static void test_lackey_malformed(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
    /* bad hex on line 2 */
    {"I  1000,4\n L zz,4\n", 1, ":2: error: expected hex address after 'L', got 'z'"},
    /* missing size on line 3 (line 2 is blank) */
    {"I  1000,4\n\n S 1000\n", 1, ":3: error: expected ',' after the address, got end of line"},
    {" L 1000,\n", 0, ":1: error: expected decimal size after ',', got end of line"},
    {" L 1000,x\n", 0, ":1: error: expected decimal size after ',', got 'x'"},
    /* unknown op after a "==" line */
    {"==1== hello\n X 1000,4\n", 0,
     ":2: error: expected 'I', 'L', 'S', 'M' or '==' to start the line, got 'X'"},
    {"= not a valgrind line\n", 0,
     ":1: error: expected 'I', 'L', 'S', 'M' or '==' to start the line, got '='"},
    {" L 1000,4x\n", 0, ":1: error: expected end of line after the size, got 'x'"},
    {" L 1000,4 5\n", 0, ":1: error: expected end of line after the size, got '5'"},
    {"L1000,4\n", 0, ":1: error: expected a space after 'L', got '1'"},
    {" M\n", 0, ":1: error: expected a space after 'M', got end of line"},
    {" S 10000000000000000,1\n", 0, ":1: error: address after 'S' does not fit in 64 bits"},
    {" L 1000,18446744073709551616\n", 0, ":1: error: size does not fit in 64 bits"},
    {" L 1000,0\n", 0, ":1: error: size must be at least 1"},
    {" L fffffffffffffff0,17\n", 0,
     ":1: error: access of 17 bytes at 0xfffffffffffffff0 wraps around the address space"},
    {" L 1000,4\n \x01\n", 1,
     ":2: error: expected 'I', 'L', 'S', 'M' or '==' to start the line, got byte 0x01"},
  };
  run_bad_cases("bad.lackey", VMSIM_TRACE_LACKEY, cases, ARRAY_SIZE(cases));

  /* A NUL byte is not a space, nor the end of the line. */
  expect_error_after(fixture("nul.lackey", " L\0001000,4\n", 11), VMSIM_TRACE_LACKEY, 0,
                     ":1: error: expected a space after 'L', got byte 0x00");
}

/* A line that does not fit the buffer is an error, not a silent split. */
static void test_line_too_long(void **state) {
  (void)state;
  char text[200];
  memset(text, ' ', sizeof(text));
  memcpy(text + 150, "L 1000,4\n", 9); /* line 1 is 159 bytes with its newline */
  const char *path = fixture("long-line.lackey", text, 159);
  vmsim_trace_options opts;
  vmsim_trace_options_default(&opts);
  opts.buffer_size = 100;
  vmsim_trace *t = open_trace(path, VMSIM_TRACE_LACKEY, &opts);
  vmsim_memref a;
  assert_int_equal(vmsim_trace_next(t, &a), VMSIM_EPARSE);
  expect_message(t, path, ":1: error: line longer than 100 bytes");
  vmsim_trace_close(t);

  opts.buffer_size = 159; /* the whole line, newline included, fits */
  t = open_trace(path, VMSIM_TRACE_LACKEY, &opts);
  assert_int_equal(vmsim_trace_next(t, &a), 1);
  assert_int_equal(a.vaddr, 0x1000);
  vmsim_trace_close(t);
}

/* ---- oracleGeneral ----------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* A 24-byte little-endian record, built byte by byte (no struct padding). */
static void oracle_record(unsigned char rec[24], uint32_t ts, uint64_t id, uint32_t size,
                          int64_t next) {
  put_le(rec, ts, 4);
  put_le(rec + 4, id, 8);
  put_le(rec + 12, size, 4);
  put_le(rec + 16, (uint64_t)next, 8);
}

/* Write `n` records with fwrite, plus `extra` trailing bytes of garbage. */
static const char *oracle_fixture(const uint64_t (*recs)[3], size_t n, size_t extra) {
  unsigned char *buf = calloc(n * 24 + extra + 1, 1);
  assert_non_null(buf);
  for (size_t i = 0; i < n; i++)
    oracle_record(buf + 24 * i, (uint32_t)(i + 100), recs[i][0], (uint32_t)recs[i][1],
                  (int64_t)recs[i][2]);
  memset(buf + 24 * n, 0x5a, extra);
  const char *path = fixture("trace.oracleGeneral", buf, n * 24 + extra);
  free(buf);
  return path;
}

#define MAX_ID ((UINT64_C(1) << 35) - 1) /* the largest id: page 2^35 - 1 */

/*
 * Records {id, size, next}: ids become pages (vaddr = id << 12), next is
 * copied, and -1 and INT64_MAX both mean never. pid from the options.
 *  1: id 5,       next 3         -> 0x5000, next 3
 *  2: id 7,       next -1        -> 0x7000, never
 *  3: id 5,       next INT64_MAX -> 0x5000, never
 *  4: id 2^35-1,  next -1        -> 0x7ffffffff000, never
 *  5: id 0,       next 6         -> 0x0, next 6
 *  6: id 0,       next -1        -> 0x0, never
 */
static void test_oracle_records(void **state) {
  (void)state;
  static const uint64_t recs[][3] = {
    {5, 4096, 3},
    {7, 100, (uint64_t)-1},
    {5, 4096, (uint64_t)INT64_MAX},
    {MAX_ID, 1, (uint64_t)-1},
    {0, 0, 6},
    {0, 7, (uint64_t)-1},
  };
  static const struct want want[] = {
    {0x5000, false, 9, 3, 1},
    {0x7000, false, 9, NEVER, 2},
    {0x5000, false, 9, NEVER, 3},
    {UINT64_C(0x7ffffffff000), false, 9, NEVER, 4},
    {0, false, 9, 6, 5},
    {0, false, 9, NEVER, 6},
  };
  const char *path = oracle_fixture(recs, ARRAY_SIZE(recs), 0);
  expect_trace(path, VMSIM_TRACE_ORACLE_GENERAL, 9, want, ARRAY_SIZE(want));
}

/* 50 records through a 64-byte buffer (not a multiple of 24): record i is
 * id i * 3, next i + 2 (1-based), so vaddr 0x3000 * i, next i + 2. Read
 * through a descriptor. */
static void test_oracle_small_buffer(void **state) {
  (void)state;
  enum { N = 50 };
  uint64_t recs[N][3];
  for (uint64_t i = 0; i < N; i++) {
    recs[i][0] = 3 * i;
    recs[i][1] = 4096;
    recs[i][2] = i + 2;
  }
  const char *path = oracle_fixture((const uint64_t(*)[3])recs, N, 0);
  vmsim_trace_options opts;
  vmsim_trace_options_default(&opts);
  opts.buffer_size = VMSIM_TRACE_MIN_BUFFER;
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  vmsim_trace *t;
  assert_ok(vmsim_trace_open_fd(&t, fd, path, VMSIM_TRACE_ORACLE_GENERAL, &opts, NULL, 0));
  vmsim_memref a;
  for (uint64_t i = 0; i < N; i++) {
    assert_int_equal(vmsim_trace_next(t, &a), 1);
    assert_int_equal(a.vaddr, UINT64_C(0x3000) * i);
    assert_int_equal(a.next_access, (int64_t)i + 2);
    assert_int_equal(vmsim_trace_position(t), i + 1);
  }
  assert_int_equal(vmsim_trace_next(t, &a), 0);
  vmsim_trace_close(t);
  close(fd);
}

/* ---- file or pipe ------------------------------------------------------ */

/* Whether `file` is mapped into this process (a line of /proc/self/maps,
 * which names it by its canonical path). */
static bool is_mapped(const char *file) {
  char path[PATH_MAX];
  assert_non_null(realpath(file, path));
  FILE *f = fopen("/proc/self/maps", "r");
  char line[1024];
  bool found = false;
  assert_non_null(f);
  while (!found && fgets(line, sizeof(line), f)) {
    char *name = strchr(line, '/');
    found = name && strncmp(name, path, strlen(path)) == 0 && name[strlen(path)] == '\n';
  }
  fclose(f);
  return found;
}

/* A FIFO in the temporary directory and a child process writing `len`
 * bytes into it (then exiting); *child is its pid, for wait_writer(). */
static const char *fifo_fixture(const void *data, size_t len, pid_t *child) {
  assert_true(nr_fixtures < MAX_FIXTURES);
  char *path = fixtures[nr_fixtures];
  snprintf(path, sizeof(fixtures[0]), "%s/fifo%d", tmp_dir, nr_fixtures);
  assert_int_equal(mkfifo(path, 0600), 0);
  nr_fixtures++;
  *child = fork();
  assert_true(*child >= 0);
  if (*child == 0) {
    int fd = open(path, O_WRONLY);
    const char *p = data;
    while (fd >= 0 && len > 0) {
      ssize_t n = write(fd, p, len);
      if (n <= 0)
        break; /* the reader stopped at an error and closed its end */
      p += n;
      len -= (size_t)n;
    }
    _exit(0);
  }
  return path;
}

static void wait_writer(pid_t child) {
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
}

/* How one reading of a trace went: its accesses and positions, its end. */
struct reading {
  vmsim_memref refs[2000];
  uint64_t pos[2000];
  size_t n;
  int end;
  char msg[512]; /* the message without the trace's name */
};

static void read_whole(vmsim_trace *t, const char *name, struct reading *r) {
  r->n = 0;
  while ((r->end = vmsim_trace_next(t, &r->refs[r->n])) == 1) {
    r->pos[r->n] = vmsim_trace_position(t);
    assert_true(++r->n < ARRAY_SIZE(r->refs));
  }
  const char *msg = vmsim_trace_error(t);
  assert_true(r->end == 0 || strncmp(msg, name, strlen(name)) == 0);
  snprintf(r->msg, sizeof(r->msg), "%s", r->end ? msg + strlen(name) : "");
}

static void assert_same_reading(const struct reading *a, const struct reading *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_int_equal(a->refs[i].vaddr, b->refs[i].vaddr);
    assert_int_equal(a->refs[i].next_access, b->refs[i].next_access);
    assert_int_equal(a->refs[i].pid, b->refs[i].pid);
    assert_int_equal(a->refs[i].write, b->refs[i].write);
    assert_int_equal(a->pos[i], b->pos[i]);
  }
  assert_int_equal(a->end, b->end);
  assert_string_equal(a->msg, b->msg);
}

/*
 * An oracleGeneral file opened by path is read, never mapped (the resident
 * set stays at the buffer), with the default buffer and with the smallest;
 * the same bytes through a FIFO too, where pipe reads and refills split
 * records anywhere. All four readings give the same accesses, positions
 * and end. The records: id pseudo-random below 2^35 (every 97th the largest, 2^35 - 1),
 * next -1, INT64_MAX, or a later record. Three endings: none; 10 stray
 * bytes (a truncated record 1501); record 1200's id 2^35 (too large).
 */
static void test_oracle_file_or_pipe(void **state) {
  (void)state;
  enum { N = 1500 };
  static struct reading file, file_small, piped, piped_small;
  static uint64_t recs[N][3];
  uint64_t seed = 99;
  for (uint64_t i = 0; i < N; i++) {
    uint64_t r = test_rand(&seed);
    recs[i][0] = i % 97 ? r % (MAX_ID + 1) : MAX_ID;
    recs[i][1] = 4096;
    recs[i][2] = r % 3 == 0   ? (uint64_t)-1
                 : r % 3 == 1 ? (uint64_t)INT64_MAX
                              : i + 1 + (r >> 40) % 50;
  }
  for (int ending = 0; ending < 3; ending++) {
    recs[1199][0] = ending == 2 ? MAX_ID + 1 : 5;
    const char *path = oracle_fixture((const uint64_t(*)[3])recs, N, ending == 1 ? 10 : 0);
    if (ending == 0) { /* is_mapped() can say yes: the file mapped by hand */
      int fd = open(path, O_RDONLY);
      assert_true(fd >= 0);
      void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
      assert_true(m != MAP_FAILED);
      assert_true(is_mapped(path));
      assert_int_equal(munmap(m, 4096), 0);
      close(fd);
    }
    vmsim_trace *t = open_trace(path, VMSIM_TRACE_ORACLE_GENERAL, NULL);
    assert_false(is_mapped(path));
    read_whole(t, path, &file);
    assert_false(is_mapped(path)); /* not lazily either */
    vmsim_trace_close(t);

    /* What the records say, as test_oracle_records spells it out. */
    assert_int_equal(file.n, ending == 2 ? 1199 : N);
    for (size_t i = 0; i < file.n; i++) {
      int64_t next = (int64_t)recs[i][2];
      assert_int_equal(file.refs[i].vaddr, recs[i][0] << VMSIM_PAGE_SHIFT);
      assert_int_equal(file.refs[i].next_access, next == -1 ? NEVER : next);
      assert_int_equal(file.pos[i], i + 1);
    }
    static const char *const ends[] = {
      "",
      ": record 1501: error: truncated record: expected 24 bytes, got 10",
      ": record 1200: error: object id 34359738368 is too large: ids are pages of a 47-bit "
      "address space, at most 34359738367",
    };
    assert_string_equal(file.msg, ends[ending]);

    /* With the smallest buffer, 64 bytes, about every other record
     * straddles a refill. */
    vmsim_trace_options tiny;
    vmsim_trace_options_default(&tiny);
    tiny.buffer_size = VMSIM_TRACE_MIN_BUFFER;
    t = open_trace(path, VMSIM_TRACE_ORACLE_GENERAL, &tiny);
    read_whole(t, path, &file_small);
    assert_false(is_mapped(path));
    vmsim_trace_close(t);
    assert_same_reading(&file, &file_small);

    unsigned char *bytes = malloc(N * 24 + 10);
    assert_non_null(bytes);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t len = fread(bytes, 1, N * 24 + 10, f);
    fclose(f);
    for (int small = 0; small < 2; small++) {
      vmsim_trace_options opts;
      vmsim_trace_options_default(&opts);
      if (small)
        opts.buffer_size = VMSIM_TRACE_MIN_BUFFER;
      pid_t child;
      const char *fifo = fifo_fixture(bytes, len, &child);
      t = open_trace(fifo, VMSIM_TRACE_ORACLE_GENERAL, &opts);
      assert_false(is_mapped(fifo));
      read_whole(t, fifo, small ? &piped_small : &piped);
      vmsim_trace_close(t);
      wait_writer(child);
    }
    free(bytes);
    assert_same_reading(&file, &piped);
    assert_same_reading(&file, &piped_small);
  }
}

/* Two whole records and 10 bytes: both records, then an error naming
 * record 3. */
static void test_oracle_truncated(void **state) {
  (void)state;
  static const uint64_t recs[][3] = {{1, 1, 2}, {1, 1, (uint64_t)-1}};
  const char *path = oracle_fixture(recs, 2, 10);
  vmsim_trace *t = open_trace(path, VMSIM_TRACE_ORACLE_GENERAL, NULL);
  static const struct want want[] = {
    {0x1000, false, 0, 2, 1},
    {0x1000, false, 0, NEVER, 2},
  };
  expect_accesses(t, want, 2, VMSIM_EPARSE);
  expect_message(t, path, ": record 3: error: truncated record: expected 24 bytes, got 10");
  vmsim_trace_close(t);
}

static void test_oracle_bad_records(void **state) {
  (void)state;
  /* Record 2 has id 2^35: its page would be at 2^47, outside the space. */
  static const uint64_t big[][3] = {{MAX_ID, 1, (uint64_t)-1}, {MAX_ID + 1, 1, (uint64_t)-1}};
  /* Record 3 says its next access is record 2, in the past. */
  static const uint64_t back[][3] = {{1, 1, 3}, {2, 1, (uint64_t)-1}, {1, 1, 2}};
  /* Record 1 has next -2: neither a record nor "never". */
  static const uint64_t neg[][3] = {{1, 1, (uint64_t)-2}};
  static const struct {
    const uint64_t (*recs)[3];
    size_t n, nr_good;
    const char *rest;
  } cases[] = {
    {big, 2, 1,
     ": record 2: error: object id 34359738368 is too large: ids are pages of a 47-bit "
     "address space, at most 34359738367"},
    {back, 3, 2, ": record 3: error: expected the next access (2) to be a later record or -1"},
    {neg, 1, 0, ": record 1: error: expected the next access (-2) to be a later record or -1"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    expect_error_after(oracle_fixture(cases[i].recs, cases[i].n, 0),
                       VMSIM_TRACE_ORACLE_GENERAL, cases[i].nr_good, cases[i].rest);
}

/* An empty file is an empty trace in every format. */
static void test_empty(void **state) {
  (void)state;
  const char *path = fixture("empty", "", 0);
  for (int f = 0; f < VMSIM_NR_TRACE_FORMATS; f++) {
    vmsim_trace *t = open_trace(path, (enum vmsim_trace_format)f, NULL);
    expect_accesses(t, NULL, 0, 0);
    assert_int_equal(vmsim_trace_position(t), 0);
    vmsim_trace_close(t);
  }
}

/* ---- plain text -------------------------------------------------------- */

/* Line by line (default pid 3 from the options):
 *  1 comment, 2 blank, 3 "   # indented comment"    none
 *  4 R 1000                                         pid 3 R 0x1000
 *  5 W 0x2000                                       pid 3 W 0x2000
 *  6 12 R 0X3abc                                    pid 12 R 0x3abc
 *  7 "  7\tw\tdeadbeef  # trailing comment"         pid 7 W 0xdeadbeef
 *  8 r 0                                            pid 3 R 0
 *  9 4294967295 W ffffffffffffffff (CRLF)           pid 2^32-1 W 2^64-1
 * 10 0 R 0x00000000000000000000fff (no newline)     pid 0 R 0xfff
 */
static void test_text_records(void **state) {
  (void)state;
  const char *path = text_fixture("trace.txt",
                                  "# pid op address\n"
                                  "\n"
                                  "   # indented comment\n"
                                  "R 1000\n"
                                  "W 0x2000\n"
                                  "12 R 0X3abc\n"
                                  "  7\tw\tdeadbeef  # trailing comment\n"
                                  "r 0\n"
                                  "4294967295 W ffffffffffffffff\r\n"
                                  "0 R 0x00000000000000000000fff");
  static const struct want want[] = {
    {0x1000, false, 3, UNKNOWN, 4},
    {0x2000, true, 3, UNKNOWN, 5},
    {0x3abc, false, 12, UNKNOWN, 6},
    {0xdeadbeef, true, 7, UNKNOWN, 7},
    {0, false, 3, UNKNOWN, 8},
    {UINT64_MAX, true, UINT32_MAX, UNKNOWN, 9},
    {0xfff, false, 0, UNKNOWN, 10},
  };
  expect_trace(path, VMSIM_TRACE_TEXT, 3, want, ARRAY_SIZE(want));
}

static void test_text_malformed(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
    {"R 1000\n# c\nX 1000\n", 1, ":3: error: expected 'R' or 'W', got 'X'"},
    {"R\n", 0, ":1: error: expected a space after 'R', got end of line"},
    {"RW 10\n", 0, ":1: error: expected a space after 'R', got 'W'"},
    {"R 0x\n", 0, ":1: error: expected hex address after 'R', got end of line"},
    {"W zz\n", 0, ":1: error: expected hex address after 'W', got 'z'"},
    {"R 10g0\n", 0, ":1: error: expected end of line after the address, got 'g'"},
    {"R 1 2\n", 0, ":1: error: expected end of line after the address, got '2'"},
    {"4294967296 R 1000\n", 0, ":1: error: pid does not fit in 32 bits"},
    {"12R 1000\n", 0, ":1: error: expected a space after the pid, got 'R'"},
    {"12\n", 0, ":1: error: expected a space after the pid, got end of line"},
    {"1 2 R 3\n", 0, ":1: error: expected 'R' or 'W', got '2'"},
    {"R 10000000000000000\n", 0, ":1: error: address does not fit in 64 bits"},
  };
  run_bad_cases("bad.txt", VMSIM_TRACE_TEXT, cases, ARRAY_SIZE(cases));
}

/* ---- opening ----------------------------------------------------------- */

/* open_fd and open_stream read from the current position and leave the
 * descriptor or stream open; the name given is the one in messages. */
static void test_open_fd_and_stream(void **state) {
  (void)state;
  const char *path = text_fixture("fd.txt", "R 1\nW 2\nbad\n");
  static const struct want want[] = {{2, true, 0, UNKNOWN, 2}};
  vmsim_trace *t;
  vmsim_memref a;

  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(lseek(fd, 4, SEEK_SET), 4); /* skip "R 1\n": lines count from here */
  assert_ok(vmsim_trace_open_fd(&t, fd, "<fd>", VMSIM_TRACE_TEXT, NULL, NULL, 0));
  assert_int_equal(vmsim_trace_next(t, &a), 1);
  assert_int_equal(a.vaddr, 2);
  assert_int_equal(vmsim_trace_next(t, &a), VMSIM_EPARSE);
  assert_string_equal(vmsim_trace_error(t), "<fd>:2: error: expected 'R' or 'W', got 'b'");
  vmsim_trace_close(t);
  assert_int_equal(close(fd), 0); /* still open: ours to close */

  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  assert_int_equal(fgetc(fp), 'R'); /* stdio has buffered; the reader uses the stream */
  assert_int_equal(fgetc(fp), ' ');
  assert_int_equal(fgetc(fp), '1');
  assert_int_equal(fgetc(fp), '\n');
  assert_ok(vmsim_trace_open_stream(&t, fp, "<stream>", VMSIM_TRACE_TEXT, NULL, NULL, 0));
  static const struct want from_stream[] = {{2, true, 0, UNKNOWN, 1}};
  expect_accesses(t, from_stream, 1, VMSIM_EPARSE);
  assert_string_equal(vmsim_trace_error(t), "<stream>:2: error: expected 'R' or 'W', got 'b'");
  vmsim_trace_close(t);
  assert_int_equal(fclose(fp), 0);

  /* The same file through the path, to compare: line 2 is "W 2". */
  t = open_trace(path, VMSIM_TRACE_TEXT, NULL);
  assert_int_equal(vmsim_trace_next(t, &a), 1);
  expect_accesses(t, want, 1, VMSIM_EPARSE);
  expect_message(t, path, ":3: error: expected 'R' or 'W', got 'b'");
  vmsim_trace_close(t);
}

static void test_open_errors(void **state) {
  (void)state;
  vmsim_trace *t = NULL;
  vmsim_trace_options opts;
  char msg[512], want[600], missing[400];

  snprintf(missing, sizeof(missing), "%s/no-such-trace", tmp_dir);
  assert_int_equal(vmsim_trace_open(&t, missing, VMSIM_TRACE_LACKEY, NULL, msg, sizeof(msg)),
                   VMSIM_ENOENT);
  snprintf(want, sizeof(want), "%s: cannot open: %s", missing, strerror(ENOENT));
  assert_string_equal(msg, want);
  assert_null(t);

  assert_int_equal(vmsim_trace_open(&t, missing, (enum vmsim_trace_format)3, NULL, msg,
                                    sizeof(msg)),
                   VMSIM_EINVAL);
  snprintf(want, sizeof(want), "%s: unknown trace format 3", missing);
  assert_string_equal(msg, want);

  vmsim_trace_options_default(&opts);
  opts.buffer_size = VMSIM_TRACE_MIN_BUFFER - 1;
  assert_int_equal(vmsim_trace_open(&t, missing, VMSIM_TRACE_TEXT, &opts, msg, sizeof(msg)),
                   VMSIM_EINVAL);
  snprintf(want, sizeof(want), "%s: buffer size 63 is out of range (at least 64 bytes)",
           missing);
  assert_string_equal(msg, want);

  assert_int_equal(vmsim_trace_open(&t, NULL, VMSIM_TRACE_TEXT, NULL, NULL, 0), VMSIM_EINVAL);
  assert_int_equal(vmsim_trace_open_fd(&t, -1, "x", VMSIM_TRACE_TEXT, NULL, NULL, 0),
                   VMSIM_EINVAL);
  assert_int_equal(vmsim_trace_open_stream(&t, NULL, "x", VMSIM_TRACE_TEXT, NULL, NULL, 0),
                   VMSIM_EINVAL);
  assert_null(t);
  vmsim_trace_close(NULL);
}

/* A directory opens but cannot be read: VMSIM_EIO naming the file. */
static void test_read_error(void **state) {
  (void)state;
  vmsim_trace *t = open_trace(tmp_dir, VMSIM_TRACE_TEXT, NULL);
  vmsim_memref a;
  char want[512];
  assert_int_equal(vmsim_trace_next(t, &a), VMSIM_EIO);
  snprintf(want, sizeof(want), "%s:1: error: read failed: %s", tmp_dir, strerror(EISDIR));
  assert_string_equal(vmsim_trace_error(t), want);
  assert_int_equal(vmsim_trace_next(t, &a), VMSIM_EIO);
  vmsim_trace_close(t);
}

/* Open fails cleanly when its one allocation fails, and close releases
 * both the memory and the descriptor. */
static void test_alloc_failure(void **state) {
  (void)state;
  const char *path = text_fixture("alloc.txt", "R 1\n");
  vmsim_alloc_stats before, after;
  vmsim_trace *t = NULL;
  char msg[512], want[600];

  int probe = open("/dev/null", O_RDONLY); /* the lowest free descriptor */
  assert_true(probe >= 0);
  close(probe);

  vmsim_alloc_get_stats(&before);
  vmsim_alloc_fail_after(1, false);
  assert_int_equal(vmsim_trace_open(&t, path, VMSIM_TRACE_TEXT, NULL, msg, sizeof(msg)),
                   VMSIM_ENOMEM);
  vmsim_alloc_fail_after(0, false);
  assert_null(t);
  snprintf(want, sizeof(want), "%s: out of host memory", path);
  assert_string_equal(msg, want);
  vmsim_alloc_get_stats(&after);
  assert_int_equal(after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
  assert_int_equal(after.nr_failed - before.nr_failed, 1);

  vmsim_alloc_fail_after(1, false);
  assert_int_equal(vmsim_trace_open_fd(&t, 0, "stdin", VMSIM_TRACE_TEXT, NULL, NULL, 0),
                   VMSIM_ENOMEM);
  assert_int_equal(vmsim_trace_open_stream(&t, stdin, "stdin", VMSIM_TRACE_TEXT, NULL, NULL, 0),
                   0); /* the failure was used up */
  vmsim_trace_close(t);

  t = open_trace(path, VMSIM_TRACE_TEXT, NULL);
  vmsim_trace_close(t);
  int fd = open("/dev/null", O_RDONLY);
  assert_int_equal(fd, probe); /* close closed the trace's descriptor */
  close(fd);
  vmsim_alloc_get_stats(&after);
  assert_int_equal(after.nr_allocs - before.nr_allocs, after.nr_frees - before.nr_frees);
}

static void test_format_names(void **state) {
  (void)state;
  enum vmsim_trace_format f;
  assert_ok(vmsim_trace_format_parse("lackey", &f));
  assert_int_equal(f, VMSIM_TRACE_LACKEY);
  assert_ok(vmsim_trace_format_parse("oracleGeneral", &f));
  assert_int_equal(f, VMSIM_TRACE_ORACLE_GENERAL);
  assert_ok(vmsim_trace_format_parse("ORACLEGENERAL", &f));
  assert_int_equal(f, VMSIM_TRACE_ORACLE_GENERAL);
  assert_ok(vmsim_trace_format_parse("text", &f));
  assert_int_equal(f, VMSIM_TRACE_TEXT);
  assert_int_equal(vmsim_trace_format_parse("csv", &f), VMSIM_EINVAL);
  assert_int_equal(vmsim_trace_format_parse("", &f), VMSIM_EINVAL);
  assert_int_equal(vmsim_trace_format_parse(NULL, &f), VMSIM_EINVAL);
  assert_int_equal(f, VMSIM_TRACE_TEXT); /* untouched on failure */
  for (int i = 0; i < VMSIM_NR_TRACE_FORMATS; i++) {
    assert_ok(vmsim_trace_format_parse(vmsim_trace_format_name((enum vmsim_trace_format)i), &f));
    assert_int_equal(f, i);
  }
  assert_string_equal(vmsim_trace_format_name(VMSIM_NR_TRACE_FORMATS), "?");
}

/* ---- vmsim_trace_fill ------------------------------------------------------ */

/* Every access of a trace through vmsim_trace_next(), into a[] (at most
 * max), with the call's status after the last; *n gets the count. */
static int read_all_next(vmsim_trace *t, vmsim_memref *a, uint64_t *pos, size_t max, size_t *n) {
  int rc;
  for (*n = 0; *n < max && (rc = vmsim_trace_next(t, &a[*n])) == 1; (*n)++)
    pos[*n] = vmsim_trace_position(t);
  assert_true(*n < max);
  return rc;
}

static int fill_fd = -1;

/* By path, or with `small` through a descriptor and a 64-byte buffer;
 * close fill_fd after the trace. */
static vmsim_trace *open_fill_case(const char *path, enum vmsim_trace_format fmt,
                                   const vmsim_trace_options *small) {
  if (!small)
    return open_trace(path, fmt, NULL);
  fill_fd = open(path, O_RDONLY);
  assert_true(fill_fd >= 0);
  vmsim_trace *t;
  char msg[256];
  assert_ok(vmsim_trace_open_fd(&t, fill_fd, path, fmt, small, msg, sizeof(msg)));
  return t;
}

/*
 * vmsim_trace_fill() returns exactly what vmsim_trace_next() does, in the
 * same order, with the same positions and the same error at the same
 * place, whatever the chunk sizes asked for (1, 2, 5, 24, 100, cycling):
 * checked on oracleGeneral traces read with the default buffer and a
 * 64-byte one (records split across refills), ending cleanly, truncated,
 * or stopped by a bad record, and on lackey and text traces, which fill
 * through the readers' own next. After the error, fill returns the error again.
 */
static void test_fill_equals_next(void **state) {
  (void)state;
  enum { N = 300, MAX = N + 8 };
  static uint64_t recs[N][3];
  for (uint64_t i = 0; i < N; i++) {
    recs[i][0] = i * 7919 % 1000;
    recs[i][1] = 4096;
    recs[i][2] = i % 3 ? i + 2 : (uint64_t)-1; /* next: 1-based i + 2, or never */
  }
  recs[7][2] = (uint64_t)INT64_MAX; /* never, too */
  recs[250][2] = 250; /* record 251 says its next access is record 250, the one before */
  struct {
    const char *path;
    enum vmsim_trace_format fmt;
    int end; /* the status after the last access */
  } cases[] = {
    {oracle_fixture((const uint64_t(*)[3])recs, 250, 0), VMSIM_TRACE_ORACLE_GENERAL, 0},
    {oracle_fixture((const uint64_t(*)[3])recs, 200, 7), VMSIM_TRACE_ORACLE_GENERAL, VMSIM_EPARSE},
    {oracle_fixture((const uint64_t(*)[3])recs, N, 0), VMSIM_TRACE_ORACLE_GENERAL, VMSIM_EPARSE},
    {text_fixture("fill.lackey", "I  1000,4\n L 2ff8,16\n S 5000,4\n M 9000,8\n L zz,4\n"),
     VMSIM_TRACE_LACKEY, VMSIM_EPARSE},
    {text_fixture("fill.txt", "1 R 1000\n2 W 2000\n1 R 3000\n"), VMSIM_TRACE_TEXT, 0},
  };
  static const size_t chunks[] = {1, 2, 5, 24, 100};
  static vmsim_memref want[MAX], got[MAX];
  static uint64_t want_pos[MAX];
  vmsim_trace_options small;
  vmsim_trace_options_default(&small);
  small.buffer_size = VMSIM_TRACE_MIN_BUFFER;
  for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
    for (int read = 0; read < 2; read++) { /* by path, then through a descriptor */
      size_t n;
      vmsim_trace *t = open_fill_case(cases[c].path, cases[c].fmt, read ? &small : NULL);
      assert_int_equal(read_all_next(t, want, want_pos, MAX, &n), cases[c].end);
      char msg[400];
      snprintf(msg, sizeof(msg), "%s", vmsim_trace_error(t));
      vmsim_trace_close(t);

      t = open_fill_case(cases[c].path, cases[c].fmt, read ? &small : NULL);
      size_t have = 0;
      long k;
      for (size_t i = 0;
           (k = vmsim_trace_fill(t, got + have, chunks[i % ARRAY_SIZE(chunks)])) > 0; i++) {
        assert_true((size_t)k <= chunks[i % ARRAY_SIZE(chunks)] && have + (size_t)k <= n);
        have += (size_t)k;
        assert_int_equal(vmsim_trace_position(t), want_pos[have - 1]);
      }
      assert_int_equal(k, cases[c].end);
      assert_int_equal(have, n);
      for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i].vaddr, want[i].vaddr);
        assert_int_equal(got[i].next_access, want[i].next_access);
        assert_int_equal(got[i].pid, want[i].pid);
        assert_int_equal(got[i].write, want[i].write);
      }
      assert_string_equal(vmsim_trace_error(t), msg);
      assert_int_equal(vmsim_trace_fill(t, got, 4), cases[c].end); /* and again */
      vmsim_trace_close(t);
      if (read)
        close(fill_fd);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lackey_records),
    cmocka_unit_test(test_lackey_pid),
    cmocka_unit_test(test_lackey_every_buffer_size),
    cmocka_unit_test(test_lackey_long),
    cmocka_unit_test(test_lackey_leading_zeros),
    cmocka_unit_test(test_lackey_malformed),
    cmocka_unit_test(test_line_too_long),
    cmocka_unit_test(test_oracle_records),
    cmocka_unit_test(test_oracle_small_buffer),
    cmocka_unit_test(test_oracle_file_or_pipe),
    cmocka_unit_test(test_oracle_truncated),
    cmocka_unit_test(test_oracle_bad_records),
    cmocka_unit_test(test_empty),
    cmocka_unit_test(test_text_records),
    cmocka_unit_test(test_text_malformed),
    cmocka_unit_test(test_open_fd_and_stream),
    cmocka_unit_test(test_open_errors),
    cmocka_unit_test(test_read_error),
    cmocka_unit_test(test_alloc_failure),
    cmocka_unit_test(test_format_names),
    cmocka_unit_test(test_fill_equals_next),
  };
  return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
