/* SPDX-License-Identifier: MIT */
/*
 * Trace readers, through the public API (vmsim_trace_open / next / close):
 *
 *   bench_trace lackey   MB/s of a generated ~200 MB valgrind-lackey file
 *   bench_trace oracle   records/s of a generated 20,000,000-record
 *                        oracleGeneral file (480 MB)
 *
 * The files are written just before they are read, so they come from the
 * host's page cache: the figure is the parser's, not the disk's. The number
 * of accesses read is checked against what was written.
 * VMSIM_BENCH_SCALE scales the file sizes.
 */
#include "bench_util.h"

#include <vmsim/vmsim.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- a lackey trace ------------------------------------------------------ */

static char *put_hex(char *p, uint64_t v, int min_digits) {
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  while (n < min_digits)
    tmp[n++] = '0';
  while (n)
    *p++ = tmp[--n];
  return p;
}

static char *put_dec(char *p, unsigned v) {
  if (v >= 10)
    *p++ = (char)('0' + v / 10);
  *p++ = (char)('0' + v % 10);
  return p;
}

static uint64_t pages_spanned(uint64_t addr, unsigned size) {
  return ((addr + size - 1) >> VMSIM_PAGE_SHIFT) - (addr >> VMSIM_PAGE_SHIFT) + 1;
}

/*
 * Roughly what lackey prints for a real program: instruction fetches that
 * run on in a code region and now and then jump, and after about half of
 * them a load, store or modify on the stack or the heap. Returns the number
 * of page accesses the reader must yield.
 */
static uint64_t write_lackey(const char *path, uint64_t target_bytes, uint64_t *lines_out) {
  static const char header[] =
      "==4242== Lackey, an example Valgrind tool\n"
      "==4242== Copyright (C) 2002-2022, and GNU GPL'd, by Nicholas Nethercote.\n"
      "==4242== Using Valgrind-3.19.0 and LibVEX; rerun with -h for copyright info\n"
      "==4242== Command: ./benchmark\n"
      "==4242== \n";
  bench_writer w;
  bench_writer_open(&w, path);
  bench_writer_put(&w, header, sizeof(header) - 1);
  uint64_t rng = 42, pc = 0x108000, accesses = 0, lines = 0;
  char line[64];
  while (w.bytes < target_bytes) {
    uint64_t r = bench_rand(&rng);
    /* an instruction */
    unsigned isize = 1 + (unsigned)(r % 15);
    if ((r >> 8) % 8 == 0)
      pc = ((r >> 12) & 1 ? 0x108000 : 0x4000000) + ((r >> 16) % (4u << 20));
    char *p = line;
    *p++ = 'I';
    *p++ = ' ';
    *p++ = ' ';
    p = put_hex(p, pc, 8);
    *p++ = ',';
    p = put_dec(p, isize);
    *p++ = '\n';
    accesses += pages_spanned(pc, isize);
    pc += isize;
    lines++;
    /* a data access after about half of them */
    if ((r >> 40) & 1) {
      static const unsigned sizes[8] = {1, 2, 4, 8, 8, 8, 4, 16};
      unsigned dsize = sizes[(r >> 41) & 7];
      uint64_t addr = (r >> 44) & 1 ? UINT64_C(0x1ffefff000) - ((r >> 45) % 65536)
                                    : UINT64_C(0x4a2d000) + ((r >> 45) % (64u << 20));
      addr &= ~(uint64_t)(dsize - 1);
      static const char kinds[4] = {'L', 'L', 'S', 'M'};
      char kind = kinds[(r >> 62) & 3];
      *p++ = ' ';
      *p++ = kind;
      *p++ = ' ';
      p = put_hex(p, addr, 8);
      *p++ = ',';
      p = put_dec(p, dsize);
      *p++ = '\n';
      accesses += pages_spanned(addr, dsize) * (kind == 'M' ? 2 : 1);
      lines++;
    }
    bench_writer_put(&w, line, (size_t)(p - line));
  }
  static const char footer[] = "==4242== \n==4242== Counted 1 call to main()\n";
  bench_writer_put(&w, footer, sizeof(footer) - 1);
  bench_writer_close(&w);
  *lines_out = lines;
  return accesses;
}

/* Read the whole trace, by vmsim_trace_next() or, with `fill`, by
 * vmsim_trace_fill() 16 at a time (as the frames engine does); returns the
 * accesses it yielded and the time. */
static uint64_t read_trace(const char *path, enum vmsim_trace_format fmt, bool fill,
                           double *secs, double *cpu) {
  vmsim_trace *t;
  char msg[512];
  double t0 = bench_now(), c0 = bench_cpu_now();
  if (vmsim_trace_open(&t, path, fmt, NULL, msg, sizeof(msg)))
    bench_fail("%s", msg);
  vmsim_memref ref, refs[16];
  uint64_t n = 0, sum = 0;
  long rc;
  if (fill) {
    while ((rc = vmsim_trace_fill(t, refs, 16)) > 0)
      for (long i = 0; i < rc; i++, n++)
        sum += refs[i].vaddr; /* keep the records used */
  } else {
    while ((rc = vmsim_trace_next(t, &ref)) == 1) {
      n++;
      sum += ref.vaddr;
    }
  }
  if (rc < 0)
    bench_fail("%s", vmsim_trace_error(t));
  vmsim_trace_close(t);
  *secs = bench_now() - t0;
  *cpu = bench_cpu_now() - c0;
  if (sum == 1)
    fputc(' ', stderr);
  return n;
}

