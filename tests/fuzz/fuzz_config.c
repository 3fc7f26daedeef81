/* Fuzzes the gateway configuration loader: every document is either
 * accepted or refused with located errors (each line "$<path> ...: why");
 * an accepted one without limits (whose counters allocate their whole
 * budget) is loaded into a gateway that decides a few fixed requests, then
 * exports its catalog (OpenAPI), metrics and usage. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

static void decide_some(const char *doc, size_t len) {
  gh_gateway *gw = NULL;
  gh_decision *d = NULL;
  char errors[256];
  if (gh_gateway_new(&gw) || gh_gateway_load(gw, doc, len, errors, sizeof errors) || gh_decision_new(&d)) {
    gh_decision_free(d);
    gh_gateway_free(gw);
    return;
  }
  static const char *const paths[] = {"/", "/v1/orders/7", "/a/b/c?x=1", "/%2e%2e/x", "/health"};
  const gh_header h[] = {{"Authorization", "Bearer a.b.c", 13, 12}, {"X-API-Key", "k", 9, 1},
                         {"Content-Type", "application/grpc", 12, 16}};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    const char *q = strchr(paths[i], '?');
    gh_request r = {.method = i % 2 ? "GET" : "POST", .method_len = i % 2 ? 3 : 4, .path = paths[i],
                    .path_len = q ? (size_t)(q - paths[i]) : strlen(paths[i]), .query = q ? q + 1 : NULL,
                    .query_len = q ? strlen(q + 1) : 0, .headers = h, .n_headers = i % 3 + 1,
                    .client_ip = "10.0.0.1", .client_ip_len = 8};
    gh_gateway_decide(gw, &r, 1800000000000, d);
    if (gh_decision_verdict(d) != GH_VERDICT_FORWARD && gh_decision_verdict(d) != GH_VERDICT_RESPOND) abort();
    char explain[8192];
    size_t n;
    int rc = gh_decision_explain(d, explain, sizeof explain, &n);
    if (rc && rc != GH_ETOOBIG) abort();
    gh_gateway_complete(gw, d, 200, 1, 0, 0);
  }
  /* what API management reads back from any accepted document */
  char *out = NULL;
  size_t out_len = 0;
  int rc = gh_gateway_openapi(gw, &out, &out_len);
  if (rc && rc != GH_ENOMEM) abort();
  gh_free(out);
  out = NULL;
  rc = gh_metrics_write(gw, &out, &out_len);
  if (rc && rc != GH_ENOMEM && rc != GH_EMISUSE) abort(); /* EMISUSE: metrics turned off */
  gh_free(out);
  out = NULL;
  if (gh_usage_write(gw, &out, &out_len) == GH_OK) gh_free(out);
  gh_decision_free(d);
  gh_gateway_free(gw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *doc = (const char *)data;
  static char errors[1 << 16];
  int rc = gh_gateway_config_check(doc, size, errors, sizeof errors);
  if (rc == GH_OK) {
    if (!memmem(doc, size, "\"limits\"", 8)) decide_some(doc, size);
    return 0;
  }
  if (rc != GH_EPARSE && rc != GH_ETOOBIG && rc != GH_ENOMEM && rc != GH_EINVAL) abort();
  if (rc == GH_EPARSE && errors[0] != '$') abort(); /* every error names where */
  for (const char *nl = strchr(errors, '\n'); nl; nl = strchr(nl + 1, '\n'))
    if (nl[1] != '$') abort();
  return 0;
}
