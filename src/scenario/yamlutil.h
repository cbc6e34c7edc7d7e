/* SPDX-License-Identifier: MIT */
/*
 * A thin, strict layer over libyaml's document API for configuration files:
 * load a document, walk mappings checked against the keys they may have,
 * and read typed scalars (integers, sizes, durations, booleans, names), each
 * failure reported as "SOURCE:LINE:COLUMN: error: WHAT (expected: ...)" at
 * the node it concerns. Every function returns 0 or a negative VMSIM_E*
 * code; the first error's message is the one kept.
 */
#ifndef VMSIM_YAMLUTIL_H
#define VMSIM_YAMLUTIL_H

#include <yaml.h>

#include "internal.h"

struct vmsim__yaml {
  yaml_document_t doc;
  bool loaded;
  const char *source;  /* the file name in messages */
  const char *text;    /* the input, to place reader errors */
  size_t len;
  char *err;           /* where messages go (may be NULL) */
  size_t errlen;
};

/* Parse `text` (one YAML document) into y->doc. VMSIM_EPARSE with libyaml's
 * problem and position for malformed YAML or a second document. */
int vmsim__yaml_load(struct vmsim__yaml *y, const char *text, size_t len, const char *source,
                     char *err, size_t errlen);
void vmsim__yaml_fini(struct vmsim__yaml *y);
/* The root node, or NULL for an empty document. */
yaml_node_t *vmsim__yaml_root(struct vmsim__yaml *y);

/* Write "SOURCE:LINE:COLUMN: error: " and the message for node `at` (NULL:
 * the start of the input) and return `code`. */
int vmsim__yaml_errf(struct vmsim__yaml *y, const yaml_node_t *at, int code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "FIELD: got DESCRIPTION OF THE NODE (expected: EXPECTED)", VMSIM_ECONFIG. */
int vmsim__yaml_expected(struct vmsim__yaml *y, const yaml_node_t *at, const char *field,
                         const char *expected);

/* ---- mappings ---------------------------------------------------------- */

/*
 * Check that `node` is a mapping whose keys are names from `keys` (a NULL-
 * terminated list; NULL allows any name), each at most once. `what` names
 * the mapping in messages ("unknown key 'sise' in zone (expected: ...)").
 */
int vmsim__yaml_map(struct vmsim__yaml *y, const yaml_node_t *node, const char *what,
                    const char *const *keys);
/* The value of `key` in a checked mapping, or NULL; its key node to *keynode
 * if keynode is not NULL. */
yaml_node_t *vmsim__yaml_get(struct vmsim__yaml *y, const yaml_node_t *map, const char *key,
                             yaml_node_t **keynode);
/* The same, but a missing key is an error: "missing key 'KEY' in WHAT". */
int vmsim__yaml_need(struct vmsim__yaml *y, const yaml_node_t *map, const char *key,
                     const char *what, yaml_node_t **value);
/* The i-th key and value of a mapping node. */
yaml_node_t *vmsim__yaml_pair(struct vmsim__yaml *y, const yaml_node_t *map, size_t i,
                              yaml_node_t **value);
size_t vmsim__yaml_map_len(const yaml_node_t *map);

/* ---- sequences --------------------------------------------------------- */

/* Check that `node` is a sequence of min..max items; its length to *n. */
int vmsim__yaml_seq(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                    size_t min, size_t max, size_t *n);
yaml_node_t *vmsim__yaml_item(struct vmsim__yaml *y, const yaml_node_t *seq, size_t i);

/* ---- scalars ----------------------------------------------------------- */

/* The text of a scalar node, or NULL if it is not one. */
const char *vmsim__yaml_text(const yaml_node_t *node);
/* A plain (unquoted) scalar equal to `word`. */
bool vmsim__yaml_is(const yaml_node_t *node, const char *word);

/* An integer min..max: decimal or 0x hex, '_' between digits allowed. */
int vmsim__yaml_uint(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     uint64_t min, uint64_t max, uint64_t *out);
int vmsim__yaml_int(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                    int64_t min, int64_t max, int64_t *out);
/* A size in bytes (512MiB, 1.5GiB, 0x10000000, 4096), a whole number of
 * 4 KiB pages, at least `min` bytes. */
int vmsim__yaml_bytes(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                      uint64_t min, uint64_t *out);
/* A duration in nanoseconds: 500ns, 2us, 1.5ms, 3s, or a bare integer (ns). */
int vmsim__yaml_duration(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                         vmsim_time_t *out);
/* A finite real number in [min, max] (min excluded if `open_min`). */
int vmsim__yaml_real(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     double min, bool open_min, double max, double *out);
int vmsim__yaml_bool(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     bool *out);
/* A non-empty string that fits `size` bytes with its terminator. */
int vmsim__yaml_string(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                       char *buf, size_t size);
/* One of `names` (NULL-terminated); its index to *out. `what` names the kind
 * in "unknown WHAT 'x' (expected: a, b, c)". */
int vmsim__yaml_choice(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                       const char *what, const char *const *names, unsigned *out);

/* "512 MiB", "4 KiB", "12288 bytes": a byte count for messages. */
void vmsim__yaml_fmt_bytes(char *buf, size_t size, uint64_t bytes);
/* Append names to the string in buf, each after ", " unless buf is empty. */
void vmsim__yaml_join(char *buf, size_t size, const char *const *names);

#endif /* VMSIM_YAMLUTIL_H */
