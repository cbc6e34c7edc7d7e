/* SPDX-License-Identifier: MIT */
/*
 * Trace readers: valgrind lackey, libCacheSim oracleGeneral, plain text.
 *
 * A trace may be far larger than host memory, so every reader streams it
 * through one buffer allocated at open time (128 KiB by default) and never
 * allocates again. The buffer is read into, not a mapping of the file: see
 * DEFAULT_BUFFER_SIZE for why. The buffer keeps a '\n' sentinel just past the
 * bytes read, so the line parsers scan without bounds checks: every scan
 * stops at a newline, and a line is parsed only once its newline (or the
 * end of input) is in the buffer. Numbers are parsed by hand, without
 * strtoull or sscanf, because lackey traces run to tens of gigabytes and the
 * parser must keep up with the disk.
 */
#include "workload_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

/* Every format, oracleGeneral files included, is read() into a buffer that
 * stays in the host's L2 cache, where the parser finds it (why not mapped:
 * docs/performance.md, the sixth round). */
#define DEFAULT_BUFFER_SIZE ((size_t)128 << 10)
#define ORACLE_RECORD_SIZE 24
/* Object ids map to pages: id << VMSIM_PAGE_SHIFT must stay below 2^47. */
#define ORACLE_MAX_OBJ_ID ((UINT64_C(1) << (VMSIM_WORKLOAD_VA_BITS - VMSIM_PAGE_SHIFT)) - 1)

enum lackey_op { LACKEY_READ, LACKEY_WRITE, LACKEY_MODIFY };

struct vmsim_trace {
  /* The hot part: [pos, end) is read but not yet consumed; *end == '\n'. */
  char *pos, *end;
  uint64_t lineno;   /* the line or record being parsed (consumed so far) */
  uint64_t position; /* the line or record of the last access returned */
  /* A lackey record whose pages are not all handed out yet: the next access
   * is at pend_vaddr, the last page is pend_last_vpn. An M record reads then
   * writes each page; pend_read_done says the read was handed out. */
  uint64_t pend_vaddr, pend_last_vpn;
  enum lackey_op pend_op;
  bool pending, pend_read_done;
  bool eof;          /* the source has no more bytes */
  int err;           /* 0, or the error every later call returns */
  enum vmsim_trace_format format;
  uint32_t pid;

  /* The source: a descriptor (owned if we opened it) or a stdio stream. */
  int fd;
  bool own_fd;
  FILE *fp;
  size_t cap;        /* bytes in buf, not counting the sentinel */
  const char *name;  /* stored after buf */
  char errmsg[320];
  char buf[];        /* cap + 1 bytes, then the name */
};

