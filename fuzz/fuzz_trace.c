/* SPDX-License-Identifier: MIT */
/*
 * Targets `trace_lackey`, `trace_oracle`, `trace_text`: the trace readers
 * on arbitrary bytes.
 *
 * Each input is read twice: once as a stdio stream with a buffer larger
 * than the input, once through a file descriptor with a buffer of 64..127
 * bytes (VMSIM_TRACE_MIN_BUFFER is 64), which refills every line or two and
 * exercises the buffer's edges. Oracle: both readings yield the same
 * accesses, except that the small buffer may stop early with "line longer
 * than" where a line does not fit it; a reading ends with 0 or with
 * VMSIM_EPARSE and "NAME:LINE: error: ..." ("NAME: record N: error: ..."
 * for oracleGeneral), and repeats that error when called again; every
 * access obeys its format's contract (workload.h). A third reading, by
 * path (oracleGeneral: mapped) through vmsim_trace_fill() with chunks of
 * 1 to 40 accesses drawn from the input's hash, yields exactly the first
 * reading's accesses, status and message.
 */
#include "fuzz.h"

#include <stdio.h>

#define FUZZ_TRACE_NAME "fuzz.trace"
/* A lackey record of size 2^64 yields 2^52 accesses: stop counting there. */
#define FUZZ_MAX_ACCESSES 50000

/* ---- a stdio stream over the input (fmemopen refuses 0 bytes) ----------- */

struct mem_cookie {
  const uint8_t *data;
  size_t size, pos;
};

static ssize_t mem_read(void *cookie, char *buf, size_t size) {
  struct mem_cookie *c = cookie;
  size_t n = MIN(size, c->size - c->pos);
  memcpy(buf, c->data + c->pos, n);
  c->pos += n;
  return (ssize_t)n;
}

/* ---- one reading --------------------------------------------------------- */

struct reading {
  vmsim_memref *refs; /* the accesses, up to FUZZ_MAX_ACCESSES */
  size_t nr;
  int rc;             /* how it ended: 0, or the error */
  char msg[320];
};

static void check_ref(enum vmsim_trace_format fmt, const vmsim_memref *r, uint64_t pos,
                      const vmsim_memref *prev, uint64_t prev_pos) {
  switch (fmt) {
  case VMSIM_TRACE_ORACLE_GENERAL:
    FUZZ_CHECK(r->vaddr % VMSIM_PAGE_SIZE == 0 && r->vaddr < VMSIM_TASK_SIZE,
               "record %" PRIu64 ": vaddr 0x%" PRIx64 " is not a page below 2^47", pos, r->vaddr);
    FUZZ_CHECK(r->next_access == VMSIM_NEXT_ACCESS_NEVER ||
                   (r->next_access >= 0 && (uint64_t)r->next_access >= pos),
               "record %" PRIu64 ": next access %" PRId64 " is in the past", pos, r->next_access);
    FUZZ_CHECK(!r->write && r->pid == 0, "record %" PRIu64 ": a write or a pid", pos);
    FUZZ_CHECK(pos == (prev ? prev_pos + 1 : 1), "record %" PRIu64 " after %" PRIu64, pos,
               prev_pos);
    break;
  case VMSIM_TRACE_LACKEY:
    FUZZ_CHECK(r->next_access == VMSIM_NEXT_ACCESS_UNKNOWN && r->pid == 0,
               "line %" PRIu64 ": a future or a pid", pos);
    /* The accesses of one record go page after page, the first at its
     * address, the others at the start of their pages. */
    if (prev && prev_pos == pos && !(prev->vaddr == r->vaddr && !prev->write && r->write))
      FUZZ_CHECK((r->vaddr & (VMSIM_PAGE_SIZE - 1)) == 0 &&
                     r->vaddr >> VMSIM_PAGE_SHIFT == (prev->vaddr >> VMSIM_PAGE_SHIFT) + 1,
                 "line %" PRIu64 ": 0x%" PRIx64 " does not follow 0x%" PRIx64, pos, r->vaddr,
                 prev->vaddr);
    FUZZ_CHECK(!prev || pos >= prev_pos, "line %" PRIu64 " after line %" PRIu64, pos, prev_pos);
    break;
  case VMSIM_TRACE_TEXT:
    FUZZ_CHECK(r->next_access == VMSIM_NEXT_ACCESS_UNKNOWN, "line %" PRIu64 ": a future", pos);
    FUZZ_CHECK(!prev || pos > prev_pos, "line %" PRIu64 " after line %" PRIu64, pos, prev_pos);
    break;
  default:
    break;
  }
}

