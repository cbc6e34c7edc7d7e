/* SPDX-License-Identifier: MIT */
/*
 * Strict typed access to a libyaml document, with positioned messages.
 *
 * libyaml's document API leaves every scalar a string (it resolves no
 * implicit tags), so the types are decided here: a number or a boolean
 * must be a plain scalar (a quoted "60" is a string), names may be either.
 * Positions are the node's start mark, 0-based in libyaml, 1-based here.
 */
#include "yamlutil.h"

#include <math.h>
#include <stdio.h>

/* ---- loading ------------------------------------------------------------ */

/* Line and column (1-based) of byte `offset` of the input. */
static void offset_position(const struct vmsim__yaml *y, size_t offset, size_t *line,
                            size_t *col) {
  size_t start = 0;
  *line = 1;
  for (size_t i = 0; i < offset && i < y->len; i++)
    if (y->text[i] == '\n') {
      (*line)++;
      start = i + 1;
    }
  *col = offset - start + 1;
}

static int parser_error(struct vmsim__yaml *y, const yaml_parser_t *p) {
  size_t line, col;
  const char *problem = p->problem ? p->problem : "unknown problem";

  if (p->error == YAML_MEMORY_ERROR)
    return vmsim__errf(y->err, y->errlen, VMSIM_ENOMEM, "%s: error: out of host memory",
                       y->source);
  if (p->error == YAML_READER_ERROR) {
    offset_position(y, p->problem_offset, &line, &col);
    return vmsim__errf(y->err, y->errlen, VMSIM_EPARSE,
                       "%s:%zu:%zu: error: malformed YAML: %s (byte 0x%x; expected: UTF-8 text)",
                       y->source, line, col, problem, (unsigned)p->problem_value & 0xff);
  }
  line = p->problem_mark.line + 1;
  col = p->problem_mark.column + 1;
  if (p->context)
    return vmsim__errf(y->err, y->errlen, VMSIM_EPARSE,
                       "%s:%zu:%zu: error: malformed YAML: %s (%s that started at line %zu, "
                       "column %zu)",
                       y->source, line, col, problem, p->context, p->context_mark.line + 1,
                       p->context_mark.column + 1);
  return vmsim__errf(y->err, y->errlen, VMSIM_EPARSE, "%s:%zu:%zu: error: malformed YAML: %s",
                     y->source, line, col, problem);
}

int vmsim__yaml_load(struct vmsim__yaml *y, const char *text, size_t len, const char *source,
                     char *err, size_t errlen) {
  yaml_parser_t parser;
  yaml_document_t extra;
  int rc = 0;

  memset(y, 0, sizeof(*y));
  y->source = source;
  y->text = text;
  y->len = len;
  y->err = err;
  y->errlen = errlen;
  if (!yaml_parser_initialize(&parser))
    return vmsim__errf(err, errlen, VMSIM_ENOMEM, "%s: error: out of host memory", source);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &y->doc)) {
    rc = parser_error(y, &parser);
    goto out;
  }
  y->loaded = true;
  /* Only one document: a second one would be silently ignored. */
  if (!yaml_parser_load(&parser, &extra)) {
    rc = parser_error(y, &parser);
    goto out;
  }
  if (yaml_document_get_root_node(&extra))
    rc = vmsim__errf(err, errlen, VMSIM_EPARSE,
                     "%s:%zu:%zu: error: a second YAML document (expected: one document)",
                     source, extra.start_mark.line + 1, extra.start_mark.column + 1);
  yaml_document_delete(&extra);
out:
  yaml_parser_delete(&parser);
  if (rc)
    vmsim__yaml_fini(y);
  return rc;
}

void vmsim__yaml_fini(struct vmsim__yaml *y) {
  if (y->loaded)
    yaml_document_delete(&y->doc);
  y->loaded = false;
}

yaml_node_t *vmsim__yaml_root(struct vmsim__yaml *y) {
  return yaml_document_get_root_node(&y->doc);
}

/* ---- messages ------------------------------------------------------------ */