/* hex_digit[c]: the value of hex digit c plus one; 0 if c is not one. */
static const uint8_t hex_digit[256] = {
  ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
  ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
  ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
  ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static const char *const format_names[VMSIM_NR_TRACE_FORMATS] = {
  [VMSIM_TRACE_LACKEY] = "lackey",
  [VMSIM_TRACE_ORACLE_GENERAL] = "oracleGeneral",
  [VMSIM_TRACE_TEXT] = "text",
};

/* ---- errors ------------------------------------------------------------ */

/*
 * Stop the stream with `err` and a message "NAME:LINE: error: WHAT" (text
 * formats) or "NAME: record N: error: WHAT"; if `at` is not NULL, the
 * character found there is appended (", got 'x'").
 */
static NOINLINE __attribute__((format(printf, 4, 5))) int
trace_fail(vmsim_trace *t, int err, const char *at, const char *fmt, ...) {
  size_t size = sizeof(t->errmsg), len;
  va_list ap;

  if (t->format == VMSIM_TRACE_ORACLE_GENERAL)
    snprintf(t->errmsg, size, "%s: record %" PRIu64 ": error: ", t->name, t->lineno);
  else
    snprintf(t->errmsg, size, "%s:%" PRIu64 ": error: ", t->name, t->lineno);
  len = strlen(t->errmsg);
  va_start(ap, fmt);
  vsnprintf(t->errmsg + len, size - len, fmt, ap);
  va_end(ap);
  if (at) {
    unsigned char c = (unsigned char)*at;
    len = strlen(t->errmsg);
    if (c == '\n')
      snprintf(t->errmsg + len, size - len, ", got end of line");
    else if (c >= 0x20 && c < 0x7f)
      snprintf(t->errmsg + len, size - len, ", got '%c'", c);
    else
      snprintf(t->errmsg + len, size - len, ", got byte 0x%02x", c);
  }
  t->err = err;
  return err;
}

/* ---- the buffer -------------------------------------------------------- */

/*
 * Move the unconsumed bytes to the front of the buffer and read more after
 * them. Returns the number of bytes read (0: end of input) or VMSIM_EIO.
 * The caller makes sure the buffer is not full.
 */
static NOINLINE long fill(vmsim_trace *t) {
  size_t have = (size_t)(t->end - t->pos), room;
  long n;

  memmove(t->buf, t->pos, have);
  t->pos = t->buf;
  t->end = t->buf + have;
  room = t->cap - have;
  if (t->fp) {
    n = (long)fread(t->end, 1, room, t->fp);
    if (n == 0 && ferror(t->fp))
      return trace_fail(t, VMSIM_EIO, NULL, "read failed");
  } else {
    do
      n = (long)read(t->fd, t->end, room);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      return trace_fail(t, VMSIM_EIO, NULL, "read failed: %s", strerror(errno));
  }
  if (n == 0)
    t->eof = true;
  t->end += n;
  *t->end = '\n';
  return n;
}

/*
 * Take the next line: *line points at its first byte, and the line ends at
 * the first '\n' after it (the sentinel for a last line without newline).
 * Returns 1, 0 at the end of input, or an error.
 */
static int next_line(vmsim_trace *t, const char **line) {
  t->lineno++;
  for (;;) {
    char *nl = memchr(t->pos, '\n', (size_t)(t->end - t->pos) + 1);
    if (likely(nl != t->end) || (t->eof && t->pos != t->end)) {
      *line = t->pos;
      t->pos = nl + (nl != t->end);
      return 1;
    }
    if (t->eof) {
      t->lineno--;
      return 0;
    }
    if (t->pos == t->buf && t->end == t->buf + t->cap)
      return trace_fail(t, VMSIM_EPARSE, NULL, "line longer than %zu bytes", t->cap);
    long n = fill(t);
    if (n < 0)
      return (int)n;
  }
}

static ALWAYS_INLINE bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static ALWAYS_INLINE const char *skip_blanks(const char *p) {
  while (is_blank(*p))
    p++;
  return p;
}

/* A line with nothing to read: blank, or a comment of the format. */
static ALWAYS_INLINE bool skip_line(const vmsim_trace *t, const char *p) {
  if (t->format == VMSIM_TRACE_TEXT)
    return *p == '\n' || *p == '#';
  return *p == '\n' || (p[0] == '=' && p[1] == '=');
}

/* The first non-blank byte of the next line that is not skipped. */
static ALWAYS_INLINE int next_content_line(vmsim_trace *t, const char **line) {
  for (;;) {
    int rc = next_line(t, line);
    if (rc <= 0)
      return rc;
    *line = skip_blanks(*line);
    if (!skip_line(t, *line))
      return 1;
  }
}

/*
 * Parse hex digits at *pp into *val and advance *pp past them. Returns 1, 0
 * if there is no digit, -1 if the number does not fit in 64 bits.
 */
static ALWAYS_INLINE int parse_hex(const char **pp, uint64_t *val) {
  const unsigned char *p = (const unsigned char *)*pp;
  uint64_t v = 0;
  unsigned d = hex_digit[*p];

  if (!d)
    return 0;
  do {
    if (unlikely(v >> 60))
      return -1;
    v = (v << 4) | (d - 1);
    d = hex_digit[*++p];
  } while (d);
  *pp = (const char *)p;
  *val = v;
  return 1;
}

/* The same for decimal digits. */
static ALWAYS_INLINE int parse_dec(const char **pp, uint64_t *val) {
  const char *p = *pp;
  uint64_t v = 0;

  if ((unsigned)(*p - '0') > 9)
    return 0;
  do {
    unsigned d = (unsigned)(*p - '0');
    if (unlikely(v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10)))
      return -1;
    v = v * 10 + d;
  } while ((unsigned)(*++p - '0') <= 9);
  *pp = p;
  *val = v;
  return 1;
}

