/* A message head as llhttp hands it over in pieces: the request target (or
 * nothing, for a response) and the header fields, gathered into one buffer
 * with each field's place in it, within a byte and a field budget. */
#ifndef GH_SERVER_HEAD_H
#define GH_SERVER_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse.h"
#include "wire.h"

#define MAX_HEADERS 128

typedef struct field {
  uint32_t name, name_len, value, value_len; /* offsets into the head's bytes */
} field;

typedef struct head {
  wbuf bytes;
  uint32_t url, url_len;
  field fields[MAX_HEADERS];
  size_t n_fields;
  bool in_name, too_large;
  size_t max_bytes, max_fields;
} head;

/* Forgets the previous message, keeping the buffer and the budgets. */
void head_reset(head *h);
/* llhttp's pieces; each returns HPE_OK, or HPE_USER past the budget (too_large set). */
int head_url(head *h, const char *p, size_t n);
int head_field_name(head *h, const char *p, size_t n);
int head_field_value(head *h, const char *p, size_t n);
/* The fields as gh_header views into the bytes (valid until the next piece), n_fields of them. */
void head_views(const head *h, gh_header *out);
/* The value of the first field of that name (case-insensitive), or NULL. */
const char *head_find(const head *h, const char *name, size_t *len);

#endif
