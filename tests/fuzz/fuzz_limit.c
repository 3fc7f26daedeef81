/* Fuzzes the limit configuration parser; a limit that parses is exercised. */
#include <stdint.h>
#include <stdlib.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_limiter *l = NULL;
  char msg[200];
  int rc = gh_limiter_parse(&l, (const char *)data, size, msg, sizeof msg);
  if (rc != GH_OK) {
    if (l || (rc != GH_EPARSE && rc != GH_ETOOBIG && rc != GH_ENOMEM)) abort();
    return 0;
  }
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
