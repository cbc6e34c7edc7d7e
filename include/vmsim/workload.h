/* SPDX-License-Identifier: MIT */
/*
 * Workloads: the streams of memory accesses a simulation replays. Two kinds
 * of source yield the same vmsim_memref records through the same contract
 * (next() returns 1 with a record, 0 at the end, a negative VMSIM_E* code on
 * error):
 *
 *  - trace readers (vmsim_trace_*) stream a file of one of three formats in
 *    constant memory, whatever its length;
 *  - synthetic generators (vmsim_gen_*) produce seeded, reproducible streams:
 *    sequential scan, uniform, Zipf, loop over a working set, and phases.
 */
#ifndef VMSIM_WORKLOAD_H
#define VMSIM_WORKLOAD_H

#include <stdio.h>

#include "common.h"

VMSIM_BEGIN_DECLS

/* The simulated virtual address space has 47 bits, as x86-64 user space. */
#define VMSIM_WORKLOAD_VA_BITS 47

/*
 * vmsim_memref.next_access: the record number of the next access to the same
 * page, where records are numbered from 1 as libCacheSim numbers them, or one
 * of these two values.
 */
#define VMSIM_NEXT_ACCESS_UNKNOWN INT64_C(-1)  /* the source does not say */
#define VMSIM_NEXT_ACCESS_NEVER INT64_MAX      /* the page is not accessed again */

/* One access to one page of simulated memory. */
typedef struct vmsim_memref {
  uint64_t vaddr;      /* the first byte of the access in this page */
  int64_t next_access; /* only oracleGeneral traces know it; see above */
  uint32_t pid;        /* the simulated process */
  bool write;
} vmsim_memref;

/* ---- trace readers ---------------------------------------------------- */

enum vmsim_trace_format {
  /*
   * The output of `valgrind --tool=lackey --trace-mem=yes`: lines
   * "I  04001234,3", " L 1ffefffd48,8", " S ...", " M ..." (hex address,
   * decimal size). A record yields one access per 4 KiB page it overlaps;
   * I and L read, S writes, M reads then writes each page. Lines starting
   * with "==" (valgrind's own messages) and blank lines are skipped.
   * Addresses pass through unchecked, also above 2^47 (lackey records
   * the vsyscall page): the simulation decides what they hit.
   */
  VMSIM_TRACE_LACKEY,
  /*
   * libCacheSim's oracleGeneral binary format: little-endian 24-byte records
   * {u32 timestamp, u64 object id, u32 object size, i64 next access}. Each
   * object is one page at vaddr = id << VMSIM_PAGE_SHIFT, so ids must be
   * below 2^35; timestamp and size are ignored. The next access is the
   * (1-based) record number of the object's next request; -1 and INT64_MAX
   * in the file become VMSIM_NEXT_ACCESS_NEVER.
   */
  VMSIM_TRACE_ORACLE_GENERAL,
  /*
   * Plain text, one access per line: "[PID] R|W ADDRESS", PID decimal and
   * optional, ADDRESS hexadecimal with or without 0x. Blank lines and
   * comments from '#' to the end of the line are skipped.
   */
  VMSIM_TRACE_TEXT,
  VMSIM_NR_TRACE_FORMATS
};

/* A trace being read. Opaque; opened and closed by the library. */
typedef struct vmsim_trace vmsim_trace;

/* Reading options. Start from vmsim_trace_options_default(). */
typedef struct vmsim_trace_options {
  /* The pid of every lackey and oracleGeneral access, and of text lines
   * that name none. Default 0. */
  uint32_t pid;
  /* Bytes read at a time; also the longest line accepted. Default 128
   * KiB (small enough to stay in the CPU's cache), at least
   * VMSIM_TRACE_MIN_BUFFER. */
  size_t buffer_size;
} vmsim_trace_options;

#define VMSIM_TRACE_MIN_BUFFER 64

VMSIM_EXPORT void vmsim_trace_options_default(vmsim_trace_options *opts);

/*
 * Open the trace at `path` in format `fmt`; `opts` NULL means the defaults.
 * Any file (regular, a pipe, a device) is read through the buffer.
 * On failure *out is untouched and, if `errmsg` is not NULL, a message naming
 * the file is written there. Errors: VMSIM_EINVAL (bad format or options),
 * VMSIM_ENOENT (no such file), VMSIM_EIO (cannot open), VMSIM_ENOMEM.
 */
VMSIM_EXPORT int vmsim_trace_open(vmsim_trace **out, const char *path,
                                  enum vmsim_trace_format fmt,
                                  const vmsim_trace_options *opts, char *errmsg, size_t errlen);
/*
 * The same for an open file descriptor or stdio stream, read from its
 * current position; `name` is used in messages. The caller still
 * owns `fd` or `fp`: close it after vmsim_trace_close().
 */
VMSIM_EXPORT int vmsim_trace_open_fd(vmsim_trace **out, int fd, const char *name,
                                     enum vmsim_trace_format fmt,
                                     const vmsim_trace_options *opts, char *errmsg, size_t errlen);
VMSIM_EXPORT int vmsim_trace_open_stream(vmsim_trace **out, FILE *fp, const char *name,
                                         enum vmsim_trace_format fmt,
                                         const vmsim_trace_options *opts, char *errmsg,
                                         size_t errlen);

/*
 * Read the next access into *out: 1 with an access, 0 at the end of the
 * trace, VMSIM_EPARSE (malformed input) or VMSIM_EIO (read failed) on error.
 * An error ends the stream: later calls return it again, and
 * vmsim_trace_error() describes it.
 */
