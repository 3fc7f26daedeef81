/* JWT registered-claim validation (RFC 7519 section 4.1, RFC 8725 section 3.8-3.9). */
#ifndef GH_CLAIMS_H
#define GH_CLAIMS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

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

/* GH_OK, or GH_EDENIED with *reason. */
int gh__claims_check(const gh__claim_rules *r, const cJSON *claims, int64_t now_ms, int *reason, char *msg,
                     size_t cap);

#endif
