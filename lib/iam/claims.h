/* JWT registered-claim validation (RFC 7519 section 4.1, RFC 8725 sections
 * 3.8-3.9) on the raw member values of a payload, without building a tree. */
#ifndef GH_CLAIMS_H
#define GH_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

typedef struct gh__strs {
  char **v;
  size_t *len;
  size_t n;
} gh__strs;

int gh__strs_add(gh__strs *s, const char *p, size_t len);
void gh__strs_free(gh__strs *s);
int gh__strs_contains(const gh__strs *s, const char *p, size_t len);

typedef struct gh__claim_rules {
  gh__strs issuers, audiences;
  int64_t leeway_ms;
  unsigned required; /* GH_CLAIM_* */
  int64_t max_lifetime_s;
} gh__claim_rules;

/* The registered claims of one payload, filled by gh__registered_collect
 * (a gh__json_member_fn) while the payload is validated. */
typedef struct gh__registered {
  gh__span exp, nbf, iat, iss, aud, sub, jti;
} gh__registered;

void gh__registered_collect(void *ud, const char *name, size_t name_len, const char *value, size_t value_len);

/* GH_OK, or GH_EDENIED with *reason. */
int gh__claims_check(const gh__claim_rules *r, const gh__registered *reg, int64_t now_ms, int *reason, char *msg,
                     size_t cap);

/* A NumericDate claim in seconds: 1 present, 0 absent, -1 not a number. */
int gh__claim_seconds(gh__span s, double *out);
/* Bytes a string claim needs decoded, with its NUL (0 when absent or not a string). */
size_t gh__claim_string_room(gh__span s);
/* Decodes a string claim into buf (gh__claim_string_room bytes), NUL-terminated;
 * returns buf, or NULL when the claim is absent or not a string. */
char *gh__claim_string_copy(gh__span s, char *buf);

#endif
