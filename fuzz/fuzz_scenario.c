/* SPDX-License-Identifier: MIT */
/*
 * Target `scenario`: the YAML scenario loader, vmsim_scenario_parse(), on
 * arbitrary bytes.
 *
 * Oracle. A refusal is VMSIM_EPARSE or VMSIM_ECONFIG with a message of the
 * form "NAME:LINE:COLUMN: error: ..." (docs/scenarios.md), or VMSIM_ENOMEM
 * "NAME: error: out of host memory". An accepted scenario is one the
 * runner can take: its machine passes vmsim_config_validate(), every index
 * (file, region, VMA) points inside its array, every VMA lies in the 47-bit
 * address space. An accepted input is then parsed again with each of its
 * host allocations failing in turn: each must give VMSIM_ENOMEM and leak
 * nothing (LeakSanitizer checks that).
 */
#include "fuzz.h"

#include <stdio.h>

/* The name the input is parsed under; it has a '/' so that relative trace
 * paths are resolved against a directory. */
#define FUZZ_SCENARIO_NAME "fuzz/input.yaml"

/* "NAME:LINE:COLUMN: error: " */
static int scenario_msg_positioned(const char *msg) {
  size_t n = strlen(FUZZ_SCENARIO_NAME);
  unsigned long line, col;
  int end = 0;
  if (strncmp(msg, FUZZ_SCENARIO_NAME ":", n + 1) != 0)
    return 0;
  if (sscanf(msg + n + 1, "%lu:%lu: error: %n", &line, &col, &end) != 2 || end == 0)
    return 0;
  return line >= 1 && col >= 1;
}

static void check_refusal(int rc, const char *err, size_t len) {
  FUZZ_CHECK(vmsim_fuzz_msg_ok(err, len), "error %d (%s) without a message", rc,
             vmsim_err_name(rc));
  if (rc == VMSIM_ENOMEM) {
    FUZZ_CHECK(strncmp(err, FUZZ_SCENARIO_NAME ": error: ", strlen(FUZZ_SCENARIO_NAME) + 9) ==
                   0 || scenario_msg_positioned(err),
               "out-of-memory message in an unexpected form: %s", err);
    return;
  }
  FUZZ_CHECK(rc == VMSIM_EPARSE || rc == VMSIM_ECONFIG, "unexpected error %d (%s): %s", rc,
             vmsim_err_name(rc), err);
  FUZZ_CHECK(scenario_msg_positioned(err), "message does not name file, line and column: %s", err);
}

