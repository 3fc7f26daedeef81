/**
 * @file gatehouse/error.h
 * @brief Error codes: GH_OK (0) or a negative GH_E* value.
 *
 * Codes are generated from one list and are only ever added, never renumbered.
 * A denial (an expired token, a policy "no") is not an error: those come back as
 * a decision plus a reason code (see gatehouse/jwt.h).
 */
#ifndef GATEHOUSE_ERROR_H
#define GATEHOUSE_ERROR_H

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define GH_ERRNO_MAP(X)                                                       \
  X(OK, 0, "success")                                                         \
  X(ENOMEM, -1, "out of memory")                                              \
  X(EINVAL, -2, "invalid argument")                                           \
  X(EMISUSE, -3, "library misuse (bad handle or call order)")                 \
  X(ETOOBIG, -4, "input exceeds a configured limit")                          \
  X(EPARSE, -5, "malformed input")                                            \
  X(EUNSUPPORTED, -6, "unsupported algorithm, key type or feature")           \
  X(EKEY, -7, "invalid or unusable key")                                      \
  X(ECRYPTO, -8, "cryptographic backend failure")                             \
  X(ENOTFOUND, -9, "not found")                                               \
  X(EEXIST, -10, "already exists")                                            \
  X(EBUFFER, -11, "output buffer too small")                                  \
  X(EDENIED, -12, "rejected (see the reason code)")                           \
  X(EIO, -13, "input/output error")                                         \
  X(EBUSY, -14, "busy: try again later")

typedef enum gh_err {
#define GH__ERR_ENUM(name, value, msg) GH_##name = value,
  GH_ERRNO_MAP(GH__ERR_ENUM)
#undef GH__ERR_ENUM
} gh_err;

/** @return a static English message for an error code ("unknown error" otherwise). */
GH_EXTERN const char *gh_strerror(int err);
/** @return the code's name without prefix, e.g. "ENOMEM" ("UNKNOWN" otherwise). */
GH_EXTERN const char *gh_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif
