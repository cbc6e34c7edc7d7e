/* SPDX-License-Identifier: MIT */
/*
 * Target `policy`: vmsim_policy_validate(), the check every plugin's ops
 * table passes before it is registered, on tables built from the input.
 *
 * The bytes give the fields of a vmsim_policy_ops: abi_version,
 * struct_size, the name's bytes, nr_lists, each list's name (or NULL) and
 * kind, page_state_size, which callbacks are NULL, and the size of the
 * message buffer. The table is allocated at exactly the size it claims
 * (at least its first two fields), and the lists at exactly nr_lists
 * entries, so AddressSanitizer catches any read the validator should not
 * make before it has checked the size that allows it.
 *
 * Oracle: validate() accepts exactly the tables policy.h describes as
 * valid (checked here independently), refuses the rest with VMSIM_EABI
 * (version or size) or VMSIM_EINVAL and a message, and never writes past
 * the message buffer.
 */
#include "fuzz.h"

#include <stdlib.h>

#define FUZZ_MAX_NAME 40
#define FUZZ_MAX_LISTS 16 /* nr_lists above this: the arrays get one entry */

struct input {
  const uint8_t *p;
  size_t left;
};

static uint8_t take8(struct input *in) {
  if (!in->left)
    return 0;
  in->left--;
  return *in->p++;
}

static uint32_t take32(struct input *in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t)take8(in) << (8 * i);
  return v;
}

/* Callbacks that are never called: validate() only looks at the pointers. */
static int cb_init(vmsim_lruvec *l, void *s) { return 0; }
static void cb_fini(vmsim_lruvec *l, void *s) {}
static void cb_page(vmsim_lruvec *l, void *s, struct vmsim_page *pg) {}
static void cb_shrink(vmsim_lruvec *l, void *s, vmsim_scan_control *sc) {}
static void cb_age(vmsim_lruvec *l, void *s) {}
static uint64_t cb_evict(vmsim_lruvec *l, void *s, struct vmsim_page *pg) { return 0; }
static void cb_refault(vmsim_lruvec *l, void *s, struct vmsim_page *pg, uint64_t sh) {}
static void cb_access(vmsim_lruvec *l, void *s, struct vmsim_page *pg,
                      const vmsim_access_info *i) {}
static int cb_configure(vmsim_lruvec *l, void *s, const char *k, const char *v, char *m,
                        size_t n) {
  return VMSIM_ENOENT;
}

static const size_t v1_min_size =
    offsetof(vmsim_policy_ops, shrink) + sizeof(((vmsim_policy_ops *)0)->shrink);

