/* The path canonicaliser: never crashes, and its output is a fixed point
 * that the fast check recognises, with and without case folding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char once[GH_PATH_MAX + 1], twice[GH_PATH_MAX + 1];
  for (unsigned flags = 0; flags <= GH_PATH_IGNORE_CASE; flags++) {
    size_t n1, n2;
    const char *why;
    int rc = gh__path_canon((const char *)data, size, flags, once, sizeof once, &n1, &why);
    if (gh__path_is_canonical((const char *)data, size, flags) &&
        (rc != GH_OK || n1 != size || memcmp(once, data, size)))
      abort(); /* "canonical already" must mean canon(p) == p */
    if (rc != GH_OK) {
      if (rc == GH_EPARSE && !why) abort(); /* a refusal says why */
      continue;
    }
    if (strlen(once) != n1 || !gh__path_is_canonical(once, n1, flags)) abort();
    if (gh__path_canon(once, n1, flags, twice, sizeof twice, &n2, &why) != GH_OK) abort();
    if (n1 != n2 || memcmp(once, twice, n1)) abort(); /* canon(canon(p)) == canon(p) */
  }
  return 0;
}