static uint64_t file_size(const char *path) {
  struct stat st;
  if (stat(path, &st))
    bench_fail("stat %s", path);
  return (uint64_t)st.st_size;
}

static void bench_lackey(void) {
  char path[4096];
  bench_path(path, sizeof(path), "trace.lackey");
  uint64_t lines;
  uint64_t expect = write_lackey(path, bench_scaled(200000000, 1 << 20), &lines);
  uint64_t bytes = file_size(path);
  double secs, cpu;
  uint64_t got = read_trace(path, VMSIM_TRACE_LACKEY, false, &secs, &cpu);
  if (got != expect)
    bench_fail("lackey: read %" PRIu64 " accesses, wrote %" PRIu64, got, expect);
  printf("trace_lackey: %.1f MB/s (target: >= 150 MB/s; %.0f MB, scale %g)\n",
         (double)bytes / secs / 1e6, (double)bytes / 1e6, bench_scale());
  printf("trace_lackey_cpu: %.1f MB/s (target: >= 150 MB/s, by CPU time)\n",
         (double)bytes / cpu / 1e6);
  printf("trace_lackey_lines: %.1f M lines/s (target: none, for reference; %" PRIu64
         " lines, %" PRIu64 " accesses)\n",
         (double)lines / secs / 1e6, lines, got);
}

/* ---- an oracleGeneral trace --------------------------------------------------- */

static void bench_oracle(void) {
  char path[4096];
  bench_path(path, sizeof(path), "trace.oracleGeneral");
  uint64_t records = bench_scaled(20000000, 1000);
  bench_writer w;
  bench_writer_open(&w, path);
  uint64_t rng = 7;
  for (uint64_t i = 0; i < records; i++) {
    unsigned char rec[24];
    uint64_t id = bench_rand(&rng) % 1000000;
    uint64_t fields[4] = {i, id, VMSIM_PAGE_SIZE, UINT64_MAX};
    static const int width[4] = {4, 8, 4, 8};
    for (int f = 0, o = 0; f < 4; o += width[f++])
      for (int b = 0; b < width[f]; b++)
        rec[o + b] = (unsigned char)(fields[f] >> (8 * b));
    bench_writer_put(&w, rec, sizeof(rec));
  }
  bench_writer_close(&w);
  double secs, cpu, fill_secs, fill_cpu;
  uint64_t got = read_trace(path, VMSIM_TRACE_ORACLE_GENERAL, false, &secs, &cpu);
  if (got != records)
    bench_fail("oracleGeneral: read %" PRIu64 " records, wrote %" PRIu64, got, records);
  got = read_trace(path, VMSIM_TRACE_ORACLE_GENERAL, true, &fill_secs, &fill_cpu);
  if (got != records)
    bench_fail("oracleGeneral, fill: read %" PRIu64 " records, wrote %" PRIu64, got, records);
  double rate = (double)records / secs;
  printf("trace_oracle: %.1f M records/s (target: none, for reference: vmsim_trace_next, a "
         "record a call, as a program reading a trace itself does; %.0f MB, scale %g)\n",
         rate / 1e6, (double)records * 24 / 1e6, bench_scale());
  printf("trace_oracle_cpu: %.1f M records/s (target: none, for reference, by CPU time)\n",
         (double)records / cpu / 1e6);
  printf("trace_oracle_replay_share: %.1f %% (target: <= 20 %%: both passes of a "
         "machine-engine replay at 20 M/s, each through vmsim_trace_fill, by CPU time)\n",
         100.0 * 2.0 * 20e6 * fill_cpu / (double)records);
  printf("trace_oracle_fill: %.1f M records/s (target: none, for reference: vmsim_trace_fill, "
         "16 at a time, as the frames engine reads)\n",
         (double)records / fill_secs / 1e6);
  printf("trace_oracle_fill_replay_share: %.1f %% (target: <= 20 %%: the one pass of a fifo or "
         "clock frames replay at 30 M/s, by CPU time)\n",
         100.0 * 30e6 * fill_cpu / (double)records);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_trace lackey|oracle\n");
    return 2;
  }
  bench_tmpdir(argv[1]);
  if (!strcmp(argv[1], "lackey"))
    bench_lackey();
  else if (!strcmp(argv[1], "oracle"))
    bench_oracle();
  else
    bench_fail("unknown mode '%s'", argv[1]);
  bench_tmpdir_remove();
  return 0;
}
