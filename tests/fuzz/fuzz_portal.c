/* Fuzzes the developer portal's request handling (examples/server/portal.c):
 * a method, a path under /portal and a body, from a developer signed in
 * with an API key of the example configuration's "partners" realm, so that
 * the self-service calls run to the end: bodies parsed, path segments
 * percent-decoded, keys made and revoked, subscriptions changed through
 * patches. Every answer must be a status the portal gives, with a body
 * that is JSON where it says so; the gateway goes back to the example
 * every few hundred inputs, so that it does not grow without end.
 *   input: METHOD-byte, then PATH, '\n', BODY */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_gateway.h"
#include "portal.h"

static gh_gateway *gw;
static portal p;
static unsigned runs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!gw || ++runs % 256 == 0) {
    if (gw) portal_destroy(&p), gh_gateway_free(gw);
    gw = fuzz_gateway(NULL);
    portal_init(&p, gw, "partners");
  }
  if (size < 1 || size > 4096) return 0;
  static const char *const methods[] = {"GET", "POST", "DELETE", "HEAD", "PUT"};
  const char *method = methods[data[0] % 5];
  const char *in = (const char *)data + 1;
  size_t n = size - 1;
  const char *nl = memchr(in, '\n', n);
  size_t path_len = nl ? (size_t)(nl - in) : n;
  char path[4200];
  memcpy(path, "/portal/api/", 12); /* mostly self-service; the rest of /portal now and then */
  size_t at = data[0] & 0x80 ? 7 : 12;
  memcpy(path + at, in, path_len);
  path[at + path_len] = 0;
  static const char key[] = "gh_demo_partner_key_DO_NOT_USE";
  gh_header h = {.name = "X-API-Key", .name_len = 9, .value = key, .value_len = sizeof key - 1};
  gh_request q = {.method = method, .method_len = strlen(method), .path = path, .path_len = at + path_len,
                  .headers = &h, .n_headers = 1};
  portal_answer a;
  portal_handle(&p, &q, nl ? nl + 1 : NULL, nl ? n - path_len - 1 : 0, 1767225600000, &a);
  if (a.status < 200 || a.status > 599) abort();
  if (a.content_type && strstr(a.content_type, "json") && a.status != 204) {
    cJSON *body = cJSON_ParseWithLength(a.body, a.body_len);
    if (!body) {
      fprintf(stderr, "a %d answer that is not JSON: %.*s\n", a.status, (int)a.body_len, a.body);
      abort();
    }
    cJSON_Delete(body);
  }
  portal_answer_free(&a);
  return 0;
}