/* ---- lackey ------------------------------------------------------------ */

/* Hand out the next access of the pending record. */
static ALWAYS_INLINE int lackey_emit(vmsim_trace *t, vmsim_memref *out) {
  uint64_t vpn = t->pend_vaddr >> VMSIM_PAGE_SHIFT;

  out->vaddr = t->pend_vaddr;
  out->next_access = VMSIM_NEXT_ACCESS_UNKNOWN;
  out->pid = t->pid;
  if (t->pend_op == LACKEY_MODIFY && !t->pend_read_done) {
    out->write = false;
    t->pend_read_done = true;
    return 1;
  }
  out->write = t->pend_op != LACKEY_READ;
  t->pend_read_done = false;
  if (vpn == t->pend_last_vpn)
    t->pending = false;
  else
    t->pend_vaddr = (vpn + 1) << VMSIM_PAGE_SHIFT;
  return 1;
}

/* Parse "OP ADDR,SIZE" at p (blanks skipped) into the pending record. */
static int lackey_parse(vmsim_trace *t, const char *p) {
  char op = *p;
  uint64_t addr, size;
  int rc;

  switch (op) {
  case 'I':
  case 'L': t->pend_op = LACKEY_READ; break;
  case 'S': t->pend_op = LACKEY_WRITE; break;
  case 'M': t->pend_op = LACKEY_MODIFY; break;
  default:
    return trace_fail(t, VMSIM_EPARSE, p, "expected 'I', 'L', 'S', 'M' or '==' to start the line");
  }
  if (!is_blank(*++p))
    return trace_fail(t, VMSIM_EPARSE, p, "expected a space after '%c'", op);
  p = skip_blanks(p);
  rc = parse_hex(&p, &addr);
  if (rc <= 0)
    return rc ? trace_fail(t, VMSIM_EPARSE, NULL, "address after '%c' does not fit in 64 bits", op)
              : trace_fail(t, VMSIM_EPARSE, p, "expected hex address after '%c'", op);
  if (*p != ',')
    return trace_fail(t, VMSIM_EPARSE, p, "expected ',' after the address");
  p++;
  rc = parse_dec(&p, &size);
  if (rc <= 0)
    return rc ? trace_fail(t, VMSIM_EPARSE, NULL, "size does not fit in 64 bits")
              : trace_fail(t, VMSIM_EPARSE, p, "expected decimal size after ','");
  p = skip_blanks(p);
  if (*p != '\n')
    return trace_fail(t, VMSIM_EPARSE, p, "expected end of line after the size");
  if (size == 0)
    return trace_fail(t, VMSIM_EPARSE, NULL, "size must be at least 1");
  if (size - 1 > UINT64_MAX - addr)
    return trace_fail(t, VMSIM_EPARSE, NULL,
                      "access of %" PRIu64 " bytes at 0x%" PRIx64 " wraps around the address space",
                      size, addr);
  t->pend_vaddr = addr;
  t->pend_last_vpn = (addr + (size - 1)) >> VMSIM_PAGE_SHIFT;
  t->pend_read_done = false;
  t->pending = true;
  t->position = t->lineno;
  return 0;
}

