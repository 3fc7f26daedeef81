/* Fuzzes the limit configuration parser and the key recipe parser; what
 * parses is exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

/* The input as a key recipe: parsed, then built from a source with every field. */
static void recipe(const uint8_t *data, size_t size) {
  char text[1100];
  if (size >= sizeof text) return;
  memcpy(text, data, size);
  text[size] = 0;
  gh_limit_key *k = NULL;
  char msg[200], key[256];
  int rc = gh_limit_key_parse(&k, text, msg, sizeof msg);
  if (rc != GH_OK) {
    if (k || (rc != GH_EPARSE && rc != GH_ENOMEM)) abort();
    return;
  }
  const gh_header headers[] = {{"x-tenant", "a&b=c%", 8, 6}};
  gh_limit_key_source src = {NULL, NULL, "2001:db8::1", 11, "route", 5, "key", 3, headers, 1, 48};
  size_t len;
  rc = gh_limit_key_build(k, &src, key, sizeof key, &len);
  if (rc != GH_OK && rc != GH_ENOTFOUND && rc != GH_EBUFFER) abort();
  if (rc == GH_OK && strlen(key) != len) abort();
  gh_limit_key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  recipe(data, size);
  gh_limiter *l = NULL;
  char msg[200];
  int rc = gh_limiter_parse(&l, (const char *)data, size, msg, sizeof msg);
  if (rc != GH_OK) {
    if (l || (rc != GH_EPARSE && rc != GH_ETOOBIG && rc != GH_ENOMEM)) abort();
    return 0;
  }
  if (gh_limiter_build(l)) abort();
  int allowed;
  uint64_t remaining;
  int64_t retry;
  for (int64_t t = 0; t < 5000; t += 997)
    if (gh_limiter_take(l, "k", 1, 1 + (uint64_t)(t % 3), 1700000000000LL + t, &allowed, &remaining, &retry)) abort();
  char policy[128], state[128], body[512];
  if (gh_limiter_fields(l, remaining, 1000, policy, sizeof policy, state, sizeof state) ||
      gh_limiter_problem(l, retry, body, sizeof body))
    abort();
  gh_limiter_free(l);
  return 0;
}