int vmsim__yaml_errf(struct vmsim__yaml *y, const yaml_node_t *at, int code, const char *fmt,
                     ...) {
  if (!y->err || !y->errlen)
    return code;
  int n = snprintf(y->err, y->errlen, "%s:%zu:%zu: error: ", y->source,
                   at ? at->start_mark.line + 1 : 1, at ? at->start_mark.column + 1 : 1);
  if (n >= 0 && (size_t)n < y->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err + n, y->errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* What a node is, for "got ...": 'text', the string "text", a mapping. */
static void describe(char *buf, size_t size, const yaml_node_t *n) {
  enum { SHOWN = 40 };
  if (n->type == YAML_MAPPING_NODE) {
    snprintf(buf, size, "a mapping");
  } else if (n->type == YAML_SEQUENCE_NODE) {
    snprintf(buf, size, "a sequence");
  } else if (n->type != YAML_SCALAR_NODE) {
    snprintf(buf, size, "nothing");
  } else {
    const char *text = (const char *)n->data.scalar.value;
    int shown = n->data.scalar.length > SHOWN ? SHOWN : (int)n->data.scalar.length;
    const char *more = n->data.scalar.length > SHOWN ? "..." : "";
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
      snprintf(buf, size, "the quoted string \"%.*s%s\"", shown, text, more);
    else if (n->data.scalar.length == 0)
      snprintf(buf, size, "nothing");
    else
      snprintf(buf, size, "'%.*s%s'", shown, text, more);
  }
}

int vmsim__yaml_expected(struct vmsim__yaml *y, const yaml_node_t *at, const char *field,
                         const char *expected) {
  char got[80];
  describe(got, sizeof(got), at);
  return vmsim__yaml_errf(y, at, VMSIM_ECONFIG, "%s: got %s (expected: %s)", field, got,
                          expected);
}

void vmsim__yaml_join(char *buf, size_t size, const char *const *names) {
  size_t used = strlen(buf);
  for (size_t i = 0; names[i] && used < size; i++) {
    int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", names[i]);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

void vmsim__yaml_fmt_bytes(char *buf, size_t size, uint64_t bytes) {
  static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
  for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
    unsigned shift = 40 - 10 * i;
    if (bytes && bytes % (UINT64_C(1) << shift) == 0) {
      snprintf(buf, size, "%" PRIu64 " %s", bytes >> shift, units[i]);
      return;
    }
  }
  snprintf(buf, size, "%" PRIu64 " bytes", bytes);
}

/* ---- structure ---------------------------------------------------------- */

static bool scalar_is(const yaml_node_t *n, const char *word) {
  size_t len = strlen(word);
  return n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
         memcmp(n->data.scalar.value, word, len) == 0;
}

bool vmsim__yaml_is(const yaml_node_t *node, const char *word) {
  return node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
         scalar_is(node, word);
}

const char *vmsim__yaml_text(const yaml_node_t *node) {
  return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

size_t vmsim__yaml_map_len(const yaml_node_t *map) {
  return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yaml_node_t *vmsim__yaml_pair(struct vmsim__yaml *y, const yaml_node_t *map, size_t i,
                              yaml_node_t **value) {
  const yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];
  if (value)
    *value = yaml_document_get_node(&y->doc, pair->value);
  return yaml_document_get_node(&y->doc, pair->key);
}

int vmsim__yaml_map(struct vmsim__yaml *y, const yaml_node_t *node, const char *what,
                    const char *const *keys) {
  if (node->type != YAML_MAPPING_NODE)
    return vmsim__yaml_expected(y, node, what, "a mapping");
  size_t n = vmsim__yaml_map_len(node);
  for (size_t i = 0; i < n; i++) {
    const yaml_node_t *key = vmsim__yaml_pair(y, node, i, NULL);
    if (key->type != YAML_SCALAR_NODE || key->data.scalar.length == 0)
      return vmsim__yaml_expected(y, key, "a key", "a name");
    const char *name = (const char *)key->data.scalar.value;
    bool known = !keys;
    for (size_t k = 0; keys && keys[k] && !known; k++)
      known = scalar_is(key, keys[k]);
    if (!known) {
      char list[512] = "";
      vmsim__yaml_join(list, sizeof(list), keys);
      return vmsim__yaml_errf(y, key, VMSIM_ECONFIG, "unknown key '%s' in %s (expected: %s)",
                              name, what, list);
    }
    for (size_t j = 0; j < i; j++) {
      const yaml_node_t *prev = vmsim__yaml_pair(y, node, j, NULL);
      if (prev->type == YAML_SCALAR_NODE && prev->data.scalar.length == key->data.scalar.length &&
          memcmp(prev->data.scalar.value, key->data.scalar.value, key->data.scalar.length) == 0)
        return vmsim__yaml_errf(y, key, VMSIM_ECONFIG,
                                "duplicate key '%s' in %s (expected: each key once; the first "
                                "is at line %zu, column %zu)",
                                name, what, prev->start_mark.line + 1,
                                prev->start_mark.column + 1);
    }
  }
  return 0;
}

yaml_node_t *vmsim__yaml_get(struct vmsim__yaml *y, const yaml_node_t *map, const char *key,
                             yaml_node_t **keynode) {
  size_t n = vmsim__yaml_map_len(map);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *value, *k = vmsim__yaml_pair(y, map, i, &value);
    if (scalar_is(k, key)) {
      if (keynode)
        *keynode = k;
      return value;
    }
  }
  return NULL;
}

int vmsim__yaml_need(struct vmsim__yaml *y, const yaml_node_t *map, const char *key,
                     const char *what, yaml_node_t **value) {
  *value = vmsim__yaml_get(y, map, key, NULL);
  if (!*value)
    return vmsim__yaml_errf(y, map, VMSIM_ECONFIG, "missing key '%s' in %s", key, what);
  return 0;
}

int vmsim__yaml_seq(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                    size_t min, size_t max, size_t *n) {
  if (node->type != YAML_SEQUENCE_NODE)
    return vmsim__yaml_expected(y, node, field, "a sequence");
  *n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
  if (*n < min)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %zu entries are too few (expected: at least %zu)", field, *n,
                            min);
  if (*n > max)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %zu entries are too many (expected: at most %zu)", field, *n,
                            max);
  return 0;
}

yaml_node_t *vmsim__yaml_item(struct vmsim__yaml *y, const yaml_node_t *seq, size_t i) {
  return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

/* ---- numbers ------------------------------------------------------------ */

/* A multiplier a number may carry ("MiB", "us"); "" is a bare number. */
struct unit {
  const char *name;
  uint64_t mult;
};

static const struct unit no_units[] = {{"", 1}, {NULL, 0}};
static const struct unit size_units[] = {
  {"", 1},
  {"B", 1},
  {"K", UINT64_C(1) << 10}, {"KiB", UINT64_C(1) << 10},
  {"M", UINT64_C(1) << 20}, {"MiB", UINT64_C(1) << 20},
  {"G", UINT64_C(1) << 30}, {"GiB", UINT64_C(1) << 30},
  {"T", UINT64_C(1) << 40}, {"TiB", UINT64_C(1) << 40},
  {NULL, 0},
};
static const struct unit time_units[] = {
  {"", 1}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {NULL, 0},
};

enum quantity_status {
  Q_OK,
  Q_SYNTAX,   /* not a number */
  Q_NEGATIVE, /* a minus sign */
  Q_RANGE,    /* does not fit 64 bits */
  Q_INEXACT,  /* a fraction that leaves a fraction of the unit's base */
  Q_UNIT,     /* a number, then an unknown unit */
};

/* Digits in `base`, '_' allowed between them: *s advances past them. */
static enum quantity_status parse_digits(const char **s, unsigned base, uint64_t *out,
                                         unsigned *ndigits) {
  uint64_t v = 0;
  unsigned n = 0;
  bool overflow = false;
  const char *p = *s;
  for (;; p++) {
    unsigned d;
    if (*p == '_' && n > 0 && p[1] && p[1] != '_')
      continue;
    if (*p >= '0' && *p <= '9')
      d = (unsigned)(*p - '0');
    else if (base == 16 && *p >= 'a' && *p <= 'f')
      d = (unsigned)(*p - 'a' + 10);
    else if (base == 16 && *p >= 'A' && *p <= 'F')
      d = (unsigned)(*p - 'A' + 10);
    else
      break;
    overflow |= __builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v);
    n++;
  }
  *s = p;
  *out = v;
  if (ndigits)
    *ndigits = n;
  return n == 0 ? Q_SYNTAX : overflow ? Q_RANGE : Q_OK;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/*
 * "[+]DIGITS[.DIGITS][ ]UNIT" or "[+]0xHEX", exactly: 1.5GiB is 1610612736
 * bytes, 2.5us 2500 ns; a fraction must come out whole.
 */
static enum quantity_status parse_quantity(const char *s, const struct unit *units,
                                           bool fraction, uint64_t *out) {
  uint64_t whole, frac = 0, scale = 1;
  unsigned fdigits = 0;
  enum quantity_status st;

  if (*s == '-')
    return parse_quantity(s + 1, units, fraction, out) == Q_SYNTAX ? Q_SYNTAX : Q_NEGATIVE;
  if (*s == '+')
    s++;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s += 2;
    st = parse_digits(&s, 16, out, NULL);
    return st != Q_OK ? st : *s ? Q_SYNTAX : Q_OK;
  }
  if ((st = parse_digits(&s, 10, &whole, NULL)) != Q_OK)
    return st;
  if (*s == '.' && fraction) {
    s++;
    if ((st = parse_digits(&s, 10, &frac, &fdigits)) == Q_SYNTAX)
      return st;
    if (fdigits > 19)
      return Q_INEXACT;
    for (unsigned i = 0; i < fdigits; i++)
      scale *= 10;
  }
  while (*s == ' ')
    s++;
  const struct unit *u = units;
  while (u->name && strcmp(u->name, s) != 0)
    u++;
  if (!u->name) {
    bool starts_alpha = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
    return starts_alpha ? Q_UNIT : Q_SYNTAX;
  }
  /* whole * mult + frac / scale * mult, where scale / gcd must divide mult. */
  uint64_t g = gcd(frac, scale), v, part = 0;
  if (frac) {
    uint64_t den = scale / g;
    if (u->mult % den)
      return Q_INEXACT;
    if (__builtin_mul_overflow(frac / g, u->mult / den, &part))
      return Q_RANGE;
  }
  if (__builtin_mul_overflow(whole, u->mult, &v) || __builtin_add_overflow(v, part, &v))
    return Q_RANGE;
  *out = v;
  return Q_OK;
}

/* The text of a plain scalar, or NULL after an error naming `expected`. */
static const char *plain_text(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                              const char *expected, int *rc) {
  if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
      node->data.scalar.length == 0) {
    *rc = vmsim__yaml_expected(y, node, field, expected);
    return NULL;
  }
  return (const char *)node->data.scalar.value;
}

