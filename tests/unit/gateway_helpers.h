/* Helpers for tests that drive a gateway: a loaded gateway, a request made
 * of literal parts, a response header of a decision. */
#ifndef GH_TEST_GATEWAY_HELPERS_H
#define GH_TEST_GATEWAY_HELPERS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gatehouse.h"

/* A gateway loaded with json; fails the test with the errors otherwise. */
gh_gateway *t_gw_load(const char *json);

/* The example configuration (examples/gateway/gateway.json) and the tokens made
 * for it (tests/vectors/gateway/tokens.json: "viewer", "editor", ... and "now"). */
typedef struct t_gw_example {
  char *config;
  size_t config_len;
  cJSON *tokens;
  int64_t now_ms; /* the tokens' "now", in ms */
} t_gw_example;
void t_gw_example_load(t_gw_example *e);
void t_gw_example_free(t_gw_example *e);
/* A token of the example's (fails the test when there is none of that name). */
const char *t_gw_example_token(const t_gw_example *e, const char *name);

/* One request: storage for its headers. */
typedef struct t_req {
  gh_request r;
  gh_header h[16];
  char buf[16][2048];
} t_req;

/* Method, path (with query), then "Name: value" headers, NULL-terminated. */
gh_request *t_gw_request(t_req *q, const char *ip, const char *method, const char *path, ...);
/* A response header of the decision (at most once, else the test fails), or NULL; valid until the next call. */
const char *t_gw_header(const gh_decision *d, const char *name);

#endif