/* "fuzz.trace:LINE: error: " or "fuzz.trace: record N: error: " */
static int trace_msg_positioned(enum vmsim_trace_format fmt, const char *msg) {
  size_t n = strlen(FUZZ_TRACE_NAME);
  unsigned long at;
  int end = 0;
  if (strncmp(msg, FUZZ_TRACE_NAME, n) != 0)
    return 0;
  if (fmt == VMSIM_TRACE_ORACLE_GENERAL)
    (void)sscanf(msg + n, ": record %lu: error: %n", &at, &end);
  else
    (void)sscanf(msg + n, ":%lu: error: %n", &at, &end);
  return end > 0 && at >= 1;
}

static void read_all(vmsim_trace *t, enum vmsim_trace_format fmt, struct reading *out) {
  uint64_t prev_pos = 0;
  vmsim_memref r;
  int rc;

  out->nr = 0;
  while (out->nr < FUZZ_MAX_ACCESSES && (rc = vmsim_trace_next(t, &r)) == 1) {
    uint64_t pos = vmsim_trace_position(t);
    check_ref(fmt, &r, pos, out->nr ? &out->refs[out->nr - 1] : NULL, prev_pos);
    out->refs[out->nr++] = r;
    prev_pos = pos;
  }
  if (out->nr == FUZZ_MAX_ACCESSES) {
    out->rc = 1; /* cut short: not compared past here */
    return;
  }
  FUZZ_CHECK(rc == 0 || rc == VMSIM_EPARSE, "next() gave %d (%s)", rc, vmsim_err_name(rc));
  out->rc = rc;
  snprintf(out->msg, sizeof(out->msg), "%s", vmsim_trace_error(t));
  if (rc == 0) {
    FUZZ_CHECK(out->msg[0] == '\0', "end of trace with an error message: %s", out->msg);
    FUZZ_CHECK(vmsim_trace_next(t, &r) == 0, "next() after the end is not 0");
    return;
  }
  FUZZ_CHECK(trace_msg_positioned(fmt, out->msg), "error message in an unexpected form: '%s'", out->msg);
  FUZZ_CHECK(vmsim_trace_next(t, &r) == rc, "next() after an error does not repeat it");
  FUZZ_CHECK(strcmp(vmsim_trace_error(t), out->msg) == 0, "the error message changed");
}

/* A reading through vmsim_trace_fill(), in chunks of 1 to 40. */
static void read_all_fill(vmsim_trace *t, uint64_t seed, struct reading *out) {
  long k;
  out->nr = 0;
  do {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    size_t chunk = MIN(1 + (seed >> 33) % 40, FUZZ_MAX_ACCESSES - out->nr);
    k = vmsim_trace_fill(t, out->refs + out->nr, chunk);
    FUZZ_CHECK(k <= (long)chunk, "fill() gave %ld of %zu", k, chunk);
    if (k > 0)
      out->nr += (size_t)k;
  } while (k > 0 && out->nr < FUZZ_MAX_ACCESSES);
  out->rc = out->nr == FUZZ_MAX_ACCESSES ? 1 : (int)k;
  snprintf(out->msg, sizeof(out->msg), "%s", vmsim_trace_error(t));
  if (out->rc < 0)
    FUZZ_CHECK(vmsim_trace_fill(t, out->refs, 1) == out->rc, "fill() after an error");
}