static int quantity(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                    const struct unit *units, bool fraction, const char *expected,
                    const char *unitlist, uint64_t *out) {
  int rc = 0;
  const char *text = plain_text(y, node, field, expected, &rc);
  if (!text)
    return rc;
  switch (parse_quantity(text, units, fraction, out)) {
  case Q_OK:
    return 0;
  case Q_NEGATIVE:
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is negative (expected: %s)", field,
                            text, expected);
  case Q_RANGE:
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %s is too large (expected: %s)", field, text, expected);
  case Q_INEXACT:
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %s is not a whole number of %s (expected: %s)", field, text,
                            units == time_units ? "nanoseconds" : "bytes", expected);
  case Q_UNIT:
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: unknown unit in '%s' (expected: %s)",
                            field, text, unitlist);
  case Q_SYNTAX:
    break;
  }
  return vmsim__yaml_expected(y, node, field, expected);
}

int vmsim__yaml_uint(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     uint64_t min, uint64_t max, uint64_t *out) {
  char expected[64];
  if (max == UINT64_MAX)
    snprintf(expected, sizeof(expected), "an integer >= %" PRIu64, min);
  else
    snprintf(expected, sizeof(expected), "an integer %" PRIu64 "..%" PRIu64, min, max);
  uint64_t v;
  int rc = quantity(y, node, field, no_units, false, expected, expected, &v);
  if (rc)
    return rc;
  if (v < min || v > max)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %" PRIu64 " is out of range (expected: %s)", field, v, expected);
  *out = v;
  return 0;
}