static NOINLINE int lackey_next(vmsim_trace *t, vmsim_memref *out) {
  const char *p = NULL;
  int rc;

  if (t->pending)
    return lackey_emit(t, out);
  rc = next_content_line(t, &p);
  if (rc <= 0)
    return rc;
  rc = lackey_parse(t, p);
  if (rc < 0)
    return rc;
  return lackey_emit(t, out);
}

/* ---- plain text -------------------------------------------------------- */

static NOINLINE int text_next(vmsim_trace *t, vmsim_memref *out) {
  const char *p = NULL;
  uint64_t pid = t->pid, addr;
  char op;
  int rc = next_content_line(t, &p);

  if (rc <= 0)
    return rc;
  if ((unsigned)(*p - '0') <= 9) {
    if (parse_dec(&p, &pid) < 0 || pid > UINT32_MAX)
      return trace_fail(t, VMSIM_EPARSE, NULL, "pid does not fit in 32 bits");
    if (!is_blank(*p))
      return trace_fail(t, VMSIM_EPARSE, p, "expected a space after the pid");
    p = skip_blanks(p);
  }
  op = *p;
  if (op != 'R' && op != 'W' && op != 'r' && op != 'w')
    return trace_fail(t, VMSIM_EPARSE, p, "expected 'R' or 'W'");
  if (!is_blank(*++p))
    return trace_fail(t, VMSIM_EPARSE, p, "expected a space after '%c'", op);
  p = skip_blanks(p);
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  rc = parse_hex(&p, &addr);
  if (rc <= 0)
    return rc ? trace_fail(t, VMSIM_EPARSE, NULL, "address does not fit in 64 bits")
              : trace_fail(t, VMSIM_EPARSE, p, "expected hex address after '%c'", op);
  p = skip_blanks(p);
  if (*p != '\n' && *p != '#')
    return trace_fail(t, VMSIM_EPARSE, p, "expected end of line after the address");
  out->vaddr = addr;
  out->next_access = VMSIM_NEXT_ACCESS_UNKNOWN;
  out->pid = (uint32_t)pid;
  out->write = op == 'W' || op == 'w';
  t->position = t->lineno;
  return 1;
}

/* ---- oracleGeneral ----------------------------------------------------- */

/* A little-endian u64 at any alignment: one load on a little-endian host. */
static ALWAYS_INLINE uint64_t load_le64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/*
 * Record number `lineno` at rec into *out. Returns ORACLE_OK, or what is
 * wrong with it (oracle_next() says it in words; oracle_fill() stops
 * there and leaves the record to oracle_next()).
 */
enum oracle_fault { ORACLE_OK, ORACLE_BAD_ID, ORACLE_BAD_NEXT };

static ALWAYS_INLINE enum oracle_fault oracle_decode(const unsigned char *rec, uint64_t lineno,
                                                     uint32_t pid, vmsim_memref *out) {
  /* u32 timestamp at 0 and u32 size at 12 are not used. */
  uint64_t obj_id = load_le64(rec + 4);
  int64_t next = (int64_t)load_le64(rec + 16);
  if (obj_id > ORACLE_MAX_OBJ_ID)
    return ORACLE_BAD_ID;
  if (next == -1 || next == INT64_MAX)
    next = VMSIM_NEXT_ACCESS_NEVER;
  else if (next < 0 || (uint64_t)next < lineno)
    return ORACLE_BAD_NEXT;
  *out = (vmsim_memref){.vaddr = obj_id << VMSIM_PAGE_SHIFT, .next_access = next, .pid = pid,
                        .write = false};
  return ORACLE_OK;
}

