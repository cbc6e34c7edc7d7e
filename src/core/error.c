/* SPDX-License-Identifier: MIT */
#include "internal.h"

#include <stdio.h>

const char *vmsim_strerror(int err) {
  switch (err) {
#define VMSIM_STRERROR_CASE_(name, value, msg) \
  case VMSIM_##name:                           \
    return msg;
    VMSIM_ERRNO_MAP(VMSIM_STRERROR_CASE_)
#undef VMSIM_STRERROR_CASE_
  case 0:
    return "success";
  }
  return "unknown error";
}

const char *vmsim_err_name(int err) {
  switch (err) {
#define VMSIM_ERRNAME_CASE_(name, value, msg) \
  case VMSIM_##name:                          \
    return #name;
    VMSIM_ERRNO_MAP(VMSIM_ERRNAME_CASE_)
#undef VMSIM_ERRNAME_CASE_
  case 0:
    return "OK";
  }
  return "EUNKNOWN";
}

int vmsim__errf(char *msg, size_t len, int err, const char *fmt, ...) {
  if (msg && len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
  }
  return err;
}

unsigned vmsim_version(void) { return VMSIM_VERSION_HEX; }
const char *vmsim_version_string(void) { return VMSIM_VERSION_STRING; }
