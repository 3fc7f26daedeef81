/* Fuzzes the route pattern parser and the path normaliser with lookups. The
 * input is "PATTERN\nMETHOD PATH": the pattern joins a fixed route set, then
 * the request is looked up; every answer must be one of the statuses the
 * router gives, with parameters inside the path or the match's buffers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

static const char *const FIXED[] = {"GET", "/users/{id:int}", "GET", "/users/{name}/posts", "POST", "/files/{name}.{ext}",
                                    "GET", "/static/*",       "*",   "/health",            "GET", "/o/{id:uuid}"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[8192];
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  char *nl = strchr(text, '\n');
  const char *request = nl ? nl + 1 : "GET /users/7";
  if (nl) *nl = 0;
  gh_router *b;
  if (gh_router_new(&b)) return 0;
  char msg[256];
  for (size_t i = 0; i < sizeof FIXED / sizeof FIXED[0]; i += 2)
    if (gh_router_add(b, FIXED[i], FIXED[i + 1], NULL, NULL, msg, sizeof msg)) abort();
  int rc = gh_router_add(b, "GET", text, "fuzzed", NULL, msg, sizeof msg);
  if (rc != GH_OK && rc != GH_EPARSE && rc != GH_EEXIST && rc != GH_ETOOBIG && rc != GH_ENOMEM) abort();
  if (rc && !msg[0]) abort(); /* an error always says why */
  gh_router *r = b;
  if (gh_router_build(r)) {
    gh_router_free(r);
    return 0;
  }
  const char *space = strchr(request, ' ');
  const char *method = space ? request : "GET", *path = space ? space + 1 : request;
  size_t method_len = space ? (size_t)(space - request) : 3, path_len = strlen(path);
  static gh_route_match m;
  if (gh_router_match(r, method, method_len, path, path_len, &m)) abort();
  switch (m.status) {
  case 200:
    if (!m.name || !m.pattern || m.n_params > GH_ROUTER_MAX_PARAMS) abort();
    for (size_t i = 0; i < m.n_params; i++) {
      const char *v = m.params[i].value;
      bool in_path = v >= path && v + m.params[i].len <= path + path_len;
      bool in_buf = (v >= m.values && v + m.params[i].len <= m.values + sizeof m.values) ||
                    (v >= m.canonical && v + m.params[i].len <= m.canonical + sizeof m.canonical);
      if (!m.params[i].name || (!in_path && !in_buf)) abort();
    }
    break;
  case 204: case 400: case 404: case 405: case 414: break;
  default: abort();
  }
  gh_router_free(r);
  return 0;
}