int vmsim__yaml_int(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                    int64_t min, int64_t max, int64_t *out) {
  char expected[64];
  snprintf(expected, sizeof(expected), "an integer %" PRId64 "..%" PRId64, min, max);
  int rc = 0;
  const char *text = plain_text(y, node, field, expected, &rc);
  if (!text)
    return rc;
  bool neg = text[0] == '-';
  uint64_t mag;
  enum quantity_status st = parse_quantity(text + neg, no_units, false, &mag);
  if (st == Q_OK) {
    int64_t v;
    if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
      v = neg ? INT64_MIN : INT64_MAX, st = Q_RANGE;
    else
      v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    if (st == Q_OK && v >= min && v <= max) {
      *out = v;
      return 0;
    }
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is out of range (expected: %s)",
                            field, text, expected);
  }
  if (st == Q_RANGE)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is out of range (expected: %s)",
                            field, text, expected);
  return vmsim__yaml_expected(y, node, field, expected);
}

int vmsim__yaml_bytes(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                      uint64_t min, uint64_t *out) {
  static const char expected[] = "a size such as 4096, 64KiB or 1.5GiB";
  static const char unitlist[] = "B, KiB, MiB, GiB, TiB, or K, M, G, T";
  uint64_t v;
  char a[32], b[32];
  int rc = quantity(y, node, field, size_units, true, expected, unitlist, &v);
  if (rc)
    return rc;
  if (v % VMSIM_PAGE_SIZE) {
    vmsim__yaml_fmt_bytes(a, sizeof(a), v);
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG,
                            "%s: %s is not a multiple of 4 KiB (expected: whole 4 KiB pages)",
                            field, a);
  }
  if (v < min) {
    vmsim__yaml_fmt_bytes(a, sizeof(a), v);
    vmsim__yaml_fmt_bytes(b, sizeof(b), min);
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is too small (expected: at least %s)",
                            field, a, b);
  }
  *out = v;
  return 0;
}

