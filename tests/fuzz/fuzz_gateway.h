/* What the fuzz targets that decide requests share: the example gateway
 * configuration (GH_FUZZ_CONFIG, else GH_EXAMPLE_CONFIG) loaded once, with an
 * optional JSON Patch applied; abort() when it does not load. */
#ifndef GH_FUZZ_GATEWAY_H
#define GH_FUZZ_GATEWAY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

static inline gh_gateway *fuzz_gateway(const char *patch) {
  const char *path = getenv("GH_FUZZ_CONFIG") ? getenv("GH_FUZZ_CONFIG") : GH_EXAMPLE_CONFIG;
  static char doc[1 << 20];
  FILE *f = fopen(path, "rb");
  if (!f) abort();
  size_t len = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  gh_gateway *gw;
  char errors[1024];
  if (gh_gateway_new(&gw) || gh_gateway_load(gw, doc, len, errors, sizeof errors) ||
      (patch && gh_gateway_patch(gw, patch, strlen(patch), errors, sizeof errors)))
    abort();
  return gw;
}

#endif