static int fuzz_trace(enum vmsim_trace_format fmt, const uint8_t *data, size_t size) {
  static vmsim_memref refs[3][FUZZ_MAX_ACCESSES];
  struct reading big = {.refs = refs[0]}, small = {.refs = refs[1]}, filled = {.refs = refs[2]};
  vmsim_trace_options opts;
  vmsim_trace *t = NULL;
  char msg[256];
  int rc;

  /* A stdio stream, one buffer for all of it. */
  struct mem_cookie cookie = {.data = data, .size = size};
  FILE *fp = fopencookie(&cookie, "r", (cookie_io_functions_t){.read = mem_read});
  FUZZ_CHECK(fp != NULL, "fopencookie failed");
  vmsim_trace_options_default(&opts);
  opts.buffer_size = MAX(size + 1, (size_t)VMSIM_TRACE_MIN_BUFFER);
  opts.pid = 0;
  rc = vmsim_trace_open_stream(&t, fp, FUZZ_TRACE_NAME, fmt, &opts, msg, sizeof(msg));
  FUZZ_CHECK(rc == 0, "open_stream: %s", msg);
  read_all(t, fmt, &big);
  vmsim_trace_close(t);
  fclose(fp);

  /* A file descriptor, the smallest buffer. */
  int fd = vmsim_fuzz_memfd(data, size);
  /* 64..127 bytes, by the input's hash: the refills fall at other offsets. */
  opts.buffer_size = VMSIM_TRACE_MIN_BUFFER + vmsim_fuzz_hash(data, size) % 64;
  rc = vmsim_trace_open_fd(&t, fd, FUZZ_TRACE_NAME, fmt, &opts, msg, sizeof(msg));
  FUZZ_CHECK(rc == 0, "open_fd: %s", msg);
  read_all(t, fmt, &small);
  vmsim_trace_close(t);

  /* By path, through fill(). */
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  vmsim_trace_options_default(&opts);
  opts.pid = 0;
  rc = vmsim_trace_open(&t, path, fmt, &opts, msg, sizeof(msg));
  FUZZ_CHECK(rc == 0, "open: %s", msg);
  read_all_fill(t, vmsim_fuzz_hash(data, size), &filled);
  vmsim_trace_close(t);
  close(fd);
  FUZZ_CHECK(filled.nr == big.nr && filled.rc == big.rc,
             "fill() read %zu accesses then %d, next() %zu then %d", filled.nr, filled.rc, big.nr,
             big.rc);
  for (size_t i = 0; i < big.nr; i++)
    FUZZ_CHECK(big.refs[i].vaddr == filled.refs[i].vaddr &&
                   big.refs[i].pid == filled.refs[i].pid &&
                   big.refs[i].write == filled.refs[i].write &&
                   big.refs[i].next_access == filled.refs[i].next_access,
               "access %zu differs between next() and fill()", i);
  /* The messages name the trace differently (its path); past the name,
   * the same. */
  if (big.rc < 0) {
    const char *a = strchr(big.msg, ':'), *b = strstr(filled.msg, a ? a : "");
    FUZZ_CHECK(a && b && strcmp(a, b) == 0, "messages differ: '%s' / '%s'", big.msg,
               filled.msg);
  }

  /* The same accesses, as far as both went. */
  size_t common = MIN(big.nr, small.nr);
  for (size_t i = 0; i < common; i++)
    FUZZ_CHECK(big.refs[i].vaddr == small.refs[i].vaddr && big.refs[i].pid == small.refs[i].pid &&
                   big.refs[i].write == small.refs[i].write &&
                   big.refs[i].next_access == small.refs[i].next_access,
               "access %zu differs between buffer sizes", i);
  if (big.rc == 1 || small.rc == 1)
    return 0;
  if (small.rc == VMSIM_EPARSE && strstr(small.msg, "line longer than")) {
    FUZZ_CHECK(small.nr <= big.nr, "the small buffer read more before its error");
    return 0;
  }
  FUZZ_CHECK(big.nr == small.nr && big.rc == small.rc,
             "buffer sizes disagree: %zu accesses then %d, %zu then %d ('%s' / '%s')", big.nr,
             big.rc, small.nr, small.rc, big.msg, small.msg);
  FUZZ_CHECK(strcmp(big.msg, small.msg) == 0, "messages differ: '%s' / '%s'", big.msg, small.msg);
  return 0;
}

int vmsim_fuzz_trace_lackey(const uint8_t *data, size_t size) {
  return fuzz_trace(VMSIM_TRACE_LACKEY, data, size);
}

int vmsim_fuzz_trace_oracle(const uint8_t *data, size_t size) {
  return fuzz_trace(VMSIM_TRACE_ORACLE_GENERAL, data, size);
}

int vmsim_fuzz_trace_text(const uint8_t *data, size_t size) {
  return fuzz_trace(VMSIM_TRACE_TEXT, data, size);
}