int vmsim__yaml_duration(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                         vmsim_time_t *out) {
  static const char expected[] = "a duration such as 500ns, 100us, 1.5ms or 2s";
  static const char unitlist[] = "ns, us, ms, s";
  return quantity(y, node, field, time_units, true, expected, unitlist, out);
}

int vmsim__yaml_real(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     double min, bool open_min, double max, double *out) {
  char expected[64];
  snprintf(expected, sizeof(expected), "a number in %c%g, %g]", open_min ? '(' : '[', min, max);
  if (isinf(max))
    snprintf(expected, sizeof(expected), "a number %s %g", open_min ? ">" : ">=", min);
  int rc = 0;
  const char *text = plain_text(y, node, field, expected, &rc);
  if (!text)
    return rc;
  /* Decimal notation only: strtod would also take "nan", "inf" and hex. */
  if (strspn(text, "0123456789+-.eE") != strlen(text))
    return vmsim__yaml_expected(y, node, field, expected);
  char *end;
  double v = strtod(text, &end);
  if (*end || end == text || !isfinite(v))
    return vmsim__yaml_expected(y, node, field, expected);
  if (v < min || (open_min && v == min) || v > max)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is out of range (expected: %s)",
                            field, text, expected);
  *out = v;
  return 0;
}

int vmsim__yaml_bool(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                     bool *out) {
  static const char *const yes[] = {"true", "True", "TRUE"};
  static const char *const no[] = {"false", "False", "FALSE"};
  for (unsigned i = 0; i < ARRAY_SIZE(yes); i++) {
    if (vmsim__yaml_is(node, yes[i]) || vmsim__yaml_is(node, no[i])) {
      *out = vmsim__yaml_is(node, yes[i]);
      return 0;
    }
  }
  return vmsim__yaml_expected(y, node, field, "true or false");
}

int vmsim__yaml_string(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                       char *buf, size_t size) {
  char expected[64];
  snprintf(expected, sizeof(expected), "a name of 1..%zu characters", size - 1);
  if (node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0)
    return vmsim__yaml_expected(y, node, field, expected);
  const char *text = (const char *)node->data.scalar.value;
  if (strlen(text) != node->data.scalar.length)
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: contains a NUL character (expected: %s)",
                            field, expected);
  if (node->data.scalar.length >= size) {
    char got[80];
    describe(got, sizeof(got), node);
    return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "%s: %s is %zu characters long (expected: %s)",
                            field, got, node->data.scalar.length, expected);
  }
  memcpy(buf, text, node->data.scalar.length + 1);
  return 0;
}

int vmsim__yaml_choice(struct vmsim__yaml *y, const yaml_node_t *node, const char *field,
                       const char *what, const char *const *names, unsigned *out) {
  char list[256] = "";
  vmsim__yaml_join(list, sizeof(list), names);
  if (node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0)
    return vmsim__yaml_expected(y, node, field, list);
  for (unsigned i = 0; names[i]; i++)
    if (scalar_is(node, names[i])) {
      *out = i;
      return 0;
    }
  return vmsim__yaml_errf(y, node, VMSIM_ECONFIG, "unknown %s '%.*s' (expected: %s)", what,
                          (int)(node->data.scalar.length > 64 ? 64 : node->data.scalar.length),
                          (const char *)node->data.scalar.value, list);
}
