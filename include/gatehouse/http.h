/**
 * @file gatehouse/http.h
 * @brief Pieces of an HTTP message that several objects read.
 *
 * Slices into the host's own buffers: nothing is copied and nothing needs a
 * NUL, so a host hands over the headers its parser already cut out.
 */
#ifndef GATEHOUSE_HTTP_H
#define GATEHOUSE_HTTP_H

#include <stddef.h>

#include "gatehouse/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One header field: name and value as (pointer, length); names compare without case. */
typedef struct gh_header {
  const char *name, *value;
  size_t name_len, value_len;
} gh_header;
/** sizeof(gh_header), for FFI callers that mirror it: check the mirror against it. */
GH_EXTERN size_t gh_header_size(void);
/** The reason phrase of a status (RFC 9110 §15: "Too Many Requests"), or "" for one the library does not name. */
GH_EXTERN const char *gh_http_status_text(int status);

#ifdef __cplusplus
}
#endif
#endif
