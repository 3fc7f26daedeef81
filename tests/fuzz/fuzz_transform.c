/* Fuzzes the transformation parser and templates: what parses is applied to
 * a fixed request and response; a refusal always says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gh_transform *t = NULL;
  char msg[256] = "";
  int rc = gh_transform_parse(&t, (const char *)data, size, msg, sizeof msg);
  if (rc) {
    if (t || (rc != GH_ENOMEM && !msg[0])) abort();
    return 0;
  }
  const gh_header in[] = {{"Authorization", "Bearer x", 13, 8}, {"X-A", "1", 3, 1}, {"Host", "h", 4, 1}};
  const char *path = "/a/b?x=1&y=%20";
  gh_transform_input input = {in, 3, path, strlen(path), NULL, NULL, NULL};
  gh_transform_result out;
  rc = gh_transform_request(t, &input, &out, msg, sizeof msg);
  if (rc == GH_OK) {
    if (!out.path || strlen(out.path) != out.path_len) abort();
    gh_transform_result_free(&out);
  } else if (rc != GH_EDENIED && rc != GH_ETOOBIG && rc != GH_ENOMEM) abort();
  if (gh_transform_response(t, &input, &out, msg, sizeof msg) == GH_OK) gh_transform_result_free(&out);
  gh_transform_free(t);
  return 0;
}
