/* SPDX-License-Identifier: MIT */
/*
 * Error codes. Every function of the library that can fail returns an int:
 * 0 on success, one of the negative VMSIM_E* codes below on failure.
 */
#ifndef VMSIM_ERROR_H
#define VMSIM_ERROR_H

#include "common.h"

VMSIM_BEGIN_DECLS

/* X(name, value, message): the one list every error code comes from. */
#define VMSIM_ERRNO_MAP(X)                                                  \
  X(ENOMEM, -1, "out of host memory")                                       \
  X(EINVAL, -2, "invalid argument")                                         \
  X(ERANGE, -3, "value out of range")                                       \
  X(ENOENT, -4, "no such object")                                           \
  X(EEXIST, -5, "object already exists")                                    \
  X(EBUSY, -6, "object is busy")                                            \
  X(ENOSPC, -7, "no space left (swap full or table full)")                  \
  X(EIO, -8, "input/output error")                                          \
  X(ECONFIG, -9, "invalid configuration")                                   \
  X(EPARSE, -10, "malformed input")                                         \
  X(EFAULT, -11, "segmentation fault: address outside any mapping")         \
  X(EACCES, -12, "access not permitted by the mapping")                     \
  X(EOOM, -13, "simulated machine out of memory")                           \
  X(EKILLED, -14, "process was killed by the OOM killer")                   \
  X(EABI, -15, "incompatible plugin ABI")                                   \
  X(ENOTSUP, -16, "operation not supported")                                \
  X(ECORRUPT, -17, "simulator state failed an invariant check")             \
  X(ESRCH, -18, "no such process")                                          \
  X(EAGAIN, -19, "no progress; try again")

enum vmsim_errno {
#define VMSIM_ERRNO_ENUM_(name, value, msg) VMSIM_##name = (value),
  VMSIM_ERRNO_MAP(VMSIM_ERRNO_ENUM_)
#undef VMSIM_ERRNO_ENUM_
  VMSIM_ERRNO_MIN_ = -20
};

/* A human-readable message for an error code ("unknown error" if unknown). */
VMSIM_EXPORT const char *vmsim_strerror(int err);
/* The code's name without the prefix, e.g. "ENOMEM" ("EUNKNOWN" if unknown). */
VMSIM_EXPORT const char *vmsim_err_name(int err);

VMSIM_END_DECLS

#endif /* VMSIM_ERROR_H */
