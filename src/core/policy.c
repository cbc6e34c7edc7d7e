/* SPDX-License-Identifier: MIT */
/*
 * The policy registry: the built-in policies, plus those registered by the
 * application or loaded from shared objects. Process-global and guarded by
 * a mutex; entries are never removed, so a pointer from vmsim_policy_find()
 * stays valid for the life of the process.
 */
#include "lru.h"

#include <dlfcn.h>
#include <pthread.h>

#include "builtin.h"

#define MAX_POLICIES 64

static const vmsim_policy_ops *const builtins[] = {
  VMSIM_BUILTIN_POLICIES
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const vmsim_policy_ops *registered[MAX_POLICIES];
static size_t nr_registered;

/* The size of a version-1 table: everything up to the last required member. */
#define OPS_V1_MIN_SIZE (offsetof(vmsim_policy_ops, shrink) + sizeof(void (*)(void)))

static bool valid_name(const char *name) {
  size_t n = 0;
  for (; name[n]; n++) {
    char c = name[n];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') || n >= 31)
      return false;
  }
  return n > 0;
}

int vmsim_policy_validate(const vmsim_policy_ops *ops, char *msg, size_t len) {
  if (!ops)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "policy: the ops table is NULL");
  if (ops->abi_version == 0 || ops->abi_version > VMSIM_POLICY_ABI_VERSION)
    return vmsim__errf(msg, len, VMSIM_EABI,
                       "policy: abi_version %u is not supported (this library speaks 1..%d)",
                       ops->abi_version, VMSIM_POLICY_ABI_VERSION);
  if (ops->struct_size < OPS_V1_MIN_SIZE)
    return vmsim__errf(msg, len, VMSIM_EABI,
                       "policy: struct_size %u is smaller than a version-1 table (%zu bytes)",
                       ops->struct_size, (size_t)OPS_V1_MIN_SIZE);
  if (ops->struct_size > sizeof(vmsim_policy_ops))
    return vmsim__errf(msg, len, VMSIM_EABI,
                       "policy: struct_size %u is larger than ABI %u allows (%zu bytes)",
                       ops->struct_size, ops->abi_version, sizeof(vmsim_policy_ops));
  if (!ops->name || !valid_name(ops->name))
    return vmsim__errf(msg, len, VMSIM_EINVAL,
                       "policy: name must be 1..31 characters of [a-z0-9_-]");
  const char *n = ops->name;
  if (ops->nr_lists == 0 || ops->nr_lists > VMSIM_MAX_LRU_LISTS)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "policy '%s': nr_lists %u is out of range 1..%d",
                       n, ops->nr_lists, VMSIM_MAX_LRU_LISTS);
  if (!ops->list_names || !ops->list_kinds)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "policy '%s': list_names and list_kinds are required",
                       n);
  for (uint32_t i = 0; i < ops->nr_lists; i++) {
    if (!ops->list_names[i])
      return vmsim__errf(msg, len, VMSIM_EINVAL, "policy '%s': list_names[%u] is NULL", n, i);
    if ((unsigned)ops->list_kinds[i] > VMSIM_LRU_KIND_UNEVICTABLE)
      return vmsim__errf(msg, len, VMSIM_EINVAL, "policy '%s': list_kinds[%u] is not a kind", n,
                         i);
  }
  if (ops->page_state_size > sizeof(((struct vmsim_page *)0)->policy))
    return vmsim__errf(msg, len, VMSIM_EINVAL,
                       "policy '%s': page_state_size %u exceeds the 8 bytes of page->policy", n,
                       ops->page_state_size);
  const char *missing = !ops->init ? "init" : !ops->fini ? "fini" : !ops->page_add ? "page_add"
                        : !ops->page_del ? "page_del" : !ops->shrink ? "shrink" : NULL;
  if (missing)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "policy '%s': required callback %s is NULL", n,
                       missing);
  return 0;
}

static const vmsim_policy_ops *find_locked(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
    if (strcmp(builtins[i]->name, name) == 0)
      return builtins[i];
  for (size_t i = 0; i < nr_registered; i++)
    if (strcmp(registered[i]->name, name) == 0)
      return registered[i];
  return NULL;
}

const vmsim_policy_ops *vmsim_policy_find(const char *name) {
  if (!name)
    return NULL;
  pthread_mutex_lock(&registry_lock);
  const vmsim_policy_ops *ops = find_locked(name);
  pthread_mutex_unlock(&registry_lock);
  return ops;
}

const vmsim_policy_ops *vmsim_policy_at(size_t i) {
  if (i < ARRAY_SIZE(builtins))
    return builtins[i];
  i -= ARRAY_SIZE(builtins);
  pthread_mutex_lock(&registry_lock);
  const vmsim_policy_ops *ops = i < nr_registered ? registered[i] : NULL;
  pthread_mutex_unlock(&registry_lock);
  return ops;
}

int vmsim_policy_register(const vmsim_policy_ops *ops, char *msg, size_t len) {
  int err = vmsim_policy_validate(ops, msg, len);
  if (err)
    return err;
  pthread_mutex_lock(&registry_lock);
  const vmsim_policy_ops *same = find_locked(ops->name);
  if (same == ops) {
    err = 0; /* registering the same table twice is harmless */
  } else if (same) {
    err = vmsim__errf(msg, len, VMSIM_EEXIST, "policy '%s': a policy of that name exists",
                      ops->name);
  } else if (nr_registered == MAX_POLICIES) {
    err = vmsim__errf(msg, len, VMSIM_ENOSPC, "policy '%s': the registry is full (%d)", ops->name,
                      MAX_POLICIES);
  } else {
    registered[nr_registered++] = ops;
  }
  pthread_mutex_unlock(&registry_lock);
  return err;
}

int vmsim_policy_load(const char *path, const char **name, char *msg, size_t len) {
  if (!path)
    return vmsim__errf(msg, len, VMSIM_EINVAL, "policy: no path given");
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return vmsim__errf(msg, len, VMSIM_ENOENT, "%s: cannot load: %s", path, dlerror());
  void *sym = dlsym(handle, VMSIM_POLICY_ENTRY_SYMBOL);
  if (!sym) {
    dlclose(handle);
    return vmsim__errf(msg, len, VMSIM_EABI, "%s: no symbol '%s': not a vmsim policy", path,
                       VMSIM_POLICY_ENTRY_SYMBOL);
  }
  vmsim_policy_entry_fn entry;
  memcpy(&entry, &sym, sizeof(entry)); /* object to function pointer, as POSIX allows */
  const vmsim_policy_ops *ops = entry();
  char why[256];
  int err = vmsim_policy_register(ops, why, sizeof(why));
  if (err) {
    dlclose(handle);
    return vmsim__errf(msg, len, err, "%s: %s", path, why);
  }
  /* The object stays loaded: its table is in the registry for good. */
  if (name)
    *name = ops->name;
  return 0;
}