static void check_scenario(const vmsim_scenario *scn) {
  char msg[256];
  FUZZ_CHECK(vmsim_config_validate(&scn->cfg, msg, sizeof(msg)) == 0,
             "accepted scenario with an invalid machine: %s", msg);
  FUZZ_CHECK(scn->nr_procs >= 1 && scn->procs, "accepted scenario without processes");
  FUZZ_CHECK(scn->quantum >= 1, "quantum 0");
  for (uint32_t i = 0; i < scn->nr_files; i++)
    FUZZ_CHECK(scn->files[i].pages >= 1 && scn->files[i].pages <= UINT64_C(1) << 36 &&
                   memchr(scn->files[i].name, 0, sizeof(scn->files[i].name)),
               "file %u: %" PRIu64 " pages (vmsim_file_create() takes 1..2^36), or a bad name",
               i, scn->files[i].pages);
  for (uint32_t i = 0; i < scn->nr_procs; i++) {
    const vmsim_scn_process *p = &scn->procs[i];
    FUZZ_CHECK(p->name[0] && memchr(p->name, 0, sizeof(p->name)), "process %u: bad name", i);
    FUZZ_CHECK(p->accesses >= 1, "process %u: 0 accesses", i);
    for (uint32_t j = 0; j < p->nr_vmas; j++) {
      const vmsim_scn_vma *v = &p->vmas[j];
      FUZZ_CHECK(v->len >= VMSIM_PAGE_SIZE && v->start % VMSIM_PAGE_SIZE == 0 &&
                     v->len % VMSIM_PAGE_SIZE == 0 && v->start < VMSIM_TASK_SIZE &&
                     v->len <= VMSIM_TASK_SIZE - v->start,
                 "process %u vma %u: [0x%" PRIx64 ", +0x%" PRIx64 ") is not a valid range", i, j,
                 v->start, v->len);
      FUZZ_CHECK(v->file >= -1 && (v->file < 0 || (uint32_t)v->file < scn->nr_files),
                 "process %u vma %u: file %d", i, j, v->file);
      if (v->file >= 0) {
        uint64_t pages = scn->files[v->file].pages;
        FUZZ_CHECK(v->pgoff <= pages && (v->len >> VMSIM_PAGE_SHIFT) <= pages - v->pgoff,
                   "process %u vma %u: maps past the end of its file", i, j);
      }
    }
    const vmsim_scn_driver *d = &p->driver;
    FUZZ_CHECK(d->read_file >= -1 && (d->read_file < 0 || (uint32_t)d->read_file < scn->nr_files),
               "process %u: read file %d", i, d->read_file);
    if (d->kind == VMSIM_DRIVER_TRACE) {
      FUZZ_CHECK(d->trace_path[0] && memchr(d->trace_path, 0, sizeof(d->trace_path)),
                 "process %u: bad trace path", i);
      FUZZ_CHECK((unsigned)d->trace_format < VMSIM_NR_TRACE_FORMATS, "process %u: format %d", i,
                 (int)d->trace_format);
      continue;
    }
    FUZZ_CHECK(d->kind == VMSIM_DRIVER_GENERATOR, "process %u: driver kind %d", i, (int)d->kind);
    FUZZ_CHECK(d->read_file >= 0 || d->region < p->nr_vmas, "process %u: region %u of %u vmas", i,
               d->region, p->nr_vmas);
    FUZZ_CHECK(d->gen.kind != VMSIM_GEN_PHASES || (d->gen.nr_phases >= 1 && d->gen.phases),
               "process %u: phases generator without phases", i);
  }
}

int vmsim_fuzz_scenario(const uint8_t *data, size_t size) {
  vmsim_scenario *scn = NULL;
  char err[512];
  int rc;

  /* The error buffer is poisoned so that a message must really be written. */
  memset(err, 0x55, sizeof(err));
  rc = vmsim_scenario_parse(&scn, (const char *)data, size, FUZZ_SCENARIO_NAME, err, sizeof(err));
  if (rc) {
    FUZZ_CHECK(rc < 0 && !scn, "error %d with a scenario", rc);
    check_refusal(rc, err, sizeof(err));
    return 0;
  }
  FUZZ_CHECK(scn != NULL, "success without a scenario");
  check_scenario(scn);
  vmsim_scenario_free(scn);

  /* Every host allocation of the parse failing in turn. */
  vmsim_alloc_stats before, after;
  vmsim_alloc_get_stats(&before);
  rc = vmsim_scenario_parse(&scn, (const char *)data, size, FUZZ_SCENARIO_NAME, err, sizeof(err));
  vmsim_alloc_get_stats(&after);
  FUZZ_CHECK(rc == 0, "a second parse of the same input gave %d: %s", rc, err);
  vmsim_scenario_free(scn);
  uint64_t allocs = after.nr_allocs - before.nr_allocs;
  for (uint64_t nth = 1; nth <= allocs && nth <= 64; nth++) {
    scn = NULL;
    vmsim_alloc_fail_after(nth, false);
    rc = vmsim_scenario_parse(&scn, (const char *)data, size, FUZZ_SCENARIO_NAME, err,
                              sizeof(err));
    vmsim_alloc_fail_after(0, false);
    if (rc == 0) {
      vmsim_scenario_free(scn);
      vmsim_fuzz_fail(__FILE__, __LINE__, "allocation %" PRIu64 " failed but the parse succeeded",
                      nth);
    }
    FUZZ_CHECK(rc == VMSIM_ENOMEM && !scn, "allocation %" PRIu64 " failed: error %d (%s): %s",
               nth, rc, vmsim_err_name(rc), err);
    check_refusal(rc, err, sizeof(err));
  }
  return 0;
}
