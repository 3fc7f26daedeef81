/* Fuzzes the strict JSON layer. Differential invariant: what the strict
 * parser accepts, plain cJSON accepts too (strict is a subset), and an
 * accepted document re-parses to the same printed form. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "gatehouse/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *strict = NULL;
  int rc = gh__json_parse((const char *)data, size, 1 << 20, GH_JSON_DEFAULT_MAX_DEPTH, &strict, NULL, 0);
  if (rc == GH_OK) {
    cJSON *plain = cJSON_ParseWithLength((const char *)data, size);
    if (!plain) abort();
    char *a = cJSON_PrintUnformatted(strict), *b = cJSON_PrintUnformatted(plain);
    if (a && b && strcmp(a, b) != 0) abort();
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(plain);
  } else if (rc != GH_EPARSE && rc != GH_ETOOBIG && rc != GH_ENOMEM) {
    abort();
  }
  cJSON_Delete(strict);
  return 0;
}
