/* Fuzzes the OpenAPI importer: any document either imports or is refused
 * with a message; what imports builds and answers lookups. */
#include <stdint.h>
#include <stdlib.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_router *b;
  if (gh_router_new(&b)) return 0;
  char msg[512] = "";
  int rc = gh_router_add_openapi(b, (const char *)data, size, msg, sizeof msg);
  if (rc != GH_OK && !msg[0] && rc != GH_ENOMEM) abort(); /* a refusal says why */
  if (gh_router_build(b) == GH_OK) {
    static gh_route_match m;
    static const char *const paths[] = {"/", "/pets/1", "/a/b/c", "/x%20y/1?q"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
      if (gh_router_match(b, "GET", 3, paths[i], __builtin_strlen(paths[i]), &m)) abort();
  }
  gh_router_free(b);
  return 0;
}