VMSIM_EXPORT int vmsim_trace_next(vmsim_trace *t, vmsim_memref *out);
/*
 * The next accesses, up to n of them, into refs[0..n): exactly those that n
 * calls of vmsim_trace_next() would return, at a fraction of the cost per
 * record on oracleGeneral traces. Returns how many were written (0 at the
 * end of the trace, and for n == 0), or the error if it stopped the stream
 * before the first; an error after some records returns those, and the
 * next call the error. At most LONG_MAX records are read per call.
 */
VMSIM_EXPORT long vmsim_trace_fill(vmsim_trace *t, vmsim_memref *refs, size_t n);

/* The message of the error that stopped `t`, e.g.
 * "trace.lackey:17: error: expected hex address after 'L'"; "" if none. */
VMSIM_EXPORT const char *vmsim_trace_error(const vmsim_trace *t);

/* The line (lackey, text) or record (oracleGeneral) number, from 1, of the
 * last access returned; 0 before the first. */
VMSIM_EXPORT uint64_t vmsim_trace_position(const vmsim_trace *t);

/* Close a trace and free it. NULL is a no-op. */
VMSIM_EXPORT void vmsim_trace_close(vmsim_trace *t);

/* "lackey", "oracleGeneral", "text" (case-insensitive) to the format, or
 * VMSIM_EINVAL; and back ("?" if unknown). */
VMSIM_EXPORT int vmsim_trace_format_parse(const char *name, enum vmsim_trace_format *out);
VMSIM_EXPORT const char *vmsim_trace_format_name(enum vmsim_trace_format fmt);

/* ---- synthetic generators --------------------------------------------- */

enum vmsim_gen_kind {
  VMSIM_GEN_SEQUENTIAL, /* pages 0, 1, ..., pages-1, then again from 0 */
  VMSIM_GEN_UNIFORM,    /* each page with probability 1/pages */
  VMSIM_GEN_ZIPF,       /* page k-1 with probability ~ 1/k^theta */
  VMSIM_GEN_LOOP,       /* pages 0 .. working_set-1, over and over */
  VMSIM_GEN_PHASES,     /* the phases in turn, each for its count, cyclically */
  VMSIM_NR_GEN_KINDS
};

/*
 * A generator's settings. Start from vmsim_gen_config_default(): fields added
 * later get defaults that way. Page numbers above are indices into the region
 * [base, base + pages * VMSIM_PAGE_SIZE); every access is to the first byte
 * of its page.
 */
typedef struct vmsim_gen_config {
  enum vmsim_gen_kind kind;     /* default VMSIM_GEN_SEQUENTIAL */
  uint64_t base;                /* page-aligned; default 0 */
  uint64_t pages;               /* >= 1; the region must end by 2^47; default 1 */
  double theta;                 /* ZIPF: skew, > 0 (1 is classic Zipf); default 0.99 */
  uint64_t working_set;         /* LOOP: pages looped over, <= pages; 0 (default) = pages */
  double write_ratio;           /* probability an access writes, in [0, 1]; default 0 */
  uint64_t seed;                /* default 1 */
  uint64_t count;               /* accesses before next() returns 0; default UINT64_MAX
                                 * (no end). Inside `phases`: the phase's length K >= 1 */
  uint32_t pid;                 /* the pid of every access; default 0 */
  /*
   * PHASES: nr_phases configurations (not PHASES themselves), copied at
   * creation; of this configuration only count, seed and the phases count,
   * and each phase has its own region, pid and write_ratio. The stream runs phase 0 for its `count` accesses, then phase
   * 1, ..., then phase 0 again; a phase resumes where it stopped. Each
   * phase's random streams are seeded from its own seed and this one's.
   */
  const struct vmsim_gen_config *phases;
  uint32_t nr_phases;
} vmsim_gen_config;

/* A generator. Opaque; created and destroyed by the library. */
typedef struct vmsim_gen vmsim_gen;

VMSIM_EXPORT void vmsim_gen_config_default(vmsim_gen_config *cfg);

/*
 * Create a generator from `cfg`. Errors: VMSIM_ECONFIG (with a message in
 * `errmsg` if not NULL), VMSIM_ENOMEM. The same configuration yields the
 * same stream on every machine and every run.
 */
VMSIM_EXPORT int vmsim_gen_create(vmsim_gen **out, const vmsim_gen_config *cfg, char *errmsg,
                                  size_t errlen);
/* The next access: 1 with an access in *out, 0 once `count` are made. */
VMSIM_EXPORT int vmsim_gen_next(vmsim_gen *g, vmsim_memref *out);
/*
 * The next accesses, up to n of them, into refs[0..n): exactly those that n
 * calls of vmsim_gen_next() would return, at a fraction of the cost per
 * access. Returns how many were written: n, or fewer once `count` are made
 * (0 from then on).
 */
VMSIM_EXPORT size_t vmsim_gen_fill(vmsim_gen *g, vmsim_memref *refs, size_t n);
/* Destroy a generator. NULL is a no-op. */
VMSIM_EXPORT void vmsim_gen_destroy(vmsim_gen *g);

/* "sequential", "uniform", "zipf", "loop", "phases" to the kind, or
 * VMSIM_EINVAL; and back ("?" if unknown). */
VMSIM_EXPORT int vmsim_gen_kind_parse(const char *name, enum vmsim_gen_kind *out);
VMSIM_EXPORT const char *vmsim_gen_kind_name(enum vmsim_gen_kind kind);

VMSIM_END_DECLS

#endif /* VMSIM_WORKLOAD_H */