/* policy.h's rules, written out again: 1..31 characters of [a-z0-9_-]. */
static bool name_ok(const char *name) {
  size_t n = strlen(name);
  if (n < 1 || n > 31)
    return false;
  return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int vmsim_fuzz_policy(const uint8_t *data, size_t size) {
  struct input in = {data, size};
  vmsim_policy_ops ops;
  char name[FUZZ_MAX_NAME + 1], list_name_text[] = "list";
  uint8_t b;

  memset(&ops, 0, sizeof(ops));
  b = take8(&in);
  ops.abi_version = b & 0x80 ? take32(&in) : b & 0x40 ? 0 : VMSIM_POLICY_ABI_VERSION;
  b = take8(&in);
  ops.struct_size = b < 128   ? (uint32_t)sizeof(ops)
                    : b < 192 ? (uint32_t)(v1_min_size + take8(&in) % (sizeof(ops) - v1_min_size + 1))
                    : b < 224 ? (uint32_t)(take8(&in) % (v1_min_size + 1))
                              : take32(&in);
  uint8_t nulls = take8(&in);   /* bit 0: name, 1: list_names, 2: list_kinds */
  uint16_t absent = (uint16_t)(take8(&in) | take8(&in) << 8); /* callbacks that are NULL */
  size_t name_len = take8(&in) % (FUZZ_MAX_NAME + 1);
  for (size_t i = 0; i < name_len; i++)
    name[i] = (char)take8(&in);
  name[name_len] = '\0';
  ops.name = nulls & 1 ? NULL : name;
  ops.description = "fuzz";
  b = take8(&in);
  ops.nr_lists = b < 224 ? b % (VMSIM_MAX_LRU_LISTS + 2) : take32(&in);
  size_t nr_entries = ops.nr_lists <= FUZZ_MAX_LISTS ? MAX(ops.nr_lists, 1) : 1;
  const char **list_names = malloc(nr_entries * sizeof(*list_names));
  enum vmsim_lru_kind *list_kinds = malloc(nr_entries * sizeof(*list_kinds));
  FUZZ_CHECK(list_names && list_kinds, "out of memory");
  bool lists_ok = true;
  for (size_t i = 0; i < nr_entries; i++) {
    b = take8(&in);
    list_names[i] = b & 0x80 ? NULL : list_name_text;
    int kind = b & 0x40 ? (int)take32(&in) : (b & 0x3f) % 4;
    memcpy(&list_kinds[i], &kind, sizeof(kind));
    if (i < ops.nr_lists)
      lists_ok &= list_names[i] != NULL && kind >= 0 && kind <= VMSIM_LRU_KIND_UNEVICTABLE;
  }
  ops.list_names = nulls & 2 ? NULL : list_names;
  ops.list_kinds = nulls & 4 ? NULL : list_kinds;
  ops.node_state_size = take32(&in);
  b = take8(&in);
  ops.page_state_size = b < 224 ? b % 12 : take32(&in);
  ops.flags = take32(&in);
#define CB(bit, field, fn) ops.field = absent & (1u << (bit)) ? NULL : (fn)
  CB(0, init, cb_init);
  CB(1, fini, cb_fini);
  CB(2, page_add, cb_page);
  CB(3, page_del, cb_page);
  CB(4, shrink, cb_shrink);
  CB(5, mark_accessed, cb_page);
  CB(6, age, cb_age);
  CB(7, evict, cb_evict);
  CB(8, refault, cb_refault);
  CB(9, access, cb_access);
  CB(10, configure, cb_configure);
#undef CB
  b = take8(&in);
  size_t msg_len = b < 16 ? b : b < 128 ? 256 : (size_t)b;

  /* The table as the plugin would have it: struct_size bytes. */
  size_t table_size = ops.struct_size > sizeof(ops) ? sizeof(ops)
                                                    : MAX((size_t)ops.struct_size, 2 * sizeof(uint32_t));
  vmsim_policy_ops *table = malloc(table_size);
  char *msg = msg_len ? malloc(msg_len) : NULL;
  FUZZ_CHECK(table && (msg || !msg_len), "out of memory");
  memcpy(table, &ops, table_size);
  if (msg)
    memset(msg, 0x55, msg_len);

  int rc = vmsim_policy_validate(table, msg, msg_len);

  bool abi_ok = ops.abi_version >= 1 && ops.abi_version <= VMSIM_POLICY_ABI_VERSION &&
                ops.struct_size >= v1_min_size && ops.struct_size <= sizeof(ops);
  bool valid = abi_ok && ops.name && name_ok(ops.name) && ops.nr_lists >= 1 &&
               ops.nr_lists <= VMSIM_MAX_LRU_LISTS && ops.list_names && ops.list_kinds &&
               lists_ok && ops.page_state_size <= 8 && (absent & 0x1f) == 0;
  if (valid) {
    FUZZ_CHECK(rc == 0, "a valid table refused with %d (%s): %s", rc, vmsim_err_name(rc),
               msg_len > 1 ? msg : "");
  } else {
    FUZZ_CHECK(rc != 0, "an invalid table accepted (abi %u, size %u, nr_lists %u, "
               "page_state_size %u, NULL callbacks 0x%x)", ops.abi_version, ops.struct_size,
               ops.nr_lists, ops.page_state_size, absent);
    FUZZ_CHECK(rc == (abi_ok ? VMSIM_EINVAL : VMSIM_EABI), "refused with %d (%s), expected %s",
               rc, vmsim_err_name(rc), abi_ok ? "VMSIM_EINVAL" : "VMSIM_EABI");
    if (msg_len)
      FUZZ_CHECK(memchr(msg, '\0', msg_len) && (msg_len == 1 || msg[0] != '\0'),
                 "no message for a refusal");
    if (msg_len > 8)
      FUZZ_CHECK(strncmp(msg, "policy", MIN(msg_len - 1, 6)) == 0, "message: %s", msg);
  }
  free(msg);
  free(table);
  free(list_names);
  free(list_kinds);
  return 0;
}