static NOINLINE int oracle_next(vmsim_trace *t, vmsim_memref *out) {
  t->lineno++;
  while (unlikely(t->end - t->pos < ORACLE_RECORD_SIZE)) {
    if (t->eof) {
      if (t->pos == t->end) {
        t->lineno--;
        return 0;
      }
      return trace_fail(t, VMSIM_EPARSE, NULL, "truncated record: expected %d bytes, got %td",
                        ORACLE_RECORD_SIZE, t->end - t->pos);
    }
    long n = fill(t);
    if (n < 0)
      return (int)n;
  }
  const unsigned char *rec = (const unsigned char *)t->pos;
  t->pos += ORACLE_RECORD_SIZE;
  switch (oracle_decode(rec, t->lineno, t->pid, out)) {
  case ORACLE_OK:
    break;
  case ORACLE_BAD_ID:
    return trace_fail(t, VMSIM_EPARSE, NULL,
                      "object id %" PRIu64 " is too large: ids are pages of a %d-bit address "
                      "space, at most %" PRIu64,
                      load_le64(rec + 4), VMSIM_WORKLOAD_VA_BITS, ORACLE_MAX_OBJ_ID);
  case ORACLE_BAD_NEXT:
    return trace_fail(t, VMSIM_EPARSE, NULL,
                      "expected the next access (%" PRId64 ") to be a later record or -1",
                      (int64_t)load_le64(rec + 16));
  }
  t->position = t->lineno;
  return 1;
}

/* ---- the public interface ---------------------------------------------- */

void vmsim_trace_options_default(vmsim_trace_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->pid = 0;
  opts->buffer_size = DEFAULT_BUFFER_SIZE;
}

/* Allocate a trace reading nothing yet (fd -1, no stream). */
static int trace_new(vmsim_trace **out, const char *name, enum vmsim_trace_format fmt,
                     const vmsim_trace_options *opts, char *errmsg, size_t errlen) {
  vmsim_trace_options defaults;
  vmsim_trace *t = NULL;
  size_t namelen, cap;

  if (!name)
    name = "(trace)";
  if (!opts) {
    vmsim_trace_options_default(&defaults);
    opts = &defaults;
  }
  if ((unsigned)fmt >= VMSIM_NR_TRACE_FORMATS)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL, "%s: unknown trace format %d", name,
                       (int)fmt);
  cap = opts->buffer_size;
  namelen = strlen(name);
  if (cap < VMSIM_TRACE_MIN_BUFFER || cap > SIZE_MAX - sizeof(*t) - 2 - namelen)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL,
                       "%s: buffer size %zu is out of range (at least %d bytes)", name, cap,
                       VMSIM_TRACE_MIN_BUFFER);
  t = vmsim__malloc(sizeof(*t) + cap + 1 + namelen + 1);
  if (!t)
    return vmsim__errf(errmsg, errlen, VMSIM_ENOMEM, "%s: out of host memory", name);
  memset(t, 0, sizeof(*t));
  t->format = fmt;
  t->pid = opts->pid;
  t->fd = -1;
  t->cap = cap;
  t->pos = t->end = t->buf;
  *t->end = '\n';
  t->name = memcpy(t->buf + cap + 1, name, namelen + 1);
  *out = t;
  return 0;
}

int vmsim_trace_open(vmsim_trace **out, const char *path, enum vmsim_trace_format fmt,
                     const vmsim_trace_options *opts, char *errmsg, size_t errlen) {
  vmsim_trace *t = NULL;
  int rc;

  if (!path)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL, "no trace path given");
  rc = trace_new(&t, path, fmt, opts, errmsg, errlen);
  if (rc)
    return rc;
  t->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (t->fd < 0) {
    int e = errno;
    vmsim__free(t);
    return vmsim__errf(errmsg, errlen, e == ENOENT ? VMSIM_ENOENT : VMSIM_EIO,
                       "%s: cannot open: %s", path, strerror(e));
  }
  t->own_fd = true;
#ifdef POSIX_FADV_SEQUENTIAL
  (void)posix_fadvise(t->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  *out = t;
  return 0;
}

int vmsim_trace_open_fd(vmsim_trace **out, int fd, const char *name, enum vmsim_trace_format fmt,
                        const vmsim_trace_options *opts, char *errmsg, size_t errlen) {
  vmsim_trace *t = NULL;
  int rc;

  if (fd < 0)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL, "%s: invalid file descriptor %d",
                       name ? name : "(trace)", fd);
  rc = trace_new(&t, name, fmt, opts, errmsg, errlen);
  if (rc)
    return rc;
  t->fd = fd;
  *out = t;
  return 0;
}

int vmsim_trace_open_stream(vmsim_trace **out, FILE *fp, const char *name,
                            enum vmsim_trace_format fmt, const vmsim_trace_options *opts,
                            char *errmsg, size_t errlen) {
  vmsim_trace *t = NULL;
  int rc;

  if (!fp)
    return vmsim__errf(errmsg, errlen, VMSIM_EINVAL, "%s: no stream given",
                       name ? name : "(trace)");
  rc = trace_new(&t, name, fmt, opts, errmsg, errlen);
  if (rc)
    return rc;
  t->fp = fp;
  *out = t;
  return 0;
}

/* Each format's reader is out of line, so that this is a tail jump and the
 * short oracleGeneral reader does not save the registers the lackey parser
 * needs. */
int vmsim_trace_next(vmsim_trace *t, vmsim_memref *out) {
  if (unlikely(t->err))
    return t->err;
  switch (t->format) {
  case VMSIM_TRACE_LACKEY: return lackey_next(t, out);
  case VMSIM_TRACE_ORACLE_GENERAL: return oracle_next(t, out);
  case VMSIM_TRACE_TEXT: return text_next(t, out);
  default: return VMSIM_EINVAL;
  }
}

/*
 * oracleGeneral records while whole ones are in [pos, end), each decoded
 * by oracle_decode() as oracle_next() decodes it; the first that fails,
 * and the refills, are left to oracle_next(), which says why.
 */
static size_t oracle_fill(vmsim_trace *t, vmsim_memref *refs, size_t n) {
  size_t whole = (size_t)(t->end - t->pos) / ORACLE_RECORD_SIZE, i = 0;
  const unsigned char *rec = (const unsigned char *)t->pos;
  for (n = MIN(n, whole); i < n; i++, rec += ORACLE_RECORD_SIZE)
    if (oracle_decode(rec, t->lineno + i + 1, t->pid, &refs[i]) != ORACLE_OK)
      break;
  t->pos = (char *)rec;
  t->lineno += i;
  t->position = t->lineno;
  return i;
}

long vmsim_trace_fill(vmsim_trace *t, vmsim_memref *refs, size_t n) {
  size_t done = 0;
  n = MIN(n, (size_t)LONG_MAX); /* the count must stay a count */
  while (done < n) {
    if (unlikely(t->err))
      return done ? (long)done : t->err;
    if (t->format == VMSIM_TRACE_ORACLE_GENERAL) {
      size_t k = oracle_fill(t, refs + done, n - done);
      done += k;
      if (k)
        continue;
    }
    /* One record the slow way: a refill, the end, an error, or a format
     * without a fast path. */
    int rc = vmsim_trace_next(t, &refs[done]);
    if (rc != 1)
      return done ? (long)done : rc;
    done++;
  }
  return (long)done;
}

const char *vmsim_trace_error(const vmsim_trace *t) { return t->err ? t->errmsg : ""; }

uint64_t vmsim_trace_position(const vmsim_trace *t) { return t->position; }

void vmsim_trace_close(vmsim_trace *t) {
  if (!t)
    return;
  if (t->own_fd)
    close(t->fd);
  vmsim__free(t);
}

int vmsim_trace_format_parse(const char *name, enum vmsim_trace_format *out) {
  int i = vmsim__name_index(format_names, ARRAY_SIZE(format_names), name);
  if (i < 0)
    return VMSIM_EINVAL;
  *out = (enum vmsim_trace_format)i;
  return 0;
}

const char *vmsim_trace_format_name(enum vmsim_trace_format fmt) {
  return (unsigned)fmt < VMSIM_NR_TRACE_FORMATS ? format_names[fmt] : "?";
}
